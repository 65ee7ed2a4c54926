#!/usr/bin/env bash
# Backups through `arca server` against the offline `arca repo backup` of the
# same data (issue 4's speed targets), on the dataset of bench/dataset.sh:
#   compare   first (full) and no-change backup both ways, each into a fresh
#             local repository, the two ways alternated run by run; the
#             server's repository is opened by an earlier task (warm keys
#             and index) before its first backup
#   nochange  POST /sources/{id}/backup → long poll ?wait=60s says succeeded
#   sse       a batch of the dataset's 3 directories (3 sources, a fresh
#             repository per run) with 0 and with 20 SSE watchers, alternated
# Every sample and the medians go to stdout and SCRATCH/results.txt.
#
#   bench/server.sh [SCRATCH]                  (default /tmp/arca-srvbench; needs ~5 GiB)
#   RUNS=5 NOCHANGE=9 WATCHERS=20 bench/server.sh
#   PHASES=sse bench/server.sh                 one phase (compare, nochange, sse)
#   ARCA_BIN=path/to/arca bench/server.sh      benchmark that binary instead of building one
#   SERVER_PROFILE=1 bench/server.sh           CPU profiles: the server's whole run and each
#                                              offline backup, under SCRATCH/run/profiles
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
scratch=${1:-/tmp/arca-srvbench}
mkdir -p "$scratch/bin"
scratch=$(cd "$scratch" && pwd)
export GOPROXY=${GOPROXY:-https://proxy.golang.org}

if [ -n "${ARCA_BIN:-}" ]; then
	cp "$ARCA_BIN" "$scratch/bin/arca"
else
	(cd "$top" && go build -o "$scratch/bin/arca" ./cmd/arca)
fi
(cd "$top" && go build -o "$scratch/bin/serverbench" ./bench/serverbench)
GEN="$scratch/bin/bench-gen" "$here/dataset.sh" "$scratch/dataset" >&2
GEN="$scratch/bin/bench-gen" "$here/dataset.sh" reset "$scratch/dataset"

profile=()
if [ -n "${SERVER_PROFILE:-}" ]; then
	profile=(-server-cpuprofile "$scratch/run/profiles/server.pprof" -offline-cpuprofile)
fi
{
	echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), arca ${ARCA_BIN:-built from the tree at $(git -C "$top" rev-parse --short HEAD)}"
	"$scratch/bin/serverbench" -arca "$scratch/bin/arca" -data "$scratch/dataset/data" -scratch "$scratch/run" \
		-runs "${RUNS:-3}" -nochange "${NOCHANGE:-7}" -watchers "${WATCHERS:-20}" -phases "${PHASES:-compare,nochange,sse}" \
		"${profile[@]}"
	echo "# ended $(date -u '+%H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$scratch/results.txt"
