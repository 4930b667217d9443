import { describe, expect, it } from 'vitest';
import { cpuChipMemory, type CpuChipMemory } from '../../../emulator/cpu/cpu.js';
import { lifStepPlain } from '../../../emulator/cpu/kernels.js';
import { COMPILED_KEPT, FAST_DECAY_MAX, STATS_WORDS, fastDecay, fastGroup, leanGroup, lifSimdAssembled, lifSimdKernels, lifSimdModule, lifSimdStep, setGroupEntry, setTableEntry } from '../../../emulator/cpu/lif-simd.js';
import { DECAY_ONE, STATE_MAX, STATE_MIN, UNIT } from '../../../isa/fixed.js';
import { random32 } from '../../../isa/random.js';

/** A chip memory of `neurons` slots and two delay slots, and a plain copy of it for lifStepPlain. */
function twins(neurons: number, shared: boolean): { simd: CpuChipMemory; plain: CpuChipMemory } {
  const simd = cpuChipMemory({ stateStart: Int32Array.of(0, neurons), accumStart: Int32Array.of(0, 2 * neurons), n: Int32Array.of(neurons), slots: Int32Array.of(2), groupStart: Int32Array.of(0, 1), neurons, accums: 2 * neurons }, shared);
  const plain = {
    memory: simd.memory,
    uE: new Int32Array(neurons),
    uI: new Int32Array(neurons),
    v: new Int32Array(neurons),
    theta: new Int32Array(neurons),
    ref: new Int32Array(neurons),
    accum: new Int32Array(2 * neurons),
    accumInh: new Int32Array(2 * neurons),
    spiked: new Uint32Array(neurons),
    table: new Int32Array(0),
    groupTable: new Int32Array(0),
    stats: new Int32Array(0),
    arenaStart: 0,
  };
  return { simd, plain };
}

describe('lifSimdModule', () => {
  const offsets = { uE: 0, uI: 4096, v: 8192, ref: 12288, accum: 16384, accumInh: 24576, spiked: 32768 };
  it('is a valid WebAssembly module for a plain and for a shared memory', () => {
    expect(WebAssembly.validate(lifSimdModule(false, offsets))).toBe(true);
    expect(WebAssembly.validate(lifSimdModule(true, offsets))).toBe(true);
    expect(Array.from(lifSimdModule(true, offsets))).not.toEqual(Array.from(lifSimdModule(false, offsets)));
  });

  it('compiles the arrays\' offsets into the kernel', () => {
    expect(Array.from(lifSimdModule(false, { ...offsets, v: 8208 }))).not.toEqual(Array.from(lifSimdModule(false, offsets)));
  });

  it('is assembled once per layout while engines of a few layouts alternate (one thread and two, in a benchmark), and again once evicted', () => {
    // Sizes no other test uses: layouts of their own.
    const plain = twins(1001, false).simd;
    const shared = twins(1001, true).simd;
    const before = lifSimdAssembled();
    for (let k = 0; k < 3; k++) {
      lifSimdStep(plain);
      lifSimdStep(shared);
    }
    expect(lifSimdAssembled()).toBe(before + 2);
    // Used since, so kept while COMPILED_KEPT - 1 others come; the least recently used goes when one more does.
    lifSimdStep(plain);
    for (let k = 0; k < COMPILED_KEPT - 1; k++) lifSimdStep(twins(1001 + 64 * (k + 1), false).simd);
    lifSimdStep(plain);
    expect(lifSimdAssembled()).toBe(before + 2 + COMPILED_KEPT - 1);
    lifSimdStep(shared);
    expect(lifSimdAssembled()).toBe(before + 2 + COMPILED_KEPT);
  });
});

