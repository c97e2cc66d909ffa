#!/usr/bin/env bash
# Classification bench (issue 15): `aml-train --task classification` against Python xgboost with
# the same parameters on the same rows, and the identity of the predictions when Python loads the
# model amlops wrote.
#
#   bench/classify.sh [--rows N] [--seed S] [--threads T] [--rounds N] [--build-dir DIR] [--work DIR] [--keep]
#
# Generates N raw rows (default 1,000,000) with aml-datagen, splits them with aml-transform, then
# times aml-train --task classification (pipelines/config/train-params.yaml, --rounds overrides
# n_estimators, validation_fraction 0 so both sides fit the same rows) against
# bench/baseline/train_classify.py (pandas qcut labels, multi:softprob, num_class 10). Then
# aml-predict --probabilities predicts the test rows and bench/baseline/check_classify.py loads
# amlops' model.json in Python xgboost and compares every probability bit for bit, plus the
# boundaries and the training labels. Prints one JSON document; writes bench/results/classify.json.
# Target: train time ratio ours/python <= 1.0 (wall and CPU), identical predictions.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
rows=1000000
seed=42
threads="$(nproc)"
rounds=""
build_dir="$root/build"
work="${TMPDIR:-/tmp}/amlops-bench-classify"
keep=0
python=/usr/bin/python3

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "classify.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$rows" =~ ^[1-9][0-9]*$ ]] || { echo "classify.sh: --rows must be a positive integer" >&2; exit 2; }
[[ -z "$rounds" || "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "classify.sh: --rounds must be a positive integer" >&2; exit 2; }
export LC_ALL=C
say() { echo "bench: $*" >&2; }
bin="$build_dir/bin"
for t in aml-datagen aml-transform aml-train aml-predict; do
  [[ -x "$bin/$t" ]] || { say "$bin/$t is not built (ninja -C $build_dir $t)"; exit 1; }
done
export PYTHONPATH="$("$bench/setup-baseline.sh")"

rm -rf "$work"
mkdir -p "$work/raw" "$work/logs"
timings="$work/timings.tsv"
: > "$timings"
source "$bench/measure.sh"

"$bin/aml-datagen" --output "$work/raw" --rows "$rows" --seed "$seed" -q >/dev/null
"$bin/aml-transform" "$work/raw/greenTaxiData.csv" "$work/raw/yellowTaxiData.csv" --output "$work/split" -q >/dev/null
params="$root/pipelines/config/train-params.yaml"
round_flag=(); [[ -n "$rounds" ]] && round_flag=(--n-estimators "$rounds")
measure train ours "$bin/aml-train" --task classification --train "$work/split/train.csv" --params "$params" \
  --threads "$threads" --validation-fraction 0 "${round_flag[@]}" --output "$work/ours"
measure train python "$python" "$bench/baseline/train_classify.py" --train "$work/split/train.csv" --params "$params" \
  --nthread "$threads" ${rounds:+--rounds "$rounds"} --output "$work/base"
[[ -f "$work/ours/MLmodel" ]] || { say "aml-train failed: $(tail -n 3 "$work/logs/train.ours.err")"; exit 1; }
"$bin/aml-predict" --model "$work/ours" --input "$work/split/test.csv" --probabilities -o "$work/ours-probabilities.csv" -q >/dev/null
"$python" "$bench/baseline/check_classify.py" --model "$work/ours" --base "$work/base" --train "$work/split/train.csv" \
  --test "$work/split/test.csv" --ours "$work/ours-probabilities.csv" --nthread "$threads" > "$work/check.json"

mkdir -p "$bench/results"
"$python" - "$timings" "$work/check.json" "$rows" "$threads" "${rounds:-from params}" "$(cut -d' ' -f1 /proc/loadavg)" \
  > "$bench/results/classify.json" <<'PY'
import json, sys
timings, check, rows, threads, rounds, load = sys.argv[1:]
t = {}
for line in open(timings):
    step, impl, wall_us, rss_kb, rc, cpu = (line.rstrip("\n").split("\t") + [""] * 6)[:6]
    t[impl] = {"wall_s": int(wall_us) / 1e6, "cpu_s": float(cpu) if cpu else None,
               "peak_rss_mb": int(rss_kb) / 1024 if rss_kb else None, "exit": int(rc)}
ours, py = t.get("ours", {}), t.get("python", {})
ratio = lambda k: round(ours[k] / py[k], 3) if ours.get(k) and py.get(k) else None
doc = {"bench": "classification train", "rows_generated": int(rows), "threads": int(threads), "rounds": rounds,
       "load_average_at_end": float(load), "train": t,
       "ratio_ours_over_python": {"wall": ratio("wall_s"), "cpu": ratio("cpu_s")},
       "target": "train wall ratio <= 1.0, identical predictions", "check": json.load(open(check))}
json.dump(doc, sys.stdout, indent=2)
print()
PY
cat "$bench/results/classify.json"
if [[ $keep -eq 0 ]]; then rm -rf "$work"; else say "kept $work"; fi
