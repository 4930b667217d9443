// Specialised step-loop kernels of the CPU backend: the same arithmetic as the
// general loops in cpu.ts (isa/fixed.ts NEURON_UPDATE_ORDER), written so that V8
// keeps every value a small integer: typed arrays and numbers passed as
// arguments (monomorphic), decay and clamp inlined with k = 4096 - d folded out
// of the loop, and no adaptive-threshold work for groups that have none.
// The signs in decay() are taken without branches (s = x >> 31, |x| = (x ^ s) - s,
// and back): in CUBA the voltage and the inhibitory current change sign often
// enough that a branch on the sign mispredicts, which cost about 40% of the loop.
import { DECAY_BITS, DECAY_ONE, STATE_MAX, STATE_MIN } from '../../isa/fixed.js';

// The contract's constants as literals, so that V8 compiles them into the loop
// as immediates: read through the imports (bindings it reloads at each use) or
// copied into locals (registers, and shifts by a register), the loop ran 1.3 to
// 1.6 times slower. isa/fixed.ts stays the one place for them: checked here.
const BITS = 12;
const ONE = 4096;
const MASK = 4095;
const MAX = 8388607;
const MIN = -8388607;
if (BITS !== DECAY_BITS || ONE !== DECAY_ONE || MASK !== DECAY_ONE - 1 || MAX !== STATE_MAX || MIN !== STATE_MIN) {
  throw new Error('emulator/cpu/kernels.ts: its constants no longer match isa/fixed.ts');
}


/**
 * One step of neurons [first, end) of a group whose thetaPlus is 0: theta starts
 * at 0 and can never grow, so it stays 0 and is neither read nor written.
 * Reads and clears the delay slot at `base`, appends spiking slots to `spiked`
 * from out[0] on, as slot i - shift (state arrays shared by several cores index
 * by the chip's slot; `spiked` wants the core's). Leaves the new spike count in
 * out[0] and the active updates in out[1] (a reused scratch array: no object per call).
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
  shift: number,
): void {
  const kE = ONE - du;
  const kI = ONE - duInh;
  const kV = ONE - dv;
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
    // decay(x, d) of isa/fixed.ts: the magnitude times k, rounded toward zero, in two
    // halves; sign = x >> 31 (0 or -1) takes the magnitude and gives the sign back.
    let sign = e0 >> 31;
    let m = (e0 ^ sign) - sign;
    let d = (m >> BITS) * kE + (((m & MASK) * kE) >> BITS);
    if (inE > MAX) inE = MAX;
    else if (inE < MIN) inE = MIN;
    let e1 = ((d ^ sign) - sign) + inE;
    if (e1 > MAX) e1 = MAX;
    else if (e1 < MIN) e1 = MIN;
    sign = i0 >> 31;
    m = (i0 ^ sign) - sign;
    d = (m >> BITS) * kI + (((m & MASK) * kI) >> BITS);
    if (inI > MAX) inI = MAX;
    else if (inI < MIN) inI = MIN;
    let i1 = ((d ^ sign) - sign) + inI;
    if (i1 > MAX) i1 = MAX;
    else if (i1 < MIN) i1 = MIN;
    sign = v0 >> 31;
    m = (v0 ^ sign) - sign;
    d = (m >> BITS) * kV + (((m & MASK) * kV) >> BITS);
    let v1 = ((d ^ sign) - sign) + e1 + i1 + bias;
    if (v1 > MAX) v1 = MAX;
    else if (v1 < MIN) v1 = MIN;
    if (r > 0) {
      v1 = reset;
      ref[i] = r - 1;
    } else if (v1 >= vth) {
      spiked[spikedCount++] = i - shift;
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
