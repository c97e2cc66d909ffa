#!/usr/bin/env bash
# amlops governance benchmark: registry and pipeline-runner latency against issue 3's targets.
#
#   bench/governance.sh [--versions N] [--repeat R] [--rows N] [--build-dir DIR] [--work DIR] [--keep]
#
# Builds the tools and bench/registry_bench.cpp (build dir configured with -DAMLOPS_BUILD_BENCH=ON),
# then times, each as a whole process in scratch workspaces (median and p90 over R repeats):
#   aml-register of a ~10 MB model folder (approving decision), aml-promote dev -> prod, the same
#   promotion again (idempotent), aml-register download; a fully reused aml-pipeline run of
#   pipelines/taxi-fare-train-pipeline.yaml; listing N versions in-process (registry::list) and
#   with `aml-register list`. Prints a table, writes bench/results/governance.json.
# Not a test: run it by hand, once; the machine is shared.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
versions=10000
repeat=7
rows=20000
build_dir="$root/build"
work="${TMPDIR:-/tmp}/amlops-govbench"
keep=0
python=/usr/bin/python3

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --versions) versions="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --build-dir) build_dir="$(cd "$2" 2>/dev/null && pwd || echo "$2")"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "governance.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$versions" "$repeat" "$rows"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "governance.sh: --versions, --repeat and --rows take positive integers" >&2; exit 2; }
done
export LC_ALL=C
say() { echo "govbench: $*" >&2; }
command -v jq >/dev/null || { say "jq is required (apt-get install jq)"; exit 1; }
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
say "load average $load_start on $(nproc) cores"

