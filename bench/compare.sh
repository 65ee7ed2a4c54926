#!/usr/bin/env bash
# Compares `arca repo` with restic and borg on the dataset of bench/dataset.sh,
# side by side in one run, each with a local repository, encryption on and
# compression on:
#   arca    default settings (zstd "fastest" level, AES-256-GCM)
#   restic  repository v2, --compression auto (zstd "default" level, AES-256-CTR + Poly1305)
#   borg    --encryption repokey-blake2, --compression zstd,3 (closest to restic's auto)
# Each tool runs RUNS times (default 3) from a fresh repository: first
# backup, no-change backup, backup after the 1% change, full restore,
# metadata check (arca check / restic check / borg check --archives-only),
# repository size. Times and peak RSS come from /usr/bin/time; the table
# shows medians. Page cache is warm (drop_caches needs root on the host):
# every tool reads the dataset from memory, so the figures measure CPU,
# not the disk.
#
#   bench/compare.sh [SCRATCH]            (default /tmp/arca-bench; needs ~10 GiB)
#   RUNS=1 TOOLS="arca restic" bench/compare.sh
#   TOOLS="arca restic" bench/compare.sh smallfiles [SCRATCH]   backups of 1,000,000 small files: time and peak RSS
#   ARCA_BIN=path/to/arca bench/compare.sh    benchmark that binary instead of building one
#
# Output: a markdown table on stdout and in SCRATCH/results.md; raw figures
# in SCRATCH/results.tsv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
mode=main
if [ "${1:-}" = smallfiles ]; then
	mode=smallfiles
	shift
fi
scratch=${1:-/tmp/arca-bench}
runs=${RUNS:-3}
tools=${TOOLS:-arca restic borg}
mkdir -p "$scratch/bin"
scratch=$(cd "$scratch" && pwd)

need() {
	command -v "$1" >/dev/null && return
	echo "installing $2" >&2
	apt-get install -y "$2" >&2
}
need /usr/bin/time time
for t in $tools; do
	case $t in restic) need restic restic ;; borg) need borg borgbackup ;; esac
done

if [ -n "${ARCA_BIN:-}" ]; then # a binary built elsewhere (such as from a clean checkout)
	cp "$ARCA_BIN" "$scratch/bin/arca"
else
	(cd "$top" && go build -o "$scratch/bin/arca" ./cmd/arca)
fi
export PATH="$scratch/bin:$PATH"
export ARCA_PASSWORD=bench-password RESTIC_PASSWORD=bench-password BORG_PASSPHRASE=bench-password
export RESTIC_CACHE_DIR="$scratch/cache/restic" BORG_BASE_DIR="$scratch/cache/borg"
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=no
raw="$scratch/results.tsv"
log="$scratch/commands.log"

# measure TOOL RUN METRIC CMD...: runs CMD, records seconds and peak RSS (KiB).
measure() {
	local tool=$1 run=$2 metric=$3
	shift 3
	echo "== $tool run $run $metric: $*" >>"$log"
	# Write back what the previous command left dirty (the previous tool's
	# restore is 1.4 GiB of page cache), so that no tool pays for another's
	# write-back.
	sync
	if ! /usr/bin/time -f "%e %M" -o "$scratch/time.out" "$@" >>"$log" 2>&1; then
		echo "$tool $metric failed (see $log)" >&2
		exit 1
	fi
	read -r secs kib <"$scratch/time.out"
	printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$run" "$metric" "$secs" "$kib" >>"$raw"
}

record() { printf '%s\t%s\t%s\t%s\t\n' "$1" "$2" "$3" "$4" >>"$raw"; }

# Every run writes its repositories and restores under runs/RUN/ and
# nothing is deleted until the end: on the build VM's ext4 (no journal) a
# file created within minutes of a large deletion waits while the kernel
# skips the recently freed inodes (ialloc.c recently_deleted), so deleting
# one tool's restore or repository right before the next tool's run
# measured the file system, not the tools (restore times swung 2×).
repo_of() { echo "$scratch/runs/$run/repo-$1"; }

do_init() {
	local r
	r=$(repo_of "$1")
	mkdir -p "$(dirname "$r")"
	rm -rf "$r" "$scratch/cache/$1"
	case $1 in
	arca) arca repo init -q --repo "$r" ;;
	restic) restic -q -r "$r" init --repository-version 2 ;;
	borg) borg init -e repokey-blake2 "$r" ;;
	esac >>"$log" 2>&1
}

