// The complete language: neuron models, initial state, inputs, patterns,
// weights, includes and data files, each checked through the front end and,
// where it reaches the chip, through lowering and the image.
import { describe, expect, it } from 'vitest';
import { ALIF_DEFAULTS, MAX_CONNECTION_SYNAPSES, NEURON_DEFAULTS } from '../../compiler/checker.js';
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { checkSource, MAX_NESTING } from '../../compiler/frontend.js';
import { compileSource } from '../../compiler/index.js';
import type { NetworkIR, PopulationIR } from '../../compiler/ir.js';
import { memoryReader } from '../../compiler/sources.js';
import { decayConstant, UNIT } from '../../isa/fixed.js';
import { readImage, writeImage } from '../../isa/image/format.js';
import type { ChipImage, CoreGroup } from '../../isa/image/types.js';
import { synapseDelay, synapseTarget, synapseWeight } from '../../isa/synapse.js';

const HEAD = 'target "loihi-like" { dt = 1 ms }\nneuron Lif { model = lif }\n';

function check(text: string, files: Record<string, string> = {}) {
  return checkSource(text, 'net.snn', { readFile: memoryReader(files) });
}

function clean(text: string, files: Record<string, string> = {}): NetworkIR {
  const { network, diagnostics } = check(text, files);
  expect(diagnostics.map((d) => `${d.span.file}:${d.span.line}:${d.span.col} ${d.message}`)).toEqual([]);
  if (network === undefined) throw new Error('no network');
  return network;
}

function errors(text: string, files: Record<string, string> = {}): Diagnostic[] {
  const { network, diagnostics } = check(text, files);
  expect(network).toBeUndefined();
  return diagnostics.filter((d) => d.severity === 'error');
}

function oneError(text: string, files: Record<string, string> = {}): Diagnostic {
  const found = errors(text, files);
  expect(found.map((d) => d.message)).toHaveLength(1);
  return found[0];
}

function neurons(net: NetworkIR, name: string): Extract<PopulationIR, { kind: 'neurons' }> {
  const p = net.populations.find((q) => q.name === name);
  if (p?.kind !== 'neurons') throw new Error(`${name} is not a neuron population`);
  return p;
}

function image(text: string, files: Record<string, string> = {}): ChipImage {
  const r = compileSource(text, 'net.snn', { readFile: memoryReader(files) });
  expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  if (r.image === undefined) throw new Error('no image');
  // Every image here also survives the file format.
  const back = readImage(writeImage(r.image), 'net.chip');
  expect(writeImage(back)).toEqual(writeImage(r.image));
  return back;
}

function groupOf(img: ChipImage, population: string): CoreGroup {
  const piece = img.symbols.populations.find((p) => p.name === population)?.pieces[0];
  if (piece === undefined) throw new Error(`no ${population}`);
  const g = img.cores[piece.core].groups.find((x) => x.first === piece.first);
  if (g === undefined) throw new Error('no group');
  return g;
}