# ---- 1. build ---------------------------------------------------------------------------------
if [[ ! -f "$build_dir/build.ninja" && ! -f "$build_dir/Makefile" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DAMLOPS_BUILD_BENCH=ON >&2
else
  cmake -S "$root" -B "$build_dir" -DAMLOPS_BUILD_BENCH=ON >/dev/null
fi
targets=(aml-datagen aml-transform aml-train aml-compare aml-score aml-register aml-promote aml-pipeline registry-bench)
say "building ${targets[*]}"
cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}" >&2
bin="$build_dir/bin"
# The pipeline's steps call the aml-* tools by name, as on Azure ML.
export PATH="$bin:$PATH"
# Tags and created_by must not depend on who runs the benchmark.
export AMLOPS_ACTOR=govbench

rm -rf "$work"
mkdir -p "$work/samples" "$work/logs"
# The N-version registry lives on tmpfs when there is one: creating a version fsyncs its blobs and
# the SQLite WAL (synchronous=FULL), ~50 ms each on this disk, which would make filling 10,000
# versions take minutes. Listing reads the database through the page cache either way.
if [[ -d /dev/shm && -w /dev/shm ]]; then list_home="/dev/shm/amlops-govbench-$$"; else list_home="$work/list-home"; fi
cleanup() { [[ $keep -eq 1 ]] || rm -rf "$work" "$list_home"; }
trap cleanup EXIT

# timed NAME CMD...: runs CMD once as a whole process; appends its wall time in ms to
# samples/NAME. $EPOCHREALTIME is read by bash itself (µs resolution, no fork), so unlike
# `date +%s%N` no helper process's start-up lands inside the sample. A failure aborts the run.
# The CPU time (user + sys) of the process and its children comes from the `times` builtin: on a
# loaded machine it shows how much of the wall time was spent waiting for a core. No subshell and
# no helper process: a subshell has its own (empty) child counters, a helper would add its CPU.
cpu_ms=0
read_child_cpu() {
  times > "$work/times"
  local line
  { read -r line; read -r line; } < "$work/times"
  [[ $line =~ ^([0-9]+)m([0-9]+)\.([0-9]{3})s\ ([0-9]+)m([0-9]+)\.([0-9]{3})s$ ]] || { cpu_ms=0; return; }
  local r=("${BASH_REMATCH[@]}")
  cpu_ms=$(( (10#${r[1]} * 60 + 10#${r[2]} + 10#${r[4]} * 60 + 10#${r[5]}) * 1000 + 10#${r[3]} + 10#${r[6]} ))
}
timed() {
  local name="$1"; shift
  local t0 t1 c0 c1 rc=0
  read_child_cpu; c0=$cpu_ms
  t0=$EPOCHREALTIME
  "$@" >"$work/logs/$name.out" 2>"$work/logs/$name.err" || rc=$?
  t1=$EPOCHREALTIME
  read_child_cpu; c1=$cpu_ms
  if [[ $rc -ne 0 ]]; then
    say "$name exited $rc: $*"; tail -n 5 "$work/logs/$name.err" >&2; exit 1
  fi
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >> "$work/samples/$name"
  echo $(( c1 - c0 )) >> "$work/samples/$name.cpu"
}
quiet() { "$@" >"$work/logs/setup.out" 2>"$work/logs/setup.err" || { say "setup failed: $*"; tail -n 5 "$work/logs/setup.err" >&2; exit 1; }; }

# ---- 2. a real model folder of ~10 MB --------------------------------------------------------
say "generating $rows rows, transforming, training"
quiet aml-datagen --rows "$rows" --seed 42 --output "$work/raw"
quiet aml-transform "$work/raw/greenTaxiData.csv" "$work/raw/yellowTaxiData.csv" --output "$work/split"
find_split() { find "$work/split" -name "$1.csv" -type f | sort | head -n 1; }
train_data="$(find_split train)"; test_data="$(find_split test)"
quiet aml-train --train "$train_data" --test "$test_data" --params "$root/pipelines/config/train-params.yaml" \
  --threads 1 --output "$work/model"
quiet aml-compare --candidate "$work/model" --champion none --test "$test_data" \
  --policy "$root/pipelines/config/quality-gate.yaml" --output "$work/decision" --no-fail
decision_source=aml-compare
if [[ "$(jq -r .decision "$work/decision/decision.json")" != approve ]]; then
  # The gate's absolute thresholds can reject a model trained on few rows; registration needs
  # an approval, and the decision's content does not change what is timed.
  decision_source="written (aml-compare rejected: $(jq -c .reasons "$work/decision/decision.json"))"
  printf '{"decision": "approve", "reasons": ["governance benchmark"]}\n' > "$work/decision/decision.json"
fi
# The model topped up to 10 MiB with an extra artifact of random (incompressible) bytes.
cp -r "$work/model" "$work/model10"
mkdir -p "$work/model10/artifacts"
extra=$(( 10485760 - $(du -sb "$work/model" | cut -f1) ))
head -c $(( extra > 0 ? extra : 0 )) /dev/urandom > "$work/model10/artifacts/extra.bin"
model_bytes="$(du -sb "$work/model10" | cut -f1)"
say "model folder: $model_bytes bytes; decision: $decision_source"

# ---- 3. register, promote, promote again, download -------------------------------------------
say "register/promote/download x$repeat"
for ((i = 1; i <= repeat; i++)); do
  # A fresh workspace per repeat, so every register stores the 10 MB for the first time. Its
  # registries are created untimed (first use of a workspace is not what users repeat).
  home="$work/ws-$i"
  quiet aml-register list --workspace "$home" --registry dev
  quiet aml-register list --workspace "$home" --registry prod
  timed register aml-register --workspace "$home" --model "$work/model10" --decision "$work/decision" \
    --registry dev --name taxi-fare --set-alias champion --output "$work/reg-$i"
  timed promote aml-promote --workspace "$home" --from dev --to prod --model taxi-fare --alias champion \
    --require-tag decision=approve --set-alias champion
  timed promote_again aml-promote --workspace "$home" --from dev --to prod --model taxi-fare --alias champion \
    --require-tag decision=approve --set-alias champion
  [[ "$(jq -r .result.created "$work/logs/promote_again.out")" == false ]] || { say "repeat promotion was not idempotent"; exit 1; }
  timed download aml-register download --workspace "$home" "azureml://registries/prod/models/taxi-fare@champion" \
    --output "$work/download-$i"
  rm -rf "$home" "$work/download-$i"
done
for ((i = 1; i <= repeat; i++)); do timed startup aml-register --version; done

# ---- 4. fully reused pipeline run -------------------------------------------------------------
say "pipeline: first run fills the reuse cache"
pipe_home="$work/ws-pipeline"
export AMLOPS_HOME="$pipe_home"
pipeline=(aml-pipeline run "$root/pipelines/taxi-fare-train-pipeline.yaml" --workspace "$pipe_home"
          --set "inputs.raw_data.path=$work/raw")
quiet "${pipeline[@]}"
first_run="$(jq -c '.result.summary' "$work/logs/setup.out")"
say "pipeline: $repeat reused runs"
for ((i = 1; i <= repeat; i++)); do
  timed pipeline_reused "${pipeline[@]}"
  summary="$(jq -c '.result.summary' "$work/logs/pipeline_reused.out")"
  if [[ "$(jq -r '.completed + .failed + .skipped + .canceled' <<<"$summary")" != 0 ]]; then
    say "a run that should reuse everything ran steps: $summary"; exit 1
  fi
done
reused_summary="$summary"

# ---- 5. listing N versions ---------------------------------------------------------------------
say "filling a registry with $versions versions ($list_home)"
"$bin/registry-bench" --home "$list_home" --versions "$versions" --repeat "$repeat" \
  > "$work/registry-bench.json" 2> "$work/logs/registry-bench.err"
timed list_cli_warmup aml-register list --workspace "$list_home" --registry dev
for ((i = 1; i <= repeat; i++)); do timed list_cli aml-register list --workspace "$list_home" --registry dev; done
listed="$(jq -r '.result.count' "$work/logs/list_cli.out")"
list_bytes="$(wc -c < "$work/logs/list_cli.out")"

# ---- 6. report --------------------------------------------------------------------------------
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p "$root/bench/results"
commit="$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
dirty="$([[ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ]] && echo true || echo false)"
"$python" - "$work" "$root/bench/results/governance.json" <<EOF
import json, math, sys
work, out = sys.argv[1], sys.argv[2]

def stats(samples):
    s = sorted(samples)
    n = len(s)
    median = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return {"median_ms": round(median, 3), "p90_ms": round(s[max(math.ceil(0.9 * n), 1) - 1], 3),
            "min_ms": round(s[0], 3), "samples_ms": samples}

def samples(name):
    with open(f"{work}/samples/{name}") as f:
        return [float(line) for line in f if line.strip()]

def with_cpu(name):
    s = stats(samples(name))
    s["cpu_median_ms"] = stats(samples(name + ".cpu"))["median_ms"]
    return s

bench = json.load(open(f"{work}/registry-bench.json"))["result"]
rows = [
    ("aml-register (10 MiB model, new workspace)", with_cpu("register"), 200),
    ("aml-promote dev -> prod", with_cpu("promote"), 200),
    ("aml-promote again (idempotent)", with_cpu("promote_again"), 200),
    ("aml-register download (prod@champion)", with_cpu("download"), None),
    ("aml-register --version (process start)", with_cpu("startup"), None),
    ("aml-pipeline run, all steps reused", with_cpu("pipeline_reused"), 300),
    ("registry::list, $versions versions (in-process)", bench["list"], 100),
    ("  + to_json per version (in-process)", bench["to_json"], None),
    ("  + copy of the document to a json::value (in-process)", bench["copy_to_value"], None),
    ("  + json::pretty of the document (in-process)", bench["pretty"], None),
    ("aml-register list, $versions versions (CLI)", with_cpu("list_cli"), 100),
]
table = []
for name, s, target in rows:
    verdict = "n/a" if target is None else ("pass" if s["median_ms"] < target else "MISS")
    table.append({"operation": name, "median_ms": s["median_ms"], "p90_ms": s["p90_ms"], "min_ms": s["min_ms"],
                  "cpu_median_ms": s.get("cpu_median_ms"), "samples_ms": s["samples_ms"], "target_ms": target,
                  "verdict": verdict})
doc = {
    "benchmark": "governance", "commit": "$commit", "dirty": "$dirty" == "true", "cpus": $(nproc),
    "load_average_start": "$load_start", "load_average_end": "$load_end",
    "repeat": $repeat, "rows": $rows, "versions": $versions,
    "model_folder_bytes": $model_bytes, "decision": "$decision_source",
    "pipeline_first_run": json.loads('$first_run'), "pipeline_reused_run": json.loads('$reused_summary'),
    "versions_listed_cli": $listed, "list_cli_output_bytes": $list_bytes,
    "registry_fill_seconds": bench["populate_seconds"], "list_in_process_output_bytes": bench["output_bytes"],
    "list_home": "$list_home", "clock": "bash EPOCHREALTIME around each process (wall, µs); cpu (user+sys, with children) from the times builtin",
    "results": table,
}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
print(f"{'operation':<56} {'median ms':>10} {'p90 ms':>9} {'cpu ms':>7}  {'target':>8}  verdict")
for r in table:
    target = f"< {r['target_ms']}" if r["target_ms"] else "-"
    cpu = "-" if r["cpu_median_ms"] is None else f"{r['cpu_median_ms']:.0f}"
    print(f"{r['operation']:<56} {r['median_ms']:>10.1f} {r['p90_ms']:>9.1f} {cpu:>7}  {target:>8}  {r['verdict']}")
print("(median and p90 of the wall time; cpu ms: median user+sys of the process and its children)")
print(f"\nmodel folder {$model_bytes/1e6:.1f} MB; {$repeat} repeats; {$versions} versions listed ({$list_bytes/1e6:.1f} MB of JSON from the CLI)")
print(f"load average: start $load_start, end $load_end ({$(nproc)} cores); commit $commit{' (dirty tree)' if doc['dirty'] else ''}")
print(f"written: {out}")
EOF
