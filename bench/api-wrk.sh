#!/usr/bin/env bash
# GET /api/v1/tasks/{id} under 64 concurrent connections with wrk (Debian's
# package), against a real `arca server` on SQLite and on PostgreSQL.
# wrk is written in C and costs the 2-core machine less CPU than the Go load
# generator of bench/api, so the server's own latency shows more clearly.
#
#   bench/api-wrk.sh                  # builds ./cmd/arca and measures it
#   bench/api-wrk.sh OLD-BIN NEW-BIN  # compares builds: runs alternate
#
# Two tasks are read, in turn: a finished one (a selftest of 0 ms) and a
# running one (a selftest of 10 minutes, which reports progress).
# With several binaries, each gets its own server per catalog (all started
# before the first run) and the runs alternate between them (A B A B A B),
# so that a machine shared with other work loads every variant alike.
# RUNS (default 3), DURATION (default 10s), CATALOGS (default
# "sqlite postgres") and TASKS (default "finished running") change the plan. Every run prints the load average at
# its start; the summary gives the median run of each variant.
# Needs scripts/services.sh's PostgreSQL for the postgres half.
set -euo pipefail
export GOPROXY=https://proxy.golang.org
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
duration=${DURATION:-10s}
catalogs=${CATALOGS:-sqlite postgres}
tasks=${TASKS:-finished running}
command -v wrk >/dev/null || apt-get install -y -qq wrk >&2
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
	go build -o "$work/arca" ./cmd/arca
	bins=("$work/arca")
fi
case " $catalogs " in *" postgres "*)
	eval "$(scripts/services.sh postgres)"
	pgurl="${ARCA_TEST_POSTGRES_URL%/*}" ;;
esac

# start VARIANT CATALOG PORT: starts a server and sets token and the urls of
# a finished task and of a running one.
start() {
	local v=$1 cat=$2 port=$3 dir="$work/$cat-$1" args=()
	mkdir -p "$dir"
	if [ "$cat" = postgres ]; then
		psql "$pgurl/postgres" -qc "DROP DATABASE IF EXISTS arca_wrk_$v" -c "CREATE DATABASE arca_wrk_$v" >/dev/null
		args=(--catalog "$pgurl/arca_wrk_$v?sslmode=disable")
	fi
	"${bins[$v]}" server --listen "127.0.0.1:$port" --data "$dir/data" --log-level warn --shutdown-timeout 1s "${args[@]}" >"$dir/out.log" 2>&1 &
	pids+=($!)
	spid[$v]=$!
	for _ in $(seq 1 300); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
	token[$v]=$(grep -o 'arca_[A-Za-z0-9_-]*' "$dir/out.log" | head -1)
	[ -n "${token[$v]}" ] || { echo "server ${bins[$v]} did not start:" >&2; cat "$dir/out.log" >&2; exit 1; }
	local kind ms tid
	for kind in finished running; do
		ms=0; [ $kind = running ] && ms=600000
		tid=$(curl -sf -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer ${token[$v]}" \
			-d "{\"duration_ms\":$ms}" "127.0.0.1:$port/api/v1/system/selftest" | grep -o '"id":"[0-9a-f-]\{36\}"' | head -1 | cut -d'"' -f4)
		url[$v,$kind]="http://127.0.0.1:$port/api/v1/tasks/$tid"
	done
	sleep 1 # the finished one ends, the running one starts
	for kind in finished running; do
		curl -sf -H "Authorization: Bearer ${token[$v]}" "${url[$v,$kind]}" | grep -q "\"state\":\"$( [ $kind = running ] && echo running || echo succeeded )\"" ||
			{ echo "task ${url[$v,$kind]} is not $kind" >&2; exit 1; }
	done
}

# cputicks PID: user+system CPU time of a process, in clock ticks.
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

results="$work/results"
port=18431
for cat in $catalogs; do
	declare -A token=() url=()
	for v in "${!bins[@]}"; do start "$v" "$cat" $((port++)); done
	for kind in $tasks; do
		echo "== $cat, $kind task"
		for i in $(seq 1 "$runs"); do
			for v in "${!bins[@]}"; do
				load=$(cut -d' ' -f1 /proc/loadavg)
				cpu0=$(cputicks "${spid[$v]}")
				# non-2xx responses are counted by wrk and must be zero
				wrk -t2 -c64 -d"$duration" --latency -H "Authorization: Bearer ${token[$v]}" "${url[$v,$kind]}" |
					awk -v c="$cat/$kind" -v v="$v" -v b="$(basename "${bins[$v]}")" -v run="$i" -v ld="$load" -v pid="${spid[$v]}" -v cpu0="$cpu0" -v hz="$(getconf CLK_TCK)" '
						function ms(s) { if (s ~ /us$/) return s/1000; if (s ~ /ms$/) return s+0; if (s ~ /s$/) return s*1000; return s }
						/Requests\/sec/{r=$2} / 50%/{p50=ms($2)} / 99%/{p99=ms($2)} /Non-2xx/{bad=$NF}
						/^ *[0-9]+ requests in/{n=$1}
						END{getline st < ("/proc/" pid "/stat"); split(st, f, " "); cpu=(f[14]+f[15]-cpu0)/hz
							printf "%s variant %d (%s) run %d: %.0f GET/s, p50 %.2f ms, p99 %.2f ms, server CPU %.1f us/GET, non-2xx %d, load %s\n", c, v, b, run, r, p50, p99, cpu*1e6/n, bad, ld}'
			done | tee -a "$results"
		done
	done
done

echo
echo "median of $runs runs (the median of each column on its own):"
for cat in $catalogs; do
	for kind in $tasks; do
		for v in "${!bins[@]}"; do
			grep "^$cat/$kind variant $v " "$results" | awk -v c="$cat/$kind" -v v="$v" -v b="$(basename "${bins[$v]}")" '
				{ sub(/.*: /, ""); r[NR]=$1; p50[NR]=$4; p99[NR]=$7; cpu[NR]=$11 }
				function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } return a[int((n + 1) / 2)] }
				END { printf "%-17s variant %d (%s): %6.0f GET/s  p50 %5.2f ms  p99 %5.2f ms  server CPU %5.1f us/GET\n", c, v, b, med(r, NR), med(p50, NR), med(p99, NR), med(cpu, NR) }'
		done
	done
done
