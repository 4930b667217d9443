// Fixed-point neuron arithmetic: the one definition both emulator backends and
// the compiler's quantizer follow. Loihi's CUBA LIF (Davies et al. 2018): 24-bit
// current and voltage, 12-bit decay constants. Every operation stays inside
// signed 32-bit integers so that WGSL (no 64-bit integers) agrees to the bit.

/** Neuron state (current u, voltage v) is a signed 24-bit integer. */
export const STATE_BITS = 24;
export const STATE_MAX = (1 << (STATE_BITS - 1)) - 1;
export const STATE_MIN = -STATE_MAX;

/** Decay constants are 12-bit fractions of one: x * (4096 - d) / 4096 per step. */
export const DECAY_BITS = 12;
export const DECAY_ONE = 1 << DECAY_BITS;
const DECAY_MASK = DECAY_ONE - 1;

/**
 * One threshold unit in state units. Membrane quantities in `.snn` files
 * (threshold, reset, weights, bias) are dimensionless, scaled to the threshold;
 * on the chip 1.0 is 2^16, so the state range holds +-128 units.
 */
export const UNIT_SHIFT = 16;
export const UNIT = 1 << UNIT_SHIFT;

/** Largest shift applied to a weight mantissa: mantissa << exp stays inside the state range. */
export function maxWeightExponent(weightBits: number): number {
  return STATE_BITS - weightBits;
}

/** Largest weight mantissa magnitude for a signed mantissa of `weightBits` bits (symmetric range). */
export function maxWeightMantissa(weightBits: number): number {
  return (1 << (weightBits - 1)) - 1;
}

/** Clamps to the 24-bit state range (saturating, as Loihi does). */
export function clampState(x: number): number {
  return x > STATE_MAX ? STATE_MAX : x < STATE_MIN ? STATE_MIN : x;
}

/**
 * x * (4096 - d) >> 12, rounding the magnitude toward zero, without a 36-bit
 * intermediate: |x| = hi * 4096 + lo, so the product is hi*k + (lo*k >> 12) exactly.
 */
export function decay(x: number, d: number): number {
  const k = DECAY_ONE - d;
  const mag = x < 0 ? -x : x;
  const r = (mag >> DECAY_BITS) * k + (((mag & DECAY_MASK) * k) >> DECAY_BITS);
  return x < 0 ? -r : r;
}

/** The decay constant for a time constant: d = round(4096 * (1 - exp(-dt/tau))); tau = 0 means no memory. */
export function decayConstant(tauS: number, dtS: number): number {
  if (tauS <= 0) return DECAY_ONE;
  if (!Number.isFinite(tauS)) return 0;
  return Math.min(DECAY_ONE, Math.max(0, Math.round(DECAY_ONE * (1 - Math.exp(-dtS / tauS)))));
}

/** A membrane quantity (threshold units) in state units, rounded to nearest. */
export function toStateUnits(value: number): number {
  return Math.round(value * UNIT);
}

/** Fixed-point parameters of one group of neurons, as the chip stores them. */
export interface NeuronParams {
  /** current decay, 0..4096 */
  readonly du: number;
  /** voltage decay, 0..4096 (0 for an integrate-and-fire neuron) */
  readonly dv: number;
  /** firing threshold in state units; a neuron fires when v >= vth */
  readonly vth: number;
  /** voltage after a spike and during the refractory period, state units */
  readonly reset: number;
  /** constant drive added to v every step, state units */
  readonly bias: number;
  /** steps the voltage is held at reset after a spike */
  readonly refractory: number;
}

/**
 * The order of one neuron update, the contract of both backends:
 *   u <- clamp(decay(u, du) + clamp(input))
 *   v <- clamp(decay(v, dv) + u + bias)
 * The input (a 32-bit accumulator, wrapping) is clamped to the state range before
 * the add, so no intermediate leaves 32 bits: |decay(u)| + |clamp(input)| < 2^24,
 * and |decay(v)| + |u| + |bias| < 3 * 2^23.
 *   if refractory steps remain: v <- reset, count down, no spike
 *   else if v >= vth: spike, v <- reset, refractory steps <- refractory
 * A neuron update is "inactive" (cheaper on Loihi) when u, v, input and bias are
 * all zero and it is not refractory: nothing changes.
 */
export const NEURON_UPDATE_ORDER = 'u, v, refractory, threshold' as const;
