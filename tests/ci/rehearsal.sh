#!/usr/bin/env bash
# The CI/CD rehearsal: runs the integration flow (.github/workflows/integration-ml-ci.yml) and the
# production flow (prod-ml-release.yml) end to end on this machine - the same scripts/ci steps in
# the workflows' order, with the environment GitHub Actions gives a job (GITHUB_SHA,
# GITHUB_REF_NAME, GITHUB_RUN_ID, GITHUB_EVENT_NAME, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
# RUNNER_TEMP, ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN, ...) and step outputs wired the way the
# workflows' `env:` wire them. Azure is the loopback emulator (Entra ID with federated
# credentials for GitHub's OIDC issuer, Azure ML registries dev-reg and prod-reg), GitHub's ID
# token service a loopback fake (amlops-ci-fixture); pipelines run locally (aml-pipeline run; the remote run submits to the emulator) and
# the endpoints are local aml-predict servers (local://). Four runs, asserted on their job summaries:
#   first   - the first model: integration -> dev v1 (no dev endpoint yet: dev-deploy skipped);
#             an operator promotes it and creates both endpoints serving it at 100%
#   good    - a better model: gate approves, dev v2 with the integration tags, dev endpoint 30%,
#             prod release at 30% with a passing smoke test; lineage commit -> run -> dev -> prod
#   worse   - a worse model: the gate rejects it, the job fails with the reasons, nothing registered
#   broken  - a dev version whose artifact the server cannot load: the prod smoke test fails, the
#             traffic is restored exactly (checked on the endpoint itself, not only in the summary)
#             and the prod champion alias stays on the last good version
#   remote  - the integration flow in AML_PIPELINE_MODE=azureml: submitted to the dev workspace,
#             the approved job's outputs downloaded and registered
# plus: a job whose OIDC subject is not federated is refused by Entra (AADSTS70021), and no token
# ever appears in a log or summary. Artifacts stay in $AMLOPS_TEST_TMP/ci-rehearsal.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${AMLOPS_BIN_DIR:-$root/build/bin}"
T="${AMLOPS_TEST_TMP:-${TMPDIR:-/tmp}}/ci-rehearsal"
rows="${REHEARSAL_ROWS:-6000}"
export PATH="$bin:$PATH"
for tool in amlops-ci-fixture aml-pipeline aml-register aml-promote aml-deploy aml-predict aml-datagen; do
  [[ -x "$bin/$tool" ]] || { echo "rehearsal: $bin/$tool is not built" >&2; exit 1; }
done
rm -rf "$T"
mkdir -p "$T"
failures=0
check() {  # check DESCRIPTION COMMAND...: one assertion, reported, counted
  local what="$1"; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
contains() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qF -- "$2" "$1"; }

# ------------------------------------------------------------------ GitHub + Azure (loopback)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/issuer.key" -out "$T/issuer.pem" -days 1 \
  -subj "/CN=token.actions.githubusercontent.com" 2> /dev/null
repo=amlops-org/amlops
endpoint_secret="endpoint-identity-$RANDOM$RANDOM"
mkfifo "$T/fixture.in"
amlops-ci-fixture --env-file "$T/fixture.env" --issuer-cert "$T/issuer.pem" --issuer-key "$T/issuer.key" \
  --client-secret "$endpoint_secret" \
  --trust "repo:$repo:ref:refs/heads/integration" --trust "repo:$repo:environment:production" \
  --trust "repo:$repo:pull_request" \
  --job "idt-integration-push=repo:$repo:ref:refs/heads/integration" \
  --job "idt-production-env=repo:$repo:environment:production" \
  --job "idt-feature-branch=repo:$repo:ref:refs/heads/feature/unvetted" \
  < "$T/fixture.in" > "$T/fixture.log" 2>&1 &
