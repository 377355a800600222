#!/usr/bin/env bash
# A mixed load against the demo server with wrk, then the checks that matter:
#   scripts/load.sh [SECONDS=60] [CONNECTIONS=64]
# Tiles (grids/reports/heatmap at random z/x/y over the towns), report posts with unique
# client_ids, report lists and analytics completion run at once, the connections split
# between them (wrk per endpoint, so each gets its own rate and latency). Afterwards:
# zero 5xx, zero socket errors, every acknowledged report in the database, and server RSS
# growth after a warm-up under 10%, and a cached tile served at ≥ 0.8× the rate of
# /healthz on the same server (measured after the warm-up, before the mix). Prints a
# table; exits 1 when a check fails.
#
# The server: WANGGE_LOAD_URL (default http://127.0.0.1:8080) when one answers there and
# its process can be found (for RSS); otherwise build/wangge serve is started on
# WANGGE_LOAD_PORT (default 8091) with $WANGGE_SERVE_ARGS, against the database of
# var/wangge.env (scripts/run.sh writes it) or $WANGGE_DB, and stopped (SIGTERM) at the end.
# It waits up to WANGGE_LOAD_READY_TIMEOUT seconds (default 900) for /readyz.
# Analytics ask for the twelve months up to WANGGE_LOAD_UNTIL (YYYY-MM; default: the
# newest demo report's month, i.e. the demo data's --until).
# WANGGE_SERVE_ARGS defaults to "--rate-limit 0 --tile-rate-limit 0": all connections share
# one token, and the load measures the service, not the per-token limiter (a running server
# keeps its own limits, so its 429s count as failures here).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
duration=${1:-60}
connections=${2:-64}
warmup=${WANGGE_LOAD_WARMUP:-15}
(( connections >= 8 )) || { echo "load.sh: at least 8 connections" >&2; exit 2; }
command -v wrk >/dev/null || { echo "load.sh: wrk is missing (apt-get install wrk)" >&2; exit 2; }
[[ -x build/wangge ]] || { echo "load.sh: build/wangge is missing (scripts/build.sh)" >&2; exit 2; }

if [[ -z ${WANGGE_DB:-} ]]; then
  [[ -f var/wangge.env ]] || { echo "load.sh: no database: run scripts/run.sh once or set WANGGE_DB" >&2; exit 2; }
  WANGGE_DB=$(sed -n "s/^WANGGE_DB='\(.*\)'$/\1/p" var/wangge.env)
fi
export WANGGE_DB
sql() { psql "$WANGGE_DB" -XAtq -v ON_ERROR_STOP=1 "$@"; }

