#!/usr/bin/env bash
# Installs what is missing, builds, starts the private PostGIS cluster, migrates, loads
# the four towns' demo data when the database is empty, and serves on 127.0.0.1:8080.
#   WANGGE_LISTEN=0.0.0.0:8080 scripts/run.sh   to listen elsewhere
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
listen=${WANGGE_LISTEN:-127.0.0.1:8080}

WANGGE_NO_BROWSER=${WANGGE_NO_BROWSER:-1} scripts/install-deps.sh
scripts/build.sh
scripts/build-web.sh
scripts/pg.sh start
echo "WANGGE_DB='$(scripts/pg.sh url)'" >var/wangge.env
unset WANGGE_DB  # the binary reads var/wangge.env, like a user's later commands will

build/wangge migrate
build/wangge demo-data --if-empty
build/wangge token revoke --name demo >/dev/null 2>&1 || true
token=$(build/wangge token create --role admin --name demo)

cat <<MSG

  wangge is starting on http://$listen/
  demo token (admin, all towns):  $token
  web client: open http://$listen/ and sign in with the token

  try:  curl -H "Authorization: Bearer $token" http://$listen/api/v1/towns
  stop: Ctrl-C (the database keeps running; scripts/pg.sh stop stops it)

MSG
exec build/wangge serve --listen "$listen"
