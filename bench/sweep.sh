#!/usr/bin/env bash
# aml-train --sweep on the published taxi sample: is the tuned model better than the defaults and
# than a straight line, and do parallel trials cost no more than the same trials one by one?
#
#   bench/sweep.sh [--space FILE] [--threads T] [--data DIR] [--build-dir DIR] [--no-build] [--keep]
#
# 1. aml-transform on the real green + yellow sample (--data, default
#    ../shared/data/taxi/azureml-examples next to the repository; skipped with a message when
#    absent): amlops' own 80/20 split.
# 2. Test RMSE of (a) the default parameters (pipelines/config/train-params.yaml, every training
#    row: --validation-fraction 0), (b) ordinary least squares on the same 20 features
#    (bench/ols.py: /usr/bin/python3, standard library only, QR least squares), (c) the model of
#    `aml-train --sweep` with the search space (default pipelines/config/sweep-space.yaml).
# 3. Sweep throughput: the same sweep file with max_concurrent_trials 1 (each trial alone, back to
#    back), once with all T threads and once with one; ratio = sweep seconds / the faster (<= 1.2).
# Targets (issue 15): sweep RMSE < OLS RMSE < default RMSE; sweep <= 60 s on 2 cores with <= 50
# trials. Writes bench/results/sweep.json. Not a test: run it by hand; the machine is shared.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
space="$root/pipelines/config/sweep-space.yaml"
threads=2
build_dir="$root/build"
build=1
keep=0
data="$root/../shared/data/taxi/azureml-examples"
usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --space) space="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "sweep.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "sweep.sh: --threads takes a positive integer" >&2; exit 2; }
export LC_ALL=C
say() { echo "sweepbench: $*" >&2; }
if [[ ! -f "$data/greenTaxiData.csv" || ! -f "$data/yellowTaxiData.csv" ]]; then
  say "skipped: the published sample is not at $data"
  exit 0
fi
command -v jq >/dev/null || { say "jq is required"; exit 1; }
[[ -x /usr/bin/python3 ]] || { say "/usr/bin/python3 is required for the least-squares baseline"; exit 1; }
say "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; --threads $threads"

if [[ $build -eq 1 ]]; then
  [[ -f "$build_dir/build.ninja" || -f "$build_dir/Makefile" ]] || cmake -S "$root" -B "$build_dir" -G Ninja >&2
  cmake --build "$build_dir" -j"$(nproc)" --target aml-transform aml-train >&2
fi
bin="$build_dir/bin"
work="$(mktemp -d "${TMPDIR:-/tmp}/amlops-sweepbench.XXXXXX")"
cleanup() { [[ $keep -eq 1 ]] && say "kept $work" || rm -rf "$work"; }
trap cleanup EXIT
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }

"$bin/aml-transform" --output "$work/prep" "$data/greenTaxiData.csv" "$data/yellowTaxiData.csv" >/dev/null 2>"$work/transform.log"
train_rows=$(($(wc -l <"$work/prep/train.csv") - 1))
test_rows=$(($(wc -l <"$work/prep/test.csv") - 1))
say "transformed: $train_rows training rows, $test_rows test rows"

t0=$(now)
"$bin/aml-train" --train "$work/prep/train.csv" --test "$work/prep/test.csv" --params "$root/pipelines/config/train-params.yaml" \
  --validation-fraction 0 --threads "$threads" -o "$work/default" >"$work/default.json" 2>"$work/default.log"
default_seconds=$(calc "$(now) - $t0")
default_rmse=$(jq '.result.test.rmse' "$work/default.json")

ols=$(/usr/bin/python3 "$root/bench/ols.py" "$work/prep/train.csv" "$work/prep/test.csv")
ols_rmse=$(jq '.rmse' <<<"$ols")

t0=$(now)
"$bin/aml-train" --train "$work/prep/train.csv" --test "$work/prep/test.csv" --sweep "$space" --threads "$threads" \
  -o "$work/sweep" >"$work/sweep.json" 2>"$work/sweep.log"