# backup TOOL RUN METRIC NAME
do_backup() {
	local r data="$scratch/dataset/data"
	r=$(repo_of "$1")
	# Warm: borg drops the page cache of what it reads (posix_fadvise
	# DONTNEED), so without this the tool after borg read the dataset from
	# disk (arca's first backup: 5.3-6.8 s after borg, 3.2-3.8 s otherwise).
	"$here/dataset.sh" warm "$data"
	case $1 in
	arca) measure "$1" "$2" "$3" arca repo backup -q --repo "$r" "$data" ;;
	restic) measure "$1" "$2" "$3" restic -q -r "$r" --compression auto backup "$data" ;;
	borg) measure "$1" "$2" "$3" borg create --compression zstd,3 "$r::$4" "$data" ;;
	esac
}

do_restore() {
	local r target="$scratch/runs/$run/restore-$1"
	r=$(repo_of "$1")
	mkdir -p "$target"
	case $1 in
	arca) measure "$1" "$2" restore arca repo restore -q --repo "$r" latest --target "$target" ;;
	restic) measure "$1" "$2" restore restic -q -r "$r" restore latest --target "$target" ;;
	borg) (cd "$target" && measure "$1" "$2" restore borg extract "$r::b3") ;;
	esac
	record "$1" "$2" restored_bytes "$(du -sb "$target" | cut -f1)"
}

do_check() {
	local r
	r=$(repo_of "$1")
	case $1 in
	arca) measure "$1" "$2" check arca repo check -q --repo "$r" ;;
	restic) measure "$1" "$2" check restic -q -r "$r" check ;;
	borg) measure "$1" "$2" check borg check --archives-only "$r" ;;
	esac
}

# rotate N WORD...: the words, starting from the (N mod count)th.
rotate() {
	local n=$1
	shift
	local words=("$@")
	local k=$((n % ${#words[@]}))
	echo "${words[@]:k}" "${words[@]:0:k}"
}

run_main() {
	"$here/dataset.sh" "$scratch/dataset" >&2
	"$here/dataset.sh" reset "$scratch/dataset"
	rm -rf "$scratch/runs" "$scratch"/repo-* "$scratch/restore" # leftovers of an interrupted run
	data_bytes=$(du -sb "$scratch/dataset/data" | cut -f1)
	: >"$raw"
	: >"$log"
	for run in $(seq 1 "$runs"); do
		# Each run starts with the next tool (arca restic borg, then restic
		# borg arca, ...), so that every tool takes every place: with a fixed
		# order arca's first backup, always right after borg's run, took
		# 1.4–1.8× longer in runs 2 and 3 than in run 1 (three runs of this
		# script), which neither 6 arca runs in a row nor arca runs between
		# restic backups and restores reproduced.
		for tool in $(rotate $((run - 1)) $tools); do
			echo "run $run: $tool" >&2
			"$here/dataset.sh" reset "$scratch/dataset"
			do_init "$tool"
			do_backup "$tool" "$run" backup_first b1
			do_backup "$tool" "$run" backup_nochange b2
			"$here/dataset.sh" change "$scratch/dataset"
			do_backup "$tool" "$run" backup_changed b3
			do_restore "$tool" "$run"
			do_check "$tool" "$run"
			record "$tool" "$run" repo_bytes "$(du -sb "$(repo_of "$tool")" | cut -f1)"
			"$here/dataset.sh" reset "$scratch/dataset"
			# Out of the page cache with what this tool wrote (kept on disk,
			# see repo_of), so 20 GiB of repositories and restores do not
			# evict the dataset before the next tool reads it.
			sync
			"$here/dataset.sh" evict "$scratch/runs/$run"
		done
	done
	"$here/report.sh" "$raw" "$data_bytes" "$tools" | tee "$scratch/results.md"
	rm -rf "$scratch/runs" # after the measurements (see repo_of): wait ~5 minutes before the next run
}

run_smallfiles() {
	local dir="$scratch/smallfiles" tool
	[ -d "$dir" ] || "$here/dataset.sh" smallfiles "$dir"
	: >"$log"
	printf '| 1,000,000 small files | first backup | no-change backup |\n|---|---|---|\n'
	local run=small
	for tool in $tools; do
		local r name=small first second
		r=$(repo_of "$tool")
		rm -rf "$r" "$scratch/cache/$tool"
		do_init "$tool"
		for name in s1 s2; do
			case $tool in
			arca) set -- arca repo backup -q --repo "$r" "$dir" ;;
			restic) set -- restic -q -r "$r" --compression auto backup "$dir" ;;
			borg) set -- borg create --compression zstd,3 "$r::$name" "$dir" ;;
			esac
			/usr/bin/time -f "%e %M" -o "$scratch/time.out" "$@" >>"$log" 2>&1
			read -r secs kib <"$scratch/time.out"
			printf -v "$([ $name = s1 ] && echo first || echo second)" '%s s, peak RSS %d MiB' "$secs" $((kib / 1024))
		done
		printf '| %s | %s | %s |\n' "$tool" "$first" "$second"
	done
}

"run_$mode"
