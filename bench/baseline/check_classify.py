#!/usr/bin/python3
"""Checks of the classification bench: Python xgboost loads amlops' model.json and predicts the
test rows; its probabilities must equal amlops' (aml-predict --probabilities, shortest float
text, so parsing gives back the exact float32) bit for bit; and pandas' qcut boundaries of the
training rows must equal the ones aml-train stored in fare_classes.json, labelling every
training row the same way.

Usage: check_classify.py --model DIR --base DIR --train FILE|DIR --test FILE|DIR --ours FILE [--nthread N]
"""
import argparse
import json
import os

import numpy as np
import pandas as pd
import xgboost as xgb

from common import FEATURES, TARGET, csv_files, emit


def load(path):
    return pd.concat([pd.read_csv(f) for f in csv_files(path)], ignore_index=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for a in ("--model", "--base", "--train", "--test", "--ours"):
        ap.add_argument(a, required=True)
    ap.add_argument("--nthread", type=int, default=0)
    args = ap.parse_args()

    with open(os.path.join(args.model, "fare_classes.json")) as f:
        ours = json.load(f)
    with open(os.path.join(args.base, "labels.json")) as f:
        theirs = json.load(f)
    cost = load(args.train)[TARGET].to_numpy(dtype=np.float64)
    our_codes = np.searchsorted(np.array(ours["boundaries"]), cost, side="left")  # boundaries < cost
    their_codes = pd.qcut(cost, 10, labels=False, duplicates="drop")
    boundaries_equal = bool(np.array_equal(np.array(ours["boundaries"]), np.array(theirs["boundaries"])))

    booster = xgb.Booster(model_file=os.path.join(args.model, "model.json"))
    booster.set_param("nthread", args.nthread or os.cpu_count())
    test = load(args.test)
    python_prob = booster.predict(xgb.DMatrix(test[FEATURES])).astype(np.float32)
    ours_prob = pd.read_csv(args.ours, dtype={f"p_{c}": np.float32 for c in "ABCDEFGHIJ"})
    ours_prob_m = ours_prob[[f"p_{c}" for c in "ABCDEFGHIJ"]].to_numpy(dtype=np.float32)
    same = python_prob.shape == ours_prob_m.shape and np.array_equal(python_prob.view(np.uint32), ours_prob_m.view(np.uint32))
    differing_rows = int(np.any(python_prob != ours_prob_m, axis=1).sum()) if python_prob.shape == ours_prob_m.shape else -1
    labels = np.array(list("ABCDEFGHIJ"))[python_prob.argmax(axis=1)]
    emit({"boundaries_equal": boundaries_equal, "boundaries": ours["boundaries"],
          "train_label_mismatches": int((our_codes != their_codes).sum()),
          "test_rows": int(len(test)), "probabilities_identical": bool(same), "rows_with_different_probabilities": differing_rows,
          "max_abs_difference": float(np.max(np.abs(python_prob - ours_prob_m))) if differing_rows >= 0 else None,
          "label_mismatches": int((labels != ours_prob["predicted"].to_numpy()).sum())})


if __name__ == "__main__":
    main()
