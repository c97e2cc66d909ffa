#!/usr/bin/env bash
# amlops benchmark: our tools against pandas / DuckDB / Python-xgboost baselines, in one run.
#
#   bench/run.sh [--rows N] [--seed S] [--threads T] [--build-dir DIR] [--work DIR] [--keep] [--no-build]
#                [--node-modules DIR]
#
# Builds the tools if needed, generates N raw rows with aml-datagen, then times aml-transform,
# aml-train and aml-score against bench/baseline/{transform,train,score}.py on the same input
# (the baseline trains and scores on OUR train/test files, with the same parameters and threads),
# and aml-transform against DuckDB (bench/baseline/transform_duckdb.js, @duckdb/node-api from
# DIR, default .tools/node/node_modules as installed by scripts/setup.sh --tests, else a private
# npm ci of the same lock file into bench/.baseline/node),
# measures --help latency of every tool, prints a table and writes bench/results/latest.json.
# A tool that is not built yet is reported as missing; the rest still runs. --no-build times the
# binaries already in the build folder (e.g. a build folder with only the benchmarked tools).
# Not a test: run it by hand, once; the machine is shared.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
rows=1000000
seed=42
threads="$(nproc)"
build_dir="$root/build"
work="${TMPDIR:-/tmp}/amlops-bench"
keep=0
build=1
python=/usr/bin/python3   # Debian's python has pandas; a pyenv python3 on PATH may not

node_modules="$root/.tools/node/node_modules"

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --rows=*) rows="${1#*=}"; shift ;;
    --seed) seed="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --build-dir) build_dir="$(cd "$2" 2>/dev/null && pwd || echo "$2")"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --no-build) build=0; shift ;;
    --node-modules) node_modules="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$rows" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --rows must be a positive integer" >&2; exit 2; }
export LC_ALL=C
say() { echo "bench: $*" >&2; }
load="$(cut -d' ' -f1 /proc/loadavg)"
say "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), load average $load"
if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  say "warning: load average $load on $(nproc) cores; timings will be noisy (recorded in the JSON)"
fi

# ---- 1. build ---------------------------------------------------------------------------------
if [[ $build -eq 0 ]]; then
  say "not building (--no-build); using the binaries in $build_dir/bin"
elif [[ ! -f "$build_dir/build.ninja" && ! -f "$build_dir/Makefile" ]]; then
  say "configuring $build_dir"
  cmake -S "$root" -B "$build_dir" -G Ninja >&2
