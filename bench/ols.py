#!/usr/bin/python3
"""Ordinary least squares baseline for bench/sweep.sh: fits cost on every other column of
train.csv (plus an intercept) and prints the test RMSE as JSON. Standard library only (no numpy
on the bench machines): the least-squares problem is solved by a QR factorisation (modified
Gram-Schmidt with one re-orthogonalisation pass), and columns that are constant or a linear
combination of earlier ones (e.g. the pick-up month of a one-month sample) are left out."""
import csv
import json
import math
import sys


def load(path, target="cost"):
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        t = header.index(target)
        names = [h for i, h in enumerate(header) if i != t]
        xs, ys = [], []
        for r in rows:
            if not r:
                continue
            ys.append(float(r[t]))
            xs.append([float(v) for i, v in enumerate(r) if i != t])
    return names, xs, ys


def fit(xs, ys):
    n, p = len(xs), len(xs[0])
    # Columns centred and scaled, so the tolerance for dependence means the same for every feature.
    means = [sum(r[j] for r in xs) / n for j in range(p)]
    scales = []
    for j in range(p):
        s = math.sqrt(sum((r[j] - means[j]) ** 2 for r in xs) / n)
        scales.append(s)
    cols, kept = [], []
    for j in range(p):
        if scales[j] < 1e-12:
            continue
        cols.append([(r[j] - means[j]) / scales[j] for r in xs])
        kept.append(j)
    q, r_rows, used = [], [], []
    for idx, c in enumerate(cols):
        v = c[:]
        coef = [0.0] * len(q)
        for _ in range(2):
            for k, qk in enumerate(q):
                d = sum(a * b for a, b in zip(qk, v))
                coef[k] += d
                v = [a - d * b for a, b in zip(v, qk)]
        norm = math.sqrt(sum(a * a for a in v))
        if norm < 1e-8 * math.sqrt(n):
            continue  # dependent on earlier columns
        q.append([a / norm for a in v])
        r_rows.append(coef + [norm])
        used.append(kept[idx])
    ymean = sum(ys) / n
    yc = [y - ymean for y in ys]
    qty = [sum(a * b for a, b in zip(qk, yc)) for qk in q]
    m = len(q)
    beta = [0.0] * m
    for i in reversed(range(m)):
        s = qty[i] - sum(r_rows[k][i] * beta[k] for k in range(i + 1, m))
        beta[i] = s / r_rows[i][i]
    # Back to the original units: y = intercept + sum w_j x_j.
    weights = {used[i]: beta[i] / scales[used[i]] for i in range(m)}
    intercept = ymean - sum(w * means[j] for j, w in weights.items())
    return intercept, weights


def main():
    train, test = sys.argv[1], sys.argv[2]
    names, xs, ys = load(train)
    intercept, weights = fit(xs, ys)
    tnames, txs, tys = load(test)
    assert tnames == names, "train and test columns differ"
    se = 0.0
    for r, y in zip(txs, tys):
        pred = intercept + sum(w * r[j] for j, w in weights.items())
        se += (pred - y) ** 2
    rmse = math.sqrt(se / len(tys))
    print(json.dumps({"rmse": rmse, "n": len(tys), "features_used": len(weights),
                      "features_dropped": [names[j] for j in range(len(names)) if j not in weights]}))


if __name__ == "__main__":
    main()
