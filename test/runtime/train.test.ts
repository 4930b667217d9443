// `meso train`: real MNIST digits on the emulated chip, small enough for `npm test`.
// A 784-64-10 version of examples/mnist_sbp.snn (the same rules, fewer hidden
// neurons) learns a few hundred digits in one epoch; a resumed run must end with
// the same weights as an uninterrupted one; --save writes an image that
// `meso inspect` and `meso run` accept.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, afterAll } from 'vitest';
import { readImage } from '../../isa/image/index.js';
import { train, type TrainRequest } from '../../runtime/train/command.js';
import type { CompareReport, TrainRunReport } from '../../runtime/train/report.js';
import { classify, lrScale, runEpoch, testPhase, type TrainOptions } from '../../runtime/train/loop.js';
import { trainableNetwork, withRateScale } from '../../runtime/train/network.js';
import { loadMnist } from '../../runtime/datasets/mnist.js';
import { takeSamples } from '../../runtime/datasets/dataset.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'bin/meso.js');

/** examples/mnist_sbp.snn with `hidden` neurons instead of 500. */
function smallNetwork(hidden: number): string {
  const text = readFileSync(join(root, 'examples/mnist_sbp.snn'), 'utf8');
  const out = text.replace('population hidden[500]', `population hidden[${hidden}]`);
  if (out === text) throw new Error('examples/mnist_sbp.snn no longer declares `population hidden[500]`; update this test');
  return out;
}

let dir = '';
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});
let file = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'meso-train-'));
  file = join(dir, 'mnist_small.snn');
  writeFileSync(file, smallNetwork(64));
});

function request(over: Partial<TrainRequest>): TrainRequest {
  return {
    file,
    dataset: 'mnist',
    train: 40,
    test: 20,
    epochs: 1,
    seed: 5,
    sbp: true,
    compare: false,
    backend: 'cpu',
    stepsPerSample: 150,
    rest: 20,
    encoder: 'rate',
    maxRateHz: 100,
    quiet: true,
    ...over,
  };
}

describe('classify', () => {
  it('picks the output with the most spikes, and no class on a tie or silence', () => {
    expect(classify(Float64Array.from([0, 3, 1]))).toBe(1);
    expect(classify(Float64Array.from([2, 3, 3]))).toBe(-1);
    expect(classify(Float64Array.from([0, 0, 0]))).toBe(-1);
  });
});

