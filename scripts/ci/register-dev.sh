#!/usr/bin/env bash
# Registers the gate-approved candidate in the dev registry, tagged so the production release
# can find and trust it: integration=true, branch, commit SHA (aml-register reads GITHUB_SHA and
# GITHUB_REF_NAME itself), github_run_id, github_run_attempt and the pipeline run. On a push (not
# on a pull request) the dev `champion` alias moves to the new version: pull requests register
# for inspection but never change what later runs compare against or deploy.
# Inputs: AMLOPS_HOME MODEL_DIR DECISION_DIR GITHUB_SHA GITHUB_REF_NAME GITHUB_RUN_ID;
#   optional AML_MODEL_NAME (taxi-fare), GITHUB_EVENT_NAME, GITHUB_HEAD_REF (the PR's branch),
#   PIPELINE_RUN_ID, PIPELINE_NAME (integration-compare-pipeline).
# Outputs: model_name, version, model_uri, created (false when identical files were registered).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_require AMLOPS_HOME MODEL_DIR DECISION_DIR GITHUB_SHA GITHUB_REF_NAME GITHUB_RUN_ID
model="${AML_MODEL_NAME:-taxi-fare}"
if [[ "$MODEL_DIR" == azureml://* ]]; then
  ci_fail 2 "MODEL_DIR is an Azure ML job output ($MODEL_DIR): aml-register needs the model folder on this runner (download the job's model and decision outputs first)"
fi
# On a pull_request GITHUB_REF_NAME is "<n>/merge"; the branch people know is the head branch.
branch="${GITHUB_HEAD_REF:-$GITHUB_REF_NAME}"
args=(--model "$MODEL_DIR" --decision "$DECISION_DIR" --registry dev --name "$model"
      --tag integration=true --tag "branch=$branch" --tag "commit_sha=$GITHUB_SHA"
      --tag "github_run_id=$GITHUB_RUN_ID" --tag "github_run_attempt=${GITHUB_RUN_ATTEMPT:-1}")
[[ -n "${PIPELINE_RUN_ID:-}" ]] && args+=(--tag "pipeline_run=$PIPELINE_RUN_ID")
[[ "${GITHUB_EVENT_NAME:-push}" == pull_request ]] || args+=(--set-alias champion)

result="$ci_tmp/register.json"
# The version's source record (lineage: "pipeline <name>, pipeline run <id>").
export AMLOPS_PIPELINE_NAME="${PIPELINE_NAME:-integration-compare-pipeline}"
if [[ -n "${PIPELINE_RUN_ID:-}" ]]; then export AMLOPS_RUN_ID="$PIPELINE_RUN_ID" AMLOPS_PIPELINE_RUN_ID="$PIPELINE_RUN_ID"; fi
aml-register "${args[@]}" --output "$ci_tmp/registration" > "$result" \
  || ci_fail 1 "aml-register failed (exit $?)"
[[ "$(ci_json "$result" '.result.registered')" == true ]] || ci_fail 3 "the decision in $DECISION_DIR does not approve: nothing registered"
uri="$(ci_json "$result" '.result.uri')"
version="$(ci_json "$result" '.result.version')"
created="$(ci_json "$result" '.result.created')"
ci_log "registered $uri (new version: $created)"
ci_output model_name "$model"
ci_output version "$version"
ci_output model_uri "$uri"
ci_output created "$created"
ci_summary "## Registered in dev" "" "\`$uri\` — tags integration=true, branch=$branch, commit_sha=${GITHUB_SHA:0:12}, github_run_id=$GITHUB_RUN_ID$([[ "${GITHUB_EVENT_NAME:-push}" == pull_request ]] || echo ", alias champion")" ""
