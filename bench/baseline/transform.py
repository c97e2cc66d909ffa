#!/usr/bin/python3
"""pandas baseline of aml-transform (docs/TAXI-DATA.md): merge the raw green/yellow files into one
schema, clean, derive the datetime features, split 80/20 and write train.csv and test.csv.

Written the way a careful pandas user would (explicit dtypes, vectorised filters), so that the
comparison is against reasonable pandas, not a strawman.

Usage: transform.py INPUT... --output DIR [--test-ratio 0.2] [--seed 42]
"""
import argparse
import os

import numpy as np
import pandas as pd

from common import FEATURES, TARGET, csv_files, emit

# Raw column -> merged column; both raw schemas are covered.
RENAME = {
    "vendorID": "vendor",
    "lpepPickupDatetime": "pickup_datetime", "tpepPickupDateTime": "pickup_datetime",
    "lpepDropoffDatetime": "dropoff_datetime", "tpepDropoffDateTime": "dropoff_datetime",
    "storeAndFwdFlag": "store_forward",
    "pickupLongitude": "pickup_longitude", "startLon": "pickup_longitude",
    "pickupLatitude": "pickup_latitude", "startLat": "pickup_latitude",
    "dropoffLongitude": "dropoff_longitude", "endLon": "dropoff_longitude",
    "dropoffLatitude": "dropoff_latitude", "endLat": "dropoff_latitude",
    "passengerCount": "passengers",
    "fareAmount": "cost",
    "tripDistance": "distance",
}
MERGED = sorted(set(RENAME.values()))


def load(path):
    header = pd.read_csv(path, nrows=0).columns
    wanted = [c for c in header if c in RENAME]
    dtypes = {c: (str if RENAME[c] in ("pickup_datetime", "dropoff_datetime", "store_forward") else "float64")
              for c in wanted}
    # tripDistance may be ".00" (a float for pandas) or empty (NaN): both become 0 below.
    frame = pd.read_csv(path, usecols=wanted, dtype=dtypes, keep_default_na=True)
    return frame.rename(columns=RENAME)[MERGED]


def datetime_features(frame, prefix):
    text = frame[prefix + "_datetime"]
    # Parse with the format of the first value (ISO or month/day/year); malformed values -> NaT.
    sample = text.dropna().iloc[0] if text.notna().any() else ""
    fmt = "%m/%d/%Y %H:%M" if "/" in sample else "%Y-%m-%d %H:%M:%S"
    when = pd.to_datetime(text, format=fmt, errors="coerce")
    return when


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--output", required=True)
    ap.add_argument("--test-ratio", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    files = [f for p in args.inputs for f in csv_files(p)]
    df = pd.concat([load(f) for f in files], ignore_index=True)
    rows_in = len(df)
    df = df.dropna(how="all")

    # Malformed datetimes are rejected (the amlops transform rejects those rows too).
    pickup = datetime_features(df, "pickup")
    dropoff = datetime_features(df, "dropoff")
    valid = pickup.notna() & dropoff.notna()
    rejected = int((~valid).sum())
    df, pickup, dropoff = df[valid], pickup[valid], dropoff[valid]

    # 1. Bounding box; NaN coordinates fail every comparison and are dropped.
    box = (df.pickup_longitude.between(-74.09, -73.72) & df.pickup_latitude.between(40.53, 40.88)
           & df.dropoff_longitude.between(-74.72, -73.72) & df.dropoff_latitude.between(40.53, 40.88))
    df, pickup, dropoff = df[box], pickup[box], dropoff[box]

    out = pd.DataFrame(index=df.index)
    # 3. Missing distance -> 0 (".00" already parsed as 0.0).
    out["distance"] = df.distance.fillna(0.0)
    for c in ("dropoff_latitude", "dropoff_longitude"):
        out[c] = df[c]
    out["passengers"] = df.passengers
    for c in ("pickup_latitude", "pickup_longitude"):
        out[c] = df[c]
    # 2. "0" or missing -> N; N -> 0, anything else -> 1.
    flag = df.store_forward.fillna("N").replace("0", "N")
    out["store_forward"] = (flag != "N").astype(np.int64)
    out["vendor"] = df.vendor
    # 4. Datetime parts (Mon = 0).
    for name, when in (("pickup", pickup), ("dropoff", dropoff)):
        out[name + "_weekday"] = when.dt.weekday
        out[name + "_month"] = when.dt.month
        out[name + "_monthday"] = when.dt.day
        out[name + "_hour"] = when.dt.hour
        out[name + "_minute"] = when.dt.minute
        out[name + "_second"] = when.dt.second
    out[TARGET] = df.cost
    # 5. Positive distance and cost.
    out = out[(out.distance > 0) & (out[TARGET] > 0)]
    out = out[FEATURES + [TARGET]]

    shuffled = out.sample(frac=1.0, random_state=args.seed)
    n_test = int(round(len(shuffled) * args.test_ratio))
    os.makedirs(args.output, exist_ok=True)
    shuffled.iloc[n_test:].to_csv(os.path.join(args.output, "train.csv"), index=False)
    shuffled.iloc[:n_test].to_csv(os.path.join(args.output, "test.csv"), index=False)
    emit({"rows_in": rows_in, "rejected": rejected, "kept": len(out),
          "train_rows": len(out) - n_test, "test_rows": n_test})


if __name__ == "__main__":
    main()