describe('meso train on MNIST', () => {
  it('learns: held-out accuracy well above chance after one epoch of a few hundred digits', async () => {
    const out = await train(request({ train: 300, test: 100, checkpoint: join(dir, 'learn.ckpt.json'), report: join(dir, 'learn.json') }));
    const report = out.report as TrainRunReport;
    expect(report.schema).toBe('meso.train/v1');
    expect(report.sbp).toBe(true);
    expect(report.epochs).toHaveLength(1);
    const e = report.epochs[0];
    // Chance is 10%; the untrained network scores about that or less (ties count as wrong), so the gain is learning's.
    const net = trainableNetwork(out.image, file);
    const digits = loadMnist();
    const untrained = await testPhase(net, out.image, takeSamples(digits.test, digits.inputSize, 100), digits.inputSize, { seed: 5, backend: 'cpu', stepsPerSample: 150, restSteps: 20, lrDecay: 1, lrDecayEvery: 1, encoder: { kind: 'rate', maxRateHz: 100 } });
    expect(untrained.correct / untrained.samples).toBeLessThan(0.15);
    expect(e.test_accuracy).toBeGreaterThan(0.2);
    expect(e.energy_j.by_category.sbp).toBeGreaterThan(0);
    expect(e.energy_j.total).toBeCloseTo(Object.values(e.energy_j.by_category).reduce((a, b) => a + b, 0), 12);
    expect(e.energy_per_training_sample_j).toBeCloseTo(e.train_energy_j.total / 300, 12);
    expect(JSON.parse(readFileSync(join(dir, 'learn.json'), 'utf8')).epochs[0].test_accuracy).toBe(e.test_accuracy);
  });

  it('resumes from a checkpoint with the same weights as an uninterrupted run', async () => {
    // The rates step down after the first epoch, so the resumed epoch must learn at the decayed rates too.
    const straight = await train(request({ epochs: 2, lrDecayEvery: 1, checkpoint: join(dir, 'straight.ckpt.json') }));
    const cp = join(dir, 'resumed.ckpt.json');
    const first = await train(request({ epochs: 1, lrDecayEvery: 1, checkpoint: cp }));
    // The first epoch changed the weights, so the comparison below can fail.
    expect(first.synapses[0].some((s, c) => s.some((w, i) => w !== first.image.cores[c].synapses[i]))).toBe(true);
    const resumed = await train(request({ epochs: 2, lrDecayEvery: 1, resume: cp }));
    expect(resumed.synapses[0].length).toBe(straight.synapses[0].length);
    resumed.synapses[0].forEach((s, c) => expect(Buffer.from(s.buffer).equals(Buffer.from(straight.synapses[0][c].buffer))).toBe(true));
    expect(resumed.report).toEqual(withoutWall(straight.report, resumed.report));
  });

  it('--lr-decay: an epoch learns with every rule\'s rates times the decay, once for every --lr-decay-every epochs before it', async () => {
    const first = await train(request({ epochs: 1, checkpoint: join(dir, 'decay.ckpt.json') }));
    const net = trainableNetwork(first.image, file);
    const digits = loadMnist();
    const dataset = { inputSize: digits.inputSize, train: takeSamples(digits.train, digits.inputSize, 40), test: takeSamples(digits.test, digits.inputSize, 20) };
    const options = (lrDecay: number, lrDecayEvery = 1): TrainOptions => ({ seed: 5, backend: 'cpu', stepsPerSample: 150, restSteps: 20, lrDecay, lrDecayEvery, encoder: { kind: 'rate', maxRateHz: 100 } });
    const start = first.synapses[0];
    const decayed = await runEpoch(net, dataset, start, 2, options(0.5));
    const prescaled = await runEpoch({ ...net, image: withRateScale(net.image, 0.25) }, dataset, start, 2, options(1));
    const full = await runEpoch(net, dataset, start, 2, options(1));
    // --lr-decay-every 3: epoch 2 (the third) still learns at the full rates.
    const held = await runEpoch(net, dataset, start, 2, options(0.5, 3));
    const same = (a: readonly Uint32Array[], b: readonly Uint32Array[]): boolean => a.every((s, c) => Buffer.from(s.buffer).equals(Buffer.from(b[c].buffer)));
    expect(same(decayed.synapses, prescaled.synapses)).toBe(true);
    expect(same(decayed.synapses, full.synapses)).toBe(false);
    expect(same(decayed.synapses, start)).toBe(false);
    expect(same(held.synapses, full.synapses)).toBe(true);
  });

  it('lrScale steps the rates down by the decay after every lrDecayEvery epochs', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((e) => lrScale(0.25, 3, e))).toEqual([1, 1, 1, 0.25, 0.25, 0.25, 0.0625]);
    expect([0, 1, 2].map((e) => lrScale(0.5, 1, e))).toEqual([1, 0.5, 0.25]);
  });

  it('refuses an --lr-decay outside (0, 1] and a checkpoint of another --lr-decay', async () => {
    await expect(train(request({ lrDecay: 0 }))).rejects.toThrow(/--lr-decay 0: .*above 0 and at most 1/);
    await expect(train(request({ lrDecay: 1.5 }))).rejects.toThrow(/--lr-decay 1.5/);
    await expect(train(request({ lrDecayEvery: 0 }))).rejects.toThrow(/--lr-decay-every 0: give a whole number/);
    const cp = join(dir, 'decay-other.ckpt.json');
    await train(request({ epochs: 1, lrDecay: 0.5, checkpoint: cp }));
    await expect(train(request({ epochs: 2, lrDecay: 1, resume: cp }))).rejects.toThrow(/another training run/);
  });

  it('refuses to resume a checkpoint of other options, naming what differs', async () => {
    const cp = join(dir, 'other.ckpt.json');
    await train(request({ epochs: 1, checkpoint: cp }));
    await expect(train(request({ epochs: 2, seed: 6, resume: cp }))).rejects.toThrow(/another training run/);
  });

  it('--compare runs both on the same seed and reports the energy ratios at five thresholds', async () => {
    const out = await train(request({ compare: true, epochs: 2, checkpoint: join(dir, 'cmp.ckpt.json') }));
    const report = out.report as CompareReport;
    expect(report.runs.map((r) => r.sbp)).toEqual([true, false]);
    expect(report.comparison.thresholds).toHaveLength(5);
    expect(report.runs[1].epochs[0].energy_j.by_category.sbp).toBe(0);
    expect(report.runs[0].epochs[0].energy_j.by_category.sbp).toBeGreaterThan(0);
  });

  it('--compare gives the same results with both runs on worker threads as in turn on one thread', async () => {
    const inTurn = await train(request({ compare: true, epochs: 2, jobs: 1, checkpoint: join(dir, 'jobs1.ckpt.json') }));
    const threads = await train(request({ compare: true, epochs: 2, jobs: 2, checkpoint: join(dir, 'jobs2.ckpt.json') }));
    // Both runs learned (their weights moved), so equal weights below mean the same learning.
    for (let r = 0; r < 2; r++) expect(inTurn.synapses[r].some((s, c) => s.some((w, i) => w !== inTurn.image.cores[c].synapses[i]))).toBe(true);
    for (let r = 0; r < 2; r++) {
      threads.synapses[r].forEach((s, c) => expect(Buffer.from(s.buffer).equals(Buffer.from(inTurn.synapses[r][c].buffer))).toBe(true));
    }
    const a = inTurn.report as CompareReport;
    const b = threads.report as CompareReport;
    expect(b.runs).toEqual(a.runs.map((run, r) => withoutWall(run, b.runs[r])));
    expect(b.comparison).toEqual(a.comparison);
  });
});

