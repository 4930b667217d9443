// The CPU backend's compact synapse tables: which kind a core gets, that they
// give back the image's words, that the bytes counted are the bytes held, and
// that delivery through them gives what delivery through the words gives, to
// the bit.
import { describe, expect, it } from 'vitest';
import { cubaSource } from '../../../bench/cases/cuba-network.js';
import { compileSource } from '../../../compiler/index.js';
import { CpuEmulatorImpl } from '../../../emulator/cpu/cpu.js';
import { cpuMemory } from '../../../emulator/cpu/memory.js';
import {
  buildSynapseTable,
  synapseTableBytes,
  synapseTablePlan,
  tableWords,
  TABLE_AXON_WEIGHT,
  TABLE_SYNAPSE_WEIGHT,
  TABLE_WORDS,
  type SynapseTable,
} from '../../../emulator/cpu/synapse-table.js';
import type { ChipImage, CoreImage } from '../../../isa/image/types.js';
import { coreImage, type AxonSpec } from '../build.js';

const LIF = { du: 400, duInh: 400, dv: 200, vth: 1 << 16, reset: 0, bias: 0, refractory: 1, thetaPlus: 0, dTheta: 0 };

function core(axons: readonly AxonSpec[]): CoreImage {
  return coreImage({ slot: 0, groups: [{ kind: 'neurons', count: 300, params: LIF }], axons });
}

