// The learning engine's arithmetic: the contract both emulator backends follow
// to the bit (docs/isa.md restates it with the reasons). Every value is an
// integer and every intermediate stays inside 32 bits (unsigned where noted):
// WGSL has no 64-bit integers. The CPU backend calls these functions; the
// WebGPU backend mirrors them line by line.
import {
  DW_FRAC,
  DW_MAX,
  GAIN_FRAC,
  GAIN_ONE,
  OPERAND_FRAC,
  OPERAND_MAX,
  PRODUCT_MAX,
  PRODUCT_SPLIT,
  TRACE_DECAY_BITS,
  TRACE_DECAY_ONE,
  TRACE_MAX,
} from './constants.js';
import { UNIT_SHIFT } from '../fixed.js';

const DECAY_MASK = TRACE_DECAY_ONE - 1;
const ROUND_MASK = (1 << DW_FRAC) - 1;
const SPLIT_MASK = (1 << PRODUCT_SPLIT) - 1;

/**
 * One step of a trace: x * (4096 - decay) / 4096, rounded stochastically (up
 * with probability remainder / 4096, using the top 12 bits of `rnd`), plus
 * `impulse` when `spike`, saturating at TRACE_MAX. x <= 2^16, so x * 4096 < 2^29.
 * rnd = random32(seed, STREAM.trace, step, key): Loihi rounds its trace decay
 * stochastically too, so that a slow decay still reaches zero on average.
 */
export function traceStep(x: number, decay: number, impulse: number, spike: boolean, rnd: number): number {
  const p = x * (TRACE_DECAY_ONE - decay);
  let next = p >>> TRACE_DECAY_BITS;
  if (rnd >>> (32 - TRACE_DECAY_BITS) < (p & DECAY_MASK)) next++;
  if (spike) next += impulse;
  return next > TRACE_MAX ? TRACE_MAX : next;
}

/** |w| as an operand: the weight in threshold units as unsigned Q12, saturating at OPERAND_MAX. */
export function weightOperand(mantissa: number, exponent: number): number {
  const m = mantissa < 0 ? -mantissa : mantissa;
  // |m| << exp < 2^23 (8-bit mantissa, exponent <= 16); state units have UNIT_SHIFT fractional bits.
  const q = (m << exponent) >>> (UNIT_SHIFT - OPERAND_FRAC);
  return q > OPERAND_MAX ? OPERAND_MAX : q;
}

/**
 * A Q12 product (a <= PRODUCT_MAX) times a Q12 operand (b <= OPERAND_MAX),
 * truncated to Q12 and saturated at PRODUCT_MAX: (a >> 12) * b + ((a & 4095) * b >> 12),
 * each partial product below 2^28.
 */
export function mulOperands(a: number, b: number): number {
  const p = (a >>> PRODUCT_SPLIT) * b + ((((a & SPLIT_MASK) * b) >>> OPERAND_FRAC));
  return p > PRODUCT_MAX ? PRODUCT_MAX : p;
}

/**
 * One product's change in weight-change units: |mantissa| (< 2^15) times the
 * Q12 product P (<= PRODUCT_MAX), shifted by `shift` (productShift), computed as
 * two halves of P so each partial product is below 2^27: the high half shifted
 * by shift + 12, the low half by shift, each truncated, the sum saturating at DW_MAX.
 */
export function scaleTerm(mantissa: number, p: number, shift: number): number {
  const hi = scaleProduct(mantissa * (p >>> PRODUCT_SPLIT), shift + PRODUCT_SPLIT);
  const lo = scaleProduct(mantissa * (p & SPLIT_MASK), shift);
  const s = hi + lo;
  return s > DW_MAX ? DW_MAX : s;
}

/**
 * The shift that takes |mantissa| * P (P the Q12 operand product) to weight-change
 * units (DW_FRAC fractional bits of the weight mantissa) for a coefficient
 * exponent e and a weight exponent x: dw = m * 2^e * P / 2^12 threshold units
 * = m * P * 2^(e - 12 + 16 - x + 16) change units.
 */
export function productShift(coefExponent: number, weightExponent: number): number {
  return coefExponent - OPERAND_FRAC + UNIT_SHIFT - weightExponent + DW_FRAC;
}

/** A non-negative r (< 2^31) shifted by `shift` (left if positive), truncated, saturating at DW_MAX. */
export function scaleProduct(r: number, shift: number): number {
  if (shift >= 0) {
    if (shift > 27 || r > DW_MAX >>> shift) return r === 0 ? 0 : DW_MAX;
    return r << shift;
  }
  return -shift > 31 ? 0 : r >>> -shift;
}

