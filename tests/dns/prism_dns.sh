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

pid=
stop() { if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi; }
trap stop EXIT
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
status=0
for pair in "privateEndpoint:$net/privateEndpoint.json" "virtualNetwork:$net/virtualNetwork.json" "privatedns:$dns/privatedns.json"; do
  spec="${pair%%:*}" file="${pair#*:}"
  port=$(free_port)
  "$prism" mock -h 127.0.0.1 -p "$port" "$file" >"$work/prism-$spec.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "prism failed to start for $spec:"; cat "$work/prism-$spec.log"; exit 1; fi
    sleep 0.2
  done
  echo "== $spec ($(basename "$file")) on port $port"
  "$recorder" replay "$work/requests.jsonl" "$spec" "http://127.0.0.1:$port" || status=1
  stop
done
exit $status
