"""Shared bits of the Python baseline: the feature contract (docs/TAXI-DATA.md) and small helpers."""
import json
import os
import sys

FEATURES = [
    "distance", "dropoff_latitude", "dropoff_longitude", "passengers", "pickup_latitude",
    "pickup_longitude", "store_forward", "vendor", "pickup_weekday", "pickup_month",
    "pickup_monthday", "pickup_hour", "pickup_minute", "pickup_second", "dropoff_weekday",
    "dropoff_month", "dropoff_monthday", "dropoff_hour", "dropoff_minute", "dropoff_second",
]
TARGET = "cost"


def csv_files(path):
    """A folder means every *.csv in it (sorted), like an Azure ML uri_folder; a file is itself."""
    if os.path.isdir(path):
        return [os.path.join(path, f) for f in sorted(os.listdir(path)) if f.endswith(".csv")]
    return [path]


def emit(result):
    """One JSON document on stdout, like the amlops tools."""
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
