#!/usr/bin/env bash
# The README's test command: set up (packages, configure, build) and run the whole test suite.
# Usage: scripts/test.sh [--sanitize] [ctest args...]
#   --sanitize  build into build-asan with AddressSanitizer + UndefinedBehaviorSanitizer and run there
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
setup_args=(--tests)
if [[ "${1:-}" == "--sanitize" ]]; then setup_args+=(--sanitize); shift; fi
build_dir="$("$root/scripts/setup.sh" "${setup_args[@]}")"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp:print_suppressions=0}"
cd "$build_dir"
ctest --output-on-failure -j"$(nproc)" "$@"
