#!/usr/bin/python3
"""The CUBA benchmark (Vogels & Abbott 2005, as in Brian2's examples/CUBA.py) in
Brian2 C++ standalone mode, single thread: the yardstick `npm run bench` runs
side by side with Meso. Prints one JSON object on stdout.

Usage: /usr/bin/python3 bench/brian2/cuba.py --neurons 4000 --dt-ms 1.0 --duration-s 10 --seed 1
"""
import argparse
import json
import os
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument('--neurons', type=int, default=4000)
parser.add_argument('--dt-ms', type=float, default=0.1)
parser.add_argument('--duration-s', type=float, default=1.0)
parser.add_argument('--seed', type=int, default=1)
parser.add_argument('--p', type=float, default=0.02, help='connection probability (0.02 in CUBA)')
parser.add_argument('--build-dir', default=None)
args = parser.parse_args()

import brian2 as b2  # noqa: E402  (after argparse so --help is fast)
from brian2 import ms, mV, second  # noqa: E402

b2.set_device('cpp_standalone', build_on_run=False)
b2.prefs.devices.cpp_standalone.openmp_threads = 0  # single thread, no OpenMP
b2.defaultclock.dt = args.dt_ms * ms
b2.seed(args.seed)

# Parameters of Brian2's examples/CUBA.py (Vogels & Abbott 2005).
taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
eqs = '''
dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt
'''
N = args.neurons
Ne = int(0.8 * N)
P = b2.NeuronGroup(N, eqs, threshold='v>Vt', reset='v = Vr', refractory=5 * ms, method='exact')
P.v = 'Vr + rand() * (Vt - Vr)'
P.ge = 0 * mV
P.gi = 0 * mV
we = (60 * 0.27 / 10) * mV
wi = (-20 * 4.5 / 10) * mV
Ce = b2.Synapses(P, P, on_pre='ge += we')
Ci = b2.Synapses(P, P, on_pre='gi += wi')
Ce.connect('i<Ne', p=args.p)
Ci.connect('i>=Ne', p=args.p)
spikes = b2.SpikeMonitor(P, record=False)  # counts only, as Meso's report does
b2.run(args.duration_s * second)

build_dir = args.build_dir or tempfile.mkdtemp(prefix='brian2-cuba-')
t0 = time.perf_counter()
b2.device.build(directory=build_dir, compile=True, run=True, debug=False, clean=False)
wall = time.perf_counter() - t0
device = b2.get_device()
run_binary_s = device.timers['run_binary']
simulate_s = float(device._last_run_time)
synapses = int(len(Ce) + len(Ci))
result = {
    'simulator': 'brian2 %s cpp_standalone (1 thread)' % b2.__version__,
    'neurons': N,
    'synapses': synapses,
    'p': args.p,
    'dt_s': args.dt_ms * 1e-3,
    'duration_s': args.duration_s,
    'steps': int(round(args.duration_s / (args.dt_ms * 1e-3))),
    'spikes': int(spikes.num_spikes),
    'rate_hz': float(spikes.num_spikes) / N / args.duration_s,
    # Construction (synapse creation, initialisation) runs inside the binary before the simulation loop.
    'construct_s': run_binary_s - simulate_s,
    'simulate_s': simulate_s,
    'compile_s': wall - run_binary_s,
}
json.dump(result, sys.stdout)
sys.stdout.write('\n')