fixture_pid=$!
exec 7> "$T/fixture.in"  # the fixture serves until this closes
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2> /dev/null || true; done
  exec 7>&- || true
  wait "$fixture_pid" 2> /dev/null || true
  for pid in "${servers[@]}"; do wait "$pid" 2> /dev/null || true; done
}
trap cleanup EXIT
for _ in $(seq 300); do [[ -s "$T/fixture.env" ]] && break; sleep 0.1; done
[[ -s "$T/fixture.env" ]] || { cat "$T/fixture.log" >&2; echo "rehearsal: the fixture did not start" >&2; exit 1; }
source "$T/fixture.env"

# The endpoints: aml-predict servers resolving models from the same Azure ML registries, signed
# in with their own identity (a client secret here; a managed identity on Azure).
mkdir -p "$T/endpoint-home"
registry_config() {
  printf 'registries:\n'
  printf "  %s: {backend: azureml, subscription: sub-1, resource_group: rg-ml, registry: %s, arm_endpoint: '%s', authority_host: '%s'}\n" \
    dev dev-reg "$EMULATOR_URL" "$EMULATOR_URL" prod prod-reg "$EMULATOR_URL" "$EMULATOR_URL"
}
registry_config > "$T/endpoint-home/config.yaml"
start_endpoint() {  # start_endpoint NAME MODEL_URI: the endpoint as created, serving MODEL_URI as blue
  local name="$1" model="$2"
  AMLOPS_HOME="$T/endpoint-home" AZURE_TENANT_ID=emulator-tenant AZURE_CLIENT_ID=emulator-client \
    AZURE_CLIENT_SECRET="$endpoint_secret" OMP_NUM_THREADS=1 \
    aml-predict serve --port 0 --port-file "$T/$name.port" --threads 1 --workspace "$T/endpoint-home" --deployment "blue=$model" \
    < /dev/null > /dev/null 2> "$T/$name-endpoint.log" &
  servers+=($!)
  for _ in $(seq 300); do [[ -s "$T/$name.port" ]] && break; sleep 0.1; done
  [[ -s "$T/$name.port" ]] || { cat "$T/$name-endpoint.log" >&2; echo "rehearsal: endpoint $name did not start" >&2; exit 1; }
  # The server listens before its models load (GET / answers 503 until then).
  for _ in $(seq 600); do [[ "$(http_get "$name" /)" == 200* ]] && return 0; sleep 0.1; done
  cat "$T/$name-endpoint.log" >&2; echo "rehearsal: endpoint $name never became ready" >&2; exit 1
}
dev_endpoint=""   # vars.AML_DEV_ENDPOINT: empty until the endpoint exists (dev-deploy is skipped)
prod_endpoint=""
# http_get ENDPOINT PATH: "<status> <body>" from the endpoint's server (bash's /dev/tcp: no HTTP
# client package needed).
http_get() {
  local port reply; port="$(cat "$T/$1.port")"
  exec 5<> "/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&5
  reply="$(cat <&5)"
  exec 5>&-
  printf '%s %s\n' "$(head -n1 <<< "$reply" | cut -d' ' -f2)" "$(sed '1,/^\r$/d' <<< "$reply")"
}
# The endpoint's live traffic, read from the server itself.
live_traffic() { http_get "$1" /admin/traffic | cut -d' ' -f2- | jq -c --sort-keys '.traffic // .'; }

# What an operator runs from a jumpbox (the endpoints' identity, not the workflows' OIDC).
as_operator() {
  env AMLOPS_HOME="$T/endpoint-home" AZURE_TENANT_ID=emulator-tenant AZURE_CLIENT_ID=emulator-client \
    AZURE_CLIENT_SECRET="$endpoint_secret" "$@" < /dev/null 2>> "$T/operator.log"
}

