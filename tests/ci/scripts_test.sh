#!/usr/bin/env bash
# Unit checks of the scripts/ci steps without Azure: inputs named when missing (exit 2), the gate
# summary and exit codes from real decision.json shapes, deploy.sh's input validation, the infra
# wrapper's exit-code mapping and summary over a stand-in aml-provision, and the workflows'
# wiring (every `run: scripts/ci/X` exists, is executable, and gets the inputs X requires).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
T="${AMLOPS_TEST_TMP:-${TMPDIR:-/tmp}}/ci-scripts"
rm -rf "$T"; mkdir -p "$T"
ci="$root/scripts/ci"
failures=0
check() { local what="$1"; shift; if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi; }
contains() { grep -qF -- "$2" "$1"; }
# run NAME SCRIPT [ARGS] with VAR=VALUE... before it: fresh output/summary files, exit code in $rc
run() {
  local name="$1"; shift
  : > "$T/$name.output"; : > "$T/$name.summary"
  rc=0
  env GITHUB_OUTPUT="$T/$name.output" GITHUB_STEP_SUMMARY="$T/$name.summary" RUNNER_TEMP="$T/tmp-$name" "$@" \
    > "$T/$name.stdout" 2> "$T/$name.log" || rc=$?
}

# --- missing inputs are named, exit 2
run login-missing env -u AZURE_CLIENT_ID -u AZURE_TENANT_ID -u AZURE_SUBSCRIPTION_ID bash "$ci/azure-login.sh"
check "azure-login.sh without ids exits 2 (got $rc)" test "$rc" -eq 2
check "azure-login.sh names the missing variables" contains "$T/login-missing.log" "AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_SUBSCRIPTION_ID"
run login-no-oidc env -u ACTIONS_ID_TOKEN_REQUEST_URL AZURE_CLIENT_ID=c AZURE_TENANT_ID=t AZURE_SUBSCRIPTION_ID=s \
  AML_DEV_RESOURCE_GROUP=rg AML_DEV_REGISTRY=r AMLOPS_HOME="$T/home" bash "$ci/azure-login.sh"
check "azure-login.sh without the OIDC endpoint exits 2 naming the permission" contains "$T/login-no-oidc.summary" "permissions: id-token: write"
run login-secret AZURE_CLIENT_ID=c AZURE_TENANT_ID=t AZURE_SUBSCRIPTION_ID=s AML_DEV_RESOURCE_GROUP=rg AML_DEV_REGISTRY=r \
  AMLOPS_HOME="$T/home" ACTIONS_ID_TOKEN_REQUEST_URL=http://127.0.0.1:9/x ACTIONS_ID_TOKEN_REQUEST_TOKEN=t \
  AZURE_CLIENT_SECRET=do-not-use bash "$ci/azure-login.sh"
check "azure-login.sh refuses a client secret in the environment (exit $rc)" test "$rc" -eq 2
check "... without printing the secret" bash -c "! grep -rq do-not-use '$T'/login-secret.*"
run register-missing env -u MODEL_DIR -u DECISION_DIR -u GITHUB_SHA -u GITHUB_REF_NAME -u GITHUB_RUN_ID bash "$ci/register-dev.sh"
check "register-dev.sh without inputs exits 2 (got $rc)" test "$rc" -eq 2
check "register-dev.sh names MODEL_DIR and GITHUB_SHA" contains "$T/register-missing.log" "MODEL_DIR DECISION_DIR GITHUB_SHA"
run deploy-traffic AMLOPS_HOME="$T/home" ENDPOINT=local://127.0.0.1:9 MODEL_URI=x STAGE=dev TRAFFIC_PERCENT=130 bash "$ci/deploy.sh"
check "deploy.sh rejects TRAFFIC_PERCENT=130 with exit 2 (got $rc)" test "$rc" -eq 2
run pipeline-mode AMLOPS_HOME="$T/home" DATA_PATH="$T" AML_PIPELINE_MODE=cloud bash "$ci/run-pipeline.sh"
check "run-pipeline.sh rejects an unknown AML_PIPELINE_MODE with exit 2 (got $rc)" test "$rc" -eq 2
run resolve-bad AMLOPS_HOME="$T/home" MODEL_VERSION=latest bash "$ci/resolve-dev-version.sh"
check "resolve-dev-version.sh rejects MODEL_VERSION=latest with exit 2 (got $rc)" test "$rc" -eq 2

