#!/usr/bin/env bash
# Backing up a 1 GB PostgreSQL database through Arca, beside pg_dump itself,
# in one run (issue 6's speed target: Arca within 1.2× of
# `pg_dump --format=custom > /dev/null`, and a second backup of the
# unchanged database storing under 5% new data).
#
# Per run (RUNS, default 3), alternated:
#   pg_dump -Fc      pg_dump --format=custom > /dev/null (its default zlib compression)
#   pg_dump -Fc -Z0  pg_dump --format=custom --compress=0 > /dev/null (what the driver runs)
#   arca first       the postgres driver into a fresh local repository, repository open,
#                    clock from the driver's start to the committed snapshot
#   arca second      a second backup of the unchanged database into that repository
# and the bytes the second backup added and stored. Medians on stdout (markdown).
#
#   bench/pgdump.sh [SCRATCH]     (default /var/tmp/arca-pgbench; needs ~2 GiB)
#   ROWS=7000000 RUNS=3 bench/pgdump.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
scratch=${1:-/var/tmp/arca-pgbench}
runs=${RUNS:-3}
rows=${ROWS:-7000000}
db=arca_bench_pgdump
mkdir -p "$scratch"
eval "$("$top/scripts/services.sh" postgres)"
base=${ARCA_TEST_POSTGRES_URL%%\?*}
base=${base%/*}
url="$base/$db?sslmode=disable"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
psql() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

size=$(psql "$base/postgres" -tAc "SELECT coalesce((SELECT pg_database_size(oid) FROM pg_database WHERE datname = '$db'), 0)")
if [ "$size" -lt $((900 << 20)) ]; then
	echo "making $db (about 1 GB)" >&2
	psql "$base/postgres" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
	psql "$url" <<SQL
CREATE TABLE orders AS
  SELECT g AS id, md5(g::text) AS ref, md5((g * 7)::text) AS customer,
         (random() * 100000)::int AS cents, timestamptz '2026-01-01' + g * interval '1 second' AS at
  FROM generate_series(1, $rows) g;
ALTER TABLE orders ADD PRIMARY KEY (id);
CREATE TABLE notes AS
  SELECT g AS id, repeat(md5(g::text), 8) AS body FROM generate_series(1, $((rows / 40))) g;
VACUUM ANALYZE;
SQL
	size=$(psql "$base/postgres" -tAc "SELECT pg_database_size('$db')")
fi
echo "database $db: $((size >> 20)) MiB" >&2

(cd "$top" && go build -o "$scratch/pgdumpbench" ./bench/pgdumpbench)
secs() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
: >"$scratch/results.tsv"
for i in $(seq 1 "$runs"); do
	a=$(secs sh -c "'$bin/pg_dump' --format=custom --dbname='$url' > /dev/null")
	b=$(secs sh -c "'$bin/pg_dump' --format=custom --compress=0 --dbname='$url' > /dev/null")
	rm -rf "$scratch/repo"
	out=$("$scratch/pgdumpbench" -url "$url" -repo "$scratch/repo" -backups 2)
	first=$(echo "$out" | awk '/^backup=1 /{for(i=1;i<=NF;i++) if($i ~ /^seconds=/) print substr($i,9)}')
	second=$(echo "$out" | awk '/^backup=2 /{for(i=1;i<=NF;i++) if($i ~ /^seconds=/) print substr($i,9)}')
	read2=$(echo "$out" | awk '/^backup=2 /{for(i=1;i<=NF;i++) if($i ~ /^read=/) print substr($i,6)}')
	added2=$(echo "$out" | awk '/^backup=2 /{for(i=1;i<=NF;i++) if($i ~ /^added=/) print substr($i,7)}')
	stored1=$(echo "$out" | awk '/^backup=1 /{for(i=1;i<=NF;i++) if($i ~ /^stored=/) print substr($i,8)}')
	stored2=$(echo "$out" | awk '/^backup=2 /{for(i=1;i<=NF;i++) if($i ~ /^stored=/) print substr($i,8)}')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$a" "$b" "$first" "$second" "$read2" "$added2" "$stored1" "$stored2" | tee -a "$scratch/results.tsv" >&2
done
rm -rf "$scratch/repo"

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
col() { cut -f"$1" "$scratch/results.tsv" | median; }
pgz=$(col 1) pg0=$(col 2) first=$(col 3) second=$(col 4) read2=$(col 5) added2=$(col 6) stored1=$(col 7) stored2=$(col 8)
cat <<MD
Database: $((size >> 20)) MiB on disk ($(echo "$read2" | awk '{printf "%.0f", $1/1048576}') MiB of dump); $("$bin/pg_dump" --version); $(nproc) cores; median of $runs runs.

| what | seconds | vs pg_dump -Fc |
| --- | ---: | ---: |
| \`pg_dump --format=custom > /dev/null\` | $pgz | 1.00× |
| \`pg_dump --format=custom --compress=0 > /dev/null\` | $pg0 | $(awk -v a="$pg0" -v b="$pgz" 'BEGIN{printf "%.2f×", a/b}') |
| Arca backup, first (fresh repository) | $first | $(awk -v a="$first" -v b="$pgz" 'BEGIN{printf "%.2f×", a/b}') |
| Arca backup, second (unchanged database) | $second | $(awk -v a="$second" -v b="$pgz" 'BEGIN{printf "%.2f×", a/b}') |

Second backup of the unchanged database: $(awk -v a="$added2" -v r="$read2" 'BEGIN{printf "%.0f KiB new data of %.0f MiB read (%.2f%%)", a/1024, r/1048576, 100*a/r}'), $(awk -v s="$stored2" 'BEGIN{printf "%.0f KiB", s/1024}') stored (the first stored $(awk -v s="$stored1" 'BEGIN{printf "%.0f MiB", s/1048576}')).
MD
