#!/usr/bin/env bash
# The platform's infrastructure steps over aml-provision (ARM is the state; no state file):
#   infra.sh plan     plan --detailed-exit-code: the readable diff goes into the job summary;
#                     changes are a result (output has_changes=true), not a failure
#   infra.sh apply    apply the plan file a previous plan wrote (or plan+apply without one)
#   infra.sh verify   the post-apply checks; exit 3 (job fails) when one fails, table in the summary
#   infra.sh outputs  the names the workflows need, appended to $GITHUB_ENV as KEY=VALUE
# Inputs: PLATFORM_FILE (infra/platform.yaml); optional PLAN_DIR (where plan writes plan.json,
#   default $RUNNER_TEMP/amlops-ci/plan; apply applies that saved plan when it exists),
#   AZURE_* as for azure-login.sh (the OIDC token exchange happens inside aml-provision).
# Outputs: has_changes (plan), plan_file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

verb="${1:-}"
platform="${PLATFORM_FILE:-$ci_root/infra/platform.yaml}"
plan_dir="${PLAN_DIR:-$ci_tmp/plan}"
plan_file="$plan_dir/plan.json"
[[ -f "$platform" ]] || ci_fail 2 "PLATFORM_FILE: no such file: $platform"
command -v aml-provision > /dev/null || ci_fail 1 "aml-provision is not built (tools/provision)"
log="$ci_tmp/provision-$verb.log"

# Markdown block of a command's human-readable report (stderr), shown in the summary.
report() { { echo "$1"; echo; echo '```'; cat "$log"; echo '```'; echo; } >> "$GITHUB_STEP_SUMMARY"; }

set +e
case "$verb" in
  plan)
    aml-provision plan --platform "$platform" --detailed-exit-code --output "$plan_dir" > "$ci_tmp/plan-result.json" 2> "$log"
    rc=$?; set -e
    case "$rc" in
      0) report "## Infrastructure plan: no changes"; ci_output has_changes false ;;
      3) report "## Infrastructure plan: changes"; ci_output has_changes true ;;
      *) cat "$log" >&2; ci_fail "$rc" "aml-provision plan failed (exit $rc)" ;;
    esac
    ci_output plan_file "$plan_file" ;;
  apply)
    if [[ -f "$plan_file" ]]; then aml-provision apply --platform "$platform" --plan "$plan_file" > "$ci_tmp/apply-result.json" 2> "$log"
    else aml-provision apply --platform "$platform" > "$ci_tmp/apply-result.json" 2> "$log"; fi
    rc=$?; set -e
    [[ "$rc" == 0 ]] || { cat "$log" >&2; ci_fail "$rc" "aml-provision apply failed (exit $rc)"; }
    report "## Infrastructure apply" ;;
  verify)
    aml-provision verify --platform "$platform" > "$ci_tmp/verify-result.json" 2> "$log"
    rc=$?; set -e
    case "$rc" in
      0) report "## Infrastructure verify: all checks passed" ;;
      3) report "## Infrastructure verify: checks failed"; cat "$log" >&2; exit 3 ;;
      *) cat "$log" >&2; ci_fail "$rc" "aml-provision verify failed (exit $rc)" ;;
    esac ;;
  outputs)
    aml-provision outputs --platform "$platform" --format env > "$ci_tmp/outputs.env" 2> "$log"
    rc=$?; set -e
    [[ "$rc" == 0 ]] || { cat "$log" >&2; ci_fail "$rc" "aml-provision outputs failed (exit $rc)"; }
    grep -E '^[A-Z][A-Z0-9_]*=' "$ci_tmp/outputs.env" >> "${GITHUB_ENV:-/dev/null}"
    { echo "## Platform outputs (repository variables)"; echo; echo '```'; cat "$ci_tmp/outputs.env"; echo '```'; echo; } >> "$GITHUB_STEP_SUMMARY" ;;
  *) set -e; ci_fail 2 "usage: infra.sh plan|apply|verify|outputs" ;;
esac