# ------------------------------------------------------------------ the Actions runner side
# Repository variables (vars.*) as the workflows read them; the emulator stands in for Azure.
vars_env=(AZURE_CLIENT_ID=emulator-client AZURE_TENANT_ID=emulator-tenant AZURE_SUBSCRIPTION_ID=sub-1
  AML_DEV_RESOURCE_GROUP=rg-ws-dev AML_DEV_REGISTRY=dev-reg AML_DEV_WORKSPACE=mlw-dev AML_DEV_COMPUTE=cpu-cluster
  AML_DEV_REGISTRY_ID=/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/registries/dev-reg
  AZURE_ARM_ENDPOINT="$EMULATOR_URL" AZURE_AUTHORITY_HOST="$EMULATOR_URL"
  AML_MODEL_NAME=taxi-fare AML_PIPELINE_MODE=local AML_SMOKE_MAX_RMSE=12)
github_env=(CI=true GITHUB_ACTIONS=true GITHUB_REPOSITORY="$repo" GITHUB_SERVER_URL=https://github.com
  GITHUB_WORKSPACE="$root" GITHUB_RUN_ATTEMPT=1 GITHUB_ACTOR=rehearsal ACTIONS_ID_TOKEN_REQUEST_URL="$OIDC_REQUEST_URL")
job_env=()
# step JOB_DIR STEP_ID SCRIPT [VAR=VALUE...]: one workflow step - fresh GITHUB_OUTPUT and
# GITHUB_STEP_SUMMARY files (GitHub gives each step its own), the summary appended to the job's.
step() {
  local job="$1" id="$2" script="$3"; shift 3
  mkdir -p "$job"
  : > "$job/$id.output"; : > "$job/$id.summary"
  echo "$(basename "$job"): $script" >> "$job/trace"
  local rc=0
  env -i PATH="$PATH" HOME="${HOME:-/root}" "${github_env[@]}" "${job_env[@]}" "$@" \
    GITHUB_OUTPUT="$job/$id.output" GITHUB_STEP_SUMMARY="$job/$id.summary" GITHUB_ENV="$job/github.env" \
    bash "$root/scripts/ci/$script" > "$job/$id.stdout" 2> "$job/$id.log" || rc=$?
  cat "$job/$id.summary" >> "$job/summary.md"
  echo "$rc" > "$job/$id.rc"
  return "$rc"
}
out() { sed -n "s/^$3=//p" "$1/$2.output" | tail -n1; }
new_job() {  # new_job DIR JOB_ID REQUEST_TOKEN VAR=VALUE...: the environment of a fresh runner
  local dir="$1" id="$2" token="$3"; shift 3
  mkdir -p "$dir/tmp"
  job_env=("${vars_env[@]}" GITHUB_JOB="$id" RUNNER_TEMP="$dir/tmp" AMLOPS_HOME="$dir/home"
           ACTIONS_ID_TOKEN_REQUEST_TOKEN="$token" "$@")
}

# integration-ml-ci on a push to integration: jobs aml-compare, then dev-deploy.
# integration NAME COMMIT RUN_ID PIPELINE_SET -> 0 released to dev, 3 stopped at the gate, 1 failed
integration() {  # ... [VAR=VALUE...]: repository variables that differ for this run
  local name="$1" sha="$2" run="$3" sets="$4"; shift 4
  local push=(GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/integration GITHUB_REF_NAME=integration
              GITHUB_SHA="$sha" GITHUB_RUN_ID="$run" "$@")
  local job="$T/$name/aml-compare"
  new_job "$job" aml-compare idt-integration-push "${push[@]}"
  step "$job" login azure-login.sh || return 1
  step "$job" pipeline run-pipeline.sh AML_PIPELINE_SET="$sets" AML_SAMPLE_ROWS="$rows" || return 1
  local rc=0
  step "$job" gate gate.sh PIPELINE_OUTCOME="$(out "$job" pipeline outcome)" \
    DECISION_DIR="$(out "$job" pipeline decision_dir)" || rc=$?
  [[ $rc -eq 0 ]] || return "$rc"
  step "$job" register register-dev.sh MODEL_DIR="$(out "$job" pipeline model_dir)" \
    DECISION_DIR="$(out "$job" pipeline decision_dir)" PIPELINE_RUN_ID="$(out "$job" pipeline run_id)" || return 1
  # `if: vars.AML_DEV_ENDPOINT != '' && github.event_name == 'push'`
  [[ -n "$dev_endpoint" ]] || return 0
  local deploy="$T/$name/dev-deploy"
  new_job "$deploy" dev-deploy idt-integration-push "${push[@]}"
  step "$deploy" login azure-login.sh || return 1
  step "$deploy" deploy deploy.sh STAGE=dev ENDPOINT="$dev_endpoint" \
    MODEL_URI="$(out "$job" register model_uri)" TRAFFIC_PERCENT=30 SMOKE_MAX_RMSE=12
}

