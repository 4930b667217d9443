// Training and testing examples/sbp_xor.snn on the CPU emulator: each of the
// four patterns is presented for one learning epoch (Poisson spikes from the
// two active input neurons, the teacher on for the right answer), and tested
// with learning off by the answer neurons' spike counts.
import { readFileSync } from 'node:fs';
import { compileSource } from '../../compiler/index.js';
import { createCpuEmulator } from '../../emulator/cpu/cpu.js';
import type { Counters } from '../../emulator/interface.js';
import type { ChipImage } from '../../isa/image/types.js';
import { random32 } from '../../isa/random.js';

export const XOR_PATH = new URL('../../examples/sbp_xor.snn', import.meta.url);

/** The example as written (with SBP), or its hidden rule as a plain local rule (without SBP). */
export function xorSource(sbp: boolean): string {
  const text = readFileSync(XOR_PATH, 'utf8');
  if (sbp) return text;
  const sbpKeys = /^\s*(source|fraction|backward|lateral_pre|lateral_post|mode|normalize)\s*=/;
  return text
    .split('\n')
    .filter((line) => !sbpKeys.test(line))
    .join('\n')
    .replace('rule hidden_sbp : sbp {', 'rule hidden_sbp {');
}

export function compileXor(sbp: boolean): ChipImage {
  const result = compileSource(xorSource(sbp), 'examples/sbp_xor.snn');
  if (result.image === undefined) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  return result.image;
}

export interface XorOptions {
  readonly epochs: number;
  readonly steps: number;
  readonly rateHz: number;
  readonly testRepeats: number;
  readonly seed: number;
  /** Called with each test presentation's answer spike counts (for exploring). */
  readonly onTest?: (a: number, b: number, counts: readonly number[]) => void;
}

export const XOR_DEFAULTS: XorOptions = { epochs: 30, steps: 50, rateHz: 150, testRepeats: 5, seed: 1 };

export interface XorResult {
  readonly accuracy: number;
  readonly counters: Counters;
  readonly stepCycles: Float64Array;
}

const PATTERNS: readonly (readonly [number, number])[] = [[0, 0], [0, 1], [1, 0], [1, 1]];

export async function trainXor(image: ChipImage, o: XorOptions = XOR_DEFAULTS): Promise<XorResult> {
  const em = await createCpuEmulator(image, { seed: o.seed });
  const setInput = em.setExternalInput?.bind(em);
  const setTeacher = em.setTeacher?.bind(em);
  const setPlasticity = em.setPlasticity?.bind(em);
  if (setInput === undefined || setTeacher === undefined || setPlasticity === undefined) throw new Error('the cpu backend lacks the learning interface');
  const threshold = Math.round((o.rateHz * image.dtS) * 4294967296);
  let presentation = 0;
  const present = async (a: number, b: number, label: number | undefined): Promise<number[]> => {
    const active = [a === 1 ? 0 : 1, b === 1 ? 2 : 3];
    const steps: number[] = [];
    const neurons: number[] = [];
    const t0 = em.stepsRun();
    for (let t = 0; t < o.steps; t++) {
      for (const n of active) {
        if (random32(o.seed, 99, presentation, t * 4 + n) < threshold) {
          steps.push(t0 + t);
          neurons.push(n);
        }
      }
    }
    presentation++;
    setInput('bits', Uint32Array.from(steps), Uint32Array.from(neurons));
    setTeacher('answer', label);
    const before = em.spikeCounts();
    await em.run(o.steps);
    const after = em.spikeCounts();
    const answer = image.symbols.populations.find((p) => p.name === 'answer');
    if (answer === undefined) throw new Error('no answer population');
    const counts = [0, 0];
    for (const piece of answer.pieces) {
      for (let k = 0; k < piece.count; k++) counts[piece.offset + k] += after[piece.core][piece.first + k] - before[piece.core][piece.first + k];
    }
    return counts;
  };
  for (let e = 0; e < o.epochs; e++) {
    // A seeded order per epoch, so no pattern always comes last.
    const order = [0, 1, 2, 3].sort((x, y) => random32(o.seed, 98, e, x) - random32(o.seed, 98, e, y));
    for (const p of order) {
      const [a, b] = PATTERNS[p];
      await present(a, b, a ^ b);
    }
  }
  setPlasticity(false);
  let correct = 0;
  let total = 0;
  for (let r = 0; r < o.testRepeats; r++) {
    for (const [a, b] of PATTERNS) {
      const counts = await present(a, b, undefined);
      o.onTest?.(a, b, counts);
      const label = a ^ b;
      if (counts[label] > counts[1 - label]) correct++;
      total++;
    }
  }
  const result = { accuracy: correct / total, counters: em.counters(), stepCycles: em.stepCycles() };
  em.dispose();
  return result;
}
