#!/usr/bin/env bash
# Usage: prism.sh RECORDER PRISM SPECS_DIR WORK_DIR [PLATFORM.yaml]
# With PLATFORM.yaml the requests recorded are those of aml-provision (plan, apply, verify,
# destroy of that platform), replayed against the spec of each resource type.
# Records the ARM requests amlops sends (RECORDER record), then starts one Prism mock per spec on
# loopback and replays that spec's requests against it (RECORDER replay). Exit 0 when Prism
# accepted every request, 1 when it refused one, 77 (skip) when the specs or Prism are absent.
set -euo pipefail
recorder="$1" prism="$2" specs="$3" work="$4" platform="${5:-}"

if [[ ! -d "$specs/specification" ]]; then
  echo "SKIP: $specs is absent (the published Azure REST specs live in ../shared)"; exit 77
fi
if [[ ! -x "$prism" ]]; then
  echo "SKIP: Prism not installed at $prism (scripts/setup.sh --tests installs it)"; exit 77
fi
command -v jq >/dev/null || { echo "SKIP: jq is needed by strip-examples.sh"; exit 77; }

rm -rf "$work"
mkdir -p "$work"
# Prism opens every $ref, and x-ms-examples point at files that are mostly not present.
bash "$specs/strip-examples.sh" "$work/specs" >/dev/null
ml="$work/specs/specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2025-09-01"
rg="$work/specs/specification/resources/resource-manager/Microsoft.Resources/resources/stable/2025-04-01"

spec_root="$work/specs/specification"
net="$spec_root/network/resource-manager/Microsoft.Network/stable/2024-03-01"
if [[ -n "$platform" ]]; then
  "$recorder" record-provision "$work/requests.jsonl" "$platform"
  pairs=("resources:$rg/resources.json" "workspaceRP:$ml/workspaceRP.json" "registries:$ml/registries.json"
    "computes:$ml/machineLearningServices.json"
    "authorization:$spec_root/authorization/resource-manager/Microsoft.Authorization/Authorization/stable/2026-08-01/authorization-RoleAssignmentsCalls.json"
    "privatedns:$spec_root/privatedns/resource-manager/Microsoft.Network/PrivateDns/stable/2024-06-01/privatedns.json"
    "virtualNetwork:$net/virtualNetwork.json" "networkSecurityGroup:$net/networkSecurityGroup.json"
    "privateEndpoint:$net/privateEndpoint.json" "publicIpAddress:$net/publicIpAddress.json" "bastionHost:$net/bastionHost.json"
    "storage:$spec_root/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/storage.json"
    "keyvault:$spec_root/keyvault/resource-manager/Microsoft.KeyVault/KeyVault/stable/2026-02-01/openapi.json"
    "containerregistry:$spec_root/containerregistry/resource-manager/Microsoft.ContainerRegistry/stable/2023-07-01/containerregistry.json"
    "operationalinsights:$spec_root/operationalinsights/resource-manager/Microsoft.OperationalInsights/stable/2022-10-01/Workspaces.json"
    "appinsights:$spec_root/applicationinsights/resource-manager/Microsoft.Insights/ApplicationInsights/stable/2020-02-02/components_API.json"
    "msi:$spec_root/msi/resource-manager/Microsoft.ManagedIdentity/ManagedIdentity/stable/2026-05-31/ManagedIdentity.json")
else
  "$recorder" record "$work/requests.jsonl"
  pairs=("registries:$ml/registries.json" "mfe:$ml/mfe.json" "workspaceRP:$ml/workspaceRP.json"
    "computes:$ml/machineLearningServices.json" "resources:$rg/resources.json")
fi

source "$(dirname "${BASH_SOURCE[0]}")/prism_mock.sh"
trap stop_mock EXIT

status=0
for pair in "${pairs[@]}"; do
  replay_against_mock "$prism" "$recorder" "$work/requests.jsonl" "${pair%%:*}" "${pair#*:}" "$work" || status=1
done
exit $status
