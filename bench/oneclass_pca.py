#!/usr/bin/env python3
"""Reference for bench/oneclass.js: one-class MNIST ROC-AUC of k-component PCA
reconstruction error, computed independently of latentkit with numpy only
(SVD of the centred training images of one digit; AUC by the Mann-Whitney
rank statistic with ties averaged). Prints one JSON line per digit.

    python3 bench/oneclass_pca.py --data-dir /work/shared/data/mnist [--components 16]
"""
import argparse
import gzip
import json
import os

import numpy as np


def idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def roc_auc(scores, positive):
    """P(score of a positive > score of a negative), ties counting one half."""
    order = np.argsort(scores, kind='mergesort')
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n_pos = positive.sum()
    n_neg = len(scores) - n_pos
    return (ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--data-dir', required=True)
    parser.add_argument('--components', type=int, default=16)
    args = parser.parse_args()
    load = lambda name: idx(os.path.join(args.data_dir, name))
    train_x = load('train-images-idx3-ubyte.gz').reshape(-1, 784) / 255.0
    train_y = load('train-labels-idx1-ubyte.gz')
    test_x = load('t10k-images-idx3-ubyte.gz').reshape(-1, 784) / 255.0
    test_y = load('t10k-labels-idx1-ubyte.gz')
    for digit in range(10):
        normal = train_x[train_y == digit]
        mean = normal.mean(axis=0)
        _, _, vt = np.linalg.svd(normal - mean, full_matrices=False)
        basis = vt[:args.components]
        centred = test_x - mean
        residual = centred - (centred @ basis.T) @ basis
        scores = (residual ** 2).sum(axis=1)
        auc = roc_auc(scores, test_y != digit)
        print(json.dumps({'digit': digit, 'components': args.components, 'rocAuc': round(float(auc), 6)}))


if __name__ == '__main__':
    main()
