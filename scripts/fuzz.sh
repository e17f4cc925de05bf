#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fuzzing stage (docs/security.md): builds the libFuzzer targets (preset
# fuzz, clang, ASan + UBSan) and runs each for OCTET_FUZZ_SECONDS (default
# 60) through ctest label "fuzz". Any crash, leak, timeout, out-of-memory or
# sanitizer report fails; exec counts are printed per target.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs="$(nproc 2>/dev/null || echo 2)"
dir="${OCTET_FUZZ_DIR:-build-fuzz}"
cmake --preset fuzz -B "$dir" -DOCTET_FUZZ_SECONDS="${OCTET_FUZZ_SECONDS:-60}" >/dev/null
cmake --build "$dir" -j "$jobs" --target octet_fuzzers
rm -f "$dir/tests/fuzz/work/summary.txt"
status=0
ctest --test-dir "$dir" -L '^fuzz$' --output-on-failure -j "$jobs" || status=$?
echo "== fuzz summary"
cat "$dir/tests/fuzz/work/summary.txt" 2>/dev/null || true
exit $status
