#!/usr/bin/env bash
# Installs what is missing, builds with tests, starts a throw-away PostGIS cluster, runs
# every test (CTest), stops and deletes the cluster, and exits non-zero on any failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
started=$(date +%s)

scripts/install-deps.sh
scripts/build.sh -DWANGGE_BUILD_TESTS=ON
scripts/build-web.sh  # the browser tests (tests/web) load the built client

scripts/pg.sh --test destroy >/dev/null 2>&1 || true
cleanup() { scripts/pg.sh --test destroy >/dev/null 2>&1 || true; }
trap cleanup EXIT
scripts/pg.sh --test start
# Tests create their own databases in this cluster; they never see var/wangge.env.
export WANGGE_TEST_DB="$(scripts/pg.sh --test url | sed 's/dbname=wangge/dbname=postgres/')"
unset WANGGE_DB

status=0
(cd build && ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@") || status=$?
echo "test.sh: $(( $(date +%s) - started )) s, ctest exit $status"
exit $status
