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
	if "$bin/pg_isready" -q -h 127.0.0.1 -p $PGPORT; then pg_password_auth "$bin" "$data"; return 0; fi
	if [ ! -f "$data/PG_VERSION" ]; then
		"${run_as[@]}" "$bin/initdb" -D "$data" -U arca --auth=trust -E UTF8 >/dev/null
	fi
	"${run_as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $PGPORT -c unix_socket_directories=$data -c fsync=off -c max_connections=400" start >/dev/null
	"$bin/psql" -h 127.0.0.1 -p $PGPORT -U arca -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='arca_test'" | grep -q 1 ||
		"$bin/createdb" -h 127.0.0.1 -p $PGPORT -U arca arca_test
	pg_password_auth "$bin" "$data"
}

# Members of the role arca_password_auth log in with a password (scram), so
# that tests of database sources can try a wrong one; everyone else is trusted.
pg_password_auth() {
	local bin=$1 data=$2 line="host all +arca_password_auth 127.0.0.1/32 scram-sha-256"
	"$bin/psql" -h 127.0.0.1 -p $PGPORT -U arca -d postgres -qtAc \
		"DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='arca_password_auth') THEN CREATE ROLE arca_password_auth NOLOGIN; END IF; END\$\$" >/dev/null
	[ -w "$data/pg_hba.conf" ] || return 0  # not ours to change
	grep -qxF "$line" "$data/pg_hba.conf" && return 0
	sed -i "1i $line" "$data/pg_hba.conf"
	"$bin/psql" -h 127.0.0.1 -p $PGPORT -U arca -d postgres -qtAc "SELECT pg_reload_conf()" >/dev/null
}

# --- MariaDB on 127.0.0.1:53306 --------------------------------------------
# A private data dir run as the mysql user (or the caller when not root); the
# test user arca (password arca) may do anything, including create databases.
MYPORT=${ARCA_TEST_MYSQL_PORT:-53306}
my_bin() { command -v mariadbd || { [ -x /usr/sbin/mariadbd ] && echo /usr/sbin/mariadbd; }; }
start_mysql() {
	if ! my_bin >/dev/null || ! command -v mariadb-dump >/dev/null; then
		# policy-rc.d keeps the package from starting its own server on :3306.
		local policy=/usr/sbin/policy-rc.d made=""
		if [ "$(id -u)" = 0 ] && [ ! -e $policy ]; then printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy && made=1; fi
		apt_install mariadb-server mariadb-client || { [ -n "$made" ] && rm -f $policy; return 1; }
		[ -n "$made" ] && rm -f $policy
	fi
	local bin; bin=$(my_bin)
	local data="$state/mysql" user; user=$(id -un)
	[ "$(id -u)" = 0 ] && user=mysql
	if mariadb-admin --no-defaults -h 127.0.0.1 -P $MYPORT -u arca -parca ping >/dev/null 2>&1; then return 0; fi
	if [ ! -d "$data/db/mysql" ]; then
		mkdir -p "$data/db" && chown -R "$user" "$data"
		mariadb-install-db --no-defaults --user="$user" --datadir="$data/db" --auth-root-authentication-method=socket \
			--skip-test-db >"$data/install.log" 2>&1 || { log "mariadb-install-db failed; see $data/install.log"; return 1; }
	fi
	chown -R "$user" "$data"
	nohup "$bin" --no-defaults --user="$user" --datadir="$data/db" --bind-address=127.0.0.1 --port=$MYPORT \
		--socket="$data/mysql.sock" --pid-file="$data/mysql.pid" --log-error="$data/error.log" \
		--skip-name-resolve --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=256M \
		--innodb-log-file-size=256M --max-connections=400 >/dev/null 2>&1 &
	for _ in $(seq 1 300); do
		mariadb-admin --no-defaults -S "$data/mysql.sock" -u root ping >/dev/null 2>&1 && break
		sleep 0.1
	done
	mariadb --no-defaults -S "$data/mysql.sock" -u root -e "
		CREATE USER IF NOT EXISTS 'arca'@'127.0.0.1' IDENTIFIED BY 'arca';
		CREATE USER IF NOT EXISTS 'arca'@'localhost' IDENTIFIED BY 'arca';
		GRANT ALL ON *.* TO 'arca'@'127.0.0.1' WITH GRANT OPTION;
		GRANT ALL ON *.* TO 'arca'@'localhost' WITH GRANT OPTION;
		CREATE DATABASE IF NOT EXISTS arca_test;" ||
		{ log "MariaDB did not start; see $data/error.log"; return 1; }
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

want=${1:-postgres,mysql,s3}
case ",$want," in *,postgres,*) start_postgres; echo "export ARCA_TEST_POSTGRES_URL=postgres://arca@127.0.0.1:$PGPORT/arca_test?sslmode=disable";; esac
case ",$want," in *,mysql,*) start_mysql; echo "export ARCA_TEST_MYSQL_URL=mysql://arca:arca@127.0.0.1:$MYPORT/arca_test";; esac
case ",$want," in *,s3,*) start_versitygw
	echo "export ARCA_TEST_S3_ENDPOINT=127.0.0.1:$S3PORT ARCA_TEST_S3_ACCESS_KEY=$S3KEY ARCA_TEST_S3_SECRET_KEY=$S3SECRET";; esac