describe('lifSimdStep', () => {
  for (const shared of [false, true]) {
    it(`agrees with lifStepPlain to the bit on ragged groups, saturation, refractory neurons and spikes in every lane (${shared ? 'shared' : 'plain'} memory)`, () => {
      const n = 203;
      const { simd, plain } = twins(n, shared);
      const draw = (k: number, i: number, range: number): number => (random32(5, 77, k, i) % (2 * range + 1)) - range;
      for (let i = 0; i < n; i++) {
        simd.uE[i] = plain.uE[i] = draw(1, i, STATE_MAX);
        simd.uI[i] = plain.uI[i] = draw(2, i, STATE_MAX);
        simd.v[i] = plain.v[i] = draw(3, i, 2 * UNIT);
        simd.ref[i] = plain.ref[i] = i % 7 === 0 ? 3 : 0;
      }
      const step = lifSimdStep(simd);
      // Groups that start and end off the vector width, as a core's groups do; shift: the core's first slot.
      const groups = [
        [1, 38, 900, 409, 200, UNIT, -(UNIT >> 2), 3000, 4],
        [38, 40, 100, 100, 100, UNIT >> 1, 0, 0, 2],
        [40, 203, 2000, 50, 4095, UNIT, 17, -2000, 1],
      ] as const;
      const shift = 1;
      const fast = Int32Array.of(0, 0);
      const slow = Int32Array.of(0, 0);
      const laneSpikes = new Set<number>();
      let spikes = 0;
      for (let t = 0; t < 30; t++) {
        const base = (t % 2) * n;
        for (let i = 0; i < n; i++) {
          // Inputs beyond the state range: both kernels must clamp them first.
          const inE = i % 5 === 0 ? 0 : Math.abs(draw(4 + t, i, t % 3 === 0 ? 4 * STATE_MAX : UNIT));
          const inI = i % 3 === 0 ? 0 : -Math.abs(draw(40 + t, i, t % 4 === 0 ? 4 * STATE_MAX : UNIT >> 1));
          simd.accum[base + i] = plain.accum[base + i] = inE;
          simd.accumInh[base + i] = plain.accumInh[base + i] = inI;
        }
        fast[0] = slow[0] = 5 * t;
        for (const [first, end, du, duInh, dv, vth, reset, bias, refractory] of groups) {
          fast[1] = slow[1] = -1;
          step(fast, base, first, end, du, duInh, dv, vth, reset, bias, refractory, shift);
          lifStepPlain(plain.uE, plain.uI, plain.v, plain.ref, plain.accum, plain.accumInh, plain.spiked, slow, base, first, end, du, duInh, dv, vth, reset, bias, refractory, shift);
          expect(Array.from(fast)).toEqual(Array.from(slow));
        }
        expect(Array.from(simd.spiked.subarray(5 * t, fast[0]))).toEqual(Array.from(plain.spiked.subarray(5 * t, slow[0])));
        for (const s of simd.spiked.subarray(5 * t, fast[0])) laneSpikes.add((s + shift) % 4);
        spikes += fast[0] - 5 * t;
        for (const key of ['uE', 'uI', 'v', 'ref', 'accum', 'accumInh'] as const) expect(Array.from(simd[key])).toEqual(Array.from(plain[key]));
      }
      expect(spikes).toBeGreaterThan(50);
      expect(laneSpikes.size).toBe(4);
      expect(simd.memory.buffer instanceof SharedArrayBuffer).toBe(shared);
    });
  }

  it('fires at exactly the threshold, not below it', () => {
    const { simd } = twins(8, false);
    // Full decay (d = 4096): each current is its input, and v the sum of the currents.
    const inputs = [UNIT, UNIT - 1, UNIT + 1, UNIT, 0, UNIT - 1, UNIT, 2 * UNIT];
    inputs.forEach((x, i) => (simd.accum[i] = x));
    const out = Int32Array.of(0, 0);
    lifSimdStep(simd)(out, 0, 0, 8, 4096, 4096, 4096, UNIT, 0, 0, 2, 0);
    expect(Array.from(simd.spiked.subarray(0, out[0]))).toEqual([0, 2, 3, 6, 7]);
    expect(Array.from(simd.ref)).toEqual([2, 0, 2, 2, 0, 0, 2, 2]);
    expect(out[1]).toBe(7);
  });

  it('agrees with lifStepPlain at thresholds down to the lowest 32-bit integer (it compares v > vth - 1)', () => {
    for (const vth of [-(2 ** 31), STATE_MIN - 1, STATE_MIN, STATE_MIN + 1, -5, 0]) {
      const { simd, plain } = twins(12, false);
      for (let i = 0; i < 12; i++) {
        simd.v[i] = plain.v[i] = i % 3 === 0 ? STATE_MIN : i % 3 === 1 ? STATE_MIN + 1 : -5 + i;
        simd.ref[i] = plain.ref[i] = i % 4 === 3 ? 2 : 0;
      }
      const fast = Int32Array.of(0, 0);
      const slow = Int32Array.of(0, 0);
      // No decay of v (dv = 0) and no input: v stays where it was put.
      lifSimdStep(simd)(fast, 0, 0, 12, 0, 0, 0, vth, 7, 0, 3, 0);
      lifStepPlain(plain.uE, plain.uI, plain.v, plain.ref, plain.accum, plain.accumInh, plain.spiked, slow, 0, 0, 12, 0, 0, 0, vth, 7, 0, 3, 0);
      expect(Array.from(fast)).toEqual(Array.from(slow));
      expect(Array.from(simd.spiked.subarray(0, fast[0]))).toEqual(Array.from(plain.spiked.subarray(0, slow[0])));
      expect(Array.from(simd.v)).toEqual(Array.from(plain.v));
      expect(Array.from(simd.ref)).toEqual(Array.from(plain.ref));
      if (vth <= STATE_MIN) expect(fast[0]).toBe(9);
    }
  });

  it('takes the multiply-and-shift decay up to d = FAST_DECAY_MAX, the largest d for which |x| d + 4095 fits 31 bits at STATE_MAX', () => {
    expect(FAST_DECAY_MAX * STATE_MAX + DECAY_ONE - 1).toBeLessThanOrEqual(2 ** 31 - 1);
    expect((FAST_DECAY_MAX + 1) * STATE_MAX + DECAY_ONE - 1).toBeGreaterThan(2 ** 31 - 1);
    expect(fastDecay(FAST_DECAY_MAX, 0, FAST_DECAY_MAX)).toBe(true);
    expect(fastDecay(FAST_DECAY_MAX, FAST_DECAY_MAX + 1, 0)).toBe(false);
  });

  it('agrees with lifStepPlain on decays within and just past FAST_DECAY_MAX, at the ends of the state range', () => {
    // States at the range's ends and at the 12-bit boundaries, where rounding toward zero differs from flooring.
    const edges = [STATE_MAX, STATE_MIN, STATE_MAX - 1, STATE_MIN + 1, 4096, -4096, 4095, -4095, 4097, -4097, 1, -1, 0];
    const n = 4 * edges.length + 3;
    const draw = (k: number, i: number): number => (random32(3, 11, k, i) % (2 * STATE_MAX + 1)) - STATE_MAX;
    const decaySets: readonly (readonly [number, number, number])[] = [[0, 0, 0], [1, FAST_DECAY_MAX, 17], [FAST_DECAY_MAX, FAST_DECAY_MAX, FAST_DECAY_MAX], [FAST_DECAY_MAX + 1, FAST_DECAY_MAX, 3], [2, 5, FAST_DECAY_MAX + 1]];
    for (const [du, duInh, dv] of decaySets) {
      for (const bias of [0, -3]) {
        const { simd, plain } = twins(n, false);
        for (let i = 0; i < n; i++) {
          const x = (k: number): number => (i < 3 * edges.length ? edges[(i + k * 5) % edges.length] : draw(k, i));
          simd.uE[i] = plain.uE[i] = x(0);
          simd.uI[i] = plain.uI[i] = x(1);
          simd.v[i] = plain.v[i] = x(2);
        }
        const step = lifSimdStep(simd);
        for (let t = 0; t < 6; t++) {
          const base = (t % 2) * n;
          for (let i = 0; i < n; i++) {
            simd.accum[base + i] = plain.accum[base + i] = t % 2 === 0 ? 0 : draw(10 + t, i) >> 8;
            simd.accumInh[base + i] = plain.accumInh[base + i] = t % 2 === 0 ? 0 : -Math.abs(draw(20 + t, i) >> 8);
          }
          const fast = Int32Array.of(0, 0);
          const slow = Int32Array.of(0, 0);
          // A threshold above the range: nothing fires, so each step's state is the decays' work alone.
          step(fast, base, 1, n, du, duInh, dv, STATE_MAX + 1, 0, bias, 2, 0);
          lifStepPlain(plain.uE, plain.uI, plain.v, plain.ref, plain.accum, plain.accumInh, plain.spiked, slow, base, 1, n, du, duInh, dv, STATE_MAX + 1, 0, bias, 2, 0);
          expect(Array.from(fast)).toEqual(Array.from(slow));
          for (const key of ['uE', 'uI', 'v', 'ref'] as const) expect(Array.from(simd[key])).toEqual(Array.from(plain[key]));
        }
      }
    }
  });

  it('refuses state arrays outside its memory', () => {
    const { simd, plain } = twins(8, false);
    expect(() => lifSimdStep({ ...simd, v: plain.v })).toThrow(/views into the kernel memory/);
  });
});

