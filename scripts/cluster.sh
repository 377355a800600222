#!/usr/bin/env bash
# The high-availability stack on one machine, from Debian bookworm's packages
# (scripts/install-deps.sh installs them), everything under var/cluster/ (git-ignored):
#   scripts/cluster.sh up                 start whatever is not running; migrate; demo data once; print URLs and a token
#   scripts/cluster.sh status             etcd members, Patroni members (role, lag), HAProxy routing, node readiness
#   scripts/cluster.sh kill leader        SIGKILL the leader's Patroni and PostgreSQL (a lost machine): a real failover
#   scripts/cluster.sh kill leader-postgres   SIGKILL only the leader's postmaster (Patroni restarts it in place)
#   scripts/cluster.sh kill replica       SIGKILL a replica's Patroni and PostgreSQL (the sync standby when there is one)
#   scripts/cluster.sh kill etcd N        SIGKILL etcd member N (1-3)
#   scripts/cluster.sh kill node N        SIGKILL wangge serve node N (1-2)
#   scripts/cluster.sh probe [SECONDS] [write]  psql 'select 1' (or a commit) through the write port and /readyz through the front, every 0.1 s; prints outages
#   scripts/cluster.sh psql [ARGS]        psql on database wangge through the write port (the leader)
#   scripts/cluster.sh down [--purge]     stop everything it started (--purge, or destroy: and delete var/cluster)
#
# Pieces (docs/deployment.md has the picture): 3 etcd members (the DCS), 3 PostgreSQL 15 +
# PostGIS members each run by Patroni (leader election, replication, failover; synchronous
# mode, so an acknowledged commit is on two members), one HAProxy in front of PostgreSQL
# that routes the write port to whichever member Patroni's REST API calls primary, two
# `wangge serve` nodes on that write port, and a front HAProxy balancing the nodes by
# /readyz. Nothing here elects, fails over or proxies by itself: Patroni, etcd and HAProxy
# do. Every port comes from the environment on every start, and one already taken is
# refused before anything starts, naming the variable to set:
#   WANGGE_CLUSTER_ETCD_PORT=2481       etcd client ports 2481..2483
#   WANGGE_CLUSTER_ETCD_PEER_PORT=2491  etcd peer ports 2491..2493 (fixed once the etcd cluster exists)
#   WANGGE_CLUSTER_PATRONI_PORT=8011    Patroni REST APIs 8011..8013
#   WANGGE_CLUSTER_PG_MEMBER_PORT=5511  PostgreSQL members 5511..5513
#   WANGGE_CLUSTER_PG_PORT=5500         HAProxy: the leader (read-write)
#   WANGGE_CLUSTER_PG_READ_PORT=5501    HAProxy: the replicas (read-only)
#   WANGGE_CLUSTER_DB_STATS_PORT=8189   HAProxy (database) statistics page
#   WANGGE_CLUSTER_NODE_PORT=8181       wangge serve nodes 8181..8182
#   WANGGE_CLUSTER_FRONT_PORT=8180      the front HAProxy (the URL clients use)
#   WANGGE_CLUSTER_FRONT_STATS_PORT=8188  front HAProxy statistics page
# Defaults stay clear of the ports Debian's own etcd (2379/2380), Patroni (8008) and
# PostgreSQL (5432) services use, and of scripts/pg.sh's 5433/5434 and run.sh's 8080.
# WANGGE_BIN (default build/wangge) is the binary the nodes run; WANGGE_CLUSTER_DEMO_ARGS
# go to `wangge demo-data` (e.g. "--reports 2000"), WANGGE_CLUSTER_SERVE_ARGS to each node's
# `wangge serve` (e.g. "--rate-limit 0").
#
# As root, Patroni and so PostgreSQL run as the postgres user (runuser), which must reach
# var/cluster; when it cannot (a checkout under a private home), the stack lives under
# /var/tmp and var/cluster is a link to it, as in scripts/pg.sh. etcd, HAProxy and the
# nodes run as the invoking user. As another user everything runs as that user.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/ports.sh
source "$ROOT/scripts/lib/ports.sh"
me=cluster.sh

WANGGE_BIN=${WANGGE_BIN:-$ROOT/build/wangge}
# WANGGE_CLUSTER_DIR puts the stack elsewhere (tests/api/test_cluster.cpp runs its own
# under /tmp, beside a developer's var/cluster).
link=${WANGGE_CLUSTER_DIR:-$ROOT/var/cluster}
PORT_VARS=(WANGGE_CLUSTER_ETCD_PORT WANGGE_CLUSTER_ETCD_PEER_PORT WANGGE_CLUSTER_PATRONI_PORT
  WANGGE_CLUSTER_PG_MEMBER_PORT WANGGE_CLUSTER_PG_PORT WANGGE_CLUSTER_PG_READ_PORT
  WANGGE_CLUSTER_DB_STATS_PORT WANGGE_CLUSTER_NODE_PORT WANGGE_CLUSTER_FRONT_PORT
  WANGGE_CLUSTER_FRONT_STATS_PORT)
# `up` starts with the environment's ports and records them in var/cluster/ports.env;
# status, kill, probe, psql and down talk to the stack that runs, so for a variable the
# environment does not set they take the recorded port, not the default (a down from
# another shell must find the leader to stop it last).
if [[ ${1:-} != up && -f $link/ports.env ]]; then
  while IFS='=' read -r var value; do
    [[ " ${PORT_VARS[*]} " == *" $var "* && -z ${!var:-} ]] && printf -v "$var" '%s' "$value"
  done <"$link/ports.env"
