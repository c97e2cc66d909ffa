#!/usr/bin/env bash
# The quality gate's verdict in the job summary: decision, reasons and the candidate's and
# champion's metrics on the same test rows. Exit 3 when the gate rejected the candidate (the job
# fails, nothing is registered), 0 when it approved.
# Inputs: PIPELINE_OUTCOME (approved|rejected, from run-pipeline.sh), DECISION_DIR (the compare
#   step's output folder with decision.json; an azureml:// URI when an Azure ML job holds it),
#   optional COMPARE_LOG (the compare step's log of an Azure ML job: its reasons).
# Outputs: decision (approve|reject), primary_metric, candidate_value.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_require PIPELINE_OUTCOME
file="${DECISION_DIR:-}/decision.json"
if [[ "${DECISION_DIR:-}" == azureml://* ]]; then
  # An Azure ML job: its compare step exited 0 (approve) or 3 (reject, the job failed).
  case "$PIPELINE_OUTCOME" in
    approved) ci_summary "## Quality gate: approved" "" "Decision: \`$DECISION_DIR/decision.json\`" ""
              ci_output decision approve; exit 0 ;;
    rejected) { echo "## Quality gate: rejected"; echo; echo '```'
                grep -iE 'reject|reason|limit|worse|champion' "${COMPARE_LOG:-/dev/null}" | tail -n 20 || true
                echo '```'; echo; } >> "$GITHUB_STEP_SUMMARY"
              ci_output decision reject; exit 3 ;;
    *) ci_fail 2 "PIPELINE_OUTCOME must be approved or rejected, got '$PIPELINE_OUTCOME'" ;;
  esac
fi
if [[ -z "${DECISION_DIR:-}" || ! -f "$file" ]]; then
  ci_fail 1 "no decision.json in '${DECISION_DIR:-}' (the run was $PIPELINE_OUTCOME): a missing decision is never an approval"
fi
decision="$(jq -r '.decision' "$file")"
[[ "$decision" == approve || "$decision" == reject ]] || ci_fail 1 "$file: decision must be approve or reject, got '$decision'"
metric="$(jq -r '.primary_metric // "rmse"' "$file")"
{
  if [[ "$decision" == approve ]]; then echo "## Quality gate: approved"; else echo "## Quality gate: rejected"; fi
  echo
  echo "Reasons:"
  jq -r '.reasons[]? | "- \(.)"' "$file"
  echo
  echo "| metric | candidate | champion | delta |"
  echo "|---|---|---|---|"
  jq -r '.metrics as $m | ($m.candidate // {}) | keys[] as $k
         | select(($m.candidate[$k] | type) == "number")
         | "| \($k) | \($m.candidate[$k]) | \(($m.champion // {})[$k] // "—") | \(($m.delta // {})[$k] // "—") |"' "$file"
  echo
} >> "$GITHUB_STEP_SUMMARY"
ci_output decision "$decision"
ci_output primary_metric "$metric"
ci_output candidate_value "$(jq -r --arg m "$metric" '.metrics.candidate[$m] // empty' "$file")"
if [[ "$decision" == reject ]]; then
  ci_log "rejected: $(jq -r '[.reasons[]?] | join("; ")' "$file")"
  exit 3
fi
ci_log "approved"