# --- the gate
mkdir -p "$T/approve" "$T/reject"
cat > "$T/approve/decision.json" <<'JSON'
{"decision": "approve", "primary_metric": "rmse", "reasons": ["rmse 3.9 <= champion 4.1 (relative improvement 4.9% >= 0%)"],
 "metrics": {"candidate": {"rmse": 3.9, "r2": 0.91}, "champion": {"rmse": 4.1, "r2": 0.9}, "delta": {"rmse": -0.2}}}
JSON
cat > "$T/reject/decision.json" <<'JSON'
{"decision": "reject", "primary_metric": "rmse", "reasons": ["rmse 5.2 is worse than champion 4.1"],
 "metrics": {"candidate": {"rmse": 5.2, "r2": 0.8}, "champion": {"rmse": 4.1, "r2": 0.9}, "delta": {"rmse": 1.1}}}
JSON
run gate-approve PIPELINE_OUTCOME=approved DECISION_DIR="$T/approve" bash "$ci/gate.sh"
check "gate.sh approves with exit 0 (got $rc)" test "$rc" -eq 0
check "gate.sh approve summary" contains "$T/gate-approve.summary" "## Quality gate: approved"
check "gate.sh metrics table row" contains "$T/gate-approve.summary" "| rmse | 3.9 | 4.1 | -0.2 |"
check "gate.sh outputs decision=approve" contains "$T/gate-approve.output" "decision=approve"
run gate-reject PIPELINE_OUTCOME=rejected DECISION_DIR="$T/reject" bash "$ci/gate.sh"
check "gate.sh rejects with exit 3 (got $rc)" test "$rc" -eq 3
check "gate.sh reject summary has the reason" contains "$T/gate-reject.summary" "- rmse 5.2 is worse than champion 4.1"
run gate-nodecision PIPELINE_OUTCOME=approved DECISION_DIR="$T/none" bash "$ci/gate.sh"
check "gate.sh without decision.json after an approved run exits 1 (got $rc)" test "$rc" -eq 1
run gate-missing PIPELINE_OUTCOME=rejected DECISION_DIR= bash "$ci/gate.sh"
check "gate.sh without any decision exits 1, never approves or guesses (got $rc)" test "$rc" -eq 1
printf 'aml-compare: warning: candidate rmse 7.9 is worse than champion rmse 1.8\n' > "$T/compare.log"
run gate-remote PIPELINE_OUTCOME=rejected DECISION_DIR=azureml://datastores/workspaceblobstore/paths/x COMPARE_LOG="$T/compare.log" bash "$ci/gate.sh"
check "gate.sh for a rejected Azure ML job exits 3 (got $rc)" test "$rc" -eq 3
check "gate.sh shows the compare step's reasons from its log" contains "$T/gate-remote.summary" "worse than champion rmse 1.8"

# --- the infra wrapper over a stand-in aml-provision (its exit codes are the documented ones)
mkdir -p "$T/fakebin" "$T/infra"
echo "prefix: test" > "$T/infra/platform.yaml"
cat > "$T/fakebin/aml-provision" <<'SH'
#!/usr/bin/env bash
echo "aml-provision $*" >> "$FAKE_PROVISION_CALLS"
case "$1" in
  plan) echo "+ create rg-aml-ws-dev-cc-01 (Microsoft.Resources/resourceGroups)" >&2; echo '{"status":"ok"}'; exit "${FAKE_PLAN_EXIT:-0}" ;;
  verify) echo "storage stdevcc01 publicNetworkAccess: Enabled (want Disabled)" >&2; exit "${FAKE_VERIFY_EXIT:-0}" ;;
  outputs) printf 'AML_DEV_RESOURCE_GROUP=rg-aml-ws-dev-cc-01\nAML_DEV_WORKSPACE=mlwdevcc01\n' ;;
  apply) exit 0 ;;
