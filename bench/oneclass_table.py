"""One-class detection on a table: latentkit's `detect fit` defaults beside PCA's
reconstruction error and scikit-learn's IsolationForest, on the same rows.

The table is scikit-learn's bundled Wisconsin breast-cancer data (569 rows, 30
numeric columns; no download): benign rows are normal, malignant ones anomalies.
Each round shuffles the rows with a seed and holds out every 5th row for
testing. All three fit on the benign training rows only (latentkit reads them
from one CSV file, and keeps every 10th of them aside for its own test loss;
the references use them all), standardised by their statistics, and are
scored by ROC-AUC on every test row (a second CSV file).

    npx tsc -p tsconfig.build.json
    /usr/bin/python3 bench/oneclass_table.py --rounds 5
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = [os.environ.get("NODE", "node"), os.path.join(ROOT, "bin", "latentkit.js")]


def write_csv(path, x, benign):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"f{j}" for j in range(x.shape[1])] + ["benign"])
        for row, label in zip(x, benign):
            w.writerow([repr(float(v)) for v in row] + [int(label)])


def latentkit_auc(folder, train, test):
    run = os.path.join(folder, "run")
    env = {**os.environ, "LATENTKIT_THREADS": "1"}
    fit = [*CLI, "detect", "fit", "--dataset", f"csv:{train}", "--label-column", "benign", "--out", run, "--quiet"]
    subprocess.run(fit, check=True, env=env, cwd=folder)
    score = [*CLI, "detect", "score", "--run", run, "--dataset", f"csv:{test}", "--anomaly-label", "0", "--out", os.path.join(folder, "scores.csv"), "--json", "--quiet"]
    out = subprocess.run(score, check=True, env=env, cwd=folder, capture_output=True, text=True).stdout
    return json.loads(out)["rocAuc"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--components", type=int, default=7, help="PCA components (latentkit's default code for 30 columns is 7)")
    args = parser.parse_args()
    data = load_breast_cancer()
    rows = {"latentkit detect fit (defaults)": [], f"PCA, {args.components} components": [], "IsolationForest (scikit-learn defaults)": []}
    for seed in range(args.rounds):
        order = np.random.default_rng(seed).permutation(len(data.target))
        x, benign = data.data[order], data.target[order]
        test = (np.arange(len(x)) + 1) % 5 == 0
        normal_train = ~test & (benign == 1)
        mean, std = x[normal_train].mean(0), x[normal_train].std(0)
        z = (x - mean) / std
        anomaly = benign[test] == 0
        pca = PCA(args.components).fit(z[normal_train])
        recon = pca.inverse_transform(pca.transform(z[test]))
        rows[f"PCA, {args.components} components"].append(roc_auc_score(anomaly, ((z[test] - recon) ** 2).sum(1)))
        forest = IsolationForest(random_state=seed).fit(z[normal_train])
        rows["IsolationForest (scikit-learn defaults)"].append(roc_auc_score(anomaly, -forest.score_samples(z[test])))
        with tempfile.TemporaryDirectory() as folder:
            train, test_file = os.path.join(folder, "train.csv"), os.path.join(folder, "test.csv")
            write_csv(train, x[normal_train], benign[normal_train])
            write_csv(test_file, x[test], benign[test])
            rows["latentkit detect fit (defaults)"].append(latentkit_auc(folder, train, test_file))
        print(f"round {seed}: " + ", ".join(f"{k.split(' ')[0]} {v[-1]:.3f}" for k, v in rows.items()), file=sys.stderr)
    print(f"| detector | ROC-AUC, mean of {args.rounds} shuffles (min–max) |")
    print("| --- | --- |")
    for name, values in rows.items():
        print(f"| {name} | {np.mean(values):.3f} ({min(values):.3f}–{max(values):.3f}) |")


if __name__ == "__main__":
    main()
