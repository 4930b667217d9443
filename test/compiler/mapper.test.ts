import { describe, expect, it } from 'vitest';
import { compileSource } from '../../compiler/index.js';
import { writeImage } from '../../isa/image/index.js';
import { synapseTarget } from '../../isa/synapse.js';
import { readFileSync } from 'node:fs';

function compile(text: string) {
  return compileSource(text, 'net.snn');
}

const lif = 'neuron N { model = lif; tau_mem = 20 ms; tau_syn = 5 ms }';

// The partition fills cores in declaration order (compiler/partition.ts); placement then moves whole
// cores to other slots, so these tests compare core indices and contents, which placement keeps.
describe('mapper: in-order fill within the profile limits', () => {
  it('splits a population larger than a core at 1024 neurons (loihi-like)', () => {
    const r = compile(`${lif}\npopulation big[2000] : N`);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const image = r.image!;
    expect(image.cores.map((c) => c.neuronCount)).toEqual([1024, 976]);
    expect(image.symbols.populations[0].pieces).toEqual([
      { core: 0, first: 0, count: 1024, offset: 0 },
      { core: 1, first: 0, count: 976, offset: 1024 },
    ]);
  });

  it('starts a new core when synapse memory (4 B per synapse, 128 KiB) would overflow', () => {
    // 200 inputs all-to-all: 200 synapses = 800 B per post neuron; 131072 / 800 = 163.84 -> 163 per core.
    const r = compile(`${lif}\ninput x[200] { encoding = poisson(max_rate = 10 Hz) }\npopulation y[200] : N\nconnect x -> y { pattern = all_to_all; weight = 0.01 }`);
    const image = r.image!;
    expect(image.symbols.populations[1].pieces.map((p) => [p.core, p.count])).toEqual([[0, 163], [1, 37]]);
    expect(image.cores[0].synapses.length).toBe(163 * 200);
    expect(image.cores[0].synapses.length * 4).toBeLessThanOrEqual(131072);
    // The inputs share core 0 with the first piece of y: small pieces are grouped.
    expect(image.cores[0].groups.map((g) => g.kind)).toEqual(['input', 'neurons']);
  });

  it('names the population, the limit and how far over when one neuron cannot fit a core', () => {
    // fan-in 40000 synapses = 160000 B > 131072 B: 22% over.
    const r = compile(`${lif}\ninput x[40000] { encoding = poisson(max_rate = 1 Hz) }\npopulation y[1] : N\nconnect x -> y { pattern = all_to_all; weight = 0.01 }`);
    const err = r.diagnostics.find((d) => d.severity === 'error');
    expect(err?.message).toMatch(/`y`/);
    expect(err?.message).toMatch(/synapse memory/);
    expect(err?.message).toMatch(/160000/);
    expect(err?.message).toMatch(/22% over/);
    expect(err?.span.line).toBe(3);
    expect(r.image).toBeUndefined();
  });

  it('refuses a network larger than the chip, naming the population that overflowed', () => {
    // A one-chip board (the mapper would otherwise grow the board: see mapper-placement.test.ts).
    const r = compile(`target "loihi-like" { chips = 1 }\n${lif}\npopulation a[100000] : N\npopulation b[40000] : N`);
    const err = r.diagnostics.find((d) => d.severity === 'error');
    expect(err?.message).toMatch(/`b`/);
    expect(err?.message).toMatch(/128 cores/);
    expect(r.image).toBeUndefined();
  });

  it('routes one packet per destination core, to the axon that holds the source neuron', () => {
    const r = compile(`${lif}\ninput x[4] { encoding = periodic(period = 5 ms) }\npopulation y[2000] : N\nconnect x -> y { pattern = all_to_all; weight = 0.5 }`);
    const image = r.image!;
    const c0 = image.cores[0];
    // Input neuron 0 lives on core 0 and feeds y on core 0 and core 1: two routes.
    expect(c0.routeStart[1] - c0.routeStart[0]).toBe(2);
    expect([...c0.routeCore.slice(0, 2)]).toEqual([0, 1]);
    // On every core the axon's synapses reach each local y neuron once.
    for (let c = 0; c < image.cores.length; c++) {
      const core = image.cores[c];
      const axon = c0.routeAxon[c];
      const targets = [...core.synapses.slice(core.axonStart[axon], core.axonStart[axon + 1])].map(synapseTarget);
      const yGroup = core.groups.find((g) => g.kind === 'neurons')!;
      expect(targets.length).toBe(yGroup.count);
      expect(new Set(targets).size).toBe(yGroup.count);
    }
  });

  it('makes random(p) connections with the expected count, the same on every compile', () => {
    const text = `${lif}\npopulation a[1000] : N\npopulation b[1000] : N\nconnect a -> b { pattern = random(p = 0.1, seed = 7); weight = 0.01 }`;
    const one = compile(text).image!;
    const synapses = one.cores.reduce((n, c) => n + c.synapses.length, 0);
    // Binomial(1e6, 0.1): mean 100000, sd 300; 4 sd either side.
    expect(synapses).toBeGreaterThan(100000 - 1200);
    expect(synapses).toBeLessThan(100000 + 1200);
    expect(writeImage(compile(text).image!)).toEqual(writeImage(one));
    const other = compile(text.replace('seed = 7', 'seed = 8')).image!;
    expect(writeImage(other)).not.toEqual(writeImage(one));
  });

  it('compiles the synfire example to the same bytes every time', () => {
    const text = readFileSync(new URL('../../examples/synfire.snn', import.meta.url), 'utf8');
    const a = compileSource(text, 'examples/synfire.snn');
    expect(a.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(writeImage(a.image!)).toEqual(writeImage(compileSource(text, 'examples/synfire.snn').image!));
  });
});
