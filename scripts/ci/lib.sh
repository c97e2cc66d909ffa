# Shared helpers of the scripts/ci/*.sh steps (sourced, not run). Each step reads its inputs from
# environment variables (what a workflow's `env:` gives it), writes KEY=VALUE lines to
# $GITHUB_OUTPUT for later steps and Markdown to $GITHUB_STEP_SUMMARY, and exits like the tools:
# 0 ok, 1 runtime failure, 2 a missing or bad input (named), 3 a check said no.
# Outside GitHub Actions both files default to /dev/null, so the scripts also run by hand.
set -euo pipefail

ci_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ci_step="$(basename "${BASH_SOURCE[1]:-ci}" .sh)"
: "${GITHUB_OUTPUT:=/dev/null}"
: "${GITHUB_STEP_SUMMARY:=/dev/null}"

ci_log() { echo "$ci_step: $*" >&2; }
ci_fail() {  # ci_fail EXIT_CODE MESSAGE: the message goes to the log and to the job summary
  local code="$1"; shift
  echo "$ci_step: error: $*" >&2
  printf '> **%s failed:** %s\n\n' "$ci_step" "$*" >> "$GITHUB_STEP_SUMMARY"
  exit "$code"
}
# ci_require VAR...: exit 2 naming every required input that is unset or empty.
ci_require() {
  local missing=() v
  for v in "$@"; do [[ -n "${!v:-}" ]] || missing+=("$v"); done
  [[ ${#missing[@]} -eq 0 ]] || ci_fail 2 "missing input environment variable(s): ${missing[*]}"
}
# ci_output KEY VALUE: one step output (single line; GitHub's KEY=VALUE form).
ci_output() {
  [[ "$2" != *$'\n'* ]] || ci_fail 1 "output '$1' would span lines"
  printf '%s=%s\n' "$1" "$2" >> "$GITHUB_OUTPUT"
}
ci_summary() { printf '%s\n' "$@" >> "$GITHUB_STEP_SUMMARY"; }
# The tools: $AMLOPS_BIN_DIR when set (tests, a local build), else build/bin, else $PATH.
ci_tool_path() {
  if [[ -n "${AMLOPS_BIN_DIR:-}" ]]; then export PATH="$AMLOPS_BIN_DIR:$PATH"
  elif [[ -d "$ci_root/build/bin" ]]; then export PATH="$ci_root/build/bin:$PATH"; fi
}
ci_tool_path
# ci_json FILE FILTER: jq on a tool's JSON result, failing loudly on a missing document.
ci_json() { [[ -s "$1" ]] || ci_fail 1 "no JSON result in $1"; jq -r "$2" "$1"; }
# Per-job scratch folder for tool results (RUNNER_TEMP on GitHub).
ci_tmp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/amlops-ci"
mkdir -p "$ci_tmp"