fi
etcd_port=${WANGGE_CLUSTER_ETCD_PORT:-2481}
etcd_peer_port=${WANGGE_CLUSTER_ETCD_PEER_PORT:-2491}
patroni_port=${WANGGE_CLUSTER_PATRONI_PORT:-8011}
member_port=${WANGGE_CLUSTER_PG_MEMBER_PORT:-5511}
write_port=${WANGGE_CLUSTER_PG_PORT:-5500}
read_port=${WANGGE_CLUSTER_PG_READ_PORT:-5501}
db_stats_port=${WANGGE_CLUSTER_DB_STATS_PORT:-8189}
node_port=${WANGGE_CLUSTER_NODE_PORT:-8181}
front_port=${WANGGE_CLUSTER_FRONT_PORT:-8180}
front_stats_port=${WANGGE_CLUSTER_FRONT_STATS_PORT:-8188}
MEMBERS=(1 2 3)
NODES=(1 2)
# What the nodes, migrations and tokens use: the leader, whichever member that is.
db="host=127.0.0.1 port=$write_port dbname=wangge user=postgres"

cmd=${1:-status}
shift || true

PGBIN=/usr/lib/postgresql/15/bin
PY=/usr/bin/python3  # Patroni's own interpreter (its package depends on it), for JSON
need() {
  local missing=()
  for b in "$PGBIN/postgres" /usr/bin/etcd /usr/bin/etcdctl /usr/bin/patroni /usr/bin/patronictl /usr/sbin/haproxy "$PY" /usr/bin/curl; do
    [[ -x $b ]] || missing+=("$b")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "$me: missing ${missing[*]} (run scripts/install-deps.sh)" >&2
    exit 1
  fi
}