describe('lifSimdKernels: the table kernel', () => {
  // Four cores: two plain groups each (as CUBA's excitatory and inhibitory neurons sharing a core), and one left to the
  // caller. Per group its first and end state slots, du, duInh, dv, vth, reset, bias and refractory period; the second
  // group of each has every decay within FAST_DECAY_MAX (CUBA's at 0.1 ms: 81, 41, 20), which the kernel takes apart.
  // Cores 1 and 2 reset to 0 (with a bias and without): where their inputs are bounded (the inputs below keep within
  // UNIT and UNIT / 2 a step), they run lean.
  const n = [40, 163, 96, 8];
  const slots = [2, 3, 2, 2];
  const stateStart = Int32Array.of(0, 40, 203, 299, 307);
  const accumStart = Int32Array.of(0, 80, 569, 761, 777);
  const neurons = 307;
  const accums = 777;
  const layout = { stateStart, accumStart, n: Int32Array.from(n), slots: Int32Array.from(slots), groupStart: Int32Array.of(0, 2, 4, 6, 7), neurons, accums };
  const groups = [
    [[0, 38, 900, 409, 200, UNIT, -(UNIT >> 2), 0, 4], [38, 40, 100, 30, FAST_DECAY_MAX, UNIT >> 1, 17, 0, 2]],
    [[40, 150, 2000, 50, 300, UNIT, 0, 3000, 1], [150, 203, 81, 41, 20, UNIT, 0, 3000, 3]],
    [[203, 260, 700, 300, 100, UNIT, 0, 0, 2], [260, 299, 81, 41, 20, UNIT >> 1, 0, 0, 1]],
  ] as const;

  /** The chip memory with every group's entry (bounded by UNIT and UNIT / 2, or not at all) and a plain copy for lifStepPlain. */
  function setUp(bounded: boolean): { chip: CpuChipMemory; plain: Pick<CpuChipMemory, 'uE' | 'uI' | 'v' | 'ref' | 'accum' | 'accumInh' | 'spiked'> } {
    const chip = cpuChipMemory(layout, false);
    const plain = { uE: new Int32Array(neurons), uI: new Int32Array(neurons), v: new Int32Array(neurons), ref: new Int32Array(neurons), accum: new Int32Array(accums), accumInh: new Int32Array(accums), spiked: new Uint32Array(neurons) };
    for (let i = 0; i < neurons; i++) {
      chip.v[i] = plain.v[i] = draw(1, i, 2 * UNIT);
      chip.ref[i] = plain.ref[i] = i % 9 === 0 ? 2 : 0;
    }
    groups.forEach((core, c) => {
      core.forEach(([first, end, du, duInh, dv, vth, reset, bias, refractory], j) => {
        setGroupEntry(chip.groupTable, layout.groupStart[c] + j, first, end, du, duInh, dv, vth, reset, bias, refractory, bounded ? UNIT : Infinity, bounded ? UNIT >> 1 : Infinity);
      });
      setTableEntry(chip.table, c, layout.groupStart[c], layout.groupStart[c] + core.length, stateStart[c], accumStart[c] - stateStart[c], n[c], slots[c]);
    });
    return { chip, plain };
  }
  const draw = (k: number, i: number, range: number): number => (random32(9, 31, k, i) % (2 * range + 1)) - range;

  /** lifStepPlain over core c's groups at step t into `plain`: its spike count and active updates. */
  function reference(plain: ReturnType<typeof setUp>['plain'], c: number, t: number): { count: number; active: number } {
    const base = accumStart[c] + (t % slots[c]) * n[c] - stateStart[c];
    const out = Int32Array.of(stateStart[c], 0);
    let active = 0;
    for (const [first, end, du, duInh, dv, vth, reset, bias, refractory] of groups[c]) {
      lifStepPlain(plain.uE, plain.uI, plain.v, plain.ref, plain.accum, plain.accumInh, plain.spiked, out, base, first, end, du, duInh, dv, vth, reset, bias, refractory, stateStart[c]);
      active += out[1];
    }
    return { count: out[0] - stateStart[c], active };
  }

  for (const bounded of [false, true]) {
    it(`updates each marked core group by group as lifStepPlain does, works out the delay slot row from the step, and leaves each core's counts in its stats (inputs ${bounded ? 'bounded: lean where the reset is 0' : 'not bounded'})`, () => {
      const { chip, plain } = setUp(bounded);
      chip.stats.fill(-7);
      const { table } = lifSimdKernels(chip);
      let spikes = 0;
      for (let t = 0; t < 40; t++) {
        // Inputs within the bounds.
        for (let i = 0; i < accums; i++) {
          chip.accum[i] = plain.accum[i] = i % 5 === 0 ? 0 : Math.abs(draw(4 + t, i, UNIT));
          chip.accumInh[i] = plain.accumInh[i] = i % 3 === 0 ? 0 : -Math.abs(draw(60 + t, i, UNIT >> 1));
        }
        table(0, 4, t);
        groups.forEach((core, c) => {
          const { count, active } = reference(plain, c, t);
          const total = core.reduce((sum, [first, end]) => sum + end - first, 0);
          expect(Array.from(chip.stats.subarray(c * STATS_WORDS, (c + 1) * STATS_WORDS))).toEqual([count, active, total - active, 0]);
          expect(Array.from(chip.spiked.subarray(stateStart[c], stateStart[c] + count))).toEqual(Array.from(plain.spiked.subarray(stateStart[c], stateStart[c] + count)));
          spikes += count;
        });
        for (const key of ['uE', 'uI', 'v', 'ref', 'accum', 'accumInh'] as const) expect(Array.from(chip[key])).toEqual(Array.from(plain[key]));
        // The unmarked core is the caller's: neither its state nor its stats are touched.
        expect(Array.from(chip.stats.subarray(3 * STATS_WORDS))).toEqual([-7, -7, -7, -7]);
      }
      expect(spikes).toBeGreaterThan(40);
    });
  }

  it('runs lean only where the inputs are bounded and the reset is 0: there an input past the state range is not clamped', () => {
    // One step whose inputs are the 32-bit extremes, which the bounds promise never happens: the lean groups (cores 1
    // and 2) add them to the decayed currents unclamped, which wraps, so their currents part from lifStepPlain's; the
    // others agree.
    const currents = (bounded: boolean): readonly boolean[] => {
      const { chip, plain } = setUp(bounded);
      for (let i = 0; i < neurons; i++) {
        chip.uE[i] = plain.uE[i] = UNIT;
        chip.uI[i] = plain.uI[i] = -UNIT;
      }
      for (let i = 0; i < accums; i++) {
        chip.accum[i] = plain.accum[i] = 0x7fffffff;
        chip.accumInh[i] = plain.accumInh[i] = -0x80000000;
      }
      lifSimdKernels(chip).table(0, 4, 0);
      return groups.map((_, c) => {
        reference(plain, c, 0);
        const range = [stateStart[c], stateStart[c + 1]] as const;
        return ['uE', 'uI'].every((key) => Array.from(chip[key as 'uE' | 'uI'].subarray(...range)).join() === Array.from(plain[key as 'uE' | 'uI'].subarray(...range)).join());
      });
    };
    expect(currents(false)).toEqual([true, true, true]);
    expect(currents(true)).toEqual([true, false, false]);
  });
});