/** a + b clamped to +-DW_MAX (|a|, |b| <= DW_MAX, so the sum fits). */
export function addChange(a: number, b: number): number {
  const s = a + b;
  return s > DW_MAX ? DW_MAX : s < -DW_MAX ? -DW_MAX : s;
}

/**
 * A weight after an epoch: mantissa + change / 2^16, rounded stochastically
 * (up with probability remainder / 2^16, using the top 16 bits of `rnd`), then
 * clamped to [low, high] (mantissa bounds). rnd = random32(seed, STREAM.rounding, step, key).
 */
export function applyChange(mantissa: number, change: number, rnd: number, low: number, high: number): number {
  let w = mantissa + (change >> DW_FRAC);
  if (rnd >>> (32 - DW_FRAC) < (change & ROUND_MASK)) w++;
  return w < low ? low : w > high ? high : w;
}

/** Saturating sum of two non-negative values below 2^31. */
export function addSum(a: number, b: number): number {
  const s = a + b;
  return s > 0x7fffffff ? 0x7fffffff : s;
}

/**
 * v / total as a Q16 fraction (0..65536), 0 when total is 0. Both are first
 * shifted right until total < 2^16, so (v << 16) fits an unsigned 32-bit word
 * and the division is exact integer division (v <= total).
 */
export function shareOf(v: number, total: number): number {
  if (total <= 0) return 0;
  const k = Math.max(0, 32 - Math.clz32(total) - 16);
  const t = total >>> k;
  return t === 0 ? 0 : Math.floor(((v >>> k) * GAIN_ONE) / t);
}

/** A change sum in weight-change units as Q16 threshold units, saturating at 1.0 (normalize = none). */
export function absoluteShare(v: number, weightExponent: number): number {
  const q = v >>> (DW_FRAC + UNIT_SHIFT - GAIN_FRAC - weightExponent);
  return q > GAIN_ONE ? GAIN_ONE : q;
}

/** lambda * share as a Q16 gain: floor(lambda * share / 2^16); both <= 2^16, so the product <= 2^32 is exact. */
export function gainOf(lambda: number, share: number): number {
  return Math.floor((lambda * share) / GAIN_ONE);
}

/** floor(a * g / 2^16) for 0 <= a <= DW_MAX, 0 <= g <= 2^16, split so each partial product fits 32 bits. */
export function mulGain(a: number, g: number): number {
  return (a >>> 16) * g + Math.floor(((a & 0xffff) * g) / GAIN_ONE);
}

/**
 * SBP's change of one input synapse, the authors' averaging of their terms
 * (../shared/SBP.md): for d > 0, d + d * (gPrePot + gBpPot) / 2; for d < 0,
 * d + d * (gPreDep + gPostDep + gBpDep) / 3 (gains Q16, the sums truncated).
 * In additive mode pass gBpPot = gBpDep = 0 and add additiveChange() separately.
 */
export function sbpGain(d: number, gPrePot: number, gBpPot: number, gPreDep: number, gPostDep: number, gBpDep: number): number {
  if (d > 0) return addChange(d, mulGain(d, (gPrePot + gBpPot) >>> 1));
  if (d < 0) return addChange(d, -mulGain(-d, Math.floor((gPreDep + gPostDep + gBpDep) / 3)));
  return 0;
}

/**
 * Additive SBP: lambda * share * x1 (gain Q16 times trace Q12, in Q16 threshold
 * units, < 2^20) in weight-change units of a projection with weight exponent
 * `weightExponent`, saturating at DW_MAX.
 */
export function additiveChange(gain: number, x1: number, weightExponent: number): number {
  const thr = Math.floor((gain * x1) / (1 << OPERAND_FRAC));
  return scaleProduct(thr, DW_FRAC + UNIT_SHIFT - GAIN_FRAC - weightExponent);
}

/** Mantissa bounds of a projection from bounds in state units: ceil(low / 2^x), floor(high / 2^x), inside +-maxMantissa. */
export function mantissaBounds(low: number, high: number, weightExponent: number, maxMantissa: number): { readonly low: number; readonly high: number } {
  const step = 2 ** weightExponent;
  const lo = Math.ceil(low / step);
  const hi = Math.floor(high / step);
  return { low: Math.max(-maxMantissa, Math.min(maxMantissa, lo)), high: Math.max(-maxMantissa, Math.min(maxMantissa, hi)) };
}
