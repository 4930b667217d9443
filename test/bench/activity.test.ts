// bench/mnist/activity.ts presents held-out digits as `meso train` tests them:
// on a briefly trained small network its accuracy must be the report's, and its
// counts must add up.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readoutActivity } from '../../bench/mnist/activity.js';
import { PRESENT_DEFAULTS, train } from '../../runtime/train/command.js';
import { withSynapses } from '../../runtime/train/network.js';
import type { TrainRunReport } from '../../runtime/train/report.js';

describe('bench/mnist/activity.ts', () => {
  let dir = '';
  afterEach(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it("reads out the trained image with the report's accuracy, and counts ties, silence and the hidden layer's activity", async () => {
    dir = mkdtempSync(join(tmpdir(), 'meso-activity-'));
    const file = join(dir, 'small.snn');
    const text = readFileSync(new URL('../../examples/mnist_sbp.snn', import.meta.url), 'utf8');
    writeFileSync(file, text.replace('population hidden[500]', 'population hidden[48]'));
    const out = await train({
      file,
      dataset: 'mnist',
      train: 200,
      test: 60,
      epochs: 1,
      seed: 7,
      sbp: true,
      compare: false,
      backend: 'cpu',
      stepsPerSample: PRESENT_DEFAULTS.stepsPerSample,
      rest: PRESENT_DEFAULTS.rest,
      encoder: PRESENT_DEFAULTS.encoder,
      maxRateHz: PRESENT_DEFAULTS.maxRateHz,
      checkpoint: join(dir, 'small.ckpt.json'),
      quiet: true,
    });
    const report = out.report as TrainRunReport;
    const a = await readoutActivity(withSynapses(out.image, out.synapses[0]), file, { test: 60, seed: 7, stepsPerSample: PRESENT_DEFAULTS.stepsPerSample, restSteps: PRESENT_DEFAULTS.rest });
    expect(a.digits).toBe(60);
    expect(a.correct / a.digits).toBe(report.epochs[0].test_accuracy);
    expect(a.correct + a.ties + a.silent).toBeLessThanOrEqual(a.digits);
    expect(a.topSpikes).toBeGreaterThanOrEqual(a.secondSpikes);
    const hidden = a.populations.find((p) => p.name === 'hidden');
    expect(hidden?.size).toBe(48);
    expect(hidden!.activePerDigit).toBeGreaterThan(0);
    expect(hidden!.activePerDigit).toBeLessThanOrEqual(48);
    expect(hidden!.spikesPerDigit).toBeGreaterThanOrEqual(hidden!.activePerDigit);
    expect(hidden!.never).toBeLessThanOrEqual(hidden!.rare);
    expect(a.populations.map((p) => p.name)).toEqual(['hidden']);
  });
});
