#!/usr/bin/env bash
# Serving benchmark: wrk on loopback against `aml-predict serve` and, in the same run, against a
# Python baseline built like Azure ML's default inference server (Flask under gunicorn, 2 sync
# workers, the same model through Python xgboost) — once with default settings and once with
# OMP_NUM_THREADS=1 (the fair, tuned baseline). See bench/README.md, "Serving".
# The single-row case runs --runs times (default 3) against ours and the tuned baseline; the
# targets are judged on the medians, and every run is printed.
#
#   bench/serve.sh [--rows N] [--duration S] [--connections C] [--batch-connections C]
#                  [--server-threads T] [--runs N] [--build-dir DIR] [--work DIR] [--keep] [--no-build]
#
# --no-build times the binaries already in DIR/bin (as bench/run.sh --no-build does), e.g. while
# another build is half done or the build folder holds only the benchmarked tools.
# Not a test: run it by hand on an otherwise idle machine. Prints a table and writes
# bench/results/serve.json (git-ignored).
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench/.." && pwd)"
rows=100000
duration=10
connections=64
batch_connections=8
server_threads=0
runs=3
build_dir="$root/build"
work="${TMPDIR:-/tmp}/amlops-bench-serve"
keep=0
build=1
python=/usr/bin/python3

while [[ $# -gt 0 ]]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --batch-connections) batch_connections="$2"; shift 2 ;;
    --server-threads) server_threads="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --build-dir) build_dir="$(cd "$2" 2>/dev/null && pwd || echo "$2")"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "serve.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

say() { echo "serve.sh: $*" >&2; }
sudo_cmd() { if [[ $(id -u) -ne 0 ]]; then sudo "$@"; else "$@"; fi; }

# Processes this script started, stopped by pid on exit (never by name).
pids=()
stop_pid() {  # stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local p
  for p in "${pids[@]}"; do stop_pid "$p"; done
  if [[ $keep -eq 0 ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- 1. tools: wrk, Flask, gunicorn from Debian (none pulls Boost 1.74), Python xgboost --------
missing=()
for p in wrk python3-flask gunicorn curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  say "installing ${missing[*]}"
  if apt-get install -s --no-install-recommends "${missing[@]}" 2>/dev/null | grep -q '^Inst libboost'; then
    say "refusing: installing ${missing[*]} would pull a Boost package"; exit 1
  fi
  sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
site="$("$bench/setup-baseline.sh")"

# ---- 2. build ---------------------------------------------------------------------------------
bin="$build_dir/bin"
if [[ $build -eq 0 ]]; then
  say "not building (--no-build); using the binaries in $bin"
  for t in aml-datagen aml-transform aml-train aml-predict; do
    [[ -x "$bin/$t" ]] || { say "--no-build: $bin/$t is missing"; exit 1; }
  done
else
  if [[ ! -f "$build_dir/build.ninja" && ! -f "$build_dir/Makefile" ]]; then
    say "configuring $build_dir"
    cmake -S "$root" -B "$build_dir" -G Ninja >&2
  fi
  say "building aml-datagen aml-transform aml-train aml-predict"
  cmake --build "$build_dir" -j"$(nproc)" --target aml-datagen aml-transform aml-train aml-predict >&2
fi

# ---- 3. a model like the published one (200 trees, depth 8) and the request bodies -------------
rm -rf "$work"
mkdir -p "$work/logs"
say "training the model on $rows raw rows"
"$bin/aml-datagen" --output "$work/raw" --rows "$rows" --seed 42 >/dev/null 2>"$work/logs/datagen.err"
"$bin/aml-transform" "$work/raw"/*.csv --output "$work/data" >/dev/null 2>"$work/logs/transform.err"
test_csv="$(find "$work/data" -name 'test*.csv' -type f | sort | head -n 1)"
train_data="$(find "$work/data" -name 'train*.csv' -type f | sort | head -n 1)"
"$bin/aml-train" --train "$train_data" --params "$root/pipelines/config/train-params.yaml" --validation-fraction 0 \
  --output "$work/model" >/dev/null 2>"$work/logs/train.err"
model="$work/model"

"$python" - "$test_csv" "$work" <<'PY'
import csv, json, sys
path, out = sys.argv[1], sys.argv[2]
with open(path, newline="") as f:
    reader = csv.reader(f)
    header = next(reader)
    rows = [r for _, r in zip(range(1000), reader)]
keep = [i for i, c in enumerate(header) if c != "cost"]
columns = [header[i] for i in keep]
def body(n):
    data = [[float(r[i]) if "." in r[i] else int(r[i]) for i in keep] for r in rows[:n]]
    return json.dumps({"input_data": {"columns": columns, "data": data}}, separators=(",", ":"))
open(f"{out}/single.json", "w").write(body(1))
open(f"{out}/batch.json", "w").write(body(1000))
PY

# ---- 4. servers and load ------------------------------------------------------------------------
wait_http() {  # wait_http URL: up to 120 s for 200
  local i
  for i in $(seq 1200); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  say "no answer from $1"; return 1
}

results="$work/results.tsv"
: > "$results"
cpu_ticks() {  # cpu_ticks PID: user + system clock ticks the process has used so far
  awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}
run_wrk() {  # run_wrk SERVER CASE URL CONNECTIONS BODY RUN PID
  local server="$1" case="$2" url="$3" conns="$4" body="$5" run="$6" pid="$7" line t0 t1
  say "wrk: $server $case run $run ($conns connections, ${duration}s)"
  WRK_BODY_FILE="$body" wrk -t2 -c"$conns" -d2s -s "$bench/wrk-post.lua" "$url" >/dev/null 2>&1 || true  # warm-up
  t0="$(cpu_ticks "$pid")"
  line="$(WRK_BODY_FILE="$body" wrk -t2 -c"$conns" -d"${duration}s" --timeout 10s -s "$bench/wrk-post.lua" "$url" 2>"$work/logs/wrk.err" \
          | grep '^{' | tail -n 1)"
  t1="$(cpu_ticks "$pid")"
  # The server's CPU time over the run (its main process; gunicorn's workers are children and
  # not counted, so this column is for ours only).
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$case" "$conns" "$run" "$((t1 - t0))" "${line:-{\}}" >> "$results"
}

load_both() {  # load_both SERVER URL PID SINGLE_RUNS
  local r
  for r in $(seq "$4"); do run_wrk "$1" single "$2" "$connections" "$work/single.json" "$r" "$3"; done
  run_wrk "$1" batch "$2" "$batch_connections" "$work/batch.json" 1 "$3"
  curl -fsS -H 'Content-Type: application/json' --data-binary @"$work/batch.json" "$2" > "$work/pred.$1.json" || true
}

port_file="$work/port"
"$bin/aml-predict" serve --model "$model" --port 0 --port-file "$port_file" --threads "$server_threads" \
  --log-level warn >/dev/null 2>"$work/logs/serve.err" &
pids+=($!)
ours_pid=$!
for i in $(seq 1200); do [[ -s "$port_file" ]] && break; sleep 0.1; done
[[ -s "$port_file" ]] || { say "aml-predict serve did not start:"; cat "$work/logs/serve.err" >&2; exit 1; }
ours_url="http://127.0.0.1:$(cat "$port_file")/score"
wait_http "http://127.0.0.1:$(cat "$port_file")/"
load_both ours "$ours_url" "$ours_pid" "$runs"
rss_ours_kb="$(awk '/VmHWM/ {print $2}' "/proc/$ours_pid/status" 2>/dev/null || echo 0)"
stop_pid "$ours_pid"

base_port=$(( 20000 + RANDOM % 20000 ))
start_baseline() {  # start_baseline NAME [ENV...]
  local name="$1"; shift
  env "$@" MODEL_DIR="$model" PYTHONPATH="$site:$bench/baseline" "$python" -m gunicorn -w 2 -b "127.0.0.1:$base_port" \
    --chdir "$bench/baseline" --log-level warning serve_app:app >/dev/null 2>"$work/logs/gunicorn.$name.err" &
  pids+=($!)
  base_pid=$!
  wait_http "http://127.0.0.1:$base_port/"
}
start_baseline python-default
load_both python-default "http://127.0.0.1:$base_port/score" "$base_pid" 1
stop_pid "$base_pid"
start_baseline python-omp1 OMP_NUM_THREADS=1
load_both python-omp1 "http://127.0.0.1:$base_port/score" "$base_pid" "$runs"
stop_pid "$base_pid"

# ---- 5. report --------------------------------------------------------------------------------
mkdir -p "$bench/results"
"$python" - "$results" "$work" "$bench/results/serve.json" "$duration" "$rss_ours_kb" "$root" "$(getconf CLK_TCK)" <<'PY'
import json, os, statistics, subprocess, sys
results, work, out, duration, rss_kb, root, clk_tck = sys.argv[1:8]
runs = []  # one entry per wrk run
for line in open(results):
    server, case, conns, run, ticks, doc = line.rstrip("\n").split("\t", 5)
    d = json.loads(doc) if doc.strip() not in ("", "{}") else {}
    rows = 1 if case == "single" else 1000
    secs = d.get("duration_us", 0) / 1e6
    n = d.get("requests", 0)
    rps = n / secs if secs else 0.0
    errs = sum(d.get("errors", {}).values()) if d else None
    cpu_us = int(ticks) / int(clk_tck) * 1e6 / n if n and server == "ours" else None
    runs.append({"server": server, "case": case, "run": int(run), "connections": int(conns), "req_per_s": rps,
                 "rows_per_s": rps * rows, "p50_ms": d.get("p50_us", 0) / 1000, "p99_ms": d.get("p99_us", 0) / 1000,
                 "requests": n, "errors": errs, "server_cpu_us_per_req": cpu_us})

def pick(s, c):
    return [r for r in runs if r["server"] == s and r["case"] == c]
def median(s, c, k):
    xs = [r[k] for r in pick(s, c)]
    return statistics.median(xs) if xs else 0.0

def preds(name):
    try:
        return json.load(open(os.path.join(work, f"pred.{name}.json")))
    except Exception:
        return None
ours, base = preds("ours"), preds("python-omp1")
max_diff = max(abs(a - b) for a, b in zip(ours, base)) if ours and base and len(ours) == len(base) else None

def ratio(a, b):
    return a / b if b else None

def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"

single, batch = median("ours", "single", "req_per_s"), median("ours", "batch", "rows_per_s")
single_p99 = median("ours", "single", "p99_ms")
tuned_single = median("python-omp1", "single", "req_per_s")
n_runs = len(pick("ours", "single"))
targets = {
    f"single_row_req_per_s >= 40000 (median of {n_runs})": single >= 40000,
    f"single_row_p99_ms <= 5 (median of {n_runs})": 0 < single_p99 <= 5,
    "single_row >= 10x tuned python (median / median)": (ratio(single, tuned_single) or 0) >= 10,
    "batch_rows_per_s >= 1000000": batch >= 1_000_000,
    "no errors (ours)": all((r["errors"] or 0) == 0 for r in runs if r["server"] == "ours"),
}

print()
print(f"machine: {os.cpu_count()} cores, {cpu_model()}; load average at the end {os.getloadavg()[0]:.2f}")
print(f"{'server':<16}{'case':<8}{'run':>4}{'conns':>6}{'req/s':>11}{'rows/s':>13}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'cpu us/req':>12}")
for r in runs:
    cpu = f"{r['server_cpu_us_per_req']:.1f}" if r["server_cpu_us_per_req"] is not None else "-"
    print(f"{r['server']:<16}{r['case']:<8}{r['run']:>4}{r['connections']:>6}{r['req_per_s']:>11,.0f}{r['rows_per_s']:>13,.0f}"
          f"{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{str(r['errors']):>8}{cpu:>12}")
print()
print(f"ours single-row, median of {n_runs}: {single:,.0f} req/s, p99 {single_p99:.2f} ms; "
      f"tuned python median: {tuned_single:,.0f} req/s")
for c in ("single", "batch"):
    for b in ("python-omp1", "python-default"):
        x = ratio(median("ours", c, "req_per_s"), median(b, c, "req_per_s"))
        print(f"ratio ours / {b:<15} {c:<7} {('%.1fx' % x) if x else 'n/a'}  (medians)")
if max_diff is not None:
    print(f"max |prediction difference| ours vs python on the 1,000-row body: {max_diff:.3g}")
print(f"aml-predict serve peak RSS: {int(rss_kb) / 1024:.1f} MB")
for name, ok in targets.items():
    print(f"target {name}: {'pass' if ok else 'MISS'}")

def git(*a):
    try:
        return subprocess.run(["git", "-C", root, *a], capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""
doc = {"runs": runs,
       "medians": {f"{s}_{c}": {k: median(s, c, k) for k in ("req_per_s", "rows_per_s", "p50_ms", "p99_ms")}
                   for s in ("ours", "python-omp1", "python-default") for c in ("single", "batch")},
       "ratios": {f"{c}_vs_{b}": ratio(median("ours", c, "req_per_s"), median(b, c, "req_per_s"))
                  for c in ("single", "batch") for b in ("python-omp1", "python-default")},
       "max_abs_prediction_diff": max_diff, "ours_peak_rss_mb": int(rss_kb) / 1024,
       "targets": targets, "duration_s": int(duration), "commit": git("rev-parse", "--short=12", "HEAD"),
       "dirty": bool(git("status", "--porcelain")), "cpus": os.cpu_count(), "cpu_model": cpu_model(),
       "loadavg": os.getloadavg()}
json.dump(doc, open(out, "w"), indent=2)
print(f"written {out}")
PY
