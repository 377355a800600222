#!/usr/bin/env bash
# Fuzzes the parsers (docs/fuzzing.md): builds build-fuzz/ with clang, ASan, UBSan and
# libFuzzer, runs each target for SECONDS (default 600), merges the inputs that add coverage
# into the committed corpus tests/fuzz/corpus/TARGET/, and prints exec/s, coverage and the
# corpus size per target. Exits non-zero when any target found a crash, hang or leak; its
# reproducer is left in build-fuzz/work/TARGET/ (crash-*, timeout-*, leak-*, oom-*).
#
#   scripts/fuzz.sh [TARGET[,TARGET…]|all] [SECONDS]
#   WANGGE_FUZZ_PARALLEL=2 scripts/fuzz.sh all 600   # two targets at a time (default 1)
#
# A reproducer replays with build-fuzz/fuzz/fuzz_TARGET FILE, or in the gcc build with
# build/tests/fuzz/replay_TARGET FILE once it is copied into the corpus.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

which=${1:-all}
seconds=${2:-600}
parallel=${WANGGE_FUZZ_PARALLEL:-1}
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a number" >&2; exit 2; }

all=()
for f in tests/fuzz/fuzz_*.cpp; do t=${f#tests/fuzz/fuzz_}; all+=("${t%.cpp}"); done
if [[ "$which" == all ]]; then
  targets=("${all[@]}")
else
  IFS=, read -r -a targets <<<"$which"
  for t in "${targets[@]}"; do
    [[ -f tests/fuzz/fuzz_$t.cpp ]] || { echo "fuzz.sh: no target $t (have: ${all[*]})" >&2; exit 2; }
  done
fi

WANGGE_FUZZ_DEPS=1 WANGGE_NO_BROWSER=1 scripts/install-deps.sh
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
if [[ ! -f build-fuzz/CMakeCache.txt ]]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWANGGE_FUZZ=ON \
    -DWANGGE_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
fi
cmake --build build-fuzz -j "${WANGGE_BUILD_JOBS:-2}" --target "${targets[@]/#/fuzz_}"

# One target: fuzz into a scratch directory (the committed corpus is read, not written),
# then merge what adds coverage into the corpus and record the figures.
run_one() {
  local t=$1 work=build-fuzz/work/$1 corpus=tests/fuzz/corpus/$1 bin=build-fuzz/fuzz/fuzz_$1
  rm -rf "$work" && mkdir -p "$work/new" "$corpus"
  local dict=()
  [[ -f tests/fuzz/dict/$t.dict ]] && dict=(-dict="tests/fuzz/dict/$t.dict")
  local status=0
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    nice -n 10 "$bin" "$work/new" "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$work/" >"$work/fuzz.log" 2>&1 ||
    status=$?
  nice -n 10 "$bin" -merge=1 "$corpus" "$work/new" >"$work/merge.log" 2>&1 || true
  local done_line execs cov ft files kib
  done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$work/fuzz.log" | tail -1 || true)
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' <<<"$done_line" | grep -o '[0-9]*' || true)
  ft=$(grep -o 'ft: [0-9]*' <<<"$done_line" | grep -o '[0-9]*' || true)
  files=$(find "$corpus" -type f | wc -l)
  kib=$(find "$corpus" -type f -printf '%s\n' | awk '{ b += $1 } END { printf "%.0f", b / 1024 }')
  local result=ok
  if [[ $status -ne 0 ]]; then
    result="FAILED (exit $status; see $work/fuzz.log and $(ls "$work"/{crash,timeout,leak,oom}-* 2>/dev/null | head -1 || true))"
  fi
  printf '%-12s %6ss %9s exec/s  cov %-6s ft %-7s corpus %5s files %6s KiB  %s\n' \
    "$t" "$seconds" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$files" "$kib" "$result" >"$work/summary"
  [[ $status -eq 0 ]]
}

failed=0
running=0
for t in "${targets[@]}"; do
  echo "fuzz.sh: $t for ${seconds} s" >&2
  run_one "$t" &
  running=$((running + 1))
  if [[ $running -ge $parallel ]]; then wait -n || failed=1; running=$((running - 1)); fi
done
while [[ $running -gt 0 ]]; do wait -n || failed=1; running=$((running - 1)); done

echo "target       time       exec/s       coverage          committed corpus"
for t in "${targets[@]}"; do cat "build-fuzz/work/$t/summary"; done
echo "whole corpus: $(find tests/fuzz/corpus -type f | wc -l) files," \
  "$(find tests/fuzz/corpus -type f -printf '%s\n' | awk '{ b += $1 } END { printf "%.0f", b / 1024 }') KiB"
exit $failed