fi
targets=()
for d in "$root"/tools/*/; do
  [[ -f "$d/CMakeLists.txt" ]] && targets+=("aml-$(basename "$d")")
done
if [[ $build -eq 1 ]]; then
  say "building ${targets[*]}"
  if ! cmake --build "$build_dir" -j"$threads" --target "${targets[@]}" >&2; then
    # Some tool does not build (yet): build the others one by one and bench what exists.
    for t in "${targets[@]}"; do cmake --build "$build_dir" -j"$threads" --target "$t" >/dev/null 2>&1 || say "cannot build $t"; done
  fi
fi
bin="$build_dir/bin"
have() { [[ -x "$bin/$1" ]]; }
have aml-datagen || { say "aml-datagen is not built; nothing to benchmark"; exit 1; }

# ---- 2. baseline ------------------------------------------------------------------------------
site="$("$bench/setup-baseline.sh")"
export PYTHONPATH="$site"
command -v /usr/bin/time >/dev/null || { say "/usr/bin/time missing"; exit 1; }

# DuckDB: when the test tools are not installed (scripts/setup.sh --tests), the same pinned tree
# (scripts/test-tools/package-lock.json) goes into the git-ignored bench/.baseline/node.
if [[ ! -d "$node_modules/@duckdb/node-api" ]] && command -v npm >/dev/null; then
  private="$bench/.baseline/node"
  if [[ ! -d "$private/node_modules/@duckdb/node-api" ]]; then
    say "no @duckdb/node-api in $node_modules: installing the pinned npm tools into $private"
    mkdir -p "$private"
    cp "$root/scripts/test-tools/package.json" "$root/scripts/test-tools/package-lock.json" "$private/"
    (cd "$private" && npm ci --no-audit --no-fund >&2) || say "npm ci failed; the DuckDB baseline will be missing"
  fi
  node_modules="$private/node_modules"
fi

# ---- 3. timed steps ---------------------------------------------------------------------------
rm -rf "$work"
mkdir -p "$work/raw" "$work/ours" "$work/base" "$work/logs"
timings="$work/timings.tsv"
: > "$timings"

source "$bench/measure.sh"
missing() { printf '%s\t%s\t\t\tmissing\n' "$1" ours >> "$timings"; say "$1: aml-$1 not built, skipped"; }

raw=("$work/raw/greenTaxiData.csv" "$work/raw/yellowTaxiData.csv")
measure datagen ours "$bin/aml-datagen" --output "$work/raw" --rows "$rows" --seed "$seed"
[[ -f "${raw[0]}" && -f "${raw[1]}" ]] || { say "aml-datagen produced no data"; exit 1; }

if have aml-transform; then
  measure transform ours "$bin/aml-transform" "${raw[@]}" --output "$work/ours/transform"
else
  missing transform
fi
measure transform python "$python" "$bench/baseline/transform.py" "${raw[@]}" --output "$work/base/transform"
if [[ -d "$node_modules/@duckdb/node-api" ]] && command -v node >/dev/null; then
  NODE_PATH="$node_modules" measure transform duckdb node "$bench/baseline/transform_duckdb.js" "${raw[@]}" \
    --output "$work/base/duckdb" --threads "$threads"
else
  printf '%s\t%s\t\t\tmissing\n' transform duckdb >> "$timings"
  say "transform (duckdb): no @duckdb/node-api in $node_modules (scripts/setup.sh --tests installs it); skipped"
fi

# Train/test files: ours when our transform produced them (file train.csv or folder train/).
find_split() {  # find_split DIR NAME
  local hit
  hit="$(find "$1" -name "$2.csv" -type f 2>/dev/null | sort | head -n 1)"
  [[ -z "$hit" ]] && hit="$(find "$1" -name "$2" -type d 2>/dev/null | sort | head -n 1)"
  echo "$hit"
}
split_source=ours
train_data="$(find_split "$work/ours/transform" train)"
test_data="$(find_split "$work/ours/transform" test)"
if [[ -z "$train_data" || -z "$test_data" ]]; then
  split_source=python
  train_data="$work/base/transform/train.csv"
  test_data="$work/base/transform/test.csv"
  say "using the baseline's train/test files (ours not available)"
fi

params="$root/pipelines/config/train-params.yaml"
# validation_fraction 0: aml-train would otherwise hold out 10% of the rows for validation, and
# both sides must fit the same rows.
if have aml-train; then
  measure train ours "$bin/aml-train" --train "$train_data" --test "$test_data" --params "$params" \
    --threads "$threads" --validation-fraction 0 --output "$work/ours/model"
else
  missing train
fi
measure train python "$python" "$bench/baseline/train.py" --train "$train_data" --test "$test_data" \
  --params "$params" --nthread "$threads" --output "$work/base/model"

if have aml-score && [[ -d "$work/ours/model" ]]; then
  measure score ours "$bin/aml-score" --model "$work/ours/model" --input "$test_data" --output "$work/ours/score"
else
  missing score
fi
measure score python "$python" "$bench/baseline/score.py" --model "$work/base/model/model.json" \
  --data "$test_data" --output "$work/base/score" --nthread "$threads"

# ---- 4. report --------------------------------------------------------------------------------
mkdir -p "$bench/results"
"$python" "$bench/report.py" --work "$work" --bin "$bin" --rows "$rows" --seed "$seed" --threads "$threads" \
  --train-data "$train_data" --test-data "$test_data" --split-source "$split_source" \
  --output "$bench/results/latest.json"
if [[ $keep -eq 0 ]]; then rm -rf "$work"; else say "kept $work"; fi
