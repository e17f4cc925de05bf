#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One bounded libFuzzer run (ctest label "fuzz"):
#   run_fuzzer.sh FUZZER SEED_DIR REGRESSION_DIR WORK_DIR SECONDS
# Replays the past crashes first, then fuzzes for SECONDS from a copy of the
# committed seeds (the committed corpus is never modified). Any crash, leak,
# timeout, out-of-memory or sanitizer report fails the test; the input that
# caused it is left in WORK_DIR/artifacts/ for tests/fuzz/regressions/.
set -uo pipefail
fuzzer="$1"; seeds="$2"; regressions="$3"; work="$4"; seconds="$5"
name="$(basename "$fuzzer")"

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"

# Detect leaks (LeakSanitizer) and stop at the first report of any kind.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:halt_on_error=1:print_stacktrace=1"

if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions" 2>/dev/null)" ]; then
  echo "== $name: replaying $(ls "$regressions" | wc -l) regression inputs"
  "$fuzzer" -runs=0 -artifact_prefix="$work/artifacts/" "$regressions"/* \
    > "$work/regressions.log" 2>&1 || {
      cat "$work/regressions.log"; echo "FAIL: $name: a regression input fails again"; exit 1; }
fi

echo "== $name: fuzzing for ${seconds}s from $(ls "$work/corpus" | wc -l) seeds"
# -timeout: one input may take at most 25 s; -rss_limit_mb / -malloc_limit_mb:
# an input that makes the process use more than 2 GiB is a finding.
"$fuzzer" "$work/corpus" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
  -malloc_limit_mb=2048 -max_len=65536 -print_final_stats=1 -use_value_profile=1 \
  -artifact_prefix="$work/artifacts/" > "$work/fuzz.log" 2>&1
rc=$?
execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/fuzz.log" | grep -o '[0-9]*$')"
corpus="$(ls "$work/corpus" | wc -l)"
tail -n 25 "$work/fuzz.log"
echo "== $name: ${execs:-?} executions in ${seconds}s, corpus ${corpus} inputs, exit $rc"
echo "$name execs=${execs:-?} seconds=$seconds corpus=$corpus rc=$rc" >> "$(dirname "$work")/summary.txt"
# slow-unit-* files are inputs that took over 10 s on a busy machine: worth a
# look, not a failure (-timeout is the limit).
slow="$(ls "$work/artifacts" | grep '^slow-unit-' || true)"
[ -z "$slow" ] || echo "note: slow inputs kept in $work/artifacts: $slow"
findings="$(ls "$work/artifacts" | grep -v '^slow-unit-' || true)"
if [ $rc -ne 0 ] || [ -n "$findings" ]; then
  echo "FAIL: $name found a problem; reproducer(s):"
  ls -l "$work/artifacts"
  echo "Reproduce with: $fuzzer <file>; once fixed, copy the file to $regressions/"
  exit 1
fi
echo "PASS: $name"
