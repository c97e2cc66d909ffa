"""Python baseline of `aml-predict serve`, built like Azure ML's default inference server: a Flask
app under gunicorn sync workers, scoring an MLflow model folder with Python xgboost.

    MODEL_DIR=out/model gunicorn -w 2 -b 127.0.0.1:5002 --chdir bench/baseline serve_app:app

Routes: GET / (liveness), POST /score with {"input_data": {"columns": [...], "data": [[...]]}},
{"input_data": [[...]]} or {"data": [[...]]}; the answer is a JSON array of predictions.
"""
import os

import numpy as np
import xgboost as xgb
from flask import Flask, jsonify, request

from common import FEATURES

MODEL_DIR = os.environ.get("MODEL_DIR", "model")
booster = xgb.Booster(model_file=os.path.join(MODEL_DIR, "model.json"))
app = Flask(__name__)


@app.get("/")
def live():
    return "Healthy\n"


@app.post("/score")
def score():
    body = request.get_json(force=True)
    payload = body.get("input_data", body.get("data"))
    if isinstance(payload, dict):  # pandas split orientation: reorder the columns by name
        order = [payload["columns"].index(name) for name in FEATURES]
        rows = np.asarray(payload["data"], dtype=np.float32)[:, order]
    else:
        rows = np.asarray(payload, dtype=np.float32)
    pred = booster.predict(xgb.DMatrix(rows, feature_names=FEATURES))
    return jsonify(pred.tolist())