describe('neuron models', () => {
  it('separates excitatory and inhibitory synaptic time constants; tau_syn sets both, the specific ones win', () => {
    const net = clean(`${HEAD}neuron E { tau_syn = 3 ms; tau_syn_inh = 10 ms }\npopulation a[1] : E\npopulation b[1] : E { tau_syn = 4 ms }\npopulation c[1] : Lif { tau_syn_exc = 2 ms }`);
    expect([neurons(net, 'a').neuron.tauSynExcS, neurons(net, 'a').neuron.tauSynInhS]).toEqual([0.003, 0.01]);
    expect([neurons(net, 'b').neuron.tauSynExcS, neurons(net, 'b').neuron.tauSynInhS]).toEqual([0.004, 0.004]);
    expect([neurons(net, 'c').neuron.tauSynExcS, neurons(net, 'c').neuron.tauSynInhS]).toEqual([0.002, 0.005]);
    const g = groupOf(image(`${HEAD}neuron E { tau_syn_exc = 5 ms; tau_syn_inh = 10 ms }\npopulation a[2] : E`), 'a');
    expect(g.kind === 'neurons' && [g.params.du, g.params.duInh]).toEqual([decayConstant(5e-3, 1e-3), decayConstant(10e-3, 1e-3)]);
  });

  it('gives `if` no leak, and warns that tau_mem does nothing there', () => {
    const net = clean(`${HEAD}neuron I { model = if; bias = 0.1 }\npopulation a[1] : I`);
    expect(neurons(net, 'a').neuron).toMatchObject({ model: 'if', tauMemS: Infinity });
    const g = groupOf(image(`${HEAD}neuron I { model = if }\npopulation a[1] : I`), 'a');
    expect(g.kind === 'neurons' && g.params.dv).toBe(0);
    const { diagnostics } = check(`${HEAD}neuron I { model = if; tau_mem = 10 ms }\npopulation a[1] : I`);
    expect(diagnostics).toMatchObject([{ severity: 'warning', code: 2122, span: { line: 3, col: 24 } }]);
  });

  it('reads alif with its defaults, its own settings, and refuses them on other models', () => {
    const net = clean(`${HEAD}neuron A { model = alif }\nneuron B { model = alif; theta_plus = 0.3; tau_adapt = 50 ms }\npopulation a[1] : A\npopulation b[1] : B { theta_plus = 0.4 }`);
    expect(neurons(net, 'a').neuron).toMatchObject({ model: 'alif', thetaPlus: ALIF_DEFAULTS.thetaPlus, tauAdaptS: ALIF_DEFAULTS.tauAdaptS });
    expect(neurons(net, 'b').neuron).toMatchObject({ thetaPlus: 0.4, tauAdaptS: 0.05 });
    expect(oneError(`${HEAD}population p[1] : Lif { theta_plus = 0.2 }`)).toMatchObject({
      code: 2121,
      message: '`theta_plus` is a setting of the `alif` model, but `p` has `model = lif`',
      span: { line: 3, col: 25, length: 10 },
    });
    expect(oneError(`${HEAD}neuron B { tau_adapt = 20 Hz; model = alif }`)).toMatchObject({ code: 2030 });
    const g = groupOf(image(`${HEAD}neuron A { model = alif; theta_plus = 0.25; tau_adapt = 100 ms }\npopulation a[1] : A`), 'a');
    expect(g.kind === 'neurons' && [g.params.thetaPlus, g.params.dTheta]).toEqual([0.25 * UNIT, decayConstant(0.1, 1e-3)]);
    const lif = groupOf(image(`${HEAD}population a[1] : Lif`), 'a');
    expect(lif.kind === 'neurons' && [lif.params.thetaPlus, lif.params.dTheta]).toEqual([0, 0]);
  });

  it('keeps the defaults a user can look up', () => {
    expect(NEURON_DEFAULTS).toMatchObject({ tauMemS: 0.02, tauSynExcS: 0.005, tauSynInhS: 0.005, threshold: 1, reset: 0, refractoryS: 0, bias: 0 });
  });
});

describe('initial state', () => {
  it('stores nothing when every neuron starts at 0, a constant or seeded draws otherwise', () => {
    const none = groupOf(image(`${HEAD}population a[3] : Lif`), 'a');
    expect(none.kind === 'neurons' && none.initV).toBeUndefined();
    const constant = groupOf(image(`${HEAD}population a[3] : Lif { init v = 0.5 }`), 'a');
    expect(constant.kind === 'neurons' && Array.from(constant.initV ?? [])).toEqual([UNIT / 2, UNIT / 2, UNIT / 2]);
    const text = `${HEAD}population a[500] : Lif { init v = uniform(0.2, 0.6) }`;
    const drawn = groupOf(image(text), 'a');
    const v = drawn.kind === 'neurons' ? Array.from(drawn.initV ?? []) : [];
    expect(v).toHaveLength(500);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0.2 * UNIT);
    expect(Math.max(...v)).toBeLessThanOrEqual(0.6 * UNIT);
    expect(new Set(v).size).toBeGreaterThan(400);
    // The same program draws the same values; another seed draws others.
    const again = groupOf(image(text), 'a');
    expect(again.kind === 'neurons' && Array.from(again.initV ?? [])).toEqual(v);
    const seeded = groupOf(image(`${HEAD}population a[500] : Lif { init v = uniform(0.2, 0.6, seed = 9) }`), 'a');
    expect(seeded.kind === 'neurons' && Array.from(seeded.initV ?? [])).not.toEqual(v);
    const normal = groupOf(image(`${HEAD}population a[2000] : Lif { init v = normal(0.5, 0.1) }`), 'a');
    const n = normal.kind === 'neurons' ? Array.from(normal.initV ?? [], (x) => x / UNIT) : [];
    const mean = n.reduce((a, b) => a + b, 0) / n.length;
    const sd = Math.sqrt(n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length);
    expect(mean).toBeCloseTo(0.5, 1);
    expect(sd).toBeGreaterThan(0.09);
    expect(sd).toBeLessThan(0.11);
  });

  it('reports what `init` cannot set', () => {
    expect(oneError(`${HEAD}population a[1] : Lif { init u = 0.5 }`)).toMatchObject({ code: 2013, hint: 'did you mean `init v`?' });
    expect(oneError(`${HEAD}population a[1] : Lif { init v = uniform(1, 0) }`).code).toBe(2044);
    expect(oneError(`${HEAD}population a[1] : Lif { init v = 2 ms }`).code).toBe(2033);
    expect(oneError(`${HEAD}input a[1] { encoding = external; init v = 0.5 }`).code).toBe(2013);
  });
});

