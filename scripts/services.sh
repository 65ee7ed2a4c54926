#!/usr/bin/env bash
# Installs (when missing) and starts on loopback the services the test suite
# needs, then prints `export` lines for their settings. Idempotent: a service
# already answering is left alone. State lives under $ARCA_SERVICES_DIR
# (default /var/tmp/arca-services): outside the checkout, so that the
# postgres user can reach it whatever the permissions of the checkout's path.
#
#   eval "$(scripts/services.sh)"
set -euo pipefail
export GOPROXY=https://proxy.golang.org
state="${ARCA_SERVICES_DIR:-/var/tmp/arca-services}"
mkdir -p "$state"
log() { echo "services: $*" >&2; }

apt_install() {
	if [ "$(id -u)" != 0 ]; then log "need root to apt-get install $*"; return 1; fi
	if [ ! -f "$state/apt-updated" ]; then apt-get update -qq >&2 && touch "$state/apt-updated"; fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

pg_bin() {
	local d
	for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }; done
	return 1
}

# --- PostgreSQL on 127.0.0.1:55432 ---------------------------------------
PGPORT=${ARCA_TEST_PG_PORT:-55432}
start_postgres() {
	local bin; bin=$(pg_bin) || { apt_install postgresql; bin=$(pg_bin); }
	local data="$state/pg"
	local run_as=()
	if [ "$(id -u)" = 0 ]; then
		run_as=(runuser -u postgres --)
		cd /  # the postgres user may not be allowed into the current directory
		mkdir -p "$data" && chown -R postgres "$data"
		chmod 755 "$state"
	fi
	if "$bin/pg_isready" -q -h 127.0.0.1 -p $PGPORT; then return 0; fi
	if [ ! -f "$data/PG_VERSION" ]; then
		"${run_as[@]}" "$bin/initdb" -D "$data" -U arca --auth=trust -E UTF8 >/dev/null
	fi
	"${run_as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $PGPORT -c unix_socket_directories=$data -c fsync=off -c max_connections=400" start >/dev/null
	"$bin/psql" -h 127.0.0.1 -p $PGPORT -U arca -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='arca_test'" | grep -q 1 ||
		"$bin/createdb" -h 127.0.0.1 -p $PGPORT -U arca arca_test
}

# --- versitygw (S3) on 127.0.0.1:7070 ---------------------------------------
S3PORT=${ARCA_TEST_S3_PORT:-7070}
S3KEY=arcatestaccess
S3SECRET=arcatestsecret0123456789
start_versitygw() {
	local gw; gw=$(command -v versitygw || echo "$(go env GOPATH)/bin/versitygw")
	if [ ! -x "$gw" ]; then
		go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 >&2
	fi
	if (exec 3<>/dev/tcp/127.0.0.1/$S3PORT) 2>/dev/null; then return 0; fi
	mkdir -p "$state/s3"
	ROOT_ACCESS_KEY=$S3KEY ROOT_SECRET_KEY=$S3SECRET nohup "$gw" --port 127.0.0.1:$S3PORT posix "$state/s3" >"$state/versitygw.log" 2>&1 &
	for _ in $(seq 1 100); do
		(exec 3<>/dev/tcp/127.0.0.1/$S3PORT) 2>/dev/null && return 0
		sleep 0.1
	done
	log "versitygw did not start; see $state/versitygw.log"; return 1
}

want=${1:-postgres,s3}
case ",$want," in *,postgres,*) start_postgres; echo "export ARCA_TEST_POSTGRES_URL=postgres://arca@127.0.0.1:$PGPORT/arca_test?sslmode=disable";; esac
case ",$want," in *,s3,*) start_versitygw
	echo "export ARCA_TEST_S3_ENDPOINT=127.0.0.1:$S3PORT ARCA_TEST_S3_ACCESS_KEY=$S3KEY ARCA_TEST_S3_SECRET_KEY=$S3SECRET";; esac
