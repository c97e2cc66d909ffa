#!/usr/bin/env bash
# The production release's lineage in the job summary, one chain from code to live traffic:
# commit -> integration run (GitHub run + pipeline run) -> dev version -> prod version ->
# endpoint + traffic, followed by the registry's own lineage record of the prod version.
# Runs after the release whatever its outcome (`if: always()`), so a rollback is documented too.
# Inputs: COMMIT_SHA GITHUB_RUN_ID_INTEGRATION DEV_URI; optional BRANCH PIPELINE_RUN PROD_URI
#   ENDPOINT RELEASE_STATUS TRAFFIC PREVIOUS_TRAFFIC, AMLOPS_HOME, GITHUB_SERVER_URL +
#   GITHUB_REPOSITORY (links to the integration run).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_require COMMIT_SHA GITHUB_RUN_ID_INTEGRATION DEV_URI
run_ref="GitHub run $GITHUB_RUN_ID_INTEGRATION"
if [[ -n "${GITHUB_SERVER_URL:-}" && -n "${GITHUB_REPOSITORY:-}" ]]; then
  run_ref="[GitHub run $GITHUB_RUN_ID_INTEGRATION]($GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID_INTEGRATION)"
fi
status="${RELEASE_STATUS:-not released}"
code() { if [[ -n "$1" ]]; then printf '`%s`' "$1"; else printf '—'; fi; }
{
  echo "## Lineage"
  echo
  echo "| link | value |"
  echo "|---|---|"
  echo "| commit | \`$COMMIT_SHA\`${BRANCH:+ ($BRANCH)} |"
  echo "| integration run | $run_ref${PIPELINE_RUN:+, pipeline run \`$PIPELINE_RUN\`} |"
  echo "| dev version | \`$DEV_URI\` |"
  echo "| prod version | $(code "${PROD_URI:-}") |"
  echo "| endpoint | $(code "${ENDPOINT:-}") |"
  echo "| release | $status |"
  echo "| traffic | $(code "${TRAFFIC:-}")${PREVIOUS_TRAFFIC:+ (before: \`$PREVIOUS_TRAFFIC\`)} |"
  echo
  echo "\`$COMMIT_SHA\` → $run_ref → \`$DEV_URI\` → $(code "${PROD_URI:-}") → $(code "${ENDPOINT:-}") $(code "${TRAFFIC:-}") ($status)"
  echo
} >> "$GITHUB_STEP_SUMMARY"
if [[ -n "${PROD_URI:-}" && -n "${AMLOPS_HOME:-}" ]]; then
  if aml-register lineage "$PROD_URI" > "$ci_tmp/lineage.json" 2> "$ci_tmp/lineage.txt"; then
    { echo "Registry lineage of \`$PROD_URI\`:"; echo; echo '```'; cat "$ci_tmp/lineage.txt"; echo '```'; echo; } >> "$GITHUB_STEP_SUMMARY"
  else
    ci_log "warning: aml-register lineage $PROD_URI failed; the table above still holds the chain"
  fi
fi
