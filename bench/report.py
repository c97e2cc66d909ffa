#!/usr/bin/python3
"""Turns one bench/run.sh run into a table on stdout and a JSON document (bench/results/latest.json).

Reads WORK/timings.tsv (step, impl, microseconds, peak RSS KiB, exit code[, CPU seconds]), the tools' JSON
results in WORK/logs, and the baseline's metrics; measures --help latency of every built tool;
checks the targets in bench/README.md.
"""
import argparse
import csv
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import time

TARGETS = {
    "transform_speedup": 50.0,     # pandas seconds / ours
    "transform_vs_duckdb": 10.0,   # DuckDB seconds / ours (issue 16)
    "transform_rss_ratio": 0.25,   # ours peak RSS / pandas
    "train_time_ratio": 1.0,       # ours seconds / Python xgboost
    "train_rmse_rel_diff": 1e-6,
    "score_speedup": 10.0,
    "help_ms": 20.0,
}


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def data_rows(path):
    """Data rows of a CSV file, or of every *.csv in a folder (header lines and blank lines excluded)."""
    if not path or not os.path.exists(path):
        return None
    files = [path] if os.path.isfile(path) else [
        os.path.join(path, f) for f in sorted(os.listdir(path)) if f.endswith(".csv")]
    total = 0
    for f in files:
        with open(f, "rb") as fh:
            lines = sum(1 for line in fh if line.strip())
        total += max(0, lines - 1)
    return total


