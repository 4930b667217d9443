// decay() is the one piece of neuron arithmetic every backend shares: check it
// against exact BigInt arithmetic, including where a naive 32-bit product overflows.
import { describe, expect, it } from 'vitest';
import { clampState, decay, decayConstant, DECAY_ONE, STATE_MAX, STATE_MIN } from '../../isa/fixed.js';
import { random32 } from '../../isa/random.js';

/** x * (4096 - d) / 4096 rounded toward zero, exactly. */
function exactDecay(x: number, d: number): number {
  return Number((BigInt(x) * BigInt(DECAY_ONE - d)) / BigInt(DECAY_ONE)); // BigInt division truncates toward zero
}

describe('decay', () => {
  it('rounds toward zero for both signs', () => {
    expect(decay(3, 2048)).toBe(1);
    expect(decay(-3, 2048)).toBe(-1); // flooring would give -2
    expect(decay(-1, 2048) === 0).toBe(true); // flooring would give -1
    expect(decay(4095, 1)).toBe(4094);
    expect(decay(-4095, 1)).toBe(-4094);
  });

  it('keeps everything at d = 0 and nothing at d = 4096', () => {
    for (const x of [0, 1, -1, 12345, -12345, STATE_MAX, STATE_MIN]) {
      expect(decay(x, 0)).toBe(x);
      expect(decay(x, DECAY_ONE) === 0).toBe(true);
    }
  });

  it('is exact at the state bounds, where x * (4096 - d) needs 36 bits', () => {
    // 8388607 * 4095 = 34351345665 > 2^31: an i32 multiply would wrap.
    expect(decay(STATE_MAX, 1)).toBe(8386559);
    expect(decay(STATE_MIN, 1)).toBe(-8386559);
    expect(decay(STATE_MAX, 1)).toBe(exactDecay(STATE_MAX, 1));
  });

  it('agrees with exact arithmetic on many values in the state range', () => {
    for (let i = 0; i < 20000; i++) {
      const x = (random32(11, 0, i, 0) % (2 * STATE_MAX + 1)) - STATE_MAX;
      const d = random32(11, 0, i, 1) % (DECAY_ONE + 1);
      // + 0 turns decay's -0 (a small negative rounded to zero) into 0; typed arrays store both as 0
      expect(decay(x, d) + 0).toBe(exactDecay(x, d));
    }
  });
});

describe('clampState', () => {
  it('saturates at the 24-bit bounds', () => {
    expect(clampState(STATE_MAX + 1)).toBe(STATE_MAX);
    expect(clampState(STATE_MIN - 1)).toBe(STATE_MIN);
    expect(clampState(-(1 << 23))).toBe(STATE_MIN);
    expect(clampState(123)).toBe(123);
  });
});

describe('decayConstant', () => {
  it('maps time constants to 12-bit decay fractions', () => {
    expect(decayConstant(0, 1e-3)).toBe(DECAY_ONE);
    expect(decayConstant(Infinity, 1e-3)).toBe(0);
    expect(decayConstant(1e-3, 1e-3)).toBe(2589); // round(4096 * (1 - 1/e)) = round(2589.18)
  });
});
