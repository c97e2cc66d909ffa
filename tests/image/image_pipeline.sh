#!/usr/bin/env bash
# Runs the main training pipeline (pipelines/taxi-fare-train-pipeline.yaml, the same YAML as
# scripts/main-job.sh) inside the image's root filesystem with chroot, on small generated data:
# proof that the image's binaries and libraries are enough for every pipeline step.
source "$(dirname "$0")/common.sh"
require_image_tools chroot jq
require_rootfs
require_namespaces

work=/pipeline-test
rm -rf "${rootfs:?}$work"
mkdir -p "$rootfs$work/repo/tools"
# What Azure ML would upload as the job's code: the pipeline folder and the component specs.
cp -r "$AMLOPS_SOURCE_DIR/pipelines" "$rootfs$work/repo/"
for spec in "$AMLOPS_SOURCE_DIR"/tools/*/component.yaml; do
  tool=$(basename "$(dirname "$spec")")
  mkdir -p "$rootfs$work/repo/tools/$tool"
  cp "$spec" "$rootfs$work/repo/tools/$tool/"
done

in_image aml-datagen --rows 4000 --seed 42 --output "$work/sample-data" > /dev/null
in_image aml-pipeline run "$work/repo/pipelines/taxi-fare-train-pipeline.yaml" --workspace "$work/ws" \
  --set "inputs.raw_data.path=$work/sample-data" > "$rootfs$work/pipeline.json" \
  || { cat "$rootfs$work/pipeline.json" >&2; fail "aml-pipeline run failed inside the image"; }
jq -c '{status, result: {status: .result.status, summary: .result.summary}}' "$rootfs$work/pipeline.json" >&2
[[ $(jq -r '.result.status' "$rootfs$work/pipeline.json") == "completed" ]] || fail "pipeline status is not completed"
failed=$(jq '.result.summary.failed' "$rootfs$work/pipeline.json")
[[ "$failed" == 0 ]] || fail "$failed steps failed"
# The pipeline's outputs exist inside the image: a trained model and the test-set metrics.
model_dir=$(jq -r '.result.outputs.model' "$rootfs$work/pipeline.json")
[[ -f "$rootfs$model_dir/MLmodel" ]] || fail "no MLflow model at $model_dir"
scores_dir=$(jq -r '.result.outputs.scores' "$rootfs$work/pipeline.json")
jq -e '.rmse > 0' "$rootfs$scores_dir/metrics.json" >/dev/null || fail "no test metrics at $scores_dir"
log "pipeline completed inside the image: $(jq -c '.result.summary' "$rootfs$work/pipeline.json")"