function compiled(text: string): ChipImage {
  const r = compileSource(text, 'test.snn');
  if (r.image === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.image;
}

/** Bytes of the arrays a table holds that the image does not (its own allocations), plus the image's that it reads. */
function heldBytes(table: SynapseTable): number {
  const arrays = [table.words, table.axonStart, table.axonWeightExp, table.axonStart16, table.targets, table.axonWeight, table.palette, table.paletteMantissa, table.paletteExp, table.mantissas];
  return arrays.reduce((sum, a) => sum + a.byteLength, 0);
}

const perAxon: readonly AxonSpec[] = [
  { exp: 3, synapses: [{ target: 5, weight: 40, delay: 1 }, { target: 299, weight: 40, delay: 1 }] },
  { exp: 0, synapses: [] },
  { exp: 2, synapses: [{ target: 7, weight: -90, delay: 1 }, { target: 8, weight: -90, delay: 1 }, { target: 7, weight: -90, delay: 1 }] },
  { exp: 3, synapses: [{ target: 0, weight: 40, delay: 1 }] },
];
const perSynapse: readonly AxonSpec[] = [
  { exp: 1, synapses: [{ target: 5, weight: 40, delay: 2 }, { target: 6, weight: -3, delay: 2 }] },
  { exp: 4, synapses: [{ target: 9, weight: 127, delay: 2 }, { target: 9, weight: -128, delay: 2 }] },
];
const mixedDelays: readonly AxonSpec[] = [{ exp: 0, synapses: [{ target: 1, weight: 10, delay: 1 }, { target: 2, weight: 10, delay: 3 }] }];

describe('synapse tables', () => {
  it('keep per-axon weights in a palette, per-synapse weights in a byte, and words where delays differ or the image learns', () => {
    const a = synapseTablePlan(core(perAxon), false);
    expect(a.kind).toBe(TABLE_AXON_WEIGHT);
    expect(a.paletteSize).toBe(2);
    expect(a.uniformDelay).toBe(1);
    expect(synapseTablePlan(core(perSynapse), false).kind).toBe(TABLE_SYNAPSE_WEIGHT);
    expect(synapseTablePlan(core(mixedDelays), false).kind).toBe(TABLE_WORDS);
    expect(synapseTablePlan(core(mixedDelays), false).uniformDelay).toBe(0);
    expect(synapseTablePlan(core(perAxon), true).kind).toBe(TABLE_WORDS);
  });

  it('fall back to a mantissa per synapse beyond 256 weights, and to words beyond 16-bit offsets', () => {
    const many: AxonSpec[] = Array.from({ length: 300 }, (_, k) => ({ exp: k % 2, synapses: [{ target: k % 300, weight: (k >> 1) - 75, delay: 1 }] }));
    expect(synapseTablePlan(core(many), false).kind).toBe(TABLE_SYNAPSE_WEIGHT);
    expect(synapseTablePlan(core(many.slice(0, 256)), false).kind).toBe(TABLE_AXON_WEIGHT);
    const wide: AxonSpec[] = [{ exp: 0, synapses: Array.from({ length: 65536 }, (_, k) => ({ target: k % 300, weight: 1, delay: 1 })) }];
    expect(synapseTablePlan(core(wide), false).kind).toBe(TABLE_WORDS);
    expect(synapseTablePlan(core(wide.map((x) => ({ ...x, synapses: x.synapses.slice(1) }))), false).kind).toBe(TABLE_AXON_WEIGHT);
  });

  it('give back the image words, and count the bytes they hold', () => {
    for (const axons of [perAxon, perSynapse, mixedDelays]) {
      for (const learns of [false, true]) {
        const c = core(axons);
        const table = buildSynapseTable(c, learns);
        expect(Array.from(tableWords(table))).toEqual(Array.from(c.synapses));
        const bytes = synapseTableBytes(synapseTablePlan(c, learns));
        expect(heldBytes(table)).toBe(bytes.synapses + bytes.axons);
      }
    }
  });

  it('hold CUBA at 4,000 neurons in 2 bytes a synapse, under 4 bytes a synapse in all', () => {
    const image = compiled(cubaSource(4000, 1, 0.02));
    for (const c of image.cores) expect(synapseTablePlan(c, false).kind).toBe(TABLE_AXON_WEIGHT);
    const memory = cpuMemory(image);
    expect(memory.synapseBytes).toBe(2 * memory.synapses);
    expect(memory.totalBytes / memory.synapses).toBeLessThan(4);
  });

  it('deliver what the words deliver: spikes, counters, cycles and neuron state to the bit', async () => {
    const text = `
neuron Lif { model = lif; tau_mem = 10 ms; tau_syn_exc = 2 ms; tau_syn_inh = 4 ms; refractory = 2 ms; bias = 0.01 }
input noise[60] { encoding = poisson(max_rate = 150 Hz) }
population a[900] : Lif { init v = uniform(0, 1) }
population b[400] : Lif
connect noise -> a { pattern = random(p = 0.2, seed = 1); weight = uniform(0.05, 0.4); delay = 3 ms }
connect a -> b { pattern = random(p = 0.02, seed = 2); weight = 0.2; delay = 3 ms }
connect b -> a { pattern = random(p = 0.02, seed = 3); weight = -0.3; delay = 3 ms }
connect a -> a { pattern = random(p = 0.005, seed = 4); weight = uniform(-0.1, 0.3); delay = 3 ms }
`;
    const image = compiled(text);
    const kinds = new Set(image.cores.map((c) => synapseTablePlan(c, false).kind));
    expect([...kinds].sort()).toEqual([TABLE_AXON_WEIGHT, TABLE_SYNAPSE_WEIGHT]);
    const observe = async (tables: readonly SynapseTable[] | undefined): Promise<unknown> => {
      const e = new CpuEmulatorImpl(image, { seed: 5 }, undefined, undefined, tables);
      await e.run(300);
      return {
        counters: e.counters(),
        cycles: Array.from(e.stepCycles()),
        spikes: e.spikeCounts().map((a) => Array.from(a)),
        state: image.cores.map((_, c) => Object.values(e.neuronState(c)).map((a: Int32Array) => Array.from(a))),
        synapses: e.synapses().map((a) => Array.from(a)),
      };
    };
    const compact = await observe(undefined);
    // Tables built as for a learning image keep the words: the reference path.
    const words = await observe(image.cores.map((c) => buildSynapseTable(c, true)));
    expect(compact).toEqual(words);
    expect((compact as { counters: { total: { synaptic_ops: number } } }).counters.total.synaptic_ops).toBeGreaterThan(10_000);
  });
});
