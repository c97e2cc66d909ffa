#!/usr/bin/env bash
# Finds the vetted dev version the production release starts from, and refuses anything the
# integration flow did not vet. In order: MODEL_VERSION (a workflow_dispatch input), else the dev
# alias AML_DEV_ALIAS (default champion, moved by integration pushes), else the newest dev version
# tagged integration=true. The version must carry the integration tags (integration=true,
# commit_sha, github_run_id): exit 3 naming the missing one.
# Inputs: AMLOPS_HOME; optional MODEL_VERSION, AML_MODEL_NAME (taxi-fare), AML_DEV_ALIAS.
# Outputs: model_name, dev_version, dev_uri, commit_sha, branch, github_run_id, pipeline_run.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_require AMLOPS_HOME
model="${AML_MODEL_NAME:-taxi-fare}"
alias="${AML_DEV_ALIAS:-champion}"
base="azureml://registries/dev/models/$model"
shown="$ci_tmp/dev-version.json"
if [[ -n "${MODEL_VERSION:-}" ]]; then
  [[ "$MODEL_VERSION" =~ ^[0-9]+$ ]] || ci_fail 2 "MODEL_VERSION must be a version number, got '$MODEL_VERSION'"
  how="input model version $MODEL_VERSION"
  uri="$base/versions/$MODEL_VERSION"
elif aml-register show "$base@$alias" > "$shown" 2> "$ci_tmp/dev-alias.log"; then
  how="dev alias @$alias"
  uri="$base@$alias"
else
  aml-register list --registry dev --name "$model" --tag integration=true > "$ci_tmp/dev-tagged.json" \
    || ci_fail 1 "cannot list $model in the dev registry"
  latest="$(jq -r '[.result.versions[]? // .result[]? | .version | tonumber] | max // empty' "$ci_tmp/dev-tagged.json")"
  [[ -n "$latest" ]] || ci_fail 3 "no vetted version: $base has no @$alias and no version tagged integration=true"
  how="newest version tagged integration=true"
  uri="$base/versions/$latest"
fi
aml-register show "$uri" > "$shown" 2> "$ci_tmp/dev-show.log" || { cat "$ci_tmp/dev-show.log" >&2; ci_fail 3 "$uri does not exist (or failed verification) in the dev registry"; }
version="$(ci_json "$shown" '.result.version')"
tag() { jq -r --arg k "$1" '.result.tags[$k] // empty' "$shown"; }
for required in integration commit_sha github_run_id; do
  [[ -n "$(tag "$required")" ]] || ci_fail 3 "$base/versions/$version lacks the integration tag '$required': it was not registered by the integration flow"
done
[[ "$(tag integration)" == true ]] || ci_fail 3 "$base/versions/$version is tagged integration=$(tag integration), not true"
ci_log "vetted dev version: $base/versions/$version ($how)"
ci_output model_name "$model"
ci_output dev_version "$version"
ci_output dev_uri "$base/versions/$version"
ci_output commit_sha "$(tag commit_sha)"
ci_output branch "$(tag branch)"
ci_output github_run_id "$(tag github_run_id)"
ci_output pipeline_run "$(tag pipeline_run)"
ci_summary "**Vetted dev version:** \`$base/versions/$version\` ($how; commit $(tag commit_sha | cut -c1-12), integration run $(tag github_run_id))" ""