describe('leanGroup', () => {
  it('takes a group whose currents, from 0, stay within the state range at the most input a step: B 4096 / d <= STATE_MAX', () => {
    // B = 2047 and d = 1: 8,384,512; B = 2048: 8,388,608, one past STATE_MAX.
    expect(leanGroup(1, 1, UNIT, 0, 0, 2047, 2047)).toBe(true);
    expect(leanGroup(1, 1, UNIT, 0, 0, 2048, 0)).toBe(false);
    expect(leanGroup(1, 1, UNIT, 0, 0, 0, 2048)).toBe(false);
    // Exactly at STATE_MAX: d = 4096 keeps nothing, so the current is the step's input.
    expect(leanGroup(DECAY_ONE, DECAY_ONE, UNIT, 0, 0, STATE_MAX, STATE_MAX)).toBe(true);
    expect(leanGroup(DECAY_ONE, DECAY_ONE, UNIT, 0, 0, STATE_MAX + 1, 0)).toBe(false);
    // No decay: a current with input grows without end; one without input stays 0.
    expect(leanGroup(0, 5, UNIT, 0, 0, 1, 0)).toBe(false);
    expect(leanGroup(0, 5, UNIT, 0, 0, 0, 1)).toBe(true);
    expect(leanGroup(5, 5, UNIT, 0, 0, Infinity, 0)).toBe(false);
  });

  it('takes only a reset of 0, a threshold and a bias within the state range', () => {
    expect(leanGroup(5, 5, STATE_MAX, 0, STATE_MIN, 1, 1)).toBe(true);
    expect(leanGroup(5, 5, UNIT, 1, 0, 1, 1)).toBe(false);
    expect(leanGroup(5, 5, STATE_MAX + 1, 0, 0, 1, 1)).toBe(false);
    expect(leanGroup(5, 5, UNIT, 0, STATE_MAX + 1, 1, 1)).toBe(false);
  });

  it('runs a lean group as lifStepPlain does where its currents sit at their bound and its voltage passes STATE_MAX', () => {
    // One core of 13 neurons, d = 1 for the currents and 2047 the most input a step (their bound, 8,384,512, just
    // inside the range); the voltage near the top: decayed, plus the current, past STATE_MAX, which fires at either
    // threshold, clamped (lifStepPlain) or not (lean).
    for (const vth of [UNIT, STATE_MAX]) {
      const { simd: chip, plain } = twins(13, false);
      expect(leanGroup(1, 1, vth, 0, 0, 2047, 2047)).toBe(true);
      setGroupEntry(chip.groupTable, 0, 0, 13, 1, 1, 1, vth, 0, 0, 1, 2047, 2047);
      setTableEntry(chip.table, 0, 0, 1, 0, 0, 13, 2);
      const { table } = lifSimdKernels(chip);
      // Every fourth neuron from the first has its inhibitory current at its bound as well; every fourth from the second
      // only that, with its voltage at the bottom, where the lower clamp, which a lean group keeps, holds it.
      for (let i = 0; i < 13; i++) {
        const low = i % 4 === 1;
        chip.uE[i] = plain.uE[i] = low ? 0 : 8_384_512 - 97 * i;
        chip.uI[i] = plain.uI[i] = i % 4 < 2 ? -8_384_512 : 0;
        chip.v[i] = plain.v[i] = low ? STATE_MIN + 10 : STATE_MAX - 1000 * i;
      }
      let fired = 0;
      for (let t = 0; t < 6; t++) {
        const row = (t % 2) * 13;
        for (let i = 0; i < 13; i++) {
          chip.accum[row + i] = plain.accum[row + i] = (i * 157 + t * 31) % 2048;
          chip.accumInh[row + i] = plain.accumInh[row + i] = -((i * 73 + t) % 2048);
        }
        table(0, 1, t);
        const out = Int32Array.of(0, 0);
        lifStepPlain(plain.uE, plain.uI, plain.v, plain.ref, plain.accum, plain.accumInh, plain.spiked, out, row, 0, 13, 1, 1, 1, vth, 0, 0, 1, 0);
        fired += out[0];
        expect(Array.from(chip.spiked.subarray(0, out[0]))).toEqual(Array.from(plain.spiked.subarray(0, out[0])));
        for (const key of ['uE', 'uI', 'v', 'ref'] as const) expect(Array.from(chip[key])).toEqual(Array.from(plain[key]));
      }
      expect(fired).toBeGreaterThan(6);
      expect(chip.v[1]).toBe(STATE_MIN);
    }
  });
});

