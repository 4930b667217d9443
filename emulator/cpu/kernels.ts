// Specialised step-loop kernels of the CPU backend: the same arithmetic as the
// general loops in cpu.ts (isa/fixed.ts NEURON_UPDATE_ORDER), written so that V8
// keeps every value a small integer: typed arrays and numbers passed as
// arguments (monomorphic), decay and clamp inlined with k = 4096 - d folded out
// of the loop, and no adaptive-threshold work for groups that have none.
import { DECAY_BITS, DECAY_ONE, STATE_MAX, STATE_MIN } from '../../isa/fixed.js';

const MASK = DECAY_ONE - 1;

/**
 * One step of neurons [first, end) of a group whose thetaPlus is 0: theta starts
 * at 0 and can never grow, so it stays 0 and is neither read nor written.
 * Reads and clears the delay slot at `base`, appends spiking slots to `spiked`
 * from out[0] on. Leaves the new spike count in out[0] and the active updates in
 * out[1] (a reused scratch array: no object per call).
 */
export function lifStepPlain(
  uE: Int32Array,
  uI: Int32Array,
  v: Int32Array,
  ref: Int32Array,
  accum: Int32Array,
  accumInh: Int32Array,
  spiked: Uint32Array,
  out: Int32Array,
  base: number,
  first: number,
  end: number,
  du: number,
  duInh: number,
  dv: number,
  vth: number,
  reset: number,
  bias: number,
  refractory: number,
): void {
  const kE = DECAY_ONE - du;
  const kI = DECAY_ONE - duInh;
  const kV = DECAY_ONE - dv;
  let spikedCount = out[0];
  let active = 0;
  for (let i = first; i < end; i++) {
    const j = base + i;
    let inE = accum[j];
    let inI = accumInh[j];
    accum[j] = 0;
    accumInh[j] = 0;
    const e0 = uE[i];
    const i0 = uI[i];
    const v0 = v[i];
    const r = ref[i];
    if ((e0 | i0 | v0 | inE | inI | bias | r) !== 0) active++;
    // decay(x, d) of isa/fixed.ts: the magnitude times k, rounded toward zero, in two halves.
    let m = e0 < 0 ? 0 - e0 : e0;
    let d = (m >> DECAY_BITS) * kE + (((m & MASK) * kE) >> DECAY_BITS);
    if (inE > STATE_MAX) inE = STATE_MAX;
    else if (inE < STATE_MIN) inE = STATE_MIN;
    let e1 = (e0 < 0 ? 0 - d : d) + inE;
    if (e1 > STATE_MAX) e1 = STATE_MAX;
    else if (e1 < STATE_MIN) e1 = STATE_MIN;
    m = i0 < 0 ? 0 - i0 : i0;
    d = (m >> DECAY_BITS) * kI + (((m & MASK) * kI) >> DECAY_BITS);
    if (inI > STATE_MAX) inI = STATE_MAX;
    else if (inI < STATE_MIN) inI = STATE_MIN;
    let i1 = (i0 < 0 ? 0 - d : d) + inI;
    if (i1 > STATE_MAX) i1 = STATE_MAX;
    else if (i1 < STATE_MIN) i1 = STATE_MIN;
    m = v0 < 0 ? 0 - v0 : v0;
    d = (m >> DECAY_BITS) * kV + (((m & MASK) * kV) >> DECAY_BITS);
    let v1 = (v0 < 0 ? 0 - d : d) + e1 + i1 + bias;
    if (v1 > STATE_MAX) v1 = STATE_MAX;
    else if (v1 < STATE_MIN) v1 = STATE_MIN;
    if (r > 0) {
      v1 = reset;
      ref[i] = r - 1;
    } else if (v1 >= vth) {
      spiked[spikedCount++] = i;
      v1 = reset;
      ref[i] = refractory;
    }
    uE[i] = e1;
    uI[i] = i1;
    v[i] = v1;
  }
  out[0] = spikedCount;
  out[1] = active;
}
