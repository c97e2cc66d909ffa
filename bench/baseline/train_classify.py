#!/usr/bin/python3
"""Python xgboost baseline of `aml-train --task classification`: the fare classes computed with
pandas (qcut into ten quantile bins of the training rows' cost, A..J), then multi:softprob with
num_class 10 and the same parameters (the YAML file aml-train reads), on the same train.csv.

Usage: train_classify.py --train FILE|DIR --params YAML --output DIR [--nthread N] [--rounds N]
Writes DIR/model.json and DIR/labels.json ({boundaries, train_rows, class_counts}).
"""
import argparse
import json
import os

import numpy as np
import pandas as pd
import xgboost as xgb

from common import FEATURES, TARGET, csv_files, emit
from train import training_config


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag in ("--train", "--params", "--output"):
        ap.add_argument(flag, required=True)
    ap.add_argument("--nthread", type=int)
    ap.add_argument("--rounds", type=int)
    args = ap.parse_args()

    params, rounds = training_config(args.params, args.nthread)
    params.update(objective="multi:softprob", num_class=10)
    rounds = args.rounds or rounds

    frame = pd.concat([pd.read_csv(f) for f in csv_files(args.train)], ignore_index=True)
    # pandas' own decile rule: quantile bins, right-closed (the first one includes the minimum).
    codes, bins = pd.qcut(frame[TARGET], 10, labels=False, retbins=True, duplicates="drop")
    nthread = int(params.get("nthread", 0)) or -1
    dtrain = xgb.DMatrix(frame[FEATURES], label=codes.to_numpy(dtype=np.float64), nthread=nthread)
    booster = xgb.train(params, dtrain, num_boost_round=rounds)

    os.makedirs(args.output, exist_ok=True)
    booster.save_model(os.path.join(args.output, "model.json"))
    labels = {"boundaries": [float(b) for b in bins[1:-1]], "train_rows": int(len(frame)),
              "class_counts": [int(c) for c in np.bincount(codes.to_numpy(), minlength=10)],
              "params": params, "rounds": rounds, "xgboost_version": xgb.__version__}
    with open(os.path.join(args.output, "labels.json"), "w") as f:
        f.write(json.dumps(labels, indent=2) + "\n")
    emit(labels)


if __name__ == "__main__":
    main()