describe('fastGroup', () => {
  // B = 2^19 - 1: B 4096 + 4095 = 2^31 - 1, the most a lane holds.
  const B = 2 ** 19 - 1;

  it('takes decayFast for a lean group\'s current past FAST_DECAY_MAX where the most its slot holds is below 2^19', () => {
    expect(fastGroup(742, 390, 200, true, B, B)).toBe(true);
    expect(fastGroup(742, 390, 200, true, B + 1, 0)).toBe(false);
    expect(fastGroup(742, 390, 200, true, 0, B + 1)).toBe(false);
    // Not lean: only decays within FAST_DECAY_MAX, as fastDecay.
    expect(fastGroup(742, 390, 200, false, 1, 1)).toBe(false);
    expect(fastGroup(FAST_DECAY_MAX, FAST_DECAY_MAX, FAST_DECAY_MAX, false, Infinity, Infinity)).toBe(true);
    // The voltage is not bounded: its decay must be within FAST_DECAY_MAX.
    expect(fastGroup(5, 5, FAST_DECAY_MAX + 1, true, 1, 1)).toBe(false);
  });

  it('runs a lean group whose current decays pass FAST_DECAY_MAX as lifStepPlain does, its currents at their bound', () => {
    // CUBA's decays at 1 ms; B just below 2^19 for each current, so x d reaches 2^31 - 4096 at the bound.
    const [du, duInh, dv] = [742, 390, 200];
    expect(leanGroup(du, duInh, UNIT, 0, 300, B, B)).toBe(true);
    expect(fastGroup(du, duInh, dv, true, B, B)).toBe(true);
    const bound = (d: number): number => Math.floor((B * DECAY_ONE) / d);
    const n = 11;
    const { simd: chip, plain } = twins(n, false);
    setGroupEntry(chip.groupTable, 0, 0, n, du, duInh, dv, UNIT, 0, 300, 2, B, B);
    setTableEntry(chip.table, 0, 0, 1, 0, 0, n, 2);
    const { table } = lifSimdKernels(chip);
    for (let i = 0; i < n; i++) {
      chip.uE[i] = plain.uE[i] = bound(du) - 3 * i;
      chip.uI[i] = plain.uI[i] = -(bound(duInh) - 5 * i);
      chip.v[i] = plain.v[i] = (i - 5) * UNIT;
    }
    for (let t = 0; t < 8; t++) {
      const row = (t % 2) * n;
      for (let i = 0; i < n; i++) {
        chip.accum[row + i] = plain.accum[row + i] = t % 3 === 0 ? B : (i * 7919 + t) % (B + 1);
        chip.accumInh[row + i] = plain.accumInh[row + i] = -(t % 3 === 1 ? B : (i * 104729 + t) % (B + 1));
      }
      table(0, 1, t);
      const out = Int32Array.of(0, 0);
      lifStepPlain(plain.uE, plain.uI, plain.v, plain.ref, plain.accum, plain.accumInh, plain.spiked, out, row, 0, n, du, duInh, dv, UNIT, 0, 300, 2, 0);
      expect(Array.from(chip.spiked.subarray(0, out[0]))).toEqual(Array.from(plain.spiked.subarray(0, out[0])));
      for (const key of ['uE', 'uI', 'v', 'ref'] as const) expect(Array.from(chip[key])).toEqual(Array.from(plain[key]));
    }
    // The currents stayed near their bound, where x d is near 2^31.
    expect(Math.max(...Array.from(chip.uE)) * du).toBeGreaterThan(2 ** 30);
  });
});