sweep_wall=$(calc "$(now) - $t0")
sweep_rmse=$(jq '.result.test.rmse' "$work/sweep.json")
report="$work/sweep/sweep.json"
sweep_seconds=$(jq '.seconds' "$report")
trials=$(jq '.trials | length' "$report")
rounds=$(jq '[.trials[].rounds_run] | add' "$report")
grep -E "cv rmse|^aml-train: info: [ *] +[0-9]+ " "$work/sweep.log" | sed 's/^aml-train: info: //' >&2

# The same trials one after another, each alone: with all T threads, and with one thread (on
# small folds often the faster of the two). The ratio is against the faster: the strongest baseline.
sed -E 's/max_concurrent_trials: *[0-9]+/max_concurrent_trials: 1/' "$space" >"$work/serial-space.yaml"
grep -q 'max_concurrent_trials: 1' "$work/serial-space.yaml" || { say "$space has no max_concurrent_trials to set to 1"; exit 1; }
serial() {  # threads -> seconds of the sweep part
  "$bin/aml-train" --train "$work/prep/train.csv" --sweep "$work/serial-space.yaml" --threads "$1" \
    -o "$work/serial-$1" >/dev/null 2>"$work/serial-$1.log"
  jq '.seconds' "$work/serial-$1/sweep.json"
}
serial_seconds=$(serial "$threads")
serial_rounds=$(jq '[.trials[].rounds_run] | add' "$work/serial-$threads/sweep.json")
serial1_seconds=$serial_seconds
[[ $threads -gt 1 ]] && serial1_seconds=$(serial 1)
strongest=$(calc "($serial1_seconds < $serial_seconds) ? $serial1_seconds : $serial_seconds")
ratio=$(calc "$sweep_seconds / $strongest")

verdict() { if [[ "$(calc "($1) ? 1 : 0")" == 1 ]]; then echo pass; else echo miss; fi; }
quality=$(verdict "$sweep_rmse < $ols_rmse && $ols_rmse < $default_rmse")
time_target=$(verdict "$sweep_seconds <= 60 && $trials <= 50")
throughput=$(verdict "$ratio <= 1.2")
printf '\n%-34s %10s\n' "test RMSE ($test_rows rows)" "" >&2
printf '  %-32s %10.4f\n' "default parameters" "$default_rmse" "ordinary least squares" "$ols_rmse" "sweep's best model" "$sweep_rmse" >&2
printf '%-34s %s\n' "sweep RMSE < OLS < default" "$quality" >&2
printf '%-34s %.1f s (%s trials, %s boosting rounds; wall with retrain %.1f s) %s\n' "sweep time" "$sweep_seconds" "$trials" "$rounds" "$sweep_wall" "$time_target" >&2
printf '%-34s %.1f s with %s threads, %.1f s with 1 thread (%s rounds)\n' "same trials back to back" "$serial_seconds" "$threads" "$serial1_seconds" "$serial_rounds" >&2
printf '%-34s %s (target <= 1.2) %s\n' "sweep / fastest back-to-back" "$ratio" "$throughput" >&2

mkdir -p "$root/bench/results"
jq -n --argjson default "$default_rmse" --argjson ols "$ols" --argjson sweep "$sweep_rmse" --argjson sweep_seconds "$sweep_seconds" \
  --argjson wall "$sweep_wall" --argjson trials "$trials" --argjson serial "$serial_seconds" --argjson serial1 "$serial1_seconds" --argjson ratio "$ratio" \
  --argjson default_seconds "$default_seconds" --arg space "${space#$root/}" --arg quality "$quality" --arg time_target "$time_target" \
  --arg throughput "$throughput" --argjson threads "$threads" --arg commit "$(git -C "$root" rev-parse --short HEAD)" \
  --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
  '{commit: $commit, threads: $threads, load_average: $load, space: $space,
    test_rmse: {default: $default, ols: $ols.rmse, sweep: $sweep}, ols: $ols, default_seconds: $default_seconds,
    sweep_seconds: $sweep_seconds, sweep_wall_seconds: $wall, trials: $trials, back_to_back_seconds: {all_threads: $serial, one_thread: $serial1},
    throughput_ratio: $ratio, targets: {quality: $quality, time: $time_target, throughput: $throughput}}' \
  >"$root/bench/results/sweep.json"
say "wrote bench/results/sweep.json"
