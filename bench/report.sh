#!/usr/bin/env bash
# Turns the raw figures of bench/compare.sh (tool, run, metric, value, rss
# KiB per line) into a markdown table of medians, with the machine it ran on.
#   bench/report.sh RESULTS.tsv DATASET_BYTES "arca restic borg"
set -euo pipefail
raw=$1 data_bytes=$2 tools=$3

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo); $(date -u +%Y-%m-%d); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Versions: $(arca --version 2>/dev/null | head -1); $(restic version 2>/dev/null | cut -d' ' -f1-2); $(borg --version 2>/dev/null); $(go version | cut -d' ' -f3)."
echo "Dataset: $(awk -v b="$data_bytes" 'BEGIN {printf "%.2f GiB", b/1073741824}') (bench/dataset.sh); medians of $(cut -f2 "$raw" | sort -u | wc -l) runs; warm page cache."
echo
awk -F'\t' -v tools="$tools" -v data="$data_bytes" '
function median(key,   n, i, j, t, v) {
	n = cnt[key]
	if (n == 0) return ""
	for (i = 1; i <= n; i++) v[i] = vals[key, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function add(key, x) { cnt[key]++; vals[key, cnt[key]] = x + 0 }
{
	tool = $1; run = $2; metric = $3
	add(tool SUBSEP metric, $4)
	if ($5 != "") {
		if (metric ~ /^backup/ && $5 > bmax[tool, run]) bmax[tool, run] = $5
		if (metric == "restore") add(tool SUBSEP "rss_restore", $5)
		if (metric == "check") add(tool SUBSEP "rss_check", $5)
	}
}
END {
	for (k in bmax) { split(k, p, SUBSEP); add(p[1] SUBSEP "rss_backup", bmax[k]) }
	nt = split(tools, tl, " ")
	printf "| |"; for (i = 1; i <= nt; i++) printf " %s |", tl[i]; printf "\n|---|"
	for (i = 1; i <= nt; i++) printf "---|"; printf "\n"
	row("first backup", "backup_first", "rate")
	row("no-change backup", "backup_nochange", "s")
	row("backup after 1% change", "backup_changed", "s")
	row("full restore", "restore", "rate")
	row("metadata check", "check", "s")
	row("repository size", "repo_bytes", "size")
	row("peak RSS, backup", "rss_backup", "kib")
	row("peak RSS, restore", "rss_restore", "kib")
	row("peak RSS, check", "rss_check", "kib")
}
function row(label, metric, kind,   i, m, base, cell) {
	printf "| %s |", label
	base = median("restic" SUBSEP metric)
	for (i = 1; i <= nt; i++) {
		m = median(tl[i] SUBSEP metric)
		if (m == "") { printf " – |"; continue }
		if (kind == "rate") cell = sprintf("%.2f s (%.0f MB/s)", m, data / m / 1e6)
		else if (kind == "s") cell = sprintf("%.2f s", m)
		else if (kind == "size") cell = sprintf("%.1f MiB", m / 1048576)
		else cell = sprintf("%.0f MiB", m / 1024)
		if (tl[i] != "restic" && base != "" && base > 0 && kind == "rate") cell = cell sprintf(", %.1f× restic", base / m)
		if (tl[i] != "restic" && base != "" && base > 0 && kind == "size") cell = cell sprintf(" (%+.1f%% vs restic)", 100 * (m - base) / base)
		printf " %s |", cell
	}
	printf "\n"
}' "$raw"