# prod-ml-release dispatched on main: one job in environment `production`.
# prod NAME RUN_ID [MODEL_VERSION] -> 0 released, 3 rolled back or refused, 1 failed
prod() {
  local name="$1" run="$2" version="${3:-}"
  local job="$T/$name/promote-and-deploy"
  new_job "$job" promote-and-deploy idt-production-env GITHUB_EVENT_NAME=workflow_dispatch GITHUB_REF=refs/heads/main \
    GITHUB_REF_NAME=main GITHUB_SHA=5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e GITHUB_RUN_ID="$run" \
    AML_PROD_RESOURCE_GROUP=rg-ws-prod AML_PROD_REGISTRY=prod-reg AML_PROD_WORKSPACE=mlw-prod \
    AML_PROD_REGISTRY_ID=/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/registries/prod-reg
  step "$job" login azure-login.sh || return 1
  step "$job" resolve resolve-dev-version.sh MODEL_VERSION="$version" || return $?
  local rc=0
  step "$job" promote promote-prod.sh DEV_VERSION="$(out "$job" resolve dev_version)" || rc=$?
  if [[ $rc -eq 0 ]]; then
    step "$job" deploy deploy.sh STAGE=prod RELEASE_ALIAS=champion ENDPOINT="$prod_endpoint" MODEL_URI="$(out "$job" promote prod_uri)" \
      TRAFFIC_PERCENT=30 SMOKE_MAX_RMSE=12 || rc=$?
  fi
  # `if: always() && steps.resolve.outcome == 'success'`
  step "$job" lineage lineage-summary.sh COMMIT_SHA="$(out "$job" resolve commit_sha)" \
    BRANCH="$(out "$job" resolve branch)" GITHUB_RUN_ID_INTEGRATION="$(out "$job" resolve github_run_id)" \
    PIPELINE_RUN="$(out "$job" resolve pipeline_run)" DEV_URI="$(out "$job" resolve dev_uri)" \
    PROD_URI="$(out "$job" promote prod_uri)" ENDPOINT="$prod_endpoint" RELEASE_STATUS="$(out "$job" deploy status)" \
    TRAFFIC="$(out "$job" deploy traffic)" PREVIOUS_TRAFFIC="$(out "$job" deploy previous_traffic)" || return 1
  return "$rc"
}
show() { echo "---- $1"; cat "$1"; }
started=$(date +%s)

# ------------------------------------------------------------------ 0. OIDC subjects
new_job "$T/oidc-wrong-subject/job" aml-compare idt-feature-branch GITHUB_EVENT_NAME=push GITHUB_REF_NAME=feature/unvetted \
  GITHUB_SHA=feedfeedfeedfeedfeedfeedfeedfeedfeedfeed GITHUB_RUN_ID=900
rc=0; step "$T/oidc-wrong-subject/job" login azure-login.sh || rc=$?
check "a job whose OIDC subject has no federated credential cannot sign in (exit $rc)" test "$rc" -eq 1
check "Entra's refusal names the subject (AADSTS70021)" contains "$T/oidc-wrong-subject/job/login.log" "AADSTS70021"
new_job "$T/oidc-no-permission/job" aml-compare "" GITHUB_EVENT_NAME=push GITHUB_REF_NAME=integration \
  GITHUB_SHA=feedfeedfeedfeedfeedfeedfeedfeedfeedfeed GITHUB_RUN_ID=901
