// Fixed-point neuron arithmetic: the one definition both emulator backends and
// the compiler's quantizer follow. Loihi's CUBA LIF (Davies et al. 2018): 24-bit
// currents and voltage, 12-bit decay constants; separate excitatory and
// inhibitory currents and an optional adaptive threshold (ALIF). Every operation stays inside
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
  // 0 - r, not -r: -0 is a double in V8 and would turn every loop that calls this into float code.
  return x < 0 ? 0 - r : r;
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
  /** excitatory current decay, 0..4096: the current fed by positive weights */
  readonly du: number;
  /** inhibitory current decay, 0..4096: the current fed by negative weights */
  readonly duInh: number;
  /** voltage decay, 0..4096 (0 for an integrate-and-fire neuron: no leak) */
  readonly dv: number;
  /** firing threshold in state units; a neuron fires when v - theta >= vth */
  readonly vth: number;
  /** voltage after a spike and during the refractory period, state units (inside the state range) */
  readonly reset: number;
  /** constant drive added to v every step, state units (inside the state range) */
  readonly bias: number;
  /** steps the voltage is held at reset after a spike */
  readonly refractory: number;
  /** adaptive threshold (ALIF): added to theta at each spike, state units, 0..STATE_MAX; 0 = no adaptation */
  readonly thetaPlus: number;
  /** decay of the adaptive threshold theta, 0..4096 */
  readonly dTheta: number;
}

/** The parameter names in the order the image stores them (isa/image/format.ts, section NPAR). */
export const NEURON_PARAM_ORDER: readonly (keyof NeuronParams)[] = ['du', 'duInh', 'dv', 'vth', 'reset', 'bias', 'refractory', 'thetaPlus', 'dTheta'];

/**
 * The order of one neuron update, the contract of both backends. Per neuron the
 * chip keeps the excitatory current uE, the inhibitory current uI, the voltage
 * v, the adaptive threshold theta (>= 0) and the refractory count r. Delivery
 * adds each synapse's weight (mantissa << exponent) into one of two 32-bit
 * wrapping accumulators of its delay slot, chosen by the weight's sign:
 * positive (and zero) weights into accE, negative into accI (as NEST's
 * iaf_psc_exp splits currents by the sign of the weight). Then, in this order:
 *   uE    <- clamp(decay(uE, du)    + clamp(accE))
 *   uI    <- clamp(decay(uI, duInh) + clamp(accI))
 *   v     <- clamp(decay(v, dv) + uE + uI + bias)
 *   fire  <- r == 0 and v - theta >= vth
 *   if r > 0:   v <- reset, r <- r - 1
 *   elif fire:  v <- reset, r <- refractory, emit a spike
 *   theta <- min(decay(theta, dTheta) + (fire ? thetaPlus : 0), STATE_MAX)
 * Every intermediate stays inside signed 32 bits (WGSL has no 64-bit integers):
 * each clamp() operand is below 2^24 in magnitude, the v sum is below 4 * 2^23,
 * v - theta lies in (-2^24, 2^24), and theta + thetaPlus < 2^24.
 * The adaptive threshold follows the LSNN neuron of Bellec et al. 2018 ("Long
 * short-term memory and learning-to-learn in networks of spiking neurons"):
 * threshold = vth + theta, theta decaying with its own time constant and rising
 * by thetaPlus at each spike (their beta * (1 - rho)); the spike of step t is
 * judged against theta(t) and raises theta(t + 1). With thetaPlus = 0 and
 * theta = 0 the neuron is the plain CUBA LIF of Loihi.
 * A neuron update is "inactive" (cheaper on Loihi) when uE, uI, v, theta, both
 * inputs and bias are all zero and it is not refractory: nothing changes.
 * Initial state: every state variable starts at 0 except v, which a group may
 * set per neuron (CoreGroup.initV, drawn by the compiler).
 */
export const NEURON_UPDATE_ORDER = 'uE, uI, v, fire, refractory, theta' as const;
