#!/usr/bin/env bash
# aml-provision benchmark against the emulator's ARM store with a fixed latency per long-running
# write (default 200 ms), against issue 11's targets:
#
#   bench/provision.sh [--lro-ms N] [--build-dir DIR] [--work DIR]
#
#   1. apply of the whole platform (infra/platform.yaml) from empty: wall time of the apply phase
#      vs the dependency graph's critical path (longest chain of measured resource durations;
#      target wall <= 1.3x) and vs the serial sum of every resource's duration (target >= 5x wall);
#   2. plan with no changes: wall time (target <= 2 s) and GETs per desired resource (<= 1);
#   3. a second apply: writes it sent (target 0; tests/provision also checks the emulator log);
#   4. verify: wall time (target <= 2 s).
# Prints a table and writes bench/results/provision.json. Exit 1 when a target is missed.
# Not a test: run it by hand; the machine is shared.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lro_ms=200
build_dir="$root/build"
work="${TMPDIR:-/tmp}/amlops-provbench"

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --lro-ms) lro_ms="$2"; shift 2 ;;
    --build-dir) build_dir="$(cd "$2" 2>/dev/null && pwd || echo "$2")"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "provision.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$lro_ms" =~ ^[0-9]+$ ]] || { echo "provision.sh: --lro-ms takes a non-negative integer" >&2; exit 2; }
export LC_ALL=C

ninja -C "$build_dir" aml-provision amlops-arm-emulator >/dev/null
bin="$build_dir/bin"
rm -rf "$work"
mkdir -p "$work"
secret="bench-secret-$$"

# The emulator serves until its stdin closes: its stdin is a FIFO whose write end this script
# holds (fd 9), so it stops when the script ends, however it ends.
mkfifo "$work/emulator.stdin"
"$bin/amlops-arm-emulator" --port-file "$work/port" --client-secret "$secret" --provision 1 --lro-ms "$lro_ms" \
  < "$work/emulator.stdin" > "$work/emulator.log" 2>&1 &
emu_pid=$!
exec 9> "$work/emulator.stdin"
trap 'exec 9>&-; wait "$emu_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s "$work/port" ]] && break; sleep 0.05; done
port="$(cat "$work/port")"
export AZURE_TENANT_ID=emulator-tenant AZURE_CLIENT_ID=emulator-client AZURE_CLIENT_SECRET="$secret"
export AZURE_AUTHORITY_HOST="http://127.0.0.1:$port/" AZURE_RESOURCE_MANAGER_ENDPOINT="http://127.0.0.1:$port/"
platform="$root/infra/platform.yaml"

now_ms() { date +%s%3N; }
"$bin/aml-provision" apply --platform "$platform" --quiet > "$work/apply1.json" 2> "$work/apply1.txt"
t0=$(now_ms); "$bin/aml-provision" plan --platform "$platform" --output "$work/plan" --quiet > "$work/plan-result.json" 2> "$work/plan.txt"; t1=$(now_ms)
"$bin/aml-provision" apply --platform "$platform" --quiet > "$work/apply2.json" 2> "$work/apply2.txt"
t2=$(now_ms); "$bin/aml-provision" verify --platform "$platform" --quiet > "$work/verify.json" 2> "$work/verify.txt"; t3=$(now_ms)

python3 - "$work" "$lro_ms" $((t1 - t0)) $((t3 - t2)) "$root/bench/results/provision.json" <<'EOF'
import json, sys
work, lro_ms, plan_ms, verify_ms, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
a1 = json.load(open(f"{work}/apply1.json"))["result"]
a2 = json.load(open(f"{work}/apply2.json"))["result"]
plan = json.load(open(f"{work}/plan-result.json"))["result"]["summary"]
verify = json.load(open(f"{work}/verify.json"))
wall, cp, serial = a1["wall_ms"], a1["critical_path_ms"], a1["serial_sum_ms"]
rows = [
    ("apply from empty: wall / critical path", f"{wall:.0f} ms / {cp:.0f} ms = {wall / cp:.2f}x", "<= 1.3x", wall <= 1.3 * cp),
    ("apply from empty: serial sum / wall", f"{serial:.0f} ms / {wall:.0f} ms = {serial / wall:.1f}x", ">= 5x", serial >= 5 * wall),
    ("apply from empty: resources written", f"{len(a1['applied'])} ({a1['writes']} writes)", "all", a1["writes"] >= len(a1["applied"])),
    ("plan, no changes: wall (process)", f"{plan_ms} ms", "<= 2000 ms", plan_ms <= 2000 and plan["create"] + plan["update"] == 0),
    ("plan, no changes: GETs / resources", f"{plan['gets']} / {plan['resources']}", "<= 1 per resource (+ optional probes)",
     plan["gets"] <= plan["resources"] + 4),
    ("second apply: writes", str(a2["writes"]), "0", a2["writes"] == 0),
    ("verify: wall (process)", f"{verify_ms} ms ({verify['result']['passed']} checks)", "<= 2000 ms", verify_ms <= 2000 and verify["status"] == "ok"),
]
print(f"aml-provision against the emulator, {lro_ms} ms per long-running write")
print(f"{'measure':44} {'value':34} {'target':38} ok")
for name, value, target, ok in rows:
    print(f"{name:44} {value:34} {target:38} {'yes' if ok else 'NO'}")
import os
os.makedirs(os.path.dirname(out), exist_ok=True)
json.dump({"lro_ms": lro_ms, "apply_wall_ms": wall, "critical_path_ms": cp, "serial_sum_ms": serial, "plan_ms": plan_ms,
           "plan_gets": plan["gets"], "resources": plan["resources"], "second_apply_writes": a2["writes"], "verify_ms": verify_ms,
           "targets_met": all(r[3] for r in rows)}, open(out, "w"), indent=1)
sys.exit(0 if all(r[3] for r in rows) else 1)
EOF
