#!/usr/bin/env bash
# Install PostgreSQL from Debian's packages (if missing), start a throw-away cluster
# in a temporary folder, create a role and a database for the tests, and print the
# line that exports its URL:
#     eval "$(bash .ci/postgres.sh)"     # sets PPRL_TEST_POSTGRES
# The service's Postgres tests (tests/test_service_*.py) read PPRL_TEST_POSTGRES;
# with CI=true they fail rather than skip when it is missing.
set -euo pipefail
PORT="${PPRL_PG_PORT:-54329}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    (apt-get update -qq && apt-get install -y -qq postgresql) >&2
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
DATA="${PPRL_PG_DIR:-/tmp/pprl-pg-$PORT}"
if ! "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; then
    rm -rf "$DATA"
    mkdir -p "$DATA"
    chown postgres:postgres "$DATA" 2>/dev/null || true
    as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
    as_pg "'$BIN/initdb' -D '$DATA/db' -U postgres -A trust" >&2
    as_pg "'$BIN/pg_ctl' -D '$DATA/db' -l '$DATA/log' -w -o '-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off' start" >&2
fi
psql_() { "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtAc "$1"; }
if [ -z "$(psql_ "SELECT 1 FROM pg_roles WHERE rolname='pprl'")" ]; then
    psql_ "CREATE ROLE pprl LOGIN PASSWORD 'pprl' CREATEDB" >&2
fi
echo "export PPRL_TEST_POSTGRES=postgresql://pprl:pprl@127.0.0.1:$PORT/postgres"
