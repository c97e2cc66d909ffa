#!/usr/bin/env bash
# Submit of pipelines/taxi-fare-train-pipeline.yaml to the loopback emulator's Azure ML workspace
# (issue 13's targets: <= 25 requests, <= 2 s; an unchanged re-submit uploads nothing), next to
# the strongest local baseline measured in the same run: `aml-pipeline validate` of the same
# YAML (load + plan, no network), so the ratio is the cost of talking to Azure ML.
#
#   bench/submit.sh [--repeat R] [--build-dir DIR]
#
# Runs the ctest case that measures it (a fresh emulator each time). Not a test: run it by hand.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$root/build"
repeat=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --repeat) repeat="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    *) echo "submit.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: --repeat takes a positive integer" >&2; exit 2; }
cmake --build "$build_dir" --target test_pipeline_submit >&2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$build_dir/bin/aml-datagen" --output "$tmp/raw" --rows 500 --seed 3 >/dev/null 2>&1
for _ in $(seq "$repeat"); do
  start=$(date +%s%N)
  "$build_dir/bin/aml-pipeline" validate "$root/pipelines/taxi-fare-train-pipeline.yaml" --set "inputs.raw_data.path=$tmp/raw" \
    --log-level warn >/dev/null
  base_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  out="$(ctest --test-dir "$build_dir" -R "takes at most 25 requests" -V 2>&1)" || { echo "$out" >&2; exit 1; }
  first="$(grep -o 'submit-first: .*' <<<"$out")"
  again="$(grep -o 'submit-unchanged: .*' <<<"$out")"
  ms="$(grep -o '[0-9]* ms' <<<"$first" | awk '{print $1}')"
  echo "$first | $again | baseline validate ${base_ms} ms | submit/validate ratio $(awk -v a="$ms" -v b="$base_ms" 'BEGIN{printf "%.1f", a/(b>0?b:1)}') (targets: <= 25 requests, <= 2000 ms, re-submit 0 files)"
done
