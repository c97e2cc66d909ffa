#!/usr/bin/env bash
# aml-score --drift benchmark: the cost of counting every scored row against the training
# profile (docs/drift.md), against the strongest baseline for it -- the same aml-score run
# without --drift, on the same rows, in the same run.
#
#   bench/drift.sh [--rows N] [--repeat R] [--build-dir DIR] [--no-build] [--keep]
#
# Generates N raw trips (default 600000), transforms them, trains a 100-tree model, then scores
# train.csv R times (default 3) each way and reports the medians of wall and CPU (user + sys)
# time and their ratios. Target: drift costs at most 1.25x the CPU of scoring alone.
# Writes bench/results/drift.json. Not a test: run it by hand; the machine is shared.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows=600000
repeat=3
build_dir="$root/build"
build=1
keep=0
usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "drift.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$rows" "$repeat"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "drift.sh: --rows and --repeat take positive integers" >&2; exit 2; }
done
export LC_ALL=C
say() { echo "driftbench: $*" >&2; }
say "load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
if [[ $build -eq 1 ]]; then
  [[ -f "$build_dir/build.ninja" || -f "$build_dir/Makefile" ]] || cmake -S "$root" -B "$build_dir" -G Ninja >&2
  cmake --build "$build_dir" -j"$(nproc)" --target aml-datagen aml-transform aml-train aml-score >&2
fi
bin="$build_dir/bin"
work="$(mktemp -d "${TMPDIR:-/tmp}/amlops-driftbench.XXXXXX")"
cleanup() { [[ $keep -eq 1 ]] && say "kept $work" || rm -rf "$work"; }
trap cleanup EXIT

"$bin/aml-datagen" --output "$work/raw" --rows "$rows" --seed 5 >/dev/null 2>&1
"$bin/aml-transform" --input "$work/raw" --output "$work/features" >/dev/null 2>&1
"$bin/aml-train" --train "$work/features/train.csv" --output "$work/model" --n-estimators 100 --max-depth 6 >/dev/null 2>&1
scored_rows=$(( $(wc -l < "$work/features/train.csv") - 1 ))

: > "$work/times.tsv"
for ((i = 0; i < repeat; i++)); do
  for mode in plain drift; do
    extra=(); [[ $mode == drift ]] && extra=(--drift)
    /usr/bin/time -f "$mode %e %U %S" -a -o "$work/times.tsv" \
      "$bin/aml-score" --model "$work/model" --input "$work/features/train.csv" --output "$work/out-$mode" "${extra[@]}" >/dev/null 2>&1
  done
done
mkdir -p "$root/bench/results"
python3 - "$work/times.tsv" "$scored_rows" "$root/bench/results/drift.json" <<'PY'
import json, statistics, sys
times, rows, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = {"plain": [], "drift": []}
for line in open(times):
    mode, wall, user, system = line.split()
    runs[mode].append((float(wall), float(user) + float(system)))
med = {m: {"wall_s": statistics.median(w for w, _ in r), "cpu_s": statistics.median(c for _, c in r)} for m, r in runs.items()}
doc = {"rows_scored": rows, "repeat": len(runs["plain"]), "score": med["plain"], "score_drift": med["drift"],
       "ratio_wall": med["drift"]["wall_s"] / med["plain"]["wall_s"], "ratio_cpu": med["drift"]["cpu_s"] / med["plain"]["cpu_s"],
       "rows_per_s_drift": rows / med["drift"]["wall_s"], "target_ratio_cpu": 1.25}
json.dump(doc, open(out, "w"), indent=2)
print(json.dumps(doc, indent=2))
PY
