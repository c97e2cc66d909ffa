#!/usr/bin/env bash
# Azure sign-in for a job, with GitHub's OIDC token and no secret: writes the amlops workspace's
# config.yaml (registry names `dev` / `prod` -> the Azure ML registries from the repository
# variables), then proves the federated token exchange and registry access by listing the model
# in the dev registry. The tools themselves exchange GitHub's ID token (ACTIONS_ID_TOKEN_REQUEST_*)
# for an Entra token through their credential chain right before each use: GitHub ID tokens live
# about five minutes, so a token fetched once at login would expire during a long job.
# Inputs: AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_SUBSCRIPTION_ID AML_DEV_RESOURCE_GROUP
#   AML_DEV_REGISTRY AMLOPS_HOME; optional AML_PROD_RESOURCE_GROUP + AML_PROD_REGISTRY (prod jobs),
#   AML_DEV_REGISTRY_ID / AML_PROD_REGISTRY_ID (the registry's ARM id, as `aml-provision outputs`
#   prints it: the platform keeps registries in their own resource group, which this id names),
#   AML_MODEL_NAME (taxi-fare), AZURE_ARM_ENDPOINT + AZURE_AUTHORITY_HOST (sovereign clouds,
#   the rehearsal's emulator).
# Outputs: home (the workspace), registries (dev[,prod]).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_require AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_SUBSCRIPTION_ID AML_DEV_RESOURCE_GROUP AML_DEV_REGISTRY AMLOPS_HOME
if [[ -z "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" || -z "${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-}" ]]; then
  ci_fail 2 "no GitHub OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN): give the job 'permissions: id-token: write'"
fi
model="${AML_MODEL_NAME:-taxi-fare}"

# The registry's resource group: from its ARM id when given, else the workspace's group.
registry_group() {  # registry_group ARM_ID FALLBACK
  if [[ "$1" =~ /[rR]esource[gG]roups/([^/]+)/ ]]; then echo "${BASH_REMATCH[1]}"; else echo "$2"; fi
}
registry_line() {  # registry_line NAME RESOURCE_GROUP REGISTRY
  local extra=""
  [[ -n "${AZURE_ARM_ENDPOINT:-}" ]] && extra+=", arm_endpoint: '${AZURE_ARM_ENDPOINT}'"
  [[ -n "${AZURE_AUTHORITY_HOST:-}" ]] && extra+=", authority_host: '${AZURE_AUTHORITY_HOST}'"
  printf "  %s: {backend: azureml, subscription: '%s', resource_group: '%s', registry: '%s'%s}\n" \
    "$1" "$AZURE_SUBSCRIPTION_ID" "$2" "$3" "$extra"
}
mkdir -p "$AMLOPS_HOME"
{
  echo "# written by scripts/ci/azure-login.sh for this job"
  echo "registries:"
  registry_line dev "$(registry_group "${AML_DEV_REGISTRY_ID:-}" "$AML_DEV_RESOURCE_GROUP")" "$AML_DEV_REGISTRY"
  registries=dev
  if [[ -n "${AML_PROD_REGISTRY:-}" ]]; then
    ci_require AML_PROD_RESOURCE_GROUP
    registry_line prod "$(registry_group "${AML_PROD_REGISTRY_ID:-}" "$AML_PROD_RESOURCE_GROUP")" "$AML_PROD_REGISTRY"
    registries=dev,prod
  fi
} > "$AMLOPS_HOME/config.yaml.tmp"
mv "$AMLOPS_HOME/config.yaml.tmp" "$AMLOPS_HOME/config.yaml"
registries=dev; [[ -n "${AML_PROD_REGISTRY:-}" ]] && registries=dev,prod

# The exchange itself: GitHub ID token -> Entra client assertion -> ARM token -> a registry read.
# Anything else in the environment that the chain would try first is a misconfiguration here.
if [[ -n "${AZURE_CLIENT_SECRET:-}" || -n "${AZURE_CLIENT_CERTIFICATE_PATH:-}" ]]; then
  ci_fail 2 "AZURE_CLIENT_SECRET/AZURE_CLIENT_CERTIFICATE_PATH is set: this workflow signs in with OIDC only (no secrets)"
fi
for r in ${registries//,/ }; do
  if ! aml-register list --registry "$r" --name "$model" > "$ci_tmp/login-$r.json" 2> "$ci_tmp/login-$r.log"; then
    sed 's/^/  /' "$ci_tmp/login-$r.log" >&2
    ci_fail 1 "OIDC sign-in or access to registry '$r' failed (see the log above; check the federated credential's subject and the role assignments)"
  fi
  ci_log "signed in with GitHub OIDC; registry '$r' reachable ($(jq -r '.result.versions // .result | length' "$ci_tmp/login-$r.json") versions of $model)"
done
ci_summary "**Azure sign-in:** GitHub OIDC federated token for client \`$AZURE_CLIENT_ID\` (no secret); registries: $registries" ""
ci_output home "$AMLOPS_HOME"
ci_output registries "$registries"
