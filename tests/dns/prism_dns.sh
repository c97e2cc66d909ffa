#!/usr/bin/env bash
# Usage: prism_dns.sh RECORDER PRISM SPECS_DIR WORK_DIR
# Records aml-dnscheck's ARM discovery requests (RECORDER record), then starts one Prism mock per
# spec on loopback (Network privateEndpoint 2024-03-01, virtualNetwork 2024-03-01, privatedns
# 2024-06-01) and replays that spec's requests. Exit 0 when Prism accepted every request, 1 when it
# refused one, 77 (skip) when the specs or Prism are absent.
set -euo pipefail
recorder="$1" prism="$2" specs="$3" work="$4"
if [[ ! -d "$specs/specification" ]]; then
  echo "SKIP: $specs is absent (the published Azure REST specs live in ../shared)"; exit 77
fi
if [[ ! -x "$prism" ]]; then
  echo "SKIP: Prism not installed at $prism (scripts/setup.sh --tests installs it)"; exit 77
fi
command -v jq >/dev/null || { echo "SKIP: jq is needed by strip-examples.sh"; exit 77; }
rm -rf "$work"
mkdir -p "$work"
work="$(cd "$work" && pwd)"  # strip-examples.sh runs from the specs folder: a relative path would land there
bash "$specs/strip-examples.sh" "$work/specs" >/dev/null
net="$work/specs/specification/network/resource-manager/Microsoft.Network/stable/2024-03-01"
dns="$work/specs/specification/privatedns/resource-manager/Microsoft.Network/PrivateDns/stable/2024-06-01"
"$recorder" record "$work/requests.jsonl"

source "$(dirname "${BASH_SOURCE[0]}")/../prism/prism_mock.sh"
trap stop_mock EXIT
status=0
for pair in "privateEndpoint:$net/privateEndpoint.json" "virtualNetwork:$net/virtualNetwork.json" "privatedns:$dns/privatedns.json"; do
  replay_against_mock "$prism" "$recorder" "$work/requests.jsonl" "${pair%%:*}" "${pair#*:}" "$work" || status=1
done
exit $status