work=$(mktemp -d /tmp/wangge-load.XXXXXX)
server_pid=
started_server=0
cleanup() {
  jobs -p | grep -vx "${server_pid:-none}" | xargs -r kill 2>/dev/null || true  # wrk, the RSS sampler
  if [[ $started_server == 1 && -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [[ -n ${WANGGE_LOAD_KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
trap "exit 130" INT TERM  # through the EXIT trap: the server and wrk are stopped

url=${WANGGE_LOAD_URL:-http://127.0.0.1:8080}
port=${url##*:}
if curl -fsS -m 2 "$url/healthz" >/dev/null 2>&1; then
  server_pid=$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true)
  [[ -n $server_pid ]] || { echo "load.sh: a server answers at $url but its process is not visible (RSS check needs it)" >&2; exit 2; }
  echo "load.sh: using the server at $url (pid $server_pid)"
else
  port=${WANGGE_LOAD_PORT:-8091}
  url=http://127.0.0.1:$port
  serve_args=${WANGGE_SERVE_ARGS---rate-limit 0 --tile-rate-limit 0}
  # shellcheck disable=SC2086  # serve_args is a list of flags
  build/wangge serve --listen "127.0.0.1:$port" $serve_args >"$work/server.log" 2>&1 &
  server_pid=$!
  started_server=1
  for _ in $(seq 1 100); do curl -fsS -m 2 "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  # Ready means every copy is loaded: seconds at 1M reports, ~2 minutes at the province.
  ready_by=$(( SECONDS + ${WANGGE_LOAD_READY_TIMEOUT:-900} ))
  until curl -fsS -m 2 "$url/readyz" >/dev/null 2>&1; do
    (( SECONDS < ready_by )) && kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "load.sh: the server did not become ready" >&2; exit 1; }
    sleep 0.5
  done
  echo "load.sh: started build/wangge serve on $url (pid $server_pid) $serve_args"
fi

token=$(build/wangge token create --role admin --name "load-$(date +%s)-$$")
export WANGGE_LOAD_TOKEN=$token WANGGE_LOAD_LUA="$ROOT/scripts/load"
run="load$(date +%s)x$$"

# The request sets. Tiles: every tile of z12–15 that touches a town, three layers. A
# province has ~1,300 towns (~230,000 such tiles): then a fixed sample of
# WANGGE_LOAD_TOWNS (default 16) of them, the same in every run (by md5 of the code).
sql -F ' ' -c "SELECT town, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT town, ST_Extent(geom)::geometry AS b FROM grids WHERE valid_to IS NULL GROUP BY town) s ORDER BY md5(town) LIMIT ${WANGGE_LOAD_TOWNS:-16}" >"$work/towns"
[[ -s $work/towns ]] || { echo "load.sh: the database has no grids: load the demo data (build/wangge demo-data)" >&2; exit 2; }
python3 - "$work/towns" >"$work/tiles" <<'PY'
import math, sys
def tile(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
for line in open(sys.argv[1]):
    code, w, s, e, n = line.split()
    for z in range(12, 16):
        x0, y0 = tile(float(w), float(n), z)
        x1, y1 = tile(float(e), float(s), z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                for layer in ("grids", "reports", "heatmap"):
                    print(f"/tiles/{layer}/{z}/{x}/{y}.png?town={code}")
PY
sql -F ' ' -c "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grids WHERE valid_to IS NULL) s" >"$work/points"
: >"$work/lists"
# The analytics period: the twelve months up to WANGGE_LOAD_UNTIL (YYYY-MM), by default
# the month of the newest demo report (client_id TOWN-demo-N, data/demo_reports.cpp), in
# Asia/Shanghai: the demo data's --until. Not the real clock's month, nor that of the
# reports posted by this script or the benchmarks, so the same database gets the same
# questions whatever the date.
until_month=${WANGGE_LOAD_UNTIL:-$(sql -c "SELECT to_char(max(reported_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') FROM reports WHERE client_id LIKE '%-demo-%'")}
[[ $until_month =~ ^[0-9]{4}-[0-9]{2}$ ]] || { echo "load.sh: no reports to take the analytics period from (set WANGGE_LOAD_UNTIL=YYYY-MM)" >&2; exit 2; }
from=$(date -d "$until_month-15 -11 months" +%Y-%m)
to=$(date -d "$until_month-15 +1 month" +%Y-%m)
echo "load.sh: analytics over $from up to $to (exclusive)"
: >"$work/analytics"
for town in $(cut -d' ' -f1 "$work/towns"); do
  for status in "" "&status=reported" "&status=dispatched,in_progress"; do
    echo "/api/v1/reports?town=$town&limit=50$status" >>"$work/lists"
  done
  for by in grid platform category month; do
    echo "/api/v1/analytics/completion?town=$town&by=$by&from=$from&to=$to" >>"$work/analytics"
  done
done
echo "/api/v1/reports?limit=100" >>"$work/lists"

# Connections: 3/8 tiles, 1/4 posts, 1/4 lists, the rest analytics.
c_tiles=$(( connections * 3 / 8 )); c_posts=$(( connections / 4 )); c_lists=$(( connections / 4 ))
c_analytics=$(( connections - c_tiles - c_posts - c_lists ))

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status"; }

# name connections seconds paths|post outfile
one_wrk() {
  local name=$1 conns=$2 secs=$3 what=$4 out=$5
  local script=get.lua
  [[ $what == post ]] && script=post_reports.lua
  WANGGE_LOAD_NAME=$name WANGGE_LOAD_PATHS=$what WANGGE_LOAD_POINTS="$work/points" WANGGE_LOAD_RUN=$run \
    WANGGE_LOAD_ACKED="$work/acked" \
    wrk -t1 -c"$conns" -d"${secs}s" --timeout 30s --latency -s "scripts/load/$script" "$url" >"$out" 2>&1
}
mix() {  # seconds prefix
  local pids=()
  one_wrk "tiles" "$c_tiles" "$1" "$work/tiles" "$work/$2.tiles" & pids+=($!)
  one_wrk "POST /api/v1/reports" "$c_posts" "$1" post "$work/$2.posts" & pids+=($!)
  one_wrk "GET /api/v1/reports" "$c_lists" "$1" "$work/lists" "$work/$2.lists" & pids+=($!)
  one_wrk "analytics completion" "$c_analytics" "$1" "$work/analytics" "$work/$2.analytics" & pids+=($!)
  wait "${pids[@]}" || true  # not the server, which is a child too; wrk failures show in the table
}

echo "load.sh: warm-up ${warmup} s, then ${duration} s at $connections connections" \
     "(tiles $c_tiles, posts $c_posts, lists $c_lists, analytics $c_analytics)"
# Warm-up: every tile once (the tile cache holds a bounded set of tiles; filling it is
# not growth), then the mix, so RSS after it is the steady state.
tile_cache() { curl -fsS -m 10 "$url/metrics" | awk '/^wangge_tile_cache_bytes\{kind="used"\}/ {printf "%d", $2 / 1048576}'; }
sed "s|^|$url|" "$work/tiles" | xargs -P 8 -n 50 curl -fsS -H "Authorization: Bearer $token" >/dev/null || true
mix "$warmup" warm

# A cached tile against /healthz on the same server, before the mix (nothing is written
# meanwhile, so the tile stays cached): what serving from memory costs beyond a health
# check (token lookup, snapshot check, cache lookup). Target: ≥ 0.8.
rps_of() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1"; }
cached_tile=$(grep -m 1 '/reports/14/' "$work/tiles")  # not | head: grep's SIGPIPE fails the pipeline
curl -fsS -o /dev/null -H "Authorization: Bearer $token" "$url$cached_tile"
wrk -t1 -c32 -d5s "$url/healthz" >"$work/healthz" 2>&1
wrk -t1 -c32 -d5s -H "Authorization: Bearer $token" "$url$cached_tile" >"$work/cached" 2>&1
rps_healthz=$(rps_of "$work/healthz"); rps_cached=$(rps_of "$work/cached")
ratio_cached=$(awk -v a="${rps_cached:-0}" -v b="${rps_healthz:-1}" 'BEGIN { printf "%.2f", a / b }')

rss_warm=$(rss_kb)
cache_warm=$(tile_cache)
rss_peak=$rss_warm
( while sleep 1; do r=$(rss_kb 2>/dev/null) || break; echo "$r"; done ) >"$work/rss" &
sampler=$!
mix "$duration" main
kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
rss_end=$(rss_kb)
cache_end=$(tile_cache)
rss_peak=$(sort -n "$work/rss" | tail -n 1); rss_peak=${rss_peak:-$rss_end}
kill -0 "$server_pid" 2>/dev/null || { echo "load.sh: the server died" >&2; exit 1; }

# Every acknowledged report of both phases is in the database.
cat "$work"/acked.* 2>/dev/null | sort -u >"$work/acked_ids" || true
acked=$(wc -l <"$work/acked_ids")
stored=$(sql -c "CREATE TEMP TABLE acked (client_id text PRIMARY KEY)" \
             -c "\\copy acked FROM '$work/acked_ids'" \
             -c "SELECT count(*) FROM acked JOIN reports USING (client_id)")
missing=$(( acked - stored ))

fail=0
printf '\n%-24s %9s %9s %9s %9s %9s %6s %6s %8s\n' endpoint requests req/s p50_ms p90_ms p99_ms 5xx 4xx sock_err
for f in tiles posts lists analytics; do
  line=$(grep '^RESULT' "$work/main.$f" || true)
  if [[ -z $line ]]; then cat "$work/main.$f" >&2; echo "load.sh: wrk failed for $f" >&2; fail=1; continue; fi
  get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  name=$(sed -n 's/^RESULT endpoint=\(.*\) requests=.*/\1/p' <<<"$line")
  printf '%-24s %9s %9s %9s %9s %9s %6s %6s %8s\n' "$name" "$(get requests)" "$(get rps)" "$(get p50_ms)" \
    "$(get p90_ms)" "$(get p99_ms)" "$(get 5xx)" "$(get 4xx)" "$(get socket_errors)"
  (( $(get 5xx) == 0 )) || { echo "  FAIL: 5xx answers from $name" >&2; fail=1; }
  (( $(get socket_errors) == 0 )) || { echo "  FAIL: socket errors on $name" >&2; fail=1; }
  (( $(get 4xx) == 0 )) || { echo "  FAIL: 4xx answers from $name (a broken request set)" >&2; fail=1; }
  warm_line=$(grep '^RESULT' "$work/warm.$f" || true)
  w5=$(sed -n 's/.* 5xx=\([0-9]*\).*/\1/p' <<<"$warm_line"); ws=$(sed -n 's/.* socket_errors=\([0-9]*\).*/\1/p' <<<"$warm_line")
  (( ${w5:-0} == 0 && ${ws:-0} == 0 )) || { echo "  FAIL: $name had ${w5:-?} 5xx / ${ws:-?} socket errors in the warm-up" >&2; fail=1; }
done
growth=$(awk -v a="$rss_warm" -v b="$rss_end" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
echo
echo "cached tile ${rps_cached:-?} req/s, /healthz ${rps_healthz:-?} req/s: ratio $ratio_cached (target ≥ 0.8)"
awk -v r="$ratio_cached" 'BEGIN { exit !(r >= 0.8) }' || { echo "  FAIL: a cached tile costs more than 1.25 health checks" >&2; fail=1; }
echo "reports acknowledged: $acked, in the database: $stored, missing: $missing"
echo "server RSS: after warm-up $(( rss_warm / 1024 )) MiB, end $(( rss_end / 1024 )) MiB, peak $(( rss_peak / 1024 )) MiB, growth ${growth}% (tile cache ${cache_warm} → ${cache_end} MiB)"
(( missing == 0 )) || { echo "  FAIL: $missing acknowledged report(s) not in the database" >&2; fail=1; }
(( acked > 0 )) || { echo "  FAIL: no report was acknowledged" >&2; fail=1; }
awk -v g="$growth" 'BEGIN { exit !(g < 10) }' || { echo "  FAIL: RSS grew ${growth}% after the warm-up (limit 10%)" >&2; fail=1; }
if [[ $started_server == 1 ]] && grep -q '^error:' "$work/server.log"; then
  echo "server errors logged:" >&2; grep '^error:' "$work/server.log" | sort | uniq -c | sort -rn | head -n 5 >&2
fi
(( fail == 0 )) && echo "load.sh: all checks passed" || echo "load.sh: FAILED" >&2
exit "$fail"
