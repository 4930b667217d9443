import { describe, expect, it } from 'vitest';
import { lifStepPlain } from '../../../emulator/cpu/kernels.js';
import { clampState, decay, STATE_MAX, STATE_MIN, UNIT } from '../../../isa/fixed.js';
import { random32 } from '../../../isa/random.js';

/** The update of isa/fixed.ts NEURON_UPDATE_ORDER with theta = 0, written with its own decay and clamp. */
function reference(s: { uE: Int32Array; uI: Int32Array; v: Int32Array; ref: Int32Array }, i: number, inE: number, inI: number, p: readonly number[]): boolean {
  const [du, duInh, dv, vth, reset, bias, refractory] = p;
  s.uE[i] = clampState(decay(s.uE[i], du) + clampState(inE));
  s.uI[i] = clampState(decay(s.uI[i], duInh) + clampState(inI));
  let v = clampState(decay(s.v[i], dv) + s.uE[i] + s.uI[i] + bias);
  let fired = false;
  if (s.ref[i] > 0) {
    v = reset;
    s.ref[i]--;
  } else if (v >= vth) {
    v = reset;
    s.ref[i] = refractory;
    fired = true;
  }
  s.v[i] = v;
  return fired;
}

describe('lifStepPlain', () => {
  it('matches the fixed-point contract on random states, including negatives and saturation', () => {
    const n = 512;
    const draw = (k: number, i: number, range: number): number => (random32(7, 90, k, i) % (2 * range + 1)) - range;
    const fast = { uE: new Int32Array(n), uI: new Int32Array(n), v: new Int32Array(n), ref: new Int32Array(n) };
    const slow = { uE: new Int32Array(n), uI: new Int32Array(n), v: new Int32Array(n), ref: new Int32Array(n) };
    for (let i = 0; i < n; i++) {
      fast.uE[i] = slow.uE[i] = draw(1, i, STATE_MAX);
      fast.uI[i] = slow.uI[i] = draw(2, i, STATE_MAX);
      fast.v[i] = slow.v[i] = draw(3, i, 2 * UNIT);
      fast.ref[i] = slow.ref[i] = i % 7 === 0 ? 3 : 0;
    }
    const params = [800, 409, 200, UNIT, -UNIT >> 2, 3000, 4];
    const accum = new Int32Array(2 * n);
    const accumInh = new Int32Array(2 * n);
    const spiked = new Uint32Array(n);
    const out = new Int32Array(2);
    let spikes = 0;
    for (let t = 0; t < 20; t++) {
      const base = (t % 2) * n;
      const inE = new Int32Array(n);
      const inI = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        // Inputs beyond the state range too: the kernel must clamp them as the contract does.
        inE[i] = accum[base + i] = i % 5 === 0 ? 0 : Math.abs(draw(4 + t, i, 4 * STATE_MAX));
        inI[i] = accumInh[base + i] = i % 3 === 0 ? 0 : -Math.abs(draw(40 + t, i, 4 * STATE_MAX));
      }
      out[0] = 0;
      lifStepPlain(fast.uE, fast.uI, fast.v, fast.ref, accum, accumInh, spiked, out, base, 0, n, params[0], params[1], params[2], params[3], params[4], params[5], params[6], 0);
      const expected: number[] = [];
      for (let i = 0; i < n; i++) if (reference(slow, i, inE[i], inI[i], params)) expected.push(i);
      expect(Array.from(spiked.subarray(0, out[0]))).toEqual(expected);
      expect(Array.from(fast.v)).toEqual(Array.from(slow.v));
      expect(Array.from(fast.uE)).toEqual(Array.from(slow.uE));
      expect(Array.from(fast.uI)).toEqual(Array.from(slow.uI));
      expect(Array.from(fast.ref)).toEqual(Array.from(slow.ref));
      expect(accum.subarray(base, base + n).every((x) => x === 0)).toBe(true);
      spikes += out[0];
    }
    expect(spikes).toBeGreaterThan(0);
    expect(STATE_MIN).toBe(-STATE_MAX);
  });

  it('counts an update as active when any of u, v, refractory or input is non-zero, or the group has a bias', () => {
    const n = 64;
    const draw = (k: number, i: number): number => random32(11, 91, k, i);
    for (const bias of [0, 0, 5, -5]) {
      const uE = new Int32Array(n);
      const uI = new Int32Array(n);
      const v = new Int32Array(n);
      const ref = new Int32Array(n);
      const accum = new Int32Array(2 * n);
      const accumInh = new Int32Array(2 * n);
      // About a quarter of the neurons have one non-zero field; the rest are all zero.
      const fields = [uE, uI, v, ref];
      let expected = 0;
      for (let i = 0; i < n; i++) {
        const pick = draw(bias + 3, i) % 24;
        if (pick < 4) fields[pick][i] = pick === 3 ? 1 : -(pick + 1);
        else if (pick === 4) accum[n + i] = 7;
        else if (pick === 5) accumInh[n + i] = -7;
        if (pick <= 5 || bias !== 0) expected++;
      }
      const out = Int32Array.of(0, -1);
      lifStepPlain(uE, uI, v, ref, accum, accumInh, new Uint32Array(n), out, n, 0, n, 100, 100, 100, UNIT, 0, bias, 2, 0);
      expect(out[1]).toBe(expected);
      if (bias === 0) expect(expected).toBeLessThan(n);
    }
  });
});