describe('inputs', () => {
  it('reads spikes from a file, relative to the program, sorted, repeats dropped with a warning', () => {
    const files = { 'data/spikes.csv': 'step,neuron\n# a comment\n5, 1\n0,2\n\n0,2\n' };
    const text = `${HEAD}input x[3] { encoding = from_file("data/spikes.csv") }`;
    const { network, diagnostics } = check(text, files);
    expect(diagnostics).toMatchObject([{ severity: 'warning', code: 2113, span: { file: 'data/spikes.csv', line: 6, col: 1 } }]);
    const enc = network?.populations[0].kind === 'input' ? network.populations[0].encoding : undefined;
    expect(enc?.kind === 'from_file' && [Array.from(enc.spikes.steps), Array.from(enc.spikes.neurons)]).toEqual([
      [0, 5],
      [2, 1],
    ]);
    const g = groupOf(image(text, files), 'x');
    expect(g.kind === 'input' && g.encoding.kind).toBe('spikes');
  });

  it('names the file, line and column of a bad spike line', () => {
    const files = { 'spikes.csv': '0,1\n1,x\n2,7\n3\n' };
    const found = errors(`${HEAD}input x[3] { encoding = from_file("spikes.csv") }`, files);
    expect(found.map((d) => [d.span.file, d.span.line, d.span.col, d.code])).toEqual([
      ['spikes.csv', 2, 3, 2111],
      ['spikes.csv', 3, 3, 2112],
      ['spikes.csv', 4, 1, 2110],
    ]);
    expect(found[1].message).toBe('neuron 7 is outside `x`, which has 3 neurons (0 to 2)');
    expect(oneError(`${HEAD}input x[3] { encoding = from_file("nope.csv") }`)).toMatchObject({ code: 2100, message: 'cannot read `nope.csv`: no such file', span: { line: 3, col: 35 } });
    expect(oneError(`${HEAD}input x[3] { encoding = from_file(spikes) }`).code).toBe(2037);
  });

  it('represents inputs fed at run time in the image', () => {
    const g = groupOf(image(`${HEAD}input x[4] { encoding = external }\npopulation y[1] : Lif\nconnect x -> y { weight = 0.5 }`), 'x');
    expect(g).toMatchObject({ kind: 'input', encoding: { kind: 'external' } });
  });
});