/** The straight run's report with the resumed run's host timings (wall clock differs run to run). */
function withoutWall(a: unknown, b: unknown): unknown {
  const ra = a as TrainRunReport;
  const rb = b as TrainRunReport;
  return { ...ra, epochs: ra.epochs.map((e, i) => ({ ...e, wall_s: rb.epochs[i].wall_s, samples_per_s: rb.epochs[i].samples_per_s })) };
}

describe('the meso train command', () => {
  it('saves an image with the learned weights that meso inspect and meso run accept', () => {
    if (!existsSync(join(root, 'dist/runtime/main.js'))) throw new Error('dist/ is not built: run `npm test` (which runs tsc first) or `npm run build`');
    const saved = join(dir, 'trained.chip');
    const report = join(dir, 'cli.json');
    const html = join(dir, 'cli.html');
    const r = spawnSync(process.execPath, [bin, 'train', file, '--train', '20', '--test', '10', '--epochs', '1', '--save', saved, '--report', report, '--html', html, '--checkpoint', join(dir, 'cli.ckpt.json')], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).not.toContain('internal error');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('test acc');
    const image = readImage(new Uint8Array(readFileSync(saved)), saved);
    expect(image.symbols.populations.map((p) => p.name)).toContain('hidden');
    expect(readFileSync(html, 'utf8')).toContain('<svg');
    const inspect = spawnSync(process.execPath, [bin, 'inspect', saved], { cwd: root, encoding: 'utf8' });
    expect(inspect.status).toBe(0);
    const run = spawnSync(process.execPath, [bin, 'run', saved, '--steps', '20'], { cwd: root, encoding: 'utf8' });
    expect(run.status).toBe(0);
  });

  it('says what a program lacks to be trained, with exit status 1', () => {
    const r = spawnSync(process.execPath, [bin, 'train', join(root, 'examples/synfire.snn'), '--train', '5', '--test', '5'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nothing to train/);
  });
});
