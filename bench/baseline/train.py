#!/usr/bin/python3
"""Python xgboost baseline of aml-train: the same parameters (the YAML file aml-train reads, with
the same overrides), trained on the same train.csv, evaluated on the same test.csv.

Usage: train.py --train FILE|DIR --test FILE|DIR --params YAML --output DIR [--nthread N]
Writes DIR/model.json and DIR/metrics.json ({test: {n, rmse, mae, r2}}).
"""
import argparse
import os

import numpy as np
import pandas as pd
import xgboost as xgb
import yaml

from common import FEATURES, TARGET, csv_files, emit

# Parameter file keys passed to xgboost unchanged (n_estimators is the number of rounds;
# early stopping / validation split are amlops training-loop settings, off in the benchmark).
XGB_KEYS = ["objective", "max_depth", "eta", "subsample", "colsample_bytree", "min_child_weight",
            "lambda", "alpha", "max_bin", "tree_method", "nthread", "seed"]


def training_config(params_file, nthread):
    """xgboost parameters and rounds from aml-train's parameter file, nthread overridden if given."""
    with open(params_file) as f:
        cfg = yaml.safe_load(f)
    if nthread is not None:
        cfg["nthread"] = nthread
    return {k: cfg[k] for k in XGB_KEYS if k in cfg}, int(cfg.get("n_estimators", 200))


def load(path):
    frame = pd.concat([pd.read_csv(f) for f in csv_files(path)], ignore_index=True)
    return frame[FEATURES], frame[TARGET].to_numpy(dtype=np.float64)


def regression_metrics(y, pred):
    err = pred.astype(np.float64) - y
    ss_res = float(np.sum(err * err))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return {"n": int(len(y)), "rmse": float(np.sqrt(ss_res / len(y))), "mae": float(np.mean(np.abs(err))),
            "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--params", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--nthread", type=int)
    args = ap.parse_args()

    params, rounds = training_config(args.params, args.nthread)

    x_train, y_train = load(args.train)
    x_test, y_test = load(args.test)
    nthread = int(params.get("nthread", 0)) or -1
    dtrain = xgb.DMatrix(x_train, label=y_train, nthread=nthread)
    booster = xgb.train(params, dtrain, num_boost_round=rounds)
    pred = booster.predict(xgb.DMatrix(x_test, nthread=nthread))

    os.makedirs(args.output, exist_ok=True)
    booster.save_model(os.path.join(args.output, "model.json"))
    metrics = {"train_rows": len(y_train), "test": regression_metrics(y_test, pred),
               "params": params, "rounds": rounds, "xgboost_version": xgb.__version__}
    with open(os.path.join(args.output, "metrics.json"), "w") as f:
        f.write(__import__("json").dumps(metrics, indent=2) + "\n")
    emit(metrics)


if __name__ == "__main__":
    main()
