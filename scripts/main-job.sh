#!/usr/bin/env bash
# The README's main job: set up (packages, configure, build), generate sample taxi data, run the
# Azure ML training pipeline YAML locally (transform -> train -> fetch champion -> compare ->
# register to dev -> score), promote the dev champion to prod, and print metrics, the gate
# decision, registry URIs, step timings and the lineage chain.
# Usage: scripts/main-job.sh [--rows N] [--workspace DIR] [--force-rerun]
# Run it again unchanged and every pipeline step is reused.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows=200000
workspace="${AMLOPS_HOME:-$root/.amlops}"
pipeline_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --workspace) workspace="$2"; shift 2 ;;
    --force-rerun) pipeline_args+=(--force-rerun); shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "main-job: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

build_dir="$("$root/scripts/setup.sh")"
export PATH="$build_dir/bin:$PATH"
export AMLOPS_HOME="$workspace"
results="$workspace/main-job"
mkdir -p "$results"
model=taxi-fare

echo "== sample data: $rows raw rows" >&2
aml-datagen --rows "$rows" --seed 42 --output "$workspace/sample-data" > "$results/datagen.json"

echo "== pipeline: pipelines/taxi-fare-train-pipeline.yaml" >&2
start=$(date +%s%N)
aml-pipeline run "$root/pipelines/taxi-fare-train-pipeline.yaml" --workspace "$workspace" \
  --set "inputs.raw_data.path=$workspace/sample-data" "${pipeline_args[@]}" > "$results/pipeline.json"
pipeline_ms=$(( ($(date +%s%N) - start) / 1000000 ))
aml-pipeline show latest --workspace "$workspace" > "$results/run.json"

echo "== promotion: dev champion -> prod" >&2
prod_uri=""
if aml-register show "azureml://registries/dev/models/$model@champion" > "$results/dev-champion.json" 2>/dev/null; then
  aml-promote --from dev --to prod --model "$model" --alias champion --set-alias champion > "$results/promote.json"
  prod_uri=$(jq -r '.result.uri' "$results/promote.json")
else
  echo "main-job: no approved model in dev yet; nothing to promote" >&2
fi

run="$results/run.json"
decision_file="$(jq -r '.result.outputs.decision' "$run")/decision.json"
registration_file="$(jq -r '.result.outputs.registration' "$run")/registered.json"
scores_file="$(jq -r '.result.outputs.scores' "$run")/metrics.json"

echo
printf '%-16s %-10s %9s  %s\n' step status seconds detail
jq -r '.result.jobs | to_entries[] | [.key, .value.status,
        ((.value.duration_seconds // 0) | tostring),
        (if .value.reused then "reused from run \(.value.reused_from.run_id) (took \(.value.reused_from.duration_seconds) s there)"
         else "" end)] | @tsv' "$run" |
  while IFS=$'\t' read -r name status secs note; do
    printf '%-16s %-10s %9.3f  %s\n' "$name" "$status" "$secs" "$note"
  done
printf '%-16s %-10s %9.3f  %s\n' "pipeline (wall)" "$(jq -r '.result.status' "$run")" "$(echo "$pipeline_ms" | awk '{print $1/1000}')" \
  "$(jq -r '.result.summary | "\(.completed) ran, \(.reused) reused, \(.failed) failed"' "$run")"

echo
jq -r '"data:     \(.result.totals.rows_read // .result.rows // "?") raw rows"' "$results/datagen.json" 2>/dev/null || true
jq -r '"test set: n=\(.n)  rmse=\(.rmse*1000|round/1000)  mae=\(.mae*1000|round/1000)  r2=\(.r2*10000|round/10000)  mape=\(.mape*100|round/100)%"' "$scores_file"
jq -r '"decision: \(.decision)", (.reasons[] | "  - \(.)")' "$decision_file"
jq -r 'if .registered then "dev:      \(.uri)" else "dev:      not registered" end' "$registration_file"
if [[ -n "$prod_uri" ]]; then
  echo "prod:     $prod_uri"
  echo
  echo "lineage:"
  aml-register lineage "$prod_uri" 2>&1 >/dev/null | sed 's/^/  /'
fi
echo
echo "workspace: $workspace (runs/, registries, main-job/*.json)"
