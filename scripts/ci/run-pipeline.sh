#!/usr/bin/env bash
# Runs the integration compare pipeline (transform -> train -> champion -> compare) and hands its
# outcome to the gate step. One switch picks the backend:
#   AML_PIPELINE_MODE=local    aml-pipeline run (this machine; the default, and the rehearsal)
#   AML_PIPELINE_MODE=azureml  aml-pipeline submit --wait on the dev Azure ML workspace
#                              (AZURE_SUBSCRIPTION_ID, AML_DEV_RESOURCE_GROUP, AML_DEV_WORKSPACE,
#                              AML_DEV_COMPUTE); the compare step fails there on a rejection (exit 3
#                              of --wait) and its log holds the reasons; an approved job's outputs
#                              are downloaded (aml-pipeline download --all) for the register step
# A gate rejection is a result, not a failure of this step: it exits 0 with outcome=rejected and
# the gate step fails the job with the reasons. Any other pipeline failure exits 1.
# A run whose decision.json is missing is a failure, never an approval.
# Inputs: AMLOPS_HOME; optional PIPELINE_FILE (pipelines/integration-compare-pipeline.yaml),
#   DATA_PATH (raw CSV folder; empty: aml-datagen writes AML_SAMPLE_ROWS rows, default 20000,
#   seed AML_SAMPLE_SEED, default 42), AML_MODEL_NAME (taxi-fare), AML_PIPELINE_SET (extra
#   `--set K=V` overrides, one per line), AML_DEV_COMPUTE (azureml mode: the compute cluster),
#   AML_BLOB_ENDPOINT (azureml mode: the datastore account URL when it is reached through a private
#   endpoint name), AML_POLL_SECONDS (azureml mode: first status poll, default 2).
# Outputs: outcome (approved|rejected), run_id, model_dir, decision_dir, test_dir (local folders;
#   azureml mode: the downloaded outputs of an approved job), compare_log (azureml mode: the
#   compare step's log).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_require AMLOPS_HOME
mode="${AML_PIPELINE_MODE:-local}"
pipeline="${PIPELINE_FILE:-$ci_root/pipelines/integration-compare-pipeline.yaml}"
model="${AML_MODEL_NAME:-taxi-fare}"
[[ -f "$pipeline" ]] || ci_fail 2 "PIPELINE_FILE: no such file: $pipeline"

data="${DATA_PATH:-}"
if [[ -z "$data" ]]; then
  data="$ci_tmp/raw-data"
  rows="${AML_SAMPLE_ROWS:-20000}" seed="${AML_SAMPLE_SEED:-42}"
  [[ "$rows" =~ ^[1-9][0-9]*$ ]] || ci_fail 2 "AML_SAMPLE_ROWS must be a positive integer, got '$rows'"
  ci_log "no DATA_PATH: generating $rows sample rows (seed $seed)"
  aml-datagen --rows "$rows" --seed "$seed" --output "$data" > "$ci_tmp/datagen.json"
fi
[[ -d "$data" ]] || ci_fail 2 "DATA_PATH: no such folder: $data"

sets=(--set "inputs.raw_data.path=$data" --set "inputs.model_name=$model" --set "inputs.registry=dev")
while IFS= read -r kv; do
  [[ -n "$kv" ]] && sets+=(--set "$kv")
done <<< "${AML_PIPELINE_SET:-}"

result="$ci_tmp/pipeline.json"
set +e
case "$mode" in
  local)
    aml-pipeline run "$pipeline" --workspace "$AMLOPS_HOME" "${sets[@]}" > "$result"
    rc=$? ;;
  azureml)
    ci_require AZURE_SUBSCRIPTION_ID AML_DEV_RESOURCE_GROUP AML_DEV_WORKSPACE AML_DEV_COMPUTE
    aml_ws="azureml://subscriptions/$AZURE_SUBSCRIPTION_ID/resourceGroups/$AML_DEV_RESOURCE_GROUP/workspaces/$AML_DEV_WORKSPACE"
    azure=(--aml-workspace "$aml_ws" --poll-seconds "${AML_POLL_SECONDS:-2}")
    # The repository variable of sovereign clouds (and the rehearsal's emulator), under the name
    # the credential chain and ARM client read.
    if [[ -n "${AZURE_ARM_ENDPOINT:-}" && -z "${AZURE_RESOURCE_MANAGER_ENDPOINT:-}" ]]; then
      export AZURE_RESOURCE_MANAGER_ENDPOINT="$AZURE_ARM_ENDPOINT"
    fi
    [[ -n "${AML_BLOB_ENDPOINT:-}" ]] && azure+=(--blob-endpoint "$AML_BLOB_ENDPOINT")
    # The gate speaks through the compare step's exit code: a rejected job publishes no decision.
    aml-pipeline submit "$pipeline" --wait "${azure[@]}" --workspace "$AMLOPS_HOME" "${sets[@]}" \
      --set jobs.compare.inputs.no_fail=false --set "settings.default_compute=azureml:$AML_DEV_COMPUTE" > "$result"
    rc=$? ;;
  *) set -e; ci_fail 2 "AML_PIPELINE_MODE must be local or azureml, got '$mode'" ;;