esac
SH
chmod +x "$T/fakebin/aml-provision"
export FAKE_PROVISION_CALLS="$T/provision.calls"
run infra-plan PATH="$T/fakebin:$PATH" AMLOPS_BIN_DIR="$T/fakebin" PLATFORM_FILE="$T/infra/platform.yaml" FAKE_PLAN_EXIT=3 bash "$ci/infra.sh" plan
check "infra.sh plan: changes (exit 3 of --detailed-exit-code) are not a failure (got $rc)" test "$rc" -eq 0
check "infra.sh plan: has_changes=true" contains "$T/infra-plan.output" "has_changes=true"
check "infra.sh plan: the diff is in the summary" contains "$T/infra-plan.summary" "+ create rg-aml-ws-dev-cc-01"
check "infra.sh plan passes --detailed-exit-code" contains "$T/provision.calls" "plan --platform $T/infra/platform.yaml --detailed-exit-code"
run infra-plan-fail PATH="$T/fakebin:$PATH" AMLOPS_BIN_DIR="$T/fakebin" PLATFORM_FILE="$T/infra/platform.yaml" FAKE_PLAN_EXIT=2 bash "$ci/infra.sh" plan
check "infra.sh plan: a usage error stays an error (got $rc)" test "$rc" -eq 2
run infra-verify PATH="$T/fakebin:$PATH" AMLOPS_BIN_DIR="$T/fakebin" PLATFORM_FILE="$T/infra/platform.yaml" FAKE_VERIFY_EXIT=3 bash "$ci/infra.sh" verify
check "infra.sh verify: a failed check fails the job with 3 (got $rc)" test "$rc" -eq 3
check "infra.sh verify: the failed check is in the summary" contains "$T/infra-verify.summary" "publicNetworkAccess: Enabled"
run infra-outputs PATH="$T/fakebin:$PATH" AMLOPS_BIN_DIR="$T/fakebin" PLATFORM_FILE="$T/infra/platform.yaml" GITHUB_ENV="$T/github.env" bash "$ci/infra.sh" outputs
check "infra.sh outputs: appended to GITHUB_ENV" contains "$T/github.env" "AML_DEV_WORKSPACE=mlwdevcc01"
run infra-verb PLATFORM_FILE="$T/infra/platform.yaml" AMLOPS_BIN_DIR="$T/fakebin" bash "$ci/infra.sh" destroy
check "infra.sh refuses other verbs with exit 2 (got $rc)" test "$rc" -eq 2

# --- workflow wiring: each run: scripts/ci/X exists and is executable, and the variables X
# requires (its ci_require line) are set by the workflow (workflow, job or step env:).
for wf in "$root"/.github/workflows/{integration-ml-ci,prod-ml-release,infra}.yml; do
  while read -r script; do
    check "$(basename "$wf"): scripts/ci/$script is executable" test -x "$ci/$script"
    for var in $(sed -n 's/^ci_require //p' "$ci/$script" | head -n1); do
      case "$var" in GITHUB_*|AMLOPS_HOME) grep -q "AMLOPS_HOME" "$wf" || [[ "$var" == GITHUB_* ]] || { echo "FAIL: $wf lacks AMLOPS_HOME"; failures=$((failures + 1)); }; continue ;; esac
      check "$(basename "$wf"): $var (required by $script) is set" grep -q "^ *$var:" "$wf"
    done
  done < <(grep -o 'run: scripts/ci/[a-z-]*\.sh' "$wf" | sed 's/run: scripts\/ci\///' | sort -u)
  check "$(basename "$wf"): no secrets context" bash -c "! grep -q 'secrets\.' '$wf'"
done
check "jobs that sign in to Azure request id-token: write" test "$(grep -c 'id-token: write' "$root/.github/workflows/integration-ml-ci.yml")" -eq 2
check "the production job is bound to the environment production" grep -q '^    environment: production$' "$root/.github/workflows/prod-ml-release.yml"
check "dev deployment never runs on pull requests" grep -q "github.event_name == 'push' ||" "$root/.github/workflows/integration-ml-ci.yml"

echo "scripts_test: $failures failure(s)"
[[ $failures -eq 0 ]]
