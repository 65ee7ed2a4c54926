#!/usr/bin/env bash
# Benchmarks the native HTTP API: runs the load generator (bench/api) with 64
# clients against a fresh `arca server` on SQLite, then on PostgreSQL (when
# ARCA_TEST_POSTGRES_URL is set, or `eval "$(scripts/services.sh)"`), three
# runs each, and prints every run and the median.
#
#   bench/api.sh [seconds per phase, default 10]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
runs=${RUNS:-3}
port=${PORT:-18470}
tmp=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

cd "$top"
go build -o "$tmp/arca" ./cmd/arca
go build -o "$tmp/apibench" ./bench/api

# start_server DIR ARGS...: starts a server, sets server_pid and token.
start_server() {
	local dir=$1; shift
	"$tmp/arca" server --listen "127.0.0.1:$port" --data "$dir" --shutdown-timeout 1s "$@" 2>"$dir.log" &
	server_pid=$!
	for _ in $(seq 100); do
		token=$(grep -o 'arca_[a-z0-9-]*_[a-z0-9]*' "$dir.log" | head -1 || true)
		if [ -n "$token" ] && curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; then return; fi
		sleep 0.1
	done
	echo "server did not start:" >&2; cat "$dir.log" >&2; exit 1
}

stop_server() { kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=; }

bench() { # bench NAME CATALOG-ARGS...
	local name=$1; shift
	for i in $(seq "$runs"); do
		start_server "$tmp/$name-$i" "$@"
		"$tmp/apibench" -url "http://127.0.0.1:$port" -token "$token" -clients 64 -duration "${secs}s" |
			sed "s/^/$name run $i: /" | tee -a "$tmp/results"
		stop_server
	done
}

bench sqlite
if [ -n "${ARCA_TEST_POSTGRES_URL:-}" ]; then
	for i in $(seq "$runs"); do
		psql "$ARCA_TEST_POSTGRES_URL" -qc "DROP SCHEMA IF EXISTS bench_api_$i CASCADE; CREATE SCHEMA bench_api_$i"
	done
	sep='?'; case $ARCA_TEST_POSTGRES_URL in *\?*) sep='&';; esac
	for i in $(seq "$runs"); do
		start_server "$tmp/postgres-$i" --catalog "${ARCA_TEST_POSTGRES_URL}${sep}search_path=bench_api_$i"
		"$tmp/apibench" -url "http://127.0.0.1:$port" -token "$token" -clients 64 -duration "${secs}s" |
			sed "s/^/postgres run $i: /" | tee -a "$tmp/results"
		stop_server
		psql "$ARCA_TEST_POSTGRES_URL" -qc "DROP SCHEMA bench_api_$i CASCADE"
	done
else
	echo "ARCA_TEST_POSTGRES_URL unset: PostgreSQL skipped" >&2
fi

echo
echo "median of $runs runs (64 clients, ${secs}s per phase):"
for cat in sqlite postgres; do
	for phase in create get; do
		grep "^$cat run [0-9]*: $phase " "$tmp/results" 2>/dev/null | awk '{sub("/s", "", $10); print $10, $12, $15}' | sort -n |
			awk -v c="$cat" -v p="$phase" '{r[NR]=$1; p50[NR]=$2; p99[NR]=$3} END {if (NR) {m=int((NR+1)/2);
				printf "%-8s %-6s %8.0f req/s  p50 %s ms  p99 %s ms\n", c, p, r[m], p50[m], p99[m]}}'
	done
done
