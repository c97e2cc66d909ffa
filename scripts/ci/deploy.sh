#!/usr/bin/env bash
# Blue/green release of a registered model to an online endpoint with aml-deploy: the new slot at
# 0% (100% on an empty endpoint), a smoke test sent to that slot only, then TRAFFIC_PERCENT live
# traffic (finalize) or an exact rollback to the previous traffic (exit 3). This script also checks
# the rollback's promise itself - traffic after == traffic before, entry by entry - and writes the
# traffic before/after into the job summary.
# ENDPOINT picks the backend: local://HOST:PORT (aml-predict serve: the rehearsal and a jumpbox)
# or an azureml:// online endpoint (Azure ML managed online endpoints).
# Inputs: AMLOPS_HOME ENDPOINT MODEL_URI STAGE (dev|prod, for the summary); optional
#   TRAFFIC_PERCENT (30), SMOKE_DATA (test.csv or its folder; empty: a small generated sample,
#   AML_SMOKE_ROWS default 400), SMOKE_MAX_RMSE (fail the smoke test above this RMSE),
#   ENDPOINT_KEY_FILE, RELEASE_ALIAS (finalize: move this registry alias to MODEL_URI once it is
#   live, e.g. the prod champion; a rollback leaves the alias where it was).
# Outputs: status (promoted|rolled_back), slot, traffic (JSON), previous_traffic (JSON), state_file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_require AMLOPS_HOME ENDPOINT MODEL_URI STAGE
traffic="${TRAFFIC_PERCENT:-30}"
[[ "$traffic" =~ ^[0-9]+$ && "$traffic" -ge 1 && "$traffic" -le 100 ]] || ci_fail 2 "TRAFFIC_PERCENT must be 1..100, got '$traffic'"

smoke="${SMOKE_DATA:-}"
if [[ -z "$smoke" ]]; then
  rows="${AML_SMOKE_ROWS:-400}"
  ci_log "no SMOKE_DATA: generating a $rows-row smoke sample"
  aml-datagen --rows "$rows" --seed "${AML_SMOKE_SEED:-7}" --output "$ci_tmp/smoke-raw" > /dev/null
  aml-transform "$ci_tmp/smoke-raw" --output "$ci_tmp/smoke" > /dev/null
  smoke="$ci_tmp/smoke/test.csv"
fi

args=(--endpoint "$ENDPOINT" --model "$MODEL_URI" --smoke-data "$smoke" --traffic "$traffic"
      --output "$ci_tmp/deploy-$STAGE")
[[ -n "${SMOKE_MAX_RMSE:-}" ]] && args+=(--max-rmse "$SMOKE_MAX_RMSE")
[[ -n "${ENDPOINT_KEY_FILE:-}" ]] && args+=(--key-file "$ENDPOINT_KEY_FILE")
result="$ci_tmp/deploy-$STAGE.json"
set +e
aml-deploy "${args[@]}" > "$result"
rc=$?
set -e
[[ "$rc" == 0 || "$rc" == 3 ]] || ci_fail 1 "aml-deploy failed (exit $rc) before a verdict; the endpoint was restored by aml-deploy"
state="$ci_tmp/deploy-$STAGE/deployment_state.json"
[[ -s "$state" ]] || ci_fail 1 "aml-deploy wrote no deployment_state.json"
compact() { jq -c --sort-keys "$1 // {}" "$state"; }
before="$(compact .previous_traffic)"
after="$(compact .current_traffic)"
slot="$(jq -r '.new_deployment // .slot // empty' "$state")"
smoke_line="$(jq -r '.smoke_test // .smoke | if . == null then "" else
  "smoke test: \(if .passed then "passed" else "failed" end)\(if .rmse then ", RMSE \(.rmse)" else "" end)\(if .reason and .reason != "" then " — \(.reason)" else "" end)" end' "$state")"

ci_output slot "$slot"
ci_output traffic "$after"
ci_output previous_traffic "$before"
ci_output state_file "$state"
if [[ "$rc" == 3 ]]; then
  # The exact-rollback promise, checked independently of aml-deploy's own bookkeeping.
  [[ "$before" == "$after" ]] || ci_fail 1 "rollback did not restore the traffic exactly: before $before, after $after"
  ci_output status rolled_back
  ci_summary "## $STAGE release: rolled back" "" "\`$MODEL_URI\` on \`$ENDPOINT\`, slot \`$slot\`: $smoke_line" "" \
    "Traffic restored exactly: before \`$before\`, after \`$after\`." ""
  ci_log "smoke test failed: rolled back, traffic restored to $before"
  exit 3
fi
if [[ -n "${RELEASE_ALIAS:-}" ]]; then
  aml-register alias set "$MODEL_URI" "$RELEASE_ALIAS" > "$ci_tmp/alias-$STAGE.json" \
    || ci_fail 1 "released, but moving the alias '$RELEASE_ALIAS' to $MODEL_URI failed"
  ci_log "finalized: @$RELEASE_ALIAS -> $MODEL_URI"
fi
ci_output status promoted
ci_summary "## $STAGE release: promoted" "" "\`$MODEL_URI\` on \`$ENDPOINT\`, slot \`$slot\` at $traffic%: $smoke_line" "" \
  "Traffic: before \`$before\` → after \`$after\`.${RELEASE_ALIAS:+ Alias @$RELEASE_ALIAS moved to it.}" ""
ci_log "promoted: slot $slot at $traffic% ($after)"
