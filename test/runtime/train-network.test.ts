// runtime/train/network.ts: the image `--no-sbp` trains.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSource, hasErrors } from '../../compiler/index.js';
import { createCpuEmulator } from '../../emulator/cpu/cpu.js';
import { readImage, writeImage } from '../../isa/image/format.js';
import type { ChipImage } from '../../isa/image/types.js';
import { straddledEpochs, withoutSbp } from '../../runtime/train/network.js';
import { sbpProgram } from '../emulator/sbp-program.js';

function compile(text: string, file: string): ChipImage {
  const compiled = compileSource(text, file);
  expect(hasErrors(compiled.diagnostics)).toBe(false);
  return compiled.image!;
}

/** Synaptic updates after `steps` steps with the teacher on for `population`'s neuron 0, and the synapse words before and after. */
async function run(image: ChipImage, population: string, steps: number): Promise<{ updates: number; before: Uint32Array[]; after: readonly Uint32Array[] }> {
  const em = await createCpuEmulator(image, { seed: 1 });
  const before = em.synapses!().map((s) => s.slice());
  em.setTeacher!(population, 0);
  await em.run(steps);
  const result = { updates: em.counters().total.synaptic_updates, before, after: em.synapses!() };
  em.dispose();
  return result;
}

describe('withoutSbp', () => {
  it('drops an additive SBP rule left without terms from learning, so its synapses are not swept or billed', async () => {
    const image = compile(readFileSync(new URL('../../examples/sbp_xor.snn', import.meta.url), 'utf8'), 'sbp_xor.snn');
    const learning = image.learning!;
    const delta = learning.rules.findIndex((r) => r.name === 'delta');
    const stripped = withoutSbp(image);
    expect(learning.projections).toHaveLength(2);
    expect(stripped.learning!.projections.map((p) => p.rule)).toEqual([delta]);
    // Every remaining plastic set names the remaining projection, and the image still validates.
    const sets = stripped.learning!.cores.flat();
    expect(sets.length).toBeGreaterThan(0);
    expect(sets.every((s) => s.projection === 0)).toBe(true);
    expect(readImage(writeImage(stripped), 'stripped.chip').learning!.projections).toHaveLength(1);
    // The epoch is one step: only the output's 24 x 2 synapses are swept each step, not the hidden layer's 4 x 24 too.
    const r = await run(stripped, 'answer', 30);
    expect(r.updates).toBe(24 * 2 * 30);
  });

  it('keeps a gain SBP rule plastic: its own base change still runs', async () => {
    const image = compile(sbpProgram('gain', false, 'layer', { delta: 0.05, hebb: 0.1, decay: 0.05 }), 'gain.snn');
    const stripped = withoutSbp(image);
    expect(stripped.learning!.projections).toHaveLength(2);
    expect(stripped.learning!.projections.every((p) => p.sources.length === 0)).toBe(true);
    const r = await run(stripped, 'out', 60);
    // Both projections learned: some synapse changed on the hidden cores and on the output cores.
    const changedCores = r.after.map((s, c) => s.some((w, i) => w !== r.before[c][i]));
    expect(changedCores.filter(Boolean).length).toBeGreaterThanOrEqual(1);
    expect(r.updates).toBe((6 * 4 + 4 * 3) * 3);
  });
});

describe('straddledEpochs', () => {
  it('is silent when every epoch lines up with a presentation, and names each rule and the fix when one does not', () => {
    const image = compile(readFileSync(new URL('../../examples/mnist_sbp.snn', import.meta.url), 'utf8'), 'mnist_sbp.snn');
    // examples/mnist_sbp.snn: epochs of 170 steps for 150 steps a digit and 20 of rest.
    expect(straddledEpochs(image, 170)).toEqual([]);
    expect(straddledEpochs(image, 340)).toEqual([]);
    const said = straddledEpochs(image, 70);
    expect(said.map((s) => /^rule `(\w+)`/.exec(s)?.[1])).toEqual(['delta', 'hidden_sbp']);
    expect(said[0]).toContain('set `epoch = 70 steps`');
  });
});