# ---- where everything lives --------------------------------------------------------------
RUNAS=()
[[ $(id -u) -eq 0 ]] && RUNAS=(runuser -u postgres --)
setup_dirs() {
  mkdir -p "$(dirname "$link")"
  if [[ ${#RUNAS[@]} -gt 0 && ! -e $link ]]; then
    mkdir -p "$link"
    # The postgres user must be able to reach var/cluster (every directory above it).
    if ! runuser -u postgres -- test -x "$link"; then
      rmdir "$link"
      local alt
      alt="/var/tmp/wangge-$(printf '%s' "$link" | md5sum | cut -c1-12)-cluster"
      mkdir -p "$alt"
      ln -s "$alt" "$link"
    fi
  fi
  mkdir -p "$link"
  base=$(cd "$link" && pwd -P)
  local i
  for i in "${MEMBERS[@]}"; do
    mkdir -p "$base/etcd$i" "$base/pg$i"
    [[ ${#RUNAS[@]} -gt 0 ]] && chown postgres:postgres "$base/pg$i"
  done
  true
}
base=
[[ -e $link ]] && base=$(cd "$link" && pwd -P)

# ---- processes: a pid file per process, checked against its command line -----------------
# daemon PIDFILE LOG [--postgres] CMD...: CMD detached (own session, so a Ctrl-C of this
# script does not reach it), its output appended to LOG. The shell that writes PIDFILE
# execs CMD, so the file holds CMD's own pid, also under runuser (which stays as a parent).
daemon() {
  local pidfile=$1 log=$2 as=()
  shift 2
  if [[ $1 == --postgres ]]; then shift; as=("${RUNAS[@]}"); fi
  rm -f "$pidfile"
  # shellcheck disable=SC2016  # $$ and $@ belong to the inner shell
  setsid "${as[@]}" sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >>"$log" 2>&1 </dev/null &
  local _
  for _ in $(seq 50); do
    [[ -s $pidfile ]] && return 0
    sleep 0.1
  done
  echo "$me: $1 did not start; see $log" >&2
  return 1
}
# live PID: the process exists and is not a zombie (our daemons' parent is init, which may
# take a while to reap them; a zombie still answers kill -0).
live() { kill -0 "$1" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
# pid_of PIDFILE WORD: the pid when it is alive and its command line has WORD (a reused pid
# of something else is not ours).
pid_of() {
  local pid
  [[ -s $1 ]] || return 1
  pid=$(<"$1")
  [[ $pid =~ ^[0-9]+$ ]] && live "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2" || return 1
  echo "$pid"
}
alive() { pid_of "$@" >/dev/null; }
# stop_pid PIDFILE WORD [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 30).
stop_pid() {
  local pid i limit=${3:-30}
  pid=$(pid_of "$1" "$2") || { rm -f "$1"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < limit * 10; i++)); do
    live "$pid" || { rm -f "$1"; return 0; }
    sleep 0.1
  done
  echo "$me: $2 (pid $pid) did not stop in ${limit}s; SIGKILL" >&2
  # Its children too (a Patroni copying a replica runs pg_basebackup), or they outlive it.
  local children
  children=$(ps -o pid= --ppid "$pid" || true)
  # shellcheck disable=SC2086  # a list of pids
  kill -KILL "$pid" $children 2>/dev/null || true
  rm -f "$1"
}
postmaster_pid() {  # postmaster_pid N: the pid of member N's postmaster, when it runs
  local pid
  pid=$(head -n 1 "$base/pg$1/data/postmaster.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && live "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q postgres || return 1
  echo "$pid"
}
# kill9_postgres N: SIGKILL member N's postmaster and every process it started, as a lost
# machine would (killing only the postmaster leaves backends that exit by themselves later).
kill9_postgres() {
  local pm children
  pm=$(postmaster_pid "$1") || return 0
  children=$(ps -o pid= --ppid "$pm" || true)
  # shellcheck disable=SC2086  # a list of pids
  kill -KILL "$pm" $children 2>/dev/null || true
  echo "$pm"
}

now() { date +%H:%M:%S.%3N; }
ms() { date +%s%3N; }
at() { date -d "@${1:0:-3}.${1: -3}" +%H:%M:%S.%3N; }  # at MS: that instant as now() prints it

# ---- etcd ----------------------------------------------------------------------------------
etcd_client() { echo $((etcd_port + $1 - 1)); }
etcd_peer() { echo $((etcd_peer_port + $1 - 1)); }
etcd_endpoints() {
  local i out=()
  for i in "${MEMBERS[@]}"; do out+=("http://127.0.0.1:$(etcd_client "$i")"); done
  (IFS=,; echo "${out[*]}")
}
etcd_initial_cluster() {
  local i out=()
  for i in "${MEMBERS[@]}"; do out+=("e$i=http://127.0.0.1:$(etcd_peer "$i")"); done
  (IFS=,; echo "${out[*]}")
}
start_etcd() {
  local i=$1 dir="$base/etcd$1" c p
  c=$(etcd_client "$i")
  p=$(etcd_peer "$i")
  # --initial-* only matter the first time; later the member list lives in the data.
  daemon "$dir/etcd.pid" "$dir/etcd.log" /usr/bin/etcd --name "e$i" --data-dir "$dir/data" \
    --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
    --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
    --initial-cluster "$(etcd_initial_cluster)" --initial-cluster-state new \
    --initial-cluster-token "wangge-cluster" --logger zap --log-outputs stderr
}
etcd_healthy() { ETCDCTL_API=3 /usr/bin/etcdctl --endpoints "http://127.0.0.1:$(etcd_client "$1")" --command-timeout 2s endpoint health >/dev/null 2>&1; }

# ---- Patroni -------------------------------------------------------------------------------
rest_port() { echo $((patroni_port + $1 - 1)); }
pg_port() { echo $((member_port + $1 - 1)); }
write_patroni_config() {
  local i=$1 dir="$base/pg$1" hosts="" j
  for j in "${MEMBERS[@]}"; do hosts+="${hosts:+,}127.0.0.1:$(etcd_client "$j")"; done
  # Written on every start: the ports are the environment's of today. bootstrap.* is read
  # once, when the first member initialises the cluster; after that the dynamic settings
  # live in etcd (patronictl edit-config changes them).
  cat >"$dir/patroni.yml" <<YAML
# Written by scripts/cluster.sh on every start of this member; edits are lost.
scope: wangge
namespace: /wangge/
name: pg$i
restapi:
  listen: 127.0.0.1:$(rest_port "$i")
  connect_address: 127.0.0.1:$(rest_port "$i")
# Patroni's etcd3 backend speaks etcd's v3 JSON gateway (etcd 3.4 serves it by default) and
# needs only python3-etcd for its error types: no --enable-v2 on etcd.
etcd3:
  hosts: $hosts
bootstrap:
  dcs:
    # Small timings for a fast failover on one machine. A leader that cannot renew its
    # key for ttl seconds loses it; Patroni's rule loop_wait + 2 * retry_timeout <= ttl
    # keeps a leader that retries etcd from outliving its key (2 + 2*4 = 10).
    ttl: 10
    loop_wait: 2
    retry_timeout: 4
    # A replica more than 1 MiB behind is never promoted.
    maximum_lag_on_failover: 1048576
    # Commits wait for one synchronous standby: an acknowledged commit is on two members,
    # and only that standby may be promoted. Not strict: with no replica left the leader
    # goes on alone rather than stopping writes.
    synchronous_mode: true
    synchronous_mode_strict: false
    postgresql:
      # A failed leader that comes back rejoins as a replica by pg_rewind; when that fails,
      # its data directory is dropped and copied again from the leader.
      use_pg_rewind: true
      remove_data_directory_on_rewind_failure: true
      remove_data_directory_on_diverged_timelines: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: 'on'
        wal_log_hints: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        max_connections: 200
        shared_buffers: 128MB
        timezone: Asia/Shanghai
  initdb:
  - encoding: UTF8
  - locale: C.UTF-8
  - data-checksums
postgresql:
  listen: 127.0.0.1:$(pg_port "$i")
  connect_address: 127.0.0.1:$(pg_port "$i")
  data_dir: '$dir/data'
  bin_dir: $PGBIN
  pgpass: '$dir/pgpass'
  authentication:
    superuser:
      username: postgres
    replication:
      username: replicator
    rewind:
      username: rewind
  parameters:
    unix_socket_directories: '$dir/run'
  # A new replica is copied with pg_basebackup, which by default waits for a spread
  # checkpoint on the leader (minutes, on an idle database); fast makes it at once.
  basebackup:
  - checkpoint: fast
  # A local development stack: every connection from 127.0.0.1 is trusted, replication
  # included, so no password is needed anywhere. Several machines need scram-sha-256 and
  # passwords instead (docs/deployment.md).
  pg_hba:
  - local all all trust
  - host all all 127.0.0.1/32 trust
  - host replication all 127.0.0.1/32 trust
watchdog:
  mode: 'off'
YAML
  [[ ${#RUNAS[@]} -gt 0 ]] && chown postgres:postgres "$dir/patroni.yml"
  true
}
start_patroni() {
  local i=$1 dir="$base/pg$1"
  write_patroni_config "$i"
  "${RUNAS[@]}" mkdir -p "$dir/run"
  # In its own directory: the postgres user may not enter the checkout (a private home),
  # and Patroni's helper processes and pg_ctl fail in a directory they cannot enter.
  (cd "$dir" && daemon "$dir/patroni.pid" "$dir/patroni.log" --postgres /usr/bin/patroni "$dir/patroni.yml")
}
# The cluster as Patroni sees it (GET /cluster), from the first member that answers.
cluster_json() {
  local i
  for i in "${MEMBERS[@]}"; do
    curl -fsS -m 2 "http://127.0.0.1:$(rest_port "$i")/cluster" 2>/dev/null && return 0
  done
  return 1
}
# member_with ROLE: the name of the running member with that role (leader, sync_standby, replica).
member_with() {
  cluster_json | "$PY" -c '
import json, sys
role = sys.argv[1]
for m in json.load(sys.stdin).get("members", []):
    if m.get("role") == role and m.get("state") in ("running", "streaming"):
        print(m["name"]); break' "$1" 2>/dev/null
}
leader() { member_with leader; }

# ---- HAProxy -------------------------------------------------------------------------------
write_db_haproxy() {
  local i servers_w="" servers_r=""
  for i in "${MEMBERS[@]}"; do
    servers_w+="  server pg$i 127.0.0.1:$(pg_port "$i") check port $(rest_port "$i")"$'\n'
    servers_r+="  server pg$i 127.0.0.1:$(pg_port "$i") check port $(rest_port "$i")"$'\n'
  done
  cat >"$base/haproxy-db.cfg" <<CFG
# Written by scripts/cluster.sh on every start of this HAProxy; edits are lost.
# In the foreground, HAProxy writes its warnings (servers going up and down) to stderr:
# the log file.
global
  maxconn 1000

defaults
  mode tcp
  timeout connect 2s
  # Long-lived pooled connections: the nodes keep theirs open between requests.
  timeout client 30m
  timeout server 30m
  timeout check 1s

# The leader only: Patroni's REST API answers /primary with 200 on the member holding the
# leader key, 503 elsewhere. Checked every 0.5 s, down after 2 failures; when a server goes
# down its client connections are cut at once (on-marked-down shutdown-sessions), so nobody
# keeps writing to a demoted or dead leader. HEAD, not GET: the same check, but Patroni
# answers it with the status line alone; a GET's JSON body is often still being written
# when HAProxy, having read the status, resets the connection, and Patroni then logs a
# traceback for every check.
listen pg-write
  bind 127.0.0.1:$write_port
  option httpchk
  http-check send meth HEAD uri /primary
  http-check expect status 200
  default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
$servers_w
# Streaming replicas (read-only), round robin: /replica is 200 on a running replica.
listen pg-read
  bind 127.0.0.1:$read_port
  balance roundrobin
  option httpchk
  http-check send meth HEAD uri /replica
  http-check expect status 200
  default-server inter 1s fall 2 rise 2 on-marked-down shutdown-sessions
$servers_r
listen stats
  mode http
  bind 127.0.0.1:$db_stats_port
  stats enable
  stats uri /
  stats refresh 2s
CFG
}
write_front_haproxy() {
  local i servers="" fallbacks=""
  for i in "${NODES[@]}"; do
    servers+="  server node$i 127.0.0.1:$((node_port + i - 1)) check"$'\n'
    fallbacks+="  server node$i-unready 127.0.0.1:$((node_port + i - 1)) backup"$'\n'
  done
  cat >"$base/haproxy-front.cfg" <<CFG
# Written by scripts/cluster.sh on every start of this HAProxy; edits are lost.
global
  maxconn 2000

defaults
  mode http
  timeout connect 1s
  timeout http-request 10s
  # A 10,000-report batch or a cold tile can take seconds.
  timeout client 60s
  timeout server 60s
  timeout check 2s
  # A request whose node refused the connection or died before answering is sent again,
  # to the other node (redispatch): report posts are idempotent on client_id, so a retried
  # POST stores nothing twice.
  retries 2
  option redispatch 1
  retry-on conn-failure empty-response
  option forwardfor

# The two wangge serve nodes, round robin, each in service while GET /readyz answers 200
# (503 when it cannot reach the database). When neither is ready (a database failover),
# the same nodes, unchecked, stand in as backups: requests still reach a live node, which
# answers its own 503 problem+json with Retry-After rather than HAProxy's error page (a
# dead one is a connection failure, retried on the other).
listen wangge
  bind 127.0.0.1:$front_port
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  option allbackups
  default-server inter 1s fastinter 500ms fall 2 rise 2
$servers$fallbacks
listen stats
  bind 127.0.0.1:$front_stats_port
  stats enable
  stats uri /
  stats refresh 2s
CFG
}
# proxy_states STATS_PORT: "proxy server STATUS" for each server (HAProxy's CSV statistics).
proxy_states() {
  curl -fsS -m 2 "http://127.0.0.1:$1/;csv" 2>/dev/null |
    awk -F, '$1 !~ /^#/ && $2 != "FRONTEND" && $2 != "BACKEND" && $1 != "stats" { print $1, $2, $18 }'
}

# ---- the wangge nodes ----------------------------------------------------------------------
start_node() {
  local i=$1 port=$((node_port + $1 - 1)) args=()
  # The web client, when this checkout has it built; else the binary's own default.
  [[ -d $ROOT/api/web/dist ]] && args+=(--web-dir "$ROOT/api/web/dist")
  # shellcheck disable=SC2206  # WANGGE_CLUSTER_SERVE_ARGS: extra flags, split on spaces
  args+=(${WANGGE_CLUSTER_SERVE_ARGS:-})
  daemon "$base/node-$i.pid" "$base/node-$i.log" env "WANGGE_DB=$db" "$WANGGE_BIN" serve \
    --listen "127.0.0.1:$port" --trusted-proxy 127.0.0.1 "${args[@]}"
}
http_code() { curl -s -o /dev/null -m "${2:-2}" -w '%{http_code}' "$1" 2>/dev/null || true; }

# wait_for SECONDS WHAT COMMAND...: until COMMAND succeeds; false after SECONDS.
wait_for() {
  local limit=$1 what=$2 i
  shift 2
  for ((i = 0; i < limit * 4; i++)); do
    "$@" && return 0
    sleep 0.25
  done
  echo "$me: $what not after ${limit}s" >&2
  return 1
}
psql_write() { PGOPTIONS="-c client_min_messages=warning" "$PGBIN/psql" "host=127.0.0.1 port=$write_port user=postgres connect_timeout=2 dbname=${PGDB:-wangge}" -XAtq -v ON_ERROR_STOP=1 "$@"; }
# Exactly one pg-write server up, counting "UP 1/2" (up, one check failed: still routed to).
write_routed_to_one() { [[ $(proxy_states "$db_stats_port" | grep -c '^pg-write [^ ]* UP') == 1 ]]; }
writable() { [[ $(PGDB=postgres psql_write -c 'select pg_is_in_recovery()' 2>/dev/null) == f ]]; }

# ---- up ------------------------------------------------------------------------------------
record_ports() {
  cat >"$base/ports.env" <<ENV
WANGGE_CLUSTER_ETCD_PORT=$etcd_port
WANGGE_CLUSTER_ETCD_PEER_PORT=$etcd_peer_port
WANGGE_CLUSTER_PATRONI_PORT=$patroni_port
WANGGE_CLUSTER_PG_MEMBER_PORT=$member_port
WANGGE_CLUSTER_PG_PORT=$write_port
WANGGE_CLUSTER_PG_READ_PORT=$read_port
WANGGE_CLUSTER_DB_STATS_PORT=$db_stats_port
WANGGE_CLUSTER_NODE_PORT=$node_port
WANGGE_CLUSTER_FRONT_PORT=$front_port
WANGGE_CLUSTER_FRONT_STATS_PORT=$front_stats_port
ENV
}
preflight() {
  # Every port of every piece that is about to start, before anything starts.
  local bad=0 i
  for i in "${MEMBERS[@]}"; do
    if ! alive "$base/etcd$i/etcd.pid" etcd; then
      check_port $me WANGGE_CLUSTER_ETCD_PORT "$(etcd_client "$i")" "etcd clients use $etcd_port..$(etcd_client 3)" || bad=1
      check_port $me WANGGE_CLUSTER_ETCD_PEER_PORT "$(etcd_peer "$i")" "etcd peers use $etcd_peer_port..$(etcd_peer 3)" || bad=1
    fi
    if ! alive "$base/pg$i/patroni.pid" patroni; then
      check_port $me WANGGE_CLUSTER_PATRONI_PORT "$(rest_port "$i")" "Patroni REST APIs use $patroni_port..$(rest_port 3)" || bad=1
      # A postmaster left running by a killed Patroni holds its own port; Patroni adopts it.
      postmaster_pid "$i" >/dev/null ||
        check_port $me WANGGE_CLUSTER_PG_MEMBER_PORT "$(pg_port "$i")" "PostgreSQL members use $member_port..$(pg_port 3)" || bad=1
    fi
  done
  if ! alive "$base/haproxy-db.pid" haproxy-db.cfg; then
    check_port $me WANGGE_CLUSTER_PG_PORT "$write_port" || bad=1
    check_port $me WANGGE_CLUSTER_PG_READ_PORT "$read_port" || bad=1
    check_port $me WANGGE_CLUSTER_DB_STATS_PORT "$db_stats_port" || bad=1
  fi
  for i in "${NODES[@]}"; do
    alive "$base/node-$i.pid" serve ||
      check_port $me WANGGE_CLUSTER_NODE_PORT "$((node_port + i - 1))" "nodes use $node_port..$((node_port + ${#NODES[@]} - 1))" || bad=1
  done
  if ! alive "$base/haproxy-front.pid" haproxy-front.cfg; then
    check_port $me WANGGE_CLUSTER_FRONT_PORT "$front_port" || bad=1
    check_port $me WANGGE_CLUSTER_FRONT_STATS_PORT "$front_stats_port" || bad=1
  fi
  return $bad
}

up() {
  need
  [[ -x $WANGGE_BIN ]] || { echo "$me: $WANGGE_BIN is missing (scripts/build.sh, or set WANGGE_BIN)" >&2; exit 1; }
  setup_dirs
  # etcd keeps its peer URLs in its data: they cannot follow the environment once the
  # etcd cluster exists (docs/deployment.md: etcdctl member update, or down --purge).
  local peers i started=()
  peers=$(etcd_initial_cluster)
  if [[ -f $base/etcd-peers && $(<"$base/etcd-peers") != "$peers" ]] && [[ -d $base/etcd1/data ]]; then
    echo "$me: the etcd cluster was created with peers $(<"$base/etcd-peers"); set WANGGE_CLUSTER_ETCD_PEER_PORT back, or start anew with scripts/cluster.sh down --purge" >&2
    exit 1
  fi
  preflight || exit 1
  echo "$peers" >"$base/etcd-peers"
  record_ports

  for i in "${MEMBERS[@]}"; do
    alive "$base/etcd$i/etcd.pid" etcd || { start_etcd "$i"; started+=("etcd e$i"); }
  done
  for i in "${MEMBERS[@]}"; do
    wait_for 30 "etcd member e$i healthy" etcd_healthy "$i" || { tail -n 5 "$base/etcd$i/etcd.log" >&2; exit 1; }
  done

  for i in "${MEMBERS[@]}"; do
    alive "$base/pg$i/patroni.pid" patroni || { start_patroni "$i"; started+=("patroni pg$i"); }
  done
  # The first start initialises one member (initdb) and copies it to the others.
  wait_for 90 "a Patroni leader" leader_running || { tail -n 5 "$base"/pg*/patroni.log >&2; exit 1; }

  if ! alive "$base/haproxy-db.pid" haproxy-db.cfg; then
    write_db_haproxy
    daemon "$base/haproxy-db.pid" "$base/haproxy-db.log" /usr/sbin/haproxy -f "$base/haproxy-db.cfg"
    started+=("haproxy (database)")
  fi
  # HAProxy starts with every server up until its checks say otherwise: wait until only
  # the leader is left, so nothing below reaches a replica.
  wait_for 30 "HAProxy routing 127.0.0.1:$write_port to the leader alone" write_routed_to_one ||
    { tail -n 5 "$base/haproxy-db.log" >&2; exit 1; }
  wait_for 30 "the leader through 127.0.0.1:$write_port" writable || { tail -n 5 "$base/haproxy-db.log" >&2; exit 1; }

  # After bootstrap, through the leader: the database and its extensions (replicated).
  if [[ $(PGDB=postgres psql_write -c "select 1 from pg_database where datname = 'wangge'") != 1 ]]; then
    PGDB=postgres psql_write -c "create database wangge" >/dev/null
  fi
  psql_write -c "create extension if not exists postgis" >/dev/null
  psql_write -c "create extension if not exists pg_trgm" >/dev/null 2>&1 || true
  # Commits wait for a synchronous standby once one streams; until then the leader is alone.
  wait_for 90 "a synchronous standby" has_sync_standby || echo "$me: going on without one" >&2

  WANGGE_DB="$db" "$WANGGE_BIN" migrate
  # shellcheck disable=SC2086  # extra flags for demo-data
  WANGGE_DB="$db" "$WANGGE_BIN" demo-data --if-empty ${WANGGE_CLUSTER_DEMO_ARGS:-}

  for i in "${NODES[@]}"; do
    alive "$base/node-$i.pid" serve || { start_node "$i"; started+=("node $i"); }
  done
  for i in "${NODES[@]}"; do
    wait_for 120 "node $i ready" ready "http://127.0.0.1:$((node_port + i - 1))/readyz" ||
      { tail -n 5 "$base/node-$i.log" >&2; exit 1; }
  done
  if ! alive "$base/haproxy-front.pid" haproxy-front.cfg; then
    write_front_haproxy
    daemon "$base/haproxy-front.pid" "$base/haproxy-front.log" /usr/sbin/haproxy -f "$base/haproxy-front.cfg"
    started+=("haproxy (front)")
  fi
  wait_for 30 "/readyz through the front" ready "http://127.0.0.1:$front_port/readyz" ||
    { tail -n 5 "$base/haproxy-front.log" >&2; exit 1; }
  # A node just started is in rotation after two good checks; status then shows both up.
  wait_for 10 "the front balancing every node" front_has_all_nodes || true

  WANGGE_DB="$db" "$WANGGE_BIN" token revoke --name cluster-admin >/dev/null 2>&1 || true
  local token
  token=$(WANGGE_DB="$db" "$WANGGE_BIN" token create --role admin --name cluster-admin)
  (umask 077; echo "$token" >"$base/admin-token")

  cat <<MSG

  started: ${started[*]:-nothing (all was running)}
  wangge (front HAProxy):  http://127.0.0.1:$front_port/   nodes: $(for i in "${NODES[@]}"; do printf 'http://127.0.0.1:%s/ ' $((node_port + i - 1)); done)
  PostgreSQL, the leader:  $db
  PostgreSQL, replicas:    host=127.0.0.1 port=$read_port dbname=wangge user=postgres
  HAProxy statistics:      http://127.0.0.1:$db_stats_port/ (database)  http://127.0.0.1:$front_stats_port/ (front)
  admin token (also in var/cluster/admin-token):  $token

  try:  curl -H "Authorization: Bearer $token" http://127.0.0.1:$front_port/api/v1/towns
        scripts/cluster.sh status | kill leader | kill node 1 | down

MSG
}
leader_running() { [[ -n $(leader) ]]; }
has_sync_standby() { [[ -n $(member_with sync_standby) ]]; }
ready() { [[ $(http_code "$1") == 200 ]]; }
front_has_all_nodes() { [[ $(proxy_states "$front_stats_port" | grep -c '^wangge node[0-9]* UP$') == "${#NODES[@]}" ]]; }

# ---- status --------------------------------------------------------------------------------
status() {
  need
  [[ -n $base ]] || { echo "stopped (no var/cluster)"; exit 3; }
  local i pid st code rc=0
  echo "etcd:"
  for i in "${MEMBERS[@]}"; do
    if pid=$(pid_of "$base/etcd$i/etcd.pid" etcd); then
      st=$(ETCDCTL_API=3 /usr/bin/etcdctl --endpoints "http://127.0.0.1:$(etcd_client "$i")" --command-timeout 2s \
        endpoint status -w json 2>/dev/null | "$PY" -c '
import json, sys
s = json.load(sys.stdin)[0]["Status"]
print("leader" if s["header"]["member_id"] == s["leader"] else "follower", "raft term", s["raftTerm"])' 2>/dev/null) || st="not answering"
      echo "  e$i  127.0.0.1:$(etcd_client "$i")  pid $pid  $st"
    else
      echo "  e$i  127.0.0.1:$(etcd_client "$i")  down"; rc=3
    fi
  done
  echo "Patroni (patronictl list):"
  if ! /usr/bin/patronictl -c "$base/pg1/patroni.yml" list 2>/dev/null | sed 's/^/  /'; then
    echo "  patronictl cannot reach etcd; members' own view (GET /patroni):"
    for i in "${MEMBERS[@]}"; do
      echo "  pg$i  $(curl -fsS -m 2 "http://127.0.0.1:$(rest_port "$i")/patroni" 2>/dev/null || echo down)"
    done
    rc=3
  fi
  for i in "${MEMBERS[@]}"; do
    alive "$base/pg$i/patroni.pid" patroni || { echo "  pg$i: Patroni is not running"; rc=3; }
  done
  # A member starting, stopped or still being copied is not there yet either.
  cluster_json 2>/dev/null | "$PY" -c '
import json, sys
sys.exit(any(m.get("state") not in ("running", "streaming") for m in json.load(sys.stdin).get("members", [])))' 2>/dev/null || rc=3
  echo "HAProxy (database) 127.0.0.1:$write_port write, :$read_port read:"
  st=$(proxy_states "$db_stats_port") || true
  if [[ -n $st ]]; then sed 's/^/  /' <<<"$st"; else echo "  down"; rc=3; fi
  echo "nodes (GET /readyz):"
  for i in "${NODES[@]}"; do
    code=$(http_code "http://127.0.0.1:$((node_port + i - 1))/readyz")
    if pid=$(pid_of "$base/node-$i.pid" serve); then st="pid $pid"; else st="not running"; fi
    echo "  node $i  http://127.0.0.1:$((node_port + i - 1))  $st  readyz ${code/000/-}"
    [[ $code == 200 ]] || rc=3
  done
  code=$(http_code "http://127.0.0.1:$front_port/readyz")
  echo "front HAProxy http://127.0.0.1:$front_port  readyz ${code/000/-}"
  st=$(proxy_states "$front_stats_port") || true
  [[ -n $st ]] && sed 's/^/  /' <<<"$st"
  [[ $code == 200 ]] || rc=3
  return $rc
}

# ---- kill ----------------------------------------------------------------------------------
kill_member() {  # kill_member NAME: SIGKILL member NAME's Patroni and PostgreSQL
  local i=${1#pg} ppid pm
  ppid=$(pid_of "$base/pg$i/patroni.pid" patroni) || ppid=
  [[ -n $ppid ]] && kill -KILL "$ppid"
  pm=$(kill9_postgres "$i")
  echo "$(now) killed $1 (SIGKILL: Patroni pid ${ppid:-none}, postmaster pid ${pm:-none} and its children)"
}
kill_cmd() {
  need
  [[ -n $base ]] || { echo "$me: nothing is running" >&2; exit 1; }
  local what=${1:-} n=${2:-} old new t0 pm
  case "$what" in
    leader)
      old=$(leader) || true
      [[ -n $old ]] || { echo "$me: no leader to kill" >&2; exit 1; }
      t0=$(ms)
      kill_member "$old"
      # Its leader key in etcd expires after ttl; a synchronous standby then takes it.
      if wait_for 60 "a new leader" new_leader_other_than "$old"; then
        new=$(leader)
        echo "$(now) $new is the leader, $(( $(ms) - t0 )) ms after the kill (Patroni's view; scripts/cluster.sh up brings $old back as a replica)"
      else
        exit 1
      fi
      ;;
    leader-postgres)
      old=$(leader) || true
      [[ -n $old ]] || { echo "$me: no leader" >&2; exit 1; }
      pm=$(kill9_postgres "${old#pg}")
      echo "$(now) killed the postmaster of $old (pid ${pm:-none}) and its children; its Patroni stays and restarts it"
      ;;
    replica)
      old=$(member_with sync_standby) || true
      [[ -n $old ]] || old=$(member_with replica) || true
      [[ -n $old ]] || { echo "$me: no running replica" >&2; exit 1; }
      kill_member "$old"
      ;;
    etcd)
      [[ $n =~ ^[1-3]$ ]] || { echo "usage: scripts/cluster.sh kill etcd 1|2|3" >&2; exit 2; }
      pm=$(pid_of "$base/etcd$n/etcd.pid" etcd) || { echo "$me: etcd e$n is not running" >&2; exit 1; }
      kill -KILL "$pm"
      echo "$(now) killed etcd e$n (pid $pm)"
      ;;
    node)
      [[ $n =~ ^[1-2]$ ]] || { echo "usage: scripts/cluster.sh kill node 1|2" >&2; exit 2; }
      pm=$(pid_of "$base/node-$n.pid" serve) || { echo "$me: node $n is not running" >&2; exit 1; }
      kill -KILL "$pm"
      echo "$(now) killed node $n (pid $pm)"
      ;;
    *)
      echo "usage: scripts/cluster.sh kill leader|leader-postgres|replica|etcd N|node N" >&2
      exit 2
      ;;
  esac
}
new_leader_other_than() { local l; l=$(leader) && [[ -n $l && $l != "$1" ]]; }

# ---- probe ---------------------------------------------------------------------------------
# One line per change of state, then the longest outage of each: how the failover time in
# docs/deployment.md is measured (a fresh psql connection each time, as a client would).
# "probe N write" commits a row instead (table cluster_probe in database postgres): a
# commit that wrote WAL waits for the synchronous standby, which is what losing a replica
# costs writers. Each attempt is bounded by 10 s (timeout), so a hung commit shows as an
# outage, and the slowest attempt is printed.
probe() {
  local secs=${1:-30} sql='select 1' slowest=0 slowest_at=0 end t db_s front_s db_prev="" front_prev="" db_since=0 front_since=0 db_max=0 front_max=0
  if [[ ${2:-} == write ]]; then
    PGDB=postgres psql_write -c 'create table if not exists cluster_probe (at timestamptz not null default now())'
    sql='insert into cluster_probe default values'
  fi
  end=$(( $(ms) + secs * 1000 ))
  while (( $(ms) < end )); do
    t=$(ms)
    if timeout 10 "$PGBIN/psql" "host=127.0.0.1 port=$write_port user=postgres connect_timeout=2 dbname=postgres" \
      -XAtq -c "$sql" >/dev/null 2>&1; then db_s=up; else db_s=down; fi
    (( $(ms) - t > slowest )) && slowest=$(( $(ms) - t )) && slowest_at=$t
    if [[ $(http_code "http://127.0.0.1:$front_port/readyz" 1) == 200 ]]; then front_s=up; else front_s=down; fi
    if [[ $db_s != "$db_prev" ]]; then
      [[ $db_prev == down ]] && (( t - db_since > db_max )) && db_max=$(( t - db_since ))
      echo "$(at "$t") write port $write_port: $db_s${db_prev:+ (after $(( t - db_since )) ms $db_prev)}"
      db_prev=$db_s; db_since=$t
    fi
    if [[ $front_s != "$front_prev" ]]; then
      [[ $front_prev == down ]] && (( t - front_since > front_max )) && front_max=$(( t - front_since ))
      echo "$(at "$t") front $front_port /readyz: $front_s${front_prev:+ (after $(( t - front_since )) ms $front_prev)}"
      front_prev=$front_s; front_since=$t
    fi
    sleep 0.1
  done
  t=$(ms)
  [[ $db_prev == down ]] && (( t - db_since > db_max )) && db_max=$(( t - db_since ))
  [[ $front_prev == down ]] && (( t - front_since > front_max )) && front_max=$(( t - front_since ))
  echo "longest outage: write port ${db_max} ms, front /readyz ${front_max} ms; slowest psql attempt ${slowest} ms (at $(at "$slowest_at"))"
}

# ---- down ----------------------------------------------------------------------------------
down() {
  local purge=${1:-} i l
  if [[ -n $base ]]; then
    stop_pid "$base/haproxy-front.pid" haproxy-front.cfg 10
    for i in "${NODES[@]}"; do stop_pid "$base/node-$i.pid" serve 35; done
    stop_pid "$base/haproxy-db.pid" haproxy-db.cfg 10
    # Replicas first, the leader last: stopping the leader first would only make a replica
    # take over on its way down.
    l=$(leader 2>/dev/null) || l=
    for i in "${MEMBERS[@]}"; do [[ pg$i == "$l" ]] || stop_pid "$base/pg$i/patroni.pid" patroni 60; done
    for i in "${MEMBERS[@]}"; do [[ pg$i != "$l" ]] || stop_pid "$base/pg$i/patroni.pid" patroni 60; done
    # A postmaster whose Patroni was killed is still ours to stop.
    for i in "${MEMBERS[@]}"; do
      if postmaster_pid "$i" >/dev/null; then
        (cd "$base/pg$i" && "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$base/pg$i/data" -m fast -w stop >/dev/null) || true
      fi
    done
    for i in "${MEMBERS[@]}"; do stop_pid "$base/etcd$i/etcd.pid" etcd 10; done
  fi
  if [[ $purge == --purge ]]; then
    if [[ -e $link ]]; then
      rm -rf "$(readlink -f "$link")"
      [[ -L $link ]] && rm -f "$link"
    fi
    echo "stopped; var/cluster deleted"
  else
    echo "stopped${base:+ (data kept in var/cluster; down --purge deletes it)}"
  fi
}

case "$cmd" in
  up) up ;;
  status) status ;;
  kill) kill_cmd "$@" ;;
  probe) probe "$@" ;;
  psql) psql_write "$@" ;;  # psql through the write port (the leader), database wangge
  down) down "${1:-}" ;;
  destroy) down --purge ;;
  *)
    echo "usage: scripts/cluster.sh up|status|kill leader|leader-postgres|replica|etcd N|node N|probe [SECONDS] [write]|psql [ARGS]|down [--purge]|destroy" >&2
    exit 2
    ;;
esac
