#!/usr/bin/env bash
# The build-and-test job: the README's test command (set-up, build, the whole CTest suite), or
# under sanitizers with SANITIZE=1. CTEST_ARGS (e.g. "-L unit") narrows the suite.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
args=()
[[ "${SANITIZE:-0}" == 1 ]] && args+=(--sanitize)
# shellcheck disable=SC2206  # CTEST_ARGS is a word list by design
[[ -n "${CTEST_ARGS:-}" ]] && args+=($CTEST_ARGS)
start=$(date +%s)
"$ci_root/scripts/test.sh" "${args[@]}"
ci_summary "**Build + tests${SANITIZE:+ (sanitizers: $SANITIZE)}:** passed in $(( $(date +%s) - start )) s" ""
