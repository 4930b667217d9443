import { describe, expect, it } from 'vitest';
import { compileSource } from '../../compiler/index.js';
import { lowerWeightFormat, quantizeWeight } from '../../compiler/lower.js';
import { builtinProfile } from '../../isa/profile.js';
import { synapseWeight } from '../../isa/synapse.js';
import { UNIT } from '../../isa/fixed.js';

const profile = builtinProfile('loihi-like')!;
const span = { file: 'x.snn', line: 1, col: 1, length: 1 };

describe('lowering to the chip fixed point', () => {
  it('picks the smallest weight exponent whose 8-bit mantissa holds the largest weight', () => {
    // 0.15 threshold units = 9830.4 state units; 9830.4 / 2^6 = 153.6 > 127, / 2^7 = 76.8 -> 77.
    const { value, diagnostics } = lowerWeightFormat({ kind: 'constant', value: 0.15 }, profile, 'w', span);
    expect(value.exponent).toBe(7);
    expect(quantizeWeight(0.15, value, 127)).toBe(77);
    // 77 * 128 / 65536 = 0.150390625: 0.26% off, under the 1% that warns.
    expect(diagnostics).toEqual([]);
  });

  it('warns with the value a weight became when it moves by more than 1%', () => {
    // 0.0001 = 6.55 state units -> mantissa 7 at exponent 0 -> 7/65536 = 0.0001068, 6.8% off.
    const { diagnostics } = lowerWeightFormat({ kind: 'constant', value: 0.0001 }, profile, 'weight of a -> b', span);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0].severity).toBe('warning');
    expect(diagnostics[0].message).toContain('0.000106');
    expect(diagnostics[0].message).toContain('6.8');
  });

  it('errors when a weight does not fit the mantissa and exponent range', () => {
    // Largest weight: 127 << 16 state units = 127 threshold units.
    const { diagnostics } = lowerWeightFormat({ kind: 'constant', value: 200 }, profile, 'w', span);
    expect(diagnostics.map((d) => d.severity)).toEqual(['error']);
  });

  it('stores negative weights as two\'s complement mantissas', () => {
    const r = compileSource('neuron N { model = lif }\npopulation a[1] : N\npopulation b[1] : N\nconnect a -> b { pattern = one_to_one; weight = -0.5 }', 'n.snn');
    const core = r.image!.cores[0];
    const w = synapseWeight(core.synapses[0]) * 2 ** core.axonWeightExp[0];
    expect(w / UNIT).toBeCloseTo(-0.5, 3);
  });

  it('warns when a time constant cannot be represented within 1% at this dt', () => {
    // tau = 1 s at dt = 1 ms: d = round(4096 * (1 - e^-0.001)) = 4 -> tau 1.0235 s (2.4% off).
    const r = compileSource('neuron N { model = lif; tau_mem = 1 s }\npopulation a[1] : N', 'n.snn');
    const w = r.diagnostics.filter((d) => d.severity === 'warning');
    expect(w).toHaveLength(1);
    expect(w[0].message).toContain('tau_mem');
    expect(w[0].message).toContain('1.023');
  });
});
