#!/usr/bin/env bash
# `aml-predict serve` from the image's root filesystem as Azure ML starts it: no model flags, the
# model folder one level below AZUREML_MODEL_DIR (a model registered from a folder), the
# SCORING_TIMEOUT_MS variable; then the inference_config routes /live, /ready and /score on
# loopback. (--host 127.0.0.1 and --port 0 only keep the test on loopback and off fixed ports.)
source "$(dirname "$0")/common.sh"
require_image_tools chroot jq curl
require_rootfs
require_namespaces

work=/serve-test
models=/var/azureml-app/azureml-models/taxi-fare/1
rm -rf "${rootfs:?}$work" "${rootfs:?}$models"
mkdir -p "$rootfs$work"
in_image aml-datagen --rows 3000 --seed 9 --output "$work/raw" > /dev/null
in_image aml-transform "$work/raw" --output "$work/table" --test-ratio 0 > /dev/null
in_image aml-train --train "$work/table/train.csv" --output "$models/model_output" --n-estimators 20 --max-depth 4 --nthread 1 > /dev/null

pid=""
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
}
trap cleanup EXIT
# As the platform starts it: only the variables, no model flags; in in_image's namespaces and
# /proc, but started here so that $pid is unshare itself, which exits with the server's status.
# --kill-child: should this script die, the server goes with unshare.
unshare --pid --fork --kill-child --mount-proc="$rootfs/proc" chroot "$rootfs" "${image_env[@]}" \
  AZUREML_MODEL_DIR="$models" SCORING_TIMEOUT_MS=5000 \
  aml-predict serve --host 127.0.0.1 --port 0 --port-file "$work/port" \
  > "$rootfs$work/serve.json" 2> "$rootfs$work/serve.log" &
pid=$!
for _ in $(seq 1 200); do
  [[ -s "$rootfs$work/port" ]] && break
  kill -0 "$pid" 2>/dev/null || { cat "$rootfs$work/serve.log" >&2; fail "aml-predict serve exited"; }
  sleep 0.1
done
port=$(cat "$rootfs$work/port")
server_pid=$(pgrep -P "$pid" | head -1)
[[ -n "$server_pid" ]] || fail "cannot find the server process under unshare $pid"
base="http://127.0.0.1:$port"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$base/live") == 200 ]] || fail "/live is not 200"
for _ in $(seq 1 200); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$base/ready") == 200 ]] && break
  sleep 0.1
done
[[ $(curl -s -o /dev/null -w '%{http_code}' "$base/ready") == 200 ]] || fail "/ready never became 200"
# The model's own input example (MLflow writes it next to MLmodel) is a valid scoring payload.
curl -sf -X POST -H 'Content-Type: application/json' --data-binary "@$rootfs$models/model_output/input_example.json" \
  "$base/score" > "$rootfs$work/predictions.json" || fail "POST /score failed"
rows=$(jq 'length' "$rootfs$work/predictions.json")
jq -e 'type == "array" and length > 0 and all(.[]; type == "number" and . > 0)' "$rootfs$work/predictions.json" >/dev/null \
  || fail "/score did not answer positive fares: $(head -c 200 "$rootfs$work/predictions.json")"
grep -q "Azure ML container: serving $models/model_output" "$rootfs$work/serve.log" || { cat "$rootfs$work/serve.log" >&2; fail "the server did not resolve the nested model folder"; }
grep -q "scoring timeout 5000 ms" "$rootfs$work/serve.log" || fail "SCORING_TIMEOUT_MS was not applied"

kill -TERM "$server_pid"
status=0
wait "$pid" || status=$?
pid=""
server_pid=""
[[ $status -eq 0 ]] || fail "aml-predict serve exited $status after SIGTERM"
jq -e '.result.azureml_container == true and .result.requests >= 3' "$rootfs$work/serve.json" >/dev/null \
  || fail "unexpected serve result: $(cat "$rootfs$work/serve.json")"
log "served $rows predictions from the image on $base/score"
