#!/usr/bin/env bash
# A private PostgreSQL + PostGIS cluster for wangge, under var/ (git-ignored).
#   scripts/pg.sh [--test] start|stop|status|psql [args]|url|destroy
# The demo cluster (default) listens on port 5433 ($WANGGE_PG_PORT), the test cluster
# (--test) on 5434 ($WANGGE_TEST_PG_PORT); both on a unix socket in their own directory and
# on 127.0.0.1 only. As root, the cluster is created and run as the postgres user (initdb
# refuses root). WANGGE_PG_DIR=DIR puts the cluster in DIR instead of var/pg-*: how tests
# start private clusters they may stop and restart without disturbing anyone.
# The port is given to the server on every start (not written at initdb), so the variable
# in force is the port, and a taken one is refused before starting with the variable to set.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/ports.sh
source "$ROOT/scripts/lib/ports.sh"
instance=demo
port_var=WANGGE_PG_PORT
port=${WANGGE_PG_PORT:-5433}
me=scripts/pg.sh
if [[ ${1:-} == --test ]]; then
  instance=test
  me="scripts/pg.sh --test"
  port_var=WANGGE_TEST_PG_PORT
  port=${WANGGE_TEST_PG_PORT:-5434}
  shift
fi
cmd=${1:-status}
shift || true

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x "$PGBIN/initdb" ]] || { echo "pg.sh: PostgreSQL server binaries not found (run scripts/install-deps.sh)" >&2; exit 1; }

mkdir -p "$ROOT/var"
link="$ROOT/var/pg-$instance"
[[ -n ${WANGGE_PG_DIR:-} ]] && link=$WANGGE_PG_DIR
RUNAS=()
if [[ $(id -u) -eq 0 ]]; then
  RUNAS=(runuser -u postgres --)
  if [[ -n ${WANGGE_PG_DIR:-} ]]; then
    mkdir -p "$link"
    chown postgres:postgres "$link"
  elif [[ ! -e "$link" ]]; then
    mkdir -p "$link"
    chown postgres:postgres "$link"
    # The postgres user must be able to reach var/; a checkout under a private home
    # directory is not reachable, so the cluster then lives under /var/tmp instead.
    if ! runuser -u postgres -- test -w "$link"; then
      rmdir "$link"
      alt="/var/tmp/wangge-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)-$instance"
      mkdir -p "$alt"
      chown postgres:postgres "$alt"
      ln -s "$alt" "$link"
    fi
  fi
fi
mkdir -p "$link"
base=$(cd "$link" && pwd -P)
data="$base/data"
sock="$base/run"
log="$base/postgres.log"
as_owner() { "${RUNAS[@]}" "$@"; }
conninfo="host=$sock port=$port dbname=wangge user=postgres"

running() { as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "$cmd" in
  start)
    if [[ ! -f "$data/PG_VERSION" ]]; then
      as_owner mkdir -p "$data" "$sock"
      as_owner "$PGBIN/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 \
        || { cat "$base/initdb.log" >&2; exit 1; }
      {
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$sock'"
        echo "timezone = 'Asia/Shanghai'"
        echo "shared_buffers = 256MB"
        echo "max_connections = 200"
        if [[ $instance == test ]]; then
          # Throw-away data: durability buys nothing here.
          echo "fsync = off"
          echo "synchronous_commit = off"
          echo "full_page_writes = off"
        fi
      } >>"$data/postgresql.conf"
    fi
    as_owner mkdir -p "$sock"
    if ! running; then
      check_port pg.sh "$port_var" "$port" || exit 1
      # -p overrides the "port = N" that clusters made before this change have in postgresql.conf.
      as_owner "$PGBIN/pg_ctl" -D "$data" -l "$log" -w -t 60 -o "-p $port" start >/dev/null \
        || { tail -n 20 "$log" >&2; exit 1; }
    else
      # Already running, perhaps on the port of another day: say so rather than fail in psql.
      running_port=$(sed -n 4p "$data/postmaster.pid" 2>/dev/null || true)
      if [[ -n $running_port && $running_port != "$port" ]]; then
        echo "pg.sh: the cluster is running on port $running_port, not $port; stop it ($me stop) or set $port_var=$running_port" >&2
        exit 1
      fi
    fi
    if ! "$PGBIN/psql" -h "$sock" -p "$port" -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='wangge'" | grep -q 1; then
      "$PGBIN/psql" -h "$sock" -p "$port" -U postgres -d postgres -qc "CREATE DATABASE wangge" >/dev/null
    fi
    "$PGBIN/psql" -h "$sock" -p "$port" -U postgres -d wangge -qc "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null 2>&1
    ;;
  stop)
    if [[ -f "$data/PG_VERSION" ]] && running; then
      as_owner "$PGBIN/pg_ctl" -D "$data" -w -m fast stop >/dev/null
    fi
    ;;
  status)
    if [[ -f "$data/PG_VERSION" ]] && running; then echo "running: $conninfo"; else echo "stopped"; exit 3; fi
    ;;
  url)
    echo "$conninfo"
    ;;
  psql)
    exec "$PGBIN/psql" -h "$sock" -p "$port" -U postgres -d wangge "$@"
    ;;
  destroy)
    if [[ -f "$data/PG_VERSION" ]] && running; then
      as_owner "$PGBIN/pg_ctl" -D "$data" -w -m immediate stop >/dev/null || true
    fi
    target=$(readlink -f "$link")
    rm -rf "$target"
    [[ -L "$link" ]] && rm -f "$link"
    true
    ;;
  *)
    echo "usage: scripts/pg.sh [--test] start|stop|status|psql|url|destroy" >&2
    exit 2
    ;;
esac
