import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CUBA, cubaMapping, cubaSource } from '../../bench/cases/cuba-network.js';
import { compileSource, hasErrors } from '../../compiler/index.js';
import { cpuMemory } from '../../emulator/cpu/memory.js';
import { decayConstant, DECAY_ONE } from '../../isa/fixed.js';

describe('the CUBA benchmark network', () => {
  it('examples/cuba.snn is the generator output for 4,000 neurons at dt = 1 ms', () => {
    expect(readFileSync('examples/cuba.snn', 'utf8')).toBe(cubaSource(4000, 1));
  });

  it('compiles to 80% excitatory neurons and about p * N^2 synapses', () => {
    const r = compileSource(cubaSource(1000, 1), 'cuba.snn');
    expect(hasErrors(r.diagnostics)).toBe(false);
    const image = r.image!;
    const sizes = Object.fromEntries(image.symbols.populations.map((p) => [p.name, p.size]));
    expect(sizes).toEqual({ exc: 800, inh: 200 });
    const synapses = image.cores.reduce((s, c) => s + c.synapses.length, 0);
    expect(Math.abs(synapses - CUBA.p * 1000 * 1000)).toBeLessThan(4 * Math.sqrt(CUBA.p * 1e6));
    const memory = cpuMemory(image);
    expect(memory.synapses).toBe(synapses);
    // The CPU backend holds CUBA's synapses as 16-bit targets, one weight per axon (emulator/cpu/synapse-table.ts).
    expect(memory.synapseBytes).toBe(2 * synapses);
  });

  it('maps the rest potential, refractory period and PSP areas onto the quantized chip', () => {
    for (const dtMs of [1, 0.1]) {
      const dt = dtMs * 1e-3;
      const m = cubaMapping(4000, dt);
      const leak = decayConstant(CUBA.tauMemS, dt) / DECAY_ONE;
      // The voltage's fixed point without input is El' = 1.1 thresholds.
      expect(m.bias / leak).toBeCloseTo(1.1, 12);
      expect(m.refractorySteps).toBe(Math.round(5 / dtMs) - 1);
      // Area of the voltage response to one excitatory spike: Brian's we/(Vt-Vr) * taue.
      const aE = decayConstant(CUBA.tauExcS, dt) / DECAY_ONE;
      expect((dt * m.weightExc) / (aE * leak)).toBeCloseTo((CUBA.weV / 0.01) * CUBA.tauExcS, 12);
      // Close to the first-order mapping w/(Vt-Vr) * dt/tau_m (12% off at 1 ms; at 0.1 ms 3.5%, mostly the 12-bit decay of tau_m).
      const firstOrder = (CUBA.weV / 0.01) * (dt / CUBA.tauMemS);
      expect(Math.abs(m.weightExc / firstOrder - 1)).toBeLessThan(dtMs === 1 ? 0.12 : 0.04);
      expect(m.weightInh).toBeLessThan(0);
    }
  });
});