def help_latency(bin_dir, runs=20):
    """Median wall milliseconds of `tool --help` for every aml-* executable."""
    out = {}
    if not os.path.isdir(bin_dir):
        return out
    for name in sorted(os.listdir(bin_dir)):
        path = os.path.join(bin_dir, name)
        if not name.startswith("aml-") or not os.access(path, os.X_OK):
            continue
        samples = []
        for i in range(runs + 3):
            t0 = time.perf_counter_ns()
            rc = subprocess.run([path, "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
            t1 = time.perf_counter_ns()
            if i >= 3:  # warm-up runs fill the page cache
                samples.append((t1 - t0) / 1e6)
        out[name] = {"median_ms": round(statistics.median(samples), 2), "max_ms": round(max(samples), 2),
                     "exit_code": rc}
    return out


def predictions(path):
    try:
        with open(path) as f:
            return [float(r["predicted"]) for r in csv.DictReader(f)]
    except (OSError, KeyError, ValueError):
        return None


def machine_info():
    """Cores, CPU model and load: every ratio is only meaningful next to the machine it was taken on."""
    model = platform.processor() or None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "platform": platform.platform(),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--train-data", required=True)
    ap.add_argument("--test-data", required=True)
    ap.add_argument("--split-source", required=True)
    ap.add_argument("--output", required=True)
    a = ap.parse_args()
    logs = os.path.join(a.work, "logs")

    step_rows = {"datagen": a.rows, "transform": a.rows, "train": data_rows(a.train_data),
                 "score": data_rows(a.test_data)}
    runs = {}
    with open(os.path.join(a.work, "timings.tsv")) as f:
        for row in csv.reader(f, delimiter="\t"):
            step, impl, micros, rss, rc = row[:5]
            cpu = row[5] if len(row) > 5 else ""  # user + sys seconds
            entry = {"step": step, "impl": impl, "rows": step_rows.get(step)}
            if rc == "missing":
                entry.update(status="missing")
            else:
                seconds = int(micros) / 1e6
                entry.update(status="ok" if rc == "0" else "failed", exit_code=int(rc), seconds=round(seconds, 3),
                             peak_rss_mb=round(int(rss) / 1024, 1) if rss.isdigit() else None,
                             cpu_seconds=float(cpu) if cpu else None)
                if entry["rows"] and seconds > 0:
                    entry["rows_per_s"] = round(entry["rows"] / seconds)
            runs[(step, impl)] = entry

    def ok(step, impl):
        r = runs.get((step, impl))
        return r if r and r["status"] == "ok" else None

    def ratio(o, p):
        return {"speedup": round(p["seconds"] / o["seconds"], 2),
                "time_ratio": round(o["seconds"] / p["seconds"], 3),
                "rss_ratio": round(o["peak_rss_mb"] / p["peak_rss_mb"], 3)
                if o.get("peak_rss_mb") and p.get("peak_rss_mb") else None,
                # CPU seconds are not a target, but they do not depend on the load.
                "cpu_speedup": round(p["cpu_seconds"] / o["cpu_seconds"], 2)
                if o.get("cpu_seconds") and p.get("cpu_seconds") else None}

    # ratios[step] is against the step's Python baseline, ratios["transform_duckdb"] against DuckDB.
    ratios = {}
    for step, base in (("transform", "python"), ("transform", "duckdb"), ("train", "python"), ("score", "python")):
        o, p = ok(step, "ours"), ok(step, base)
        if o and p:
            ratios[step if base == "python" else f"{step}_{base}"] = ratio(o, p)

    # Parity: same test RMSE, same predictions, comparable kept rows.
    parity = {"split_source": a.split_source}
    ours_train = read_json(os.path.join(logs, "train.ours.out")) or {}
    base_metrics = read_json(os.path.join(a.work, "base", "model", "metrics.json")) or {}
    ours_rmse = ((ours_train.get("result") or {}).get("test") or {}).get("rmse")
    base_rmse = (base_metrics.get("test") or {}).get("rmse")
    parity["test_rmse_ours"] = ours_rmse
    parity["test_rmse_python"] = base_rmse
    if ours_rmse is not None and base_rmse:
        parity["test_rmse_rel_diff"] = abs(ours_rmse - base_rmse) / base_rmse
    base_transform = read_json(os.path.join(logs, "transform.python.out")) or {}
    parity["kept_rows_python"] = base_transform.get("kept")
    parity["kept_rows_duckdb"] = (read_json(os.path.join(logs, "transform.duckdb.out")) or {}).get("kept")
    if a.split_source == "ours":
        parity["kept_rows_ours"] = (step_rows["train"] or 0) + (step_rows["score"] or 0)
    datagen = (read_json(os.path.join(logs, "datagen.ours.out")) or {}).get("result") or {}
    parity["kept_rows_expected"] = datagen.get("kept")
    p_ours = predictions(os.path.join(a.work, "ours", "score", "predictions.csv"))
    p_base = predictions(os.path.join(a.work, "base", "score", "predictions.csv"))
    if p_ours and p_base and len(p_ours) == len(p_base):
        parity["predictions_max_abs_diff"] = max(abs(x - y) for x, y in zip(p_ours, p_base))

    helps = help_latency(a.bin)

    checks = []

    def check(name, value, target, better):
        passed = None if value is None else (value >= target if better == "higher" else value <= target)
        checks.append({"target": name, "value": value, "limit": target, "better": better,
                       "status": "n/a" if passed is None else ("pass" if passed else "miss")})

    check("transform speedup vs pandas (>=)", ratios.get("transform", {}).get("speedup"),
          TARGETS["transform_speedup"], "higher")
    check("transform speedup vs DuckDB (>=)", ratios.get("transform_duckdb", {}).get("speedup"),
          TARGETS["transform_vs_duckdb"], "higher")
    check("transform peak RSS / pandas (<=)", ratios.get("transform", {}).get("rss_ratio"),
          TARGETS["transform_rss_ratio"], "lower")
    check("train time / Python xgboost (<=)", ratios.get("train", {}).get("time_ratio"),
          TARGETS["train_time_ratio"], "lower")
    check("train test-RMSE relative difference (<=)", parity.get("test_rmse_rel_diff"),
          TARGETS["train_rmse_rel_diff"], "lower")
    check("score speedup vs Python (>=)", ratios.get("score", {}).get("speedup"), TARGETS["score_speedup"], "higher")
    for tool, h in helps.items():
        check(f"{tool} --help ms (<=)", h["median_ms"], TARGETS["help_ms"], "lower")

    # ---- table
    print()
    machine = machine_info()
    print(f"amlops bench: {a.rows:,} raw rows, seed {a.seed}, {a.threads} threads, "
          f"train/test from {a.split_source} transform")
    print(f"machine: {machine['cpus']} cores, {machine['cpu_model']}, load average {machine['load_avg_1m']} at the end")
    header = f"{'step':<10} {'impl':<7} {'seconds':>9} {'CPU s':>7} {'rows/s':>12} {'peak RSS MB':>12}  ratio"
    print(header)
    print("-" * (len(header) + 30))
    for step in ("datagen", "transform", "train", "score"):
        for impl in ("ours", "python", "duckdb"):
            r = runs.get((step, impl))
            if not r:
                continue
            if r["status"] == "missing":
                print(f"{step:<10} {impl:<7} {'missing':>9}")
                continue
            ratio = ""
            if impl == "ours":
                described = []
                for key, base in ((step, "python"), (f"{step}_duckdb", "duckdb")):
                    if key not in ratios:
                        continue
                    q = ratios[key]
                    text = f"{q['speedup']:.2f}x faster" if q["speedup"] >= 1 else f"{q['time_ratio']:.2f}x the time"
                    if q.get("rss_ratio") is not None:
                        text += f", RSS {q['rss_ratio'] * 100:.0f}%"
                    if q.get("cpu_speedup") is not None:
                        text += f" (CPU time: {q['cpu_speedup']:.2f}x less)"
                    described.append(f"vs {base} {text}" if step == "transform" else text)
                ratio = "; ".join(described)
            status = "" if r["status"] == "ok" else f"  FAILED (exit {r['exit_code']})"
            print(f"{step:<10} {impl:<7} {fmt(r.get('seconds'), '.2f'):>9} {fmt(r.get('cpu_seconds'), '.2f'):>7} "
                  f"{fmt(r.get('rows_per_s'), ','):>12} "
                  f"{fmt(r.get('peak_rss_mb'), '.0f'):>12}  {ratio}{status}")
    print()
    if helps:
        print("--help latency (median of 20): " +
              ", ".join(f"{t} {h['median_ms']:.1f} ms" for t, h in helps.items()))
    print("parity: " + ", ".join(f"{k}={v}" for k, v in parity.items()))
    print()
    for c in checks:
        if c["target"].endswith("--help ms (<=)"):
            continue
        print(f"  [{c['status']:>4}] {c['target']}: {c['value']} (limit {c['limit']})")
    slow_help = [c for c in checks if c["target"].endswith("--help ms (<=)") and c["status"] == "miss"]
    print(f"  [{'miss' if slow_help else 'pass':>4}] --help <= {TARGETS['help_ms']} ms for every tool"
          + (": " + ", ".join(c["target"].split()[0] for c in slow_help) if slow_help else ""))

    def git(*args):
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True,
                                  cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
        except OSError:
            return ""

    doc = {
        "created_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": git("rev-parse", "--short=12", "HEAD") or None,
        "worktree_dirty": bool(git("status", "--porcelain")),
        "machine": machine,
        "rows": a.rows, "seed": a.seed, "threads": a.threads,
        "steps": list(runs.values()),
        "ratios": ratios,
        "parity": {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in parity.items()},
        "help_latency": helps,
        "targets": checks,
    }
    os.makedirs(os.path.dirname(a.output), exist_ok=True)
    tmp = a.output + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, a.output)
    print(f"\nwrote {a.output}")


if __name__ == "__main__":
    main()