rc=0; step "$T/oidc-no-permission/job" login azure-login.sh ACTIONS_ID_TOKEN_REQUEST_URL= || rc=$?
check "without id-token: write the sign-in stops with a usage error naming the permission (exit $rc)" \
  contains "$T/oidc-no-permission/job/login.summary" "permissions: id-token: write"

# ------------------------------------------------------------------ 1. first model
small="jobs.train.inputs.n_estimators=25
jobs.train.inputs.max_depth=3"
rc=0; integration first 1111111111111111111111111111111111111111 1001 "$small" || rc=$?
check "first: the integration flow registers dev version 1 (exit $rc)" test "$(out "$T/first/aml-compare" register version)" = 1
check "first: no dev endpoint configured yet, so no dev-deploy job" test ! -d "$T/first/dev-deploy"
# The platform's starting point, made by an operator: v1 promoted to prod, and both endpoints
# created serving v1 (dev and prod copies) at 100%.
as_operator aml-promote --from dev --to prod --model taxi-fare --version 1 --set-alias champion > "$T/first-promote.json"
start_endpoint dev azureml://registries/dev/models/taxi-fare/versions/1
start_endpoint prod azureml://registries/prod/models/taxi-fare/versions/1
dev_endpoint="local://127.0.0.1:$(cat "$T/dev.port")"
prod_endpoint="local://127.0.0.1:$(cat "$T/prod.port")"
check "first: the prod endpoint serves prod version 1 at 100%" test "$(live_traffic prod)" = '{"blue":100}'

# ------------------------------------------------------------------ 2. a better model
good="jobs.train.inputs.n_estimators=60
jobs.train.inputs.max_depth=6"
good_sha=2222222222222222222222222222222222222222
rc=0; integration good "$good_sha" 1002 "$good" || rc=$?
check "good: the integration flow passes the gate, registers and releases to dev (exit $rc)" test "$rc" -eq 0
gj="$T/good/aml-compare"
check "good: gate summary says approved" contains "$gj/summary.md" "## Quality gate: approved"
check "good: registered as dev version 2" test "$(out "$gj" register version)" = 2
as_operator aml-register show azureml://registries/dev/models/taxi-fare/versions/2 > "$T/good/dev-v2.json" || true
for tag in integration=true branch=integration "commit_sha=$good_sha" github_run_id=1002; do
  check "good: dev version 2 is tagged $tag" test "$(jq -r --arg k "${tag%%=*}" '.result.tags[$k] // empty' "$T/good/dev-v2.json")" = "${tag#*=}"
done
check "good: the dev endpoint gives the new slot 30%" test "$(out "$T/good/dev-deploy" deploy traffic)" = '{"blue":70,"green":30}'
before_prod="$(live_traffic prod)"
rc=0; prod good 2002 || rc=$?
pj="$T/good/promote-and-deploy"
check "good: the prod release succeeds (exit $rc)" test "$rc" -eq 0
check "good: the vetted dev version resolved through the dev champion alias" contains "$pj/summary.md" "dev alias @champion"
check "good: promoted to prod" contains "$pj/summary.md" "azureml://registries/prod/models/taxi-fare/versions/"
check "good: prod at 30% with a passing smoke test" contains "$pj/summary.md" "at 30%: smoke test: passed"
check "good: prod traffic on the endpoint itself is blue 70 / green 30 (was $before_prod)" \
  test "$(live_traffic prod)" = '{"blue":70,"green":30}'
check "good: lineage chain commit -> run -> dev version -> prod version -> endpoint + traffic" \
  contains "$pj/summary.md" "\`$good_sha\` → [GitHub run 1002](https://github.com/$repo/actions/runs/1002) → \`azureml://registries/dev/models/taxi-fare/versions/2\` → \`azureml://registries/prod/models/taxi-fare/versions/2\` → \`$prod_endpoint\` \`{\"blue\":70,\"green\":30}\` (promoted)"
check "good: finalized: the prod champion alias is version 2" contains "$pj/summary.md" "Alias @champion moved to it."

