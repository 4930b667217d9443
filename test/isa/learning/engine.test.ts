// The learning engine's arithmetic (isa/learning/engine.ts) against hand
// computations and its stated properties: 32-bit intermediates, unbiased
// stochastic rounding, exact shares.
import { describe, expect, it } from 'vitest';
import { DW_MAX, GAIN_ONE, OPERAND_MAX, PRODUCT_MAX } from '../../../isa/learning/constants.js';
import {
  absoluteShare,
  additiveChange,
  applyChange,
  gainOf,
  mantissaBounds,
  mulGain,
  mulOperands,
  productShift,
  sbpGain,
  scaleTerm,
  shareOf,
  traceStep,
  weightOperand,
} from '../../../isa/learning/engine.js';
import { random32 } from '../../../isa/random.js';

describe('traces', () => {
  it('decay with stochastic rounding whose mean is the exact decay', () => {
    // x = 1000, decay 200: exact 1000 * 3896 / 4096 = 951.171875; floor 951, up with probability 0.171875.
    let sum = 0;
    const n = 40000;
    for (let i = 0; i < n; i++) sum += traceStep(1000, 200, 0, false, random32(1, 6, i, 0));
    expect(sum / n).toBeCloseTo(951.171875, 1);
    expect(traceStep(1000, 200, 0, false, 0)).toBe(952); // rnd 0 is below any remainder: up
    expect(traceStep(1000, 200, 0, false, 0xffffffff)).toBe(951);
  });
  it('add the impulse on a spike and saturate at 16 bits', () => {
    expect(traceStep(0, 200, 4096, true, 0)).toBe(4096);
    expect(traceStep(65535, 0, 4096, true, 0)).toBe(OPERAND_MAX);
    expect(traceStep(5, 4096, 0, false, 0)).toBe(0); // decay 4096 forgets everything
  });
});

describe('products', () => {
  it('multiply Q12 operands without leaving 32 bits, saturating at PRODUCT_MAX', () => {
    expect(mulOperands(4096, 4096)).toBe(4096); // 1 * 1
    expect(mulOperands(6144, 8192)).toBe(12288); // 1.5 * 2
    expect(mulOperands(OPERAND_MAX, OPERAND_MAX)).toBe(Math.floor((OPERAND_MAX * OPERAND_MAX) / 4096));
    expect(mulOperands(PRODUCT_MAX, OPERAND_MAX)).toBe(PRODUCT_MAX);
    // The split keeps the exact truncation: (a * b) >> 12 for a up to 2^24.
    for (const [a, b] of [[123456, 54321], [PRODUCT_MAX >> 4, 4095], [4097, 65535]]) {
      expect(mulOperands(a, b)).toBe(Math.min(PRODUCT_MAX, Math.floor((a * b) / 4096)));
    }
  });
  it('scale a term into weight-change units: 0.002 * 1.0 at weight exponent 10 is 0.128 mantissa steps', () => {
    // 0.002 = 16777 * 2^-23; weight step 2^10 / 2^16 = 1/64; 0.002 * 64 = 0.128 steps = 8388.6 change units (2^16 per step).
    const shift = productShift(-23, 10);
    expect(shift).toBe(-23 - 12 + 16 - 10 + 16);
    expect(scaleTerm(16777, 4096, shift)).toBe(Math.floor((16777 * 4096) / 2 ** 13));
    expect(scaleTerm(32767, PRODUCT_MAX, 20)).toBe(DW_MAX);
    expect(scaleTerm(5, 0, 40)).toBe(0);
  });
  it('reads |w| in threshold units as Q12', () => {
    expect(weightOperand(64, 10)).toBe(4096); // 64 << 10 = 2^16 = 1.0
    expect(weightOperand(-32, 10)).toBe(2048);
    expect(weightOperand(127, 16)).toBe(OPERAND_MAX); // 127 threshold units saturate
  });
});

describe('applying a change', () => {
  it('rounds stochastically without bias and clamps to the bounds', () => {
    // change = -2.25 steps: floor -3, up with probability 0.75: mean -2.25.
    let sum = 0;
    const n = 40000;
    for (let i = 0; i < n; i++) sum += applyChange(10, -2.25 * 65536, random32(3, 5, i, 0), -100, 100) - 10;
    expect(sum / n).toBeCloseTo(-2.25, 1);
    expect(applyChange(10, 65536 * 50, 0, -20, 20)).toBe(20);
    expect(applyChange(10, -65536 * 50, 0, -20, 20)).toBe(-20);
  });
  it('turns bounds in state units into mantissa bounds inside the weight', () => {
    expect(mantissaBounds(-65536, 65536, 10, 127)).toEqual({ low: -64, high: 64 });
    expect(mantissaBounds(-65536, 65536, 6, 127)).toEqual({ low: -127, high: 127 });
    expect(mantissaBounds(100, 1000, 4, 127)).toEqual({ low: 7, high: 62 });
  });
});

describe('SBP arithmetic', () => {
  it('computes shares as exact Q16 fractions after scaling both into 16 bits', () => {
    expect(shareOf(1, 4)).toBe(16384);
    expect(shareOf(0, 0)).toBe(0);
    expect(shareOf(7, 7)).toBe(GAIN_ONE);
    expect(shareOf(0x7fffffff, 0x7fffffff)).toBe(GAIN_ONE);
    // 3e8 / 1e9: both shifted right by 14 bits first.
    expect(shareOf(3e8, 1e9)).toBe(Math.floor(((3e8 >>> 14) * 65536) / (1e9 >>> 14)));
  });
  it('applies gains with the same sign and the authors averaging', () => {
    expect(gainOf(GAIN_ONE, GAIN_ONE)).toBe(GAIN_ONE);
    expect(mulGain(DW_MAX, GAIN_ONE)).toBe(DW_MAX);
    expect(mulGain(1000, 32768)).toBe(500);
    // d > 0: d * (1 + (gPre + gBp) / 2) = 1000 * (1 + (0.5 + 0.25) / 2) = 1375.
    expect(sbpGain(1000, 32768, 16384, 0, 0, 0)).toBe(1375);
    // d < 0: d * (1 + (gPre + gPost + gBp) / 3) = -900 * (1 + 0.75 / 3) = -1125.
    expect(sbpGain(-900, 0, 0, 16384, 16384, 16384)).toBe(-1125);
    expect(sbpGain(0, GAIN_ONE, GAIN_ONE, GAIN_ONE, GAIN_ONE, GAIN_ONE)).toBe(0);
  });
  it('converts sums and additive changes between threshold and weight units', () => {
    // 1 mantissa step at exponent 10 is 1/64 threshold units: 65536 change units -> 1024 in Q16 threshold units.
    expect(absoluteShare(65536, 10)).toBe(1024);
    expect(absoluteShare(DW_MAX, 16)).toBe(GAIN_ONE);
    // gain 0.5 * x1 1.0 = 0.5 threshold units = 32 steps at exponent 10 = 32 * 65536 change units.
    expect(additiveChange(32768, 4096, 10)).toBe(32 * 65536);
  });
});