describe('connections', () => {
  it('draws fixed_fan_in: exactly k distinct sources per target, the same every time', () => {
    const text = `${HEAD}population a[30] : Lif\npopulation b[20] : Lif\nconnect a -> b { pattern = fixed_fan_in(k = 7, seed = 4); weight = 0.1 }`;
    const img = image(text);
    const core = img.cores[0];
    const sources = new Map<number, Set<number>>();
    for (let ax = 0; ax + 1 < core.axonStart.length; ax++) {
      for (let s = core.axonStart[ax]; s < core.axonStart[ax + 1]; s++) {
        const t = synapseTarget(core.synapses[s]);
        const set = sources.get(t) ?? new Set<number>();
        set.add(ax);
        sources.set(t, set);
      }
    }
    expect(sources.size).toBe(20);
    for (const set of sources.values()) expect(set.size).toBe(7);
    expect(writeImage(image(text))).toEqual(writeImage(img));
    expect(oneError(`${HEAD}population a[3] : Lif\nconnect a -> a { pattern = fixed_fan_in(k = 4); weight = 1 }`)).toMatchObject({
      code: 2075,
      message: '`fixed_fan_in` asks for k = 4 distinct sources per target, but `a` has only 3 neurons',
    });
    expect(oneError(`${HEAD}population a[3] : Lif\nconnect a -> a { pattern = fixed_fan_in(k = 1.5); weight = 1 }`).code).toBe(2077);
  });

  it('reads edges from a file with their weights and delays, and points at bad lines', () => {
    const files = { 'edges.csv': 'pre,post,weight,delay\n1,0,0.5,3 ms\n0,1,-0.25\n' };
    const text = `${HEAD}population a[2] : Lif\nconnect a -> a { pattern = from_file("edges.csv"); delay = 2 ms }`;
    const core = image(text, files).cores[0];
    const words = Array.from(core.synapses, (w) => [synapseTarget(w), synapseWeight(w) * 2 ** core.axonWeightExp[0] / UNIT, synapseDelay(w)]);
    expect(words.sort()).toEqual([
      [0, 0.5, 3],
      [1, -0.25, 2],
    ]);
    const bad = { 'edges.csv': '0,1,heavy\n0,9,0.1\n0,1,0.1,2\n0,1,0.1,99 ms\n' };
    expect(errors(text, bad).map((d) => [d.span.file, d.span.line, d.span.col, d.code])).toEqual([
      ['edges.csv', 1, 5, 2111],
      ['edges.csv', 2, 3, 2112],
      ['edges.csv', 3, 9, 2031],
      ['edges.csv', 4, 9, 2072],
    ]);
    expect(oneError(`${HEAD}population a[2] : Lif\nconnect a -> a { pattern = from_file("edges.csv"); weight = 1 }`, files)).toMatchObject({ code: 2076 });
  });

  it('draws normal weights and refuses a negative sigma', () => {
    const net = clean(`${HEAD}population a[10] : Lif\nconnect a -> a { weight = normal(0.1, 0.02) }`);
    expect(net.projections[0].weight).toEqual({ kind: 'normal', mu: 0.1, sigma: 0.02 });
    const core = image(`${HEAD}population a[40] : Lif\nconnect a -> a { weight = normal(0.1, 0.02) }`).cores[0];
    const w = Array.from(core.synapses, (x) => (synapseWeight(x) * 2 ** core.axonWeightExp[0]) / UNIT);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    expect(mean).toBeCloseTo(0.1, 2);
    expect(oneError(`${HEAD}population a[1] : Lif\nconnect a -> a { weight = normal(0.1, -1) }`).code).toBe(2045);
  });

  it('refuses a connection that would expand past the compiler limit', () => {
    const d = oneError(`${HEAD}population a[10000] : Lif\nconnect a -> a { pattern = all_to_all; weight = 0.1 }`);
    expect(d).toMatchObject({ code: 2074, message: `\`a -> a\` would make about 1.00e+8 synapses; one connection may make at most ${MAX_CONNECTION_SYNAPSES}` });
  });
});

describe('include', () => {
  const main = `include "lib/types.snn"\npopulation p[2] : Lif\n`;

  it('splices declarations from a file relative to the including one', () => {
    const files = { 'lib/types.snn': 'include "more.snn"\nneuron Lif { model = lif }\n', 'lib/more.snn': 'input x[1] { encoding = external }\n' };
    const net = clean(`${main}connect x -> p { weight = 0.5 }`, files);
    expect(net.populations.map((p) => p.name)).toEqual(['x', 'p']);
  });

  it('reports a cycle, naming it', () => {
    const files = { 'lib/types.snn': 'include "../net.snn"\nneuron Lif { }\n' };
    expect(oneError(main, files)).toMatchObject({ code: 2101, message: '`include` cycle: net.snn -> lib/types.snn -> net.snn', span: { file: 'lib/types.snn', line: 1, col: 9 } });
  });

  it('names the included file in its diagnostics, and renders with its text', () => {
    const files = { 'lib/types.snn': 'neuron Lif { tau_mem = 20 Hz }\n' };
    const r = check(main, files);
    expect(r.diagnostics).toMatchObject([{ code: 2030, span: { file: 'lib/types.snn', line: 1, col: 27 } }]);
    expect(r.sources.get('lib/types.snn')).toBe(files['lib/types.snn']);
    const syntax = check(main, { 'lib/types.snn': 'neuron Lif { tau_mem = }\n' });
    expect(syntax.diagnostics).toMatchObject([{ code: 1102, span: { file: 'lib/types.snn' } }]);
    expect(oneError('include "gone.snn"')).toMatchObject({ code: 2100, message: 'cannot read `gone.snn`: no such file' });
  });
});

describe('hostile input', () => {
  it('refuses numbers too large, sizes too large and nesting too deep, with diagnostics', () => {
    expect(oneError(`${HEAD}neuron B { threshold = 1e999 }`)).toMatchObject({ code: 2036, message: 'the number `1e999` is too large to be a value' });
    expect(oneError(`${HEAD}population p[1e12] : Lif`).code).toBe(2021);
    const deep = `${HEAD}rule r { every epoch { w += ${'('.repeat(MAX_NESTING + 5)}1${')'.repeat(MAX_NESTING + 5)} } }`;
    expect(errors(deep)[0]).toMatchObject({ code: 1114 });
    const minus = `${HEAD}rule r { every epoch { w += ${'-'.repeat(100000)}1 } }`;
    expect(errors(minus)[0]).toMatchObject({ code: 1114 });
  });
});