esac
set -e
[[ -s "$result" ]] || ci_fail 1 "aml-pipeline printed no result (exit $rc)"
run_id="$(jq -r '.result.run_id // .result.name // empty' "$result")"  # local run id | Azure ML job name

# The run's outputs: local runs write folders in the workspace; an approved Azure ML job's are
# downloaded here (the register step needs the model and decision folders on this runner).
outputs_of() {  # prints NAME<TAB>DIR for model, decision, test_data
  if [[ "$mode" == local ]]; then
    aml-pipeline show "${run_id:-latest}" --workspace "$AMLOPS_HOME" > "$ci_tmp/run.json"
    jq -r '.result.outputs | to_entries[] | "\(.key)\t\(.value)"' "$ci_tmp/run.json"
  elif [[ "$rc" == 0 && -n "$run_id" ]]; then
    aml-pipeline download "$run_id" --all --output "$ci_tmp/job-outputs" "${azure[@]}" > "$ci_tmp/download.json" \
      2> "$ci_tmp/download.log" || { cat "$ci_tmp/download.log" >&2; ci_fail 1 "could not download the outputs of job $run_id"; }
    jq -r '.result.outputs | to_entries[] | "\(.key)\t\(.value.path)"' "$ci_tmp/download.json"
  fi
}
declare -A dir=()
outputs_of > "$ci_tmp/outputs.tsv" || true  # a failed local run may have no record; ci_fail still exits
while IFS=$'\t' read -r name path; do dir[$name]="$path"; done < "$ci_tmp/outputs.tsv"
if [[ -z "$run_id" && "$mode" == local && -s "$ci_tmp/run.json" ]]; then run_id="$(jq -r '.result.run_id // empty' "$ci_tmp/run.json")"; fi

# Locally the compare step publishes decision.json whatever the verdict: the outcome is its
# decision. On Azure ML the job's outcome is (compare exits 3 on a rejection there).
decision_file="${dir[decision]:-}/decision.json"
if [[ "$rc" == 0 && "$mode" == azureml ]]; then
  outcome=approved
elif [[ "$rc" == 0 && -f "$decision_file" ]]; then
  case "$(jq -r '.decision' "$decision_file")" in
    approve) outcome=approved ;;
    reject) outcome=rejected ;;
    *) ci_fail 1 "$decision_file: decision is neither approve nor reject" ;;
  esac
elif [[ "$rc" == 3 && "$mode" == azureml ]]; then
  outcome=rejected  # a gate step said no (submit --wait's exit 3)
  aml-pipeline logs "$run_id" --aml-workspace "$aml_ws" 2> "$ci_tmp/compare.log" > /dev/null || true
  ci_output compare_log "$ci_tmp/compare.log"
else
  jq -r '.result.jobs // {} | to_entries[] | "  \(.key): \(.value.status)"' "$result" >&2 || true
  ci_fail 1 "pipeline run ${run_id:-?} failed (aml-pipeline exit $rc, decision ${decision_file}); see its step logs: aml-pipeline show ${run_id:-latest}"
fi
ci_log "pipeline run $run_id: $outcome"
ci_output outcome "$outcome"
ci_output run_id "$run_id"
ci_output model_dir "${dir[model]:-}"
ci_output decision_dir "${dir[decision]:-}"
ci_output test_dir "${dir[test_data]:-}"
ci_summary "**Pipeline** \`$(basename "$pipeline")\` ($mode): run \`$run_id\` — $outcome" ""
