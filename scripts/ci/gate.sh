#!/usr/bin/env bash
# The quality gate's verdict in the job summary: decision, reasons and the candidate's and
# champion's metrics on the same test rows. Exit 3 when the gate rejected the candidate (the job
# fails, nothing is registered), 0 when it approved.
# Inputs: PIPELINE_OUTCOME (approved|rejected, from run-pipeline.sh), DECISION_DIR (the compare
#   step's output folder with decision.json; may be empty when an Azure ML run kept its outputs).
# Outputs: decision (approve|reject), primary_metric, candidate_value.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_require PIPELINE_OUTCOME
file="${DECISION_DIR:-}/decision.json"
if [[ -z "${DECISION_DIR:-}" || ! -f "$file" ]]; then
  [[ "$PIPELINE_OUTCOME" == rejected ]] || ci_fail 1 "no decision.json in '${DECISION_DIR:-}' although the run was $PIPELINE_OUTCOME"
  ci_summary "## Quality gate: rejected" "" "The compare step rejected the candidate; its decision.json was not available here (see the run's compare step log)." ""
  ci_output decision reject
  exit 3
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
