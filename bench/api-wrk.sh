#!/usr/bin/env bash
# GET /api/v1/tasks/{id} under 64 concurrent connections with wrk (Debian's
# package), against a real `arca server` on SQLite and on PostgreSQL.
# wrk is written in C and costs the 2-core machine less CPU than the Go load
# generator of bench/api, so the server's own latency shows more clearly.
#
#   bench/api-wrk.sh            # needs scripts/services.sh's PostgreSQL for the second half
set -euo pipefail
export GOPROXY=https://proxy.golang.org
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || apt-get install -y -qq wrk >&2
eval "$(scripts/services.sh postgres)"
work=$(mktemp -d)
trap 'pkill -f "arca-wrk-bench server" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/arca-wrk-bench" ./cmd/arca

run() { # name port catalog...
	local name=$1 port=$2; shift 2
	mkdir -p "$work/$name" && cd "$work/$name"
	"$work/arca-wrk-bench" server --listen 127.0.0.1:$port --log-level warn "$@" >out.log 2>&1 &
	for _ in $(seq 1 100); do curl -sf 127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
	local token id
	token=$(grep -o 'arca_[A-Za-z0-9_-]*' out.log | head -1)
	id=$(curl -sf -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
		-d '{"duration_ms":0}' 127.0.0.1:$port/api/v1/system/selftest | grep -o '"id":"[0-9a-f-]\{36\}"' | head -1 | cut -d'"' -f4)
	curl -sf -o /dev/null -H "Authorization: Bearer $token" "127.0.0.1:$port/api/v1/tasks/$id" || { echo "GET of task $id fails" >&2; exit 1; }
	echo "== $name (load: $(cut -d' ' -f1-3 /proc/loadavg))"
	for i in 1 2 3; do
		# non-2xx responses are counted by wrk and must be zero
		wrk -t2 -c64 -d10s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/tasks/$id" |
			awk -v run=$i '/Requests\/sec/{r=$2} / 50%/{p50=$2} / 99%/{p99=$2} /Non-2xx/{bad=$NF} END{printf "run %d: %s GET/s, p50 %s, p99 %s, non-2xx %d\n", run, r, p50, p99, bad}'
	done
	kill %1 2>/dev/null || true; wait 2>/dev/null || true
	cd - >/dev/null
}

run sqlite 18431
pgurl="${ARCA_TEST_POSTGRES_URL%/*}"
psql "$pgurl/postgres" -qc "DROP DATABASE IF EXISTS arca_wrk" -c "CREATE DATABASE arca_wrk" 2>/dev/null
run postgres 18432 --catalog "$pgurl/arca_wrk?sslmode=disable"