# ------------------------------------------------------------------ 3. a worse model
worse="jobs.train.inputs.n_estimators=8
jobs.train.inputs.max_depth=2"
rc=0; integration worse 3333333333333333333333333333333333333333 1003 "$worse" || rc=$?
wj="$T/worse/aml-compare"
check "worse: the job fails at the gate step with exit 3 (got $rc)" test "$rc" -eq 3
check "worse: gate summary says rejected" contains "$wj/summary.md" "## Quality gate: rejected"
check "worse: the summary gives the reasons" grep -q '^- .*rmse' "$wj/summary.md"
check "worse: the summary compares candidate and champion" grep -q '^| rmse | [0-9.]* | [0-9.]* |' "$wj/summary.md"
check "worse: nothing was registered (no register step ran)" test ! -e "$wj/register.rc"
check "worse: no dev-deploy job ran" test ! -d "$T/worse/dev-deploy"
as_operator aml-register list --registry dev --name taxi-fare > "$T/worse/dev-list.json" || true
check "worse: the dev registry still has 2 versions" test "$(jq '[.result.versions[]? // .result[]?] | length' "$T/worse/dev-list.json")" = 2

# ------------------------------------------------------------------ 4. a broken model
# A dev version that passed integration but is broken for serving: the good model's artifact after
# a post-processing tool rewrote model.json (jq normalises 5.0E-1-style floats and integral
# floats to integers, which xgboost refuses to load) and re-hashed its manifest.json (so the
# folder passes the integrity check: well-formed JSON, matching hashes), registered with the
# integration tags the way the integration flow registers - what the prod smoke test exists to catch.
broken_model="$T/broken/model"
mkdir -p "$T/broken"
cp -r "$(out "$gj" pipeline model_dir)" "$broken_model"
jq -c . "$broken_model/model.json" > "$broken_model/model.json.tmp"
mv "$broken_model/model.json.tmp" "$broken_model/model.json"
broken_sha=$(sha256sum "$broken_model/model.json" | cut -d' ' -f1)
jq --arg s "$broken_sha" '.model_sha256 = $s | if .files then .files["model.json"] = $s else . end' \
  "$broken_model/manifest.json" > "$broken_model/manifest.json.tmp"
mv "$broken_model/manifest.json.tmp" "$broken_model/manifest.json"
new_job "$T/broken/register" aml-compare idt-integration-push GITHUB_EVENT_NAME=pull_request \
  GITHUB_REF_NAME=7/merge GITHUB_HEAD_REF=feature/units GITHUB_SHA=4444444444444444444444444444444444444444 GITHUB_RUN_ID=1004
step "$T/broken/register" login azure-login.sh > /dev/null || true
rc=0; step "$T/broken/register" register register-dev.sh MODEL_DIR="$broken_model" \
  DECISION_DIR="$(out "$gj" pipeline decision_dir)" || rc=$?
check "broken: registered in dev as version 3 (exit $rc)" test "$(out "$T/broken/register" register version)" = 3
before_prod="$(live_traffic prod)"
rc=0; prod broken 2004 3 || rc=$?
bj="$T/broken/promote-and-deploy"
check "broken: the prod job fails with exit 3 (got $rc)" test "$rc" -eq 3
check "broken: summary says rolled back" contains "$bj/summary.md" "## prod release: rolled back"
check "broken: summary shows the failed smoke test" contains "$bj/summary.md" "smoke test: failed"
check "broken: summary shows the traffic restored exactly" contains "$bj/summary.md" "Traffic restored exactly: before \`$before_prod\`, after \`$before_prod\`"
check "broken: the endpoint's live traffic is exactly what it was ($before_prod)" test "$(live_traffic prod)" = "$before_prod"
check "broken: the lineage table still documents the attempt" contains "$bj/summary.md" "| release | rolled_back |"
as_operator aml-register show azureml://registries/prod/models/taxi-fare@champion > "$T/broken/prod-champion.json" || true
check "broken: the prod champion alias still names version 2 (not the rolled-back 3)" \
  test "$(jq -r '.result.version' "$T/broken/prod-champion.json")" = 2

