#!/usr/bin/env bash
# Times a register of a 50 MB model (random bytes, 2 files) through the azureml backend into the
# loopback emulator with Azurite as blob storage — issue 5's target is < 2 s. Runs the ctest case
# that does it (its fixture starts and stops Azurite) R times and prints each measurement.
#
#   bench/azure_register.sh [--repeat R] [--build-dir DIR]
#
# Needs Azurite (scripts/setup.sh --tests). Not a test: run it by hand, once; the machine is shared.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$root/build"
repeat=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --repeat) repeat="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    *) echo "azure_register.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "azure_register.sh: --repeat takes a positive integer" >&2; exit 2; }
cmake --build "$build_dir" --target test_azurite >&2
for _ in $(seq "$repeat"); do
  out="$(ctest --test-dir "$build_dir" -R "50 MB model registers" -V 2>&1)" || { echo "$out" >&2; exit 1; }
  ms="$(grep -o 'azurite-register-50mb-ms: [0-9]*' <<<"$out" | awk '{print $2}')"
  [[ -n "$ms" ]] || { echo "azure_register.sh: no measurement (is Azurite installed?)" >&2; echo "$out" >&2; exit 1; }
  echo "register 50 MB -> emulator + Azurite: ${ms} ms (target < 2000 ms)"
done
