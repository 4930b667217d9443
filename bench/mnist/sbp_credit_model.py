"""What additive SBP can add to examples/mnist_sbp.snn, in a rate model.

The 784-500-10 network without spikes, fixed point or chip: hidden rates
relu(x @ W_in) (W_in uniform(-0.2, 0.2), scaled to ~4 spikes per active
neuron), an online delta-rule readout, 8,000 training and 2,000 test digits,
3 epochs. The hidden layer learns as the chip's additive SBP rule does: each
hidden neuron j sums the changes of its output synapses into a potentiation P_j
and a depression D_j, and every input synapse i -> j changes by
lambda * x_i * share_j. What counts as potentiation is the rule's polarity:

  change    the sign of dw_jk (the authors' code);
  efficacy  the sign of dw_jk * w_jk (a growth of |w|);
  off       no SBP: only the readout learns.

and share_j is P_j - D_j (`none`) or (P_j - D_j) / (P_j + D_j) (`fanout`,
times 1e-3 so that lambda is of the same order as the chip's `fraction`).
THETA (default 0) is subtracted before the relu, as a LIF neuron's leak makes
it fire only above a threshold drive: THETA = 1 leaves about 87 of 500 hidden
neurons active per digit, as many as examples/mnist_sbp.snn's hidden layer has
after one epoch on the chip. W_OUT (default 0) starts the readout weights
uniform in [-W_OUT, W_OUT] instead of at 0 (the chip's readout starts random).
It prints, after each epoch, the mean number of active hidden neurons per test
digit and held-out accuracy (argmax of the analog output).

Run: /usr/bin/python3 bench/mnist/sbp_credit_model.py POLARITY LAMBDA NORMALIZE [seed] [THETA] [W_OUT]
e.g. `efficacy 1 fanout`   (numpy only)
"""
import sys

import numpy as np

from digits import load

polarity = sys.argv[1] if len(sys.argv) > 1 else 'efficacy'
lam = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
normalize = sys.argv[3] if len(sys.argv) > 3 else 'fanout'
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
theta = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
w_out_range = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
rng = np.random.default_rng(seed)
xtr, ytr, xte, yte = load(rng)

w_in = rng.uniform(-0.2, 0.2, (784, 500))
first = np.maximum(xtr[:500] @ w_in - theta, 0)
scale = 4.0 / first[first > 0].mean()
w_out = rng.uniform(-w_out_range, w_out_range, (500, 10)) if w_out_range > 0 else np.zeros((500, 10))
target = np.eye(10)[ytr]
eta = 0.2 / (16 * 300)  # as readout_ceiling.py: stable for ~300 active hidden neurons of ~4 spikes

for epoch in range(3):
    for i in rng.permutation(len(xtr)):
        h = np.maximum(xtr[i] @ w_in - theta, 0) * scale
        d_out = eta * np.outer(h, target[i] - np.maximum(h @ w_out, 0))
        if polarity != 'off':
            c = d_out * np.sign(w_out) if polarity == 'efficacy' else d_out
            p = np.maximum(c, 0).sum(1)
            d = -np.minimum(c, 0).sum(1)
            if normalize == 'fanout':
                share = np.divide(p - d, p + d, out=np.zeros_like(p), where=p + d > 0) * 1e-3
            else:
                share = p - d
            w_in += lam * np.outer(xtr[i], share)
        w_out += d_out
    h = np.maximum(xte @ w_in - theta, 0) * scale
    active = (h > 0).sum(1).mean()
    print(f'{polarity} lambda={lam} {normalize} theta={theta} w_out={w_out_range}, epoch {epoch + 1}: {active:.0f} active, {100 * ((h @ w_out).argmax(1) == yte).mean():.2f}%', flush=True)
