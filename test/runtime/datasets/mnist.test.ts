import { describe, expect, it } from 'vitest';
import { loadMnist, MNIST_INPUTS, seededPermutation } from '../../../runtime/datasets/mnist.js';
import { encodeStep } from '../../../runtime/datasets/encoders.js';
import { sampleInputs } from '../../../runtime/datasets/dataset.js';

describe('MNIST from the mnist package', () => {
  const data = loadMnist();

  it('splits the 10,000 digits into 8,000 train and 2,000 test, disjoint', () => {
    expect(data.train.count).toBe(8000);
    expect(data.test.count).toBe(2000);
    expect(data.train.inputs.length).toBe(8000 * MNIST_INPUTS);
    // Every class is in both halves in roughly its share (the package has 863..1127 per digit).
    for (let d = 0; d < 10; d++) {
      const inTest = data.test.labels.filter((l) => l === d).length;
      expect(inTest).toBeGreaterThan(130);
      expect(inTest).toBeLessThan(270);
    }
    // Disjoint: no test image equals a train image byte for byte (MNIST has no exact duplicates in 10k).
    const key = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64');
    const train = new Set<string>();
    for (let i = 0; i < data.train.count; i++) train.add(key(sampleInputs(data.train, MNIST_INPUTS, i)));
    let shared = 0;
    for (let i = 0; i < data.test.count; i++) if (train.has(key(sampleInputs(data.test, MNIST_INPUTS, i)))) shared++;
    expect(shared).toBe(0);
  });

  it('gives the same split for the same seed and another for another seed', () => {
    expect(loadMnist().test.labels).toEqual(data.test.labels);
    expect(loadMnist(7).test.labels).not.toEqual(data.test.labels);
    const p = seededPermutation(1000, 3);
    expect([...p].sort((a, b) => a - b)).toEqual([...Array(1000).keys()]);
  });

  it('holds real digits: intensities in [0, 1], about a fifth of the pixels lit', () => {
    let lit = 0;
    for (let i = 0; i < 1000 * MNIST_INPUTS; i++) {
      const x = data.train.inputs[i];
      expect(x >= 0 && x <= 1).toBe(true);
      if (x > 0) lit++;
    }
    // MNIST digits light roughly 19% of their 784 pixels.
    expect(lit / (1000 * MNIST_INPUTS)).toBeGreaterThan(0.12);
    expect(lit / (1000 * MNIST_INPUTS)).toBeLessThan(0.26);
  });
});

describe('encoders', () => {
  const x = new Float32Array([0, 0.25, 0.5, 1]);
  const out = new Uint32Array(4);

  it('rate coding gives regular trains at intensity x max rate', () => {
    const counts = [0, 0, 0, 0];
    for (let t = 0; t < 1000; t++) {
      const n = encodeStep({ kind: 'rate', maxRateHz: 100 }, x, 1e-3, 1, 0, t, out);
      for (let k = 0; k < n; k++) counts[out[k]]++;
    }
    // 1 s at 0, 25, 50 and 100 Hz.
    expect(counts).toEqual([0, 25, 50, 100]);
  });

  it('Poisson coding fires at the expected rate and replays exactly for the same key', () => {
    const counts = [0, 0, 0, 0];
    const first: number[] = [];
    for (let t = 0; t < 20000; t++) {
      const n = encodeStep({ kind: 'poisson', maxRateHz: 100 }, x, 1e-3, 1, 5, t, out);
      for (let k = 0; k < n; k++) {
        counts[out[k]]++;
        if (t < 50) first.push(t * 4 + out[k]);
      }
    }
    // Expected 0, 500, 1000, 2000 over 20 s; sd of Binomial(20000, 0.1) is 42, 4 sd tolerance.
    expect(counts[0]).toBe(0);
    expect(Math.abs(counts[1] - 500)).toBeLessThan(4 * 22);
    expect(Math.abs(counts[2] - 1000)).toBeLessThan(4 * 31);
    expect(Math.abs(counts[3] - 2000)).toBeLessThan(4 * 43);
    const again: number[] = [];
    for (let t = 0; t < 50; t++) {
      const n = encodeStep({ kind: 'poisson', maxRateHz: 100 }, x, 1e-3, 1, 5, t, out);
      for (let k = 0; k < n; k++) again.push(t * 4 + out[k]);
    }
    expect(again).toEqual(first);
  });
});
