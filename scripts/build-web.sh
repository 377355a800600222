#!/usr/bin/env bash
# Builds the web client (api/web → api/web/dist) with Vite: `npm ci` when the lock file
# changed, `npm run build` when a source changed since the last build (a stamp holding the
# sources' checksum), so a second run costs one checksum. WANGGE_WEB_FORCE=1 rebuilds.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WEB="$ROOT/api/web"
cd "$WEB"

command -v npm >/dev/null || { echo "build-web: npm is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }

checksum() { find "$@" -type f -print0 2>/dev/null | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1; }

lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -d node_modules ]] || [[ "$(cat node_modules/.wangge-lock 2>/dev/null)" != "$lock_sum" ]]; then
  echo "build-web: npm ci" >&2
  npm ci --no-audit --no-fund --prefer-offline --loglevel=error
  echo "$lock_sum" >node_modules/.wangge-lock
fi

src_sum=$(checksum index.html vite.config.js package-lock.json src)
if [[ "${WANGGE_WEB_FORCE:-0}" == 1 ]] || [[ ! -f dist/index.html ]] || [[ "$(cat dist/.stamp 2>/dev/null)" != "$src_sum" ]]; then
  echo "build-web: vite build" >&2
  npm run --silent build -- --logLevel warn
  echo "$src_sum" >dist/.stamp
fi
