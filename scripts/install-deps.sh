#!/usr/bin/env bash
# Installs the Debian packages wangge builds, runs and tests with — only those missing,
# so a second run costs one dpkg-query. Works as root or through sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  libgeos-dev libproj-dev proj-bin proj-data libgdal-dev gdal-bin
  postgresql-15 postgresql-15-postgis-3 postgresql-client-15 libpqxx-dev libpq-dev
  libmapnik-dev mapnik-utils fonts-noto-cjk libcairo2-dev libpng-dev
  libpistache-dev nlohmann-json3-dev libcli11-dev libxlsxwriter-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zip unzip curl
  nodejs npm  # the web client's build (scripts/build-web.sh: Vite from npm)
  poppler-utils python3-openpyxl  # tests: page count of the printed meeting pack, reading its XLSX
  libfaketime  # tests: the service and the CLI at a chosen "now" (tests/web/harness.mjs, docs/web.md "Dates")
  # scripts/cluster.sh, the HA stack: etcd (Patroni's DCS), Patroni, HAProxy. Patroni's
  # etcd3 backend talks to etcd 3.4's v3 JSON gateway and needs python3-etcd (not
  # python3-etcd3) for its error types; iproute2 gives ss, which the scripts check ports with.
  etcd-server etcd-client patroni python3-etcd haproxy iproute2
)
# Browser tests (tests/web drive Debian's chromium) and load benchmarks; skipped with
# WANGGE_NO_BROWSER=1.
if [[ "${WANGGE_NO_BROWSER:-0}" != 1 ]]; then
  PACKAGES+=(chromium wrk)
fi
# scripts/fuzz.sh only (CI replays the corpus with gcc): clang and its libFuzzer/sanitizer runtimes.
if [[ "${WANGGE_FUZZ_DEPS:-0}" == 1 ]]; then
  PACKAGES+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

# Node and npm may come from outside Debian (nvm, nodesource); accept any working pair.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
