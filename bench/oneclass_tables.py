"""One-class detection on six public tables: latentkit's `detect fit` defaults
beside PCA's reconstruction error and scikit-learn's IsolationForest.

Five tables are UCI sets packaged by Debian's r-cran-mlbench, prepared as in
the ODDS collection (odds.cs.stonybrook.edu); the sixth is scikit-learn's
bundled Wisconsin diagnostic breast-cancer table (WDBC, not ODDS's 378-row
subsample of the older WBC):

    set         normal rows                 anomalous rows                     rows   cols
    shuttle     class 1 (Rad.Flow)          classes 2,3,5,6,7 (class 4 dropped) 49097    9
    satellite   the three largest classes   the three smallest (cotton crop,    6435   36
                                            damp grey soil, vegetation stubble)
    ionosphere  'good'                      'bad' (constant column V2 dropped)    351   33
    glass       every class but 6           class 6 (tableware)                   214    9
    pima        not diabetic                diabetic                              768    8
    wdbc        benign                      malignant                             569   30

Each round shuffles a set's rows with a seed and holds out every 5th row for
testing. All three detectors fit on the normal training rows only (latentkit
reads them from one CSV file and keeps every 10th of them aside for its own
test loss; the references use them all), standardised by those rows'
statistics, and are scored by ROC-AUC on every test row. PCA keeps as many
components as latentkit's default code has units (a quarter of the columns).

R is needed only to export the mlbench data once (to --data, as CSV):

    apt-get install -y r-cran-mlbench     # once, for this bench only
    npx tsc -p tsconfig.build.json
    /usr/bin/python3 bench/oneclass_tables.py --rounds 3
"""
import argparse
import csv
import json
import os
import shlex
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
MLBENCH = {"shuttle": "Shuttle", "satellite": "Satellite", "ionosphere": "Ionosphere", "glass": "Glass", "pima": "PimaIndiansDiabetes"}

# Every column but the last (the class) as numbers, the class as its level name.
EXPORT_R = """
suppressMessages(library(mlbench))
args <- commandArgs(trailingOnly = TRUE)
data(list = args[1])
d <- get(args[1])
for (j in seq_len(ncol(d) - 1)) d[[j]] <- as.numeric(as.character(d[[j]]))
d[[ncol(d)]] <- as.character(d[[ncol(d)]])
write.csv(d, args[2], row.names = FALSE)
"""


def mlbench_table(name, folder):
    """Features and class names of an mlbench set, exported once to folder/NAME.csv."""
    path = os.path.join(folder, f"{name}.csv")
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        subprocess.run(["Rscript", "-e", EXPORT_R, MLBENCH[name], path], check=True)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    x = np.array([[float(v) for v in r[:-1]] for r in rows])
    return x, np.array([r[-1] for r in rows])


def odds_set(name, folder):
    """(features, 1 for anomalies) of a set prepared as ODDS does."""
    if name == "wdbc":
        data = load_breast_cancer()
        return data.data, (data.target == 0).astype(int)
    x, cls = mlbench_table(name, folder)
    if name == "shuttle":
        keep = cls != "High"
        x, cls = x[keep], cls[keep]
        anomaly = cls != "Rad.Flow"
    elif name == "satellite":
        names, counts = np.unique(cls, return_counts=True)
        anomaly = np.isin(cls, names[np.argsort(counts)[:3]])
    elif name == "ionosphere":
        x = x[:, x.std(0) > 0]
        anomaly = cls == "bad"
    elif name == "glass":
        anomaly = cls == "6"
    elif name == "pima":
        anomaly = cls == "pos"
    return x, anomaly.astype(int)


def write_csv(path, x, anomaly):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"f{j}" for j in range(x.shape[1])] + ["anomaly"])
        for row, label in zip(x, anomaly):
            w.writerow([repr(float(v)) for v in row] + [int(label)])