# ------------------------------------------------------------------ 5. on Azure ML compute
# The good model's integration flow with AML_PIPELINE_MODE=azureml: the pipeline is submitted to
# the dev workspace (the emulator runs its steps with the real binaries), the approved job's
# outputs are downloaded (aml-pipeline download) and the model registered in dev, its lineage
# naming the Azure ML job.
rc=0; integration remote 5555555555555555555555555555555555555555 1005 "$good" AML_PIPELINE_MODE=azureml \
  AML_BLOB_ENDPOINT="$EMULATOR_BLOB_ENDPOINT" AML_POLL_SECONDS=0.2 || rc=$?
rj="$T/remote/aml-compare"
check "remote: the flow on Azure ML passes the gate, registers and releases to dev (exit $rc)" test "$rc" -eq 0
check "remote: the pipeline step submitted a job (run id $(out "$rj" pipeline run_id))" grep -q '^run_id=integration-compare-pipeline-' "$rj/pipeline.output"
check "remote: the model folder was downloaded from the job" test -f "$(out "$rj" pipeline model_dir)/MLmodel"
check "remote: registered as dev version 4" test "$(out "$rj" register version)" = 4
as_operator aml-register show azureml://registries/dev/models/taxi-fare/versions/4 > "$T/remote/dev-v4.json" || true
check "remote: the dev version's pipeline_run tag is the Azure ML job" \
  test "$(jq -r '.result.tags.pipeline_run' "$T/remote/dev-v4.json")" = "$(out "$rj" pipeline run_id)"

# ------------------------------------------------------------------ wiring and secrets
# The rehearsal ran each job's scripts in the workflow's order.
workflow_scripts() {  # JOB FILE: the scripts/ci steps of one job, in order
  awk -v want="$1" '/^jobs:/ {in_jobs = 1; next}
    in_jobs && /^  [A-Za-z0-9_-]+:/ {job = $1; sub(":", "", job)}
    in_jobs && job == want && /run: scripts\/ci\// {s = $0; sub(/.*run: scripts\/ci\//, "", s); sub(/ .*/, "", s); print want ": " s}' "$2"
}
wf="$root/.github/workflows"
check "the good run's aml-compare steps are the workflow's" \
  diff <(workflow_scripts aml-compare "$wf/integration-ml-ci.yml") "$T/good/aml-compare/trace"
check "the good run's dev-deploy steps are the workflow's" \
  diff <(workflow_scripts dev-deploy "$wf/integration-ml-ci.yml") "$T/good/dev-deploy/trace"
check "the good and broken prod runs' steps are the workflow's" \
  diff <(workflow_scripts promote-and-deploy "$wf/prod-ml-release.yml") "$T/good/promote-and-deploy/trace"
check "the broken prod run went through the same steps" \
  diff <(workflow_scripts promote-and-deploy "$wf/prod-ml-release.yml") "$T/broken/promote-and-deploy/trace"
leaks="$(grep -rlE 'idt-(integration-push|production-env|feature-branch)|eyJ[A-Za-z0-9_-]{20,}|emu-token-|'"$endpoint_secret" \
  "$T"/first "$T"/good "$T"/worse "$T"/broken "$T"/remote "$T"/oidc-* --include='*.log' --include='*.md' --include='*.summary' --include='*.stdout' || true)"
check "no token or secret in any log or summary${leaks:+: $leaks}" test -z "$leaks"

echo
for f in "$T/good/aml-compare/summary.md" "$T/good/dev-deploy/summary.md" "$T/good/promote-and-deploy/summary.md" "$T/worse/aml-compare/summary.md" \
         "$T/broken/promote-and-deploy/summary.md"; do show "$f"; done
echo
echo "rehearsal: $(( $(date +%s) - started )) s, $failures failure(s); artifacts in $T"
[[ $failures -eq 0 ]]
