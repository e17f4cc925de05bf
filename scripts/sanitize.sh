#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sanitizer stage (docs/security.md): the whole test suite under
# AddressSanitizer + UndefinedBehaviorSanitizer (preset asan, GCC, any report
# fails the test), then the concurrency tests under ThreadSanitizer (preset
# tsan, clang). Build directories: ${OCTET_ASAN_DIR:-build-asan},
# ${OCTET_TSAN_DIR:-build-tsan}. Extra arguments go to the ASan ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs="$(nproc 2>/dev/null || echo 2)"
asan_dir="${OCTET_ASAN_DIR:-build-asan}"
tsan_dir="${OCTET_TSAN_DIR:-build-tsan}"

echo "== ASan + UBSan: the whole test suite"
cmake --preset asan -B "$asan_dir" -DOCTET_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$asan_dir" -j "$jobs"
# Leaks are findings too; a report aborts the process (non-zero exit).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
ctest --test-dir "$asan_dir" --output-on-failure -j "$jobs" "$@"

echo "== TSan: interpreters sharing one model across threads"
cmake --preset tsan -B "$tsan_dir" >/dev/null
cmake --build "$tsan_dir" -j "$jobs" --target octet_runtime_tests
# Debian's pthreadpool is not instrumented: TSan cannot see the
# synchronization inside it, so races reported with a pthreadpool frame are
# suppressed (tests/tsan.supp says why); everything in Octet's own code is
# checked.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"
"$tsan_dir/tests/runtime/octet_runtime_tests" "[threads]" --durations yes
