#!/usr/bin/python3
"""Python xgboost baseline of aml-score: load a model, predict a data file, write predictions.csv
(actual,predicted) and metrics.json.

Usage: score.py --model model.json --data FILE|DIR --output DIR [--nthread N]
"""
import argparse
import json
import os

import numpy as np
import pandas as pd
import xgboost as xgb

from common import FEATURES, TARGET, csv_files, emit
from train import regression_metrics


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--nthread", type=int, default=0)
    args = ap.parse_args()

    booster = xgb.Booster(model_file=args.model)
    frame = pd.concat([pd.read_csv(f) for f in csv_files(args.data)], ignore_index=True)
    pred = booster.predict(xgb.DMatrix(frame[FEATURES], nthread=args.nthread or -1))
    os.makedirs(args.output, exist_ok=True)
    result = {"rows": len(frame)}
    if TARGET in frame:
        y = frame[TARGET].to_numpy(dtype=np.float64)
        pd.DataFrame({"actual": y, "predicted": pred}).to_csv(os.path.join(args.output, "predictions.csv"), index=False)
        result["metrics"] = regression_metrics(y, pred)
        with open(os.path.join(args.output, "metrics.json"), "w") as f:
            f.write(json.dumps(result["metrics"], indent=2) + "\n")
    else:
        pd.DataFrame({"predicted": pred}).to_csv(os.path.join(args.output, "predictions.csv"), index=False)
    emit(result)


if __name__ == "__main__":
    main()