def latentkit_auc(folder, train, test, seed, flags):
    run = os.path.join(folder, "run")
    env = {**os.environ, "LATENTKIT_THREADS": "1"}
    fit = [*CLI, "detect", "fit", "--dataset", f"csv:{train}", "--label-column", "anomaly", "--seed", str(seed), "--out", run, "--quiet", *flags]
    subprocess.run(fit, check=True, env=env, cwd=folder, stdout=subprocess.DEVNULL)
    # detect score must be told the score the detector was calibrated with.
    kind = flags[flags.index("--score") : flags.index("--score") + 2] if "--score" in flags else []
    score = [*CLI, "detect", "score", "--run", run, *kind, "--dataset", f"csv:{test}", "--anomaly-label", "1", "--out", os.path.join(folder, "scores.csv"), "--json", "--quiet"]
    out = subprocess.run(score, check=True, env=env, cwd=folder, capture_output=True, text=True).stdout
    return json.loads(out)["rocAuc"]


def one_round(x, anomaly, seed, flags):
    """ROC-AUC of (latentkit, PCA, IsolationForest) on one shuffled split."""
    order = np.random.default_rng(seed).permutation(len(x))
    x, anomaly = x[order], anomaly[order]
    test = (np.arange(len(x)) + 1) % 5 == 0
    normal_train = ~test & (anomaly == 0)
    mean, std = x[normal_train].mean(0), x[normal_train].std(0)
    z = (x - mean) / np.where(std > 0, std, 1)
    pca = PCA(max(1, x.shape[1] // 4)).fit(z[normal_train])
    recon = pca.inverse_transform(pca.transform(z[test]))
    pca_auc = roc_auc_score(anomaly[test], ((z[test] - recon) ** 2).sum(1))
    forest = IsolationForest(random_state=seed).fit(z[normal_train])
    forest_auc = roc_auc_score(anomaly[test], -forest.score_samples(z[test]))
    with tempfile.TemporaryDirectory() as folder:
        train, test_file = os.path.join(folder, "train.csv"), os.path.join(folder, "test.csv")
        write_csv(train, x[normal_train], anomaly[normal_train])
        write_csv(test_file, x[test], anomaly[test])
        ours = latentkit_auc(folder, train, test_file, seed, flags)
    return ours, pca_auc, forest_auc


def cell(values):
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sets", default="shuttle,satellite,ionosphere,glass,pima,wdbc")
    parser.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "latentkit-mlbench"), help="where the mlbench CSV exports are kept")
    parser.add_argument("--flags", default="", help="extra detect fit flags (default none: the recipe's defaults)")
    args = parser.parse_args()
    flags = shlex.split(args.flags)
    detectors = [f"latentkit detect fit {args.flags or '(defaults)'}", "PCA (a quarter of the columns)", "IsolationForest (scikit-learn defaults)"]
    print(f"| set | rows | cols | anomalies | " + " | ".join(detectors) + " |")
    print("| --- | ---: | ---: | ---: | " + " | ".join("---" for _ in detectors) + " |")
    means = []
    for name in args.sets.split(","):
        x, anomaly = odds_set(name, args.data)
        aucs = np.array([one_round(x, anomaly, seed, flags) for seed in range(args.rounds)])
        print(f"{name}: " + ", ".join(f"{a:.3f}" for a in aucs.mean(0)), file=sys.stderr)
        means.append(aucs.mean(0))
        print(f"| {name} | {len(x)} | {x.shape[1]} | {anomaly.sum()} ({anomaly.mean():.0%}) | " + " | ".join(cell(aucs[:, k]) for k in range(3)) + " |")
    mean = np.mean(means, 0)
    print(f"| mean of {len(means)} sets | | | | " + " | ".join(f"{m:.3f}" for m in mean) + " |")
    print(f"\nROC-AUC on the held-out fifth, mean ± standard deviation over {args.rounds} seeded shuffles.")


if __name__ == "__main__":
    main()
