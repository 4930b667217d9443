// The WebGPU backend against the CPU reference, bit for bit: the same networks
// run on both, in the same chunks of steps, and every observable must be equal
// (counters per core, cycles and counters per step, spike counts, spike events,
// neuron state). The comparison runs whatever cpu.ts does at the time, so a
// semantic change to the reference that the kernels do not follow fails here.
//
// Without a GPU these run on Mesa's llvmpipe (EGL_PLATFORM=surfaceless,
// Dawn's OpenGL ES backend). With CI set, a missing adapter fails the suite.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSource, hasErrors, renderDiagnostic } from '../../../compiler/index.js';
import { createCpuEmulatorWithState } from '../../../emulator/cpu/cpu.js';
import { anyGpu, EGL_PACKAGES } from '../../../emulator/webgpu/adapter.js';
import { createWebGpuEmulatorWithOptions, type WebGpuOptions } from '../../../emulator/webgpu/webgpu.js';
import { STATE_MAX, STATE_MIN, UNIT } from '../../../isa/fixed.js';
import { probabilityThreshold } from '../../../isa/random.js';
import { builtinProfile, parseProfile, type ChipProfile } from '../../../isa/profile.js';
import type { ChipImage } from '../../../isa/image/types.js';
import { chipImage, lif, type AxonSpec, type CoreSpec } from '../build.js';
import { LEARN_HEAD, sbpProgram as sharedSbpProgram } from '../sbp-program.js';

const gpu = await anyGpu();
const available = !('reason' in gpu);
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
if (!available && !inCi) {
  process.stderr.write(
    `webgpu tests skipped: no WebGPU adapter (${gpu.reason}). To run them without a GPU: ` +
      `apt-get install ${EGL_PACKAGES} (Mesa llvmpipe; Meso sets EGL_PLATFORM=surfaceless itself). Under CI they fail instead of skipping.\n`,
  );
}

describe('a WebGPU adapter', () => {
  it.runIf(inCi)('exists under CI (the suite must not pass by skipping)', () => {
    expect(available, available ? '' : `no adapter: ${(gpu as { reason: string }).reason}`).toBe(true);
  });
});

function compile(text: string, file = 'test.snn', profile?: ChipProfile): ChipImage {
  const result = compileSource(text, file, profile === undefined ? {} : { profile });
  if (hasErrors(result.diagnostics) || result.image === undefined) {
    throw new Error(result.diagnostics.map((d) => renderDiagnostic(d, text)).join('\n'));
  }
  return result.image;
}

/** Runs both backends in the same chunks of steps and compares everything after each chunk; returns the spikes seen. */
async function compareBackends(image: ChipImage, chunks: readonly number[], options: Partial<WebGpuOptions> = {}, prepare?: (e: { setExternalInput(p: string, s: Uint32Array, n: Uint32Array): void }) => void): Promise<number> {
  const recordCores = image.cores.map(() => true);
  const run = { seed: options.seed ?? 7, recordCores };
  const cpu = createCpuEmulatorWithState(image, run);
  const wgpu = await createWebGpuEmulatorWithOptions(image, { ...run, ...options });
  try {
    if (prepare) {
      prepare(cpu);
      prepare(wgpu);
    }
    for (const steps of chunks) {
      await cpu.run(steps);
      await wgpu.run(steps);
      expect(wgpu.stepsRun()).toBe(cpu.stepsRun());
      expect(wgpu.counters()).toEqual(cpu.counters());
      expect(wgpu.stepCycles()).toEqual(cpu.stepCycles());
      expect(wgpu.stepCounters()).toEqual(cpu.stepCounters());
      expect(wgpu.spikeCounts()).toEqual(cpu.spikeCounts());
      expect(wgpu.spikeEvents()).toEqual(cpu.spikeEvents());
      for (let c = 0; c < image.cores.length; c++) expect(await wgpu.neuronState(c)).toEqual(cpu.neuronState(c));
    }
    return cpu.counters().total.spikes + cpu.counters().total.input_spikes;
  } finally {
    cpu.dispose();
    wgpu.dispose();
  }
}

const MIXED = `
target "loihi-like" { dt = 1 ms }
neuron Lif  { model = lif;  tau_mem = 10 ms; tau_syn = 2 ms; threshold = 1.0; reset = 0.0; refractory = 3 ms }
neuron Inh  { model = lif;  tau_mem = 8 ms;  tau_syn_exc = 2 ms; tau_syn_inh = 6 ms; threshold = 0.8; reset = -0.2; bias = 0.01 }
neuron If   { model = if;   tau_syn = 3 ms;  threshold = 1.5; reset = 0.0 }
neuron Alif { model = alif; tau_mem = 15 ms; tau_syn = 4 ms; threshold = 0.7; theta_plus = 0.2; tau_adapt = 50 ms }
input noise[60] { encoding = poisson(max_rate = 120 Hz) }
input kick[10]  { encoding = periodic(period = 25 ms) }
population exc[300] : Lif
population inh[80]  : Inh
population integ[50] : If
population adapt[70] : Alif
connect noise -> exc   { pattern = random(p = 0.3, seed = 11); weight = uniform(0.05, 0.25) }
connect kick -> exc    { pattern = all_to_all; weight = 0.3; delay = 4 ms }
connect exc -> inh     { pattern = fixed_fan_in(k = 40, seed = 2); weight = uniform(0.02, 0.1); delay = 2 ms }
connect inh -> exc     { pattern = random(p = 0.2, seed = 5); weight = uniform(-0.3, -0.05); delay = 1 ms }
connect exc -> integ   { pattern = random(p = 0.1, seed = 9); weight = normal(0.05, 0.02); delay = 7 ms }
connect exc -> adapt   { pattern = random(p = 0.2, seed = 4); weight = uniform(-0.05, 0.15); delay = 3 ms }
connect adapt -> adapt { pattern = one_to_one; weight = 0.05; delay = 12 ms }
probe exc { spikes }
`;

describe.skipIf(!available && !inCi)('webgpu backend: bit-exact with the cpu reference', () => {
  it('runs the synfire example (periodic input, all-to-all and random connections, delays)', async () => {
    const image = compile(readFileSync('examples/synfire.snn', 'utf8'), 'examples/synfire.snn');
    expect(await compareBackends(image, [1, 60, 239])).toBeGreaterThan(1000);
  });

  it('runs every neuron model, Poisson input, inhibition and every pattern, across batches of 7 steps', async () => {
    const image = compile(MIXED);
    expect(await compareBackends(image, [5, 40, 155], { batchSteps: 7 })).toBeGreaterThan(500);
  });

  it('splits the synapses over several storage bindings without changing a bit', async () => {
    const image = compile(MIXED);
    const synapses = image.cores.reduce((n, c) => n + c.synapses.length, 0);
    expect(synapses).toBeGreaterThan(3 * 4096);
    expect(await compareBackends(image, [80], { chunkWords: 4096 })).toBeGreaterThan(100);
  });

  it('runs a multi-core network whose packets cross tiles (hops, latency, critical path)', async () => {
    const image = compile(`
target "loihi-like" { dt = 1 ms }
neuron Lif { model = lif; tau_mem = 12 ms; tau_syn = 3 ms; threshold = 1.0; refractory = 2 ms }
input drive[200] { encoding = poisson(max_rate = 80 Hz) }
population a[1000] : Lif
population b[1000] : Lif
population c[600] : Lif
connect drive -> a { pattern = fixed_fan_in(k = 30, seed = 1); weight = uniform(0.1, 0.3) }
connect a -> b { pattern = fixed_fan_in(k = 40, seed = 2); weight = uniform(0.02, 0.12); delay = 5 ms }
connect b -> c { pattern = random(p = 0.05, seed = 3); weight = uniform(0.0, 0.1); delay = 2 ms }
connect c -> a { pattern = random(p = 0.02, seed = 4); weight = uniform(-0.2, 0.0) }
`);
    expect(image.cores.length).toBeGreaterThan(2);
    expect(await compareBackends(image, [33, 67], { seed: 99 })).toBeGreaterThan(1000);
  });

  it('agrees at the edges of the fixed-point contract (saturation, weight wrap, long delays, ALIF, initial v)', async () => {
    const axons: AxonSpec[] = [
      // 127 << 17 saturates the state range after one clamp; -128 << 24 wraps the 32-bit accumulator on the second add.
      { exp: 17, synapses: [{ target: 2, weight: 127, delay: 1 }, { target: 3, weight: 127, delay: 1 }] },
      { exp: 24, synapses: [{ target: 3, weight: -128, delay: 1 }, { target: 3, weight: -128, delay: 1 }, { target: 4, weight: -128, delay: 255 }] },
      { exp: 10, synapses: [{ target: 5, weight: 90, delay: 3 }, { target: 6, weight: -60, delay: 2 }, { target: 6, weight: 100, delay: 200 }] },
    ];
    const cores: CoreSpec[] = [
      {
        slot: 0,
        groups: [
          { kind: 'input', count: 2, encoding: { kind: 'poisson', threshold: probabilityThreshold(0.4) }, inputIndex: 3 },
          { kind: 'neurons', count: 3, params: lif({ du: 100, dv: 0, vth: 0x7fffffff, reset: STATE_MIN, bias: STATE_MAX }) },
          { kind: 'neurons', count: 2, params: lif({ du: 4096, duInh: 1, dv: 4096, vth: 3 * UNIT, reset: STATE_MAX, refractory: 4, thetaPlus: STATE_MAX, dTheta: 7 }) },
        ],
        axons,
        routes: { 0: [{ core: 0, axon: 0 }, { core: 1, axon: 0 }], 1: [{ core: 0, axon: 1 }, { core: 0, axon: 2 }], 5: [{ core: 1, axon: 0 }], 6: [{ core: 0, axon: 2 }] },
      },
      {
        slot: 37,
        groups: [{ kind: 'neurons', count: 130, params: lif({ du: 300, duInh: 800, dv: 200, vth: UNIT / 2, bias: 1000, thetaPlus: UNIT / 4, dTheta: 40, refractory: 1 }) }],
        axons: [{ exp: 8, synapses: Array.from({ length: 130 }, (_, k) => ({ target: k, weight: (k % 7) * 20 - 40, delay: 1 + (k % 5) })) }],
        routes: Object.fromEntries(Array.from({ length: 130 }, (_, k) => [k, k % 3 === 0 ? [{ core: 0, axon: 2 }] : []])),
      },
    ];
    const base = chipImage(cores);
    // Initial voltages on the second core (CoreGroup.initV).
    const initV = Int32Array.from({ length: 130 }, (_, k) => ((k * 7919) % 60000) - 20000);
    const image: ChipImage = {
      ...base,
      cores: [base.cores[0], { ...base.cores[1], groups: [{ ...base.cores[1].groups[0], initV } as ChipImage['cores'][number]['groups'][number]] }],
    };
    expect(await compareBackends(image, [3, 300], { batchSteps: 16 })).toBeGreaterThan(100);
  });

  it('feeds spike lists and external input in batches', async () => {
    const steps = Uint32Array.of(0, 0, 3, 9, 9, 40, 41);
    const neurons = Uint32Array.of(0, 4, 2, 1, 4, 0, 3);
    const cores: CoreSpec[] = [
      {
        slot: 0,
        groups: [
          { kind: 'input', count: 5, encoding: { kind: 'spikes', steps, neurons } },
          { kind: 'input', count: 40, encoding: { kind: 'external' } },
          { kind: 'neurons', count: 10, params: lif({ du: 1024, dv: 512, vth: UNIT }) },
        ],
        axons: [
          { exp: 12, synapses: Array.from({ length: 10 }, (_, k) => ({ target: 45 + k, weight: 30, delay: 1 + (k % 3) })) },
          { exp: 12, synapses: Array.from({ length: 10 }, (_, k) => ({ target: 45 + k, weight: 10, delay: 2 })) },
        ],
        routes: Object.fromEntries([
          ...Array.from({ length: 5 }, (_, k) => [k, [{ core: 0, axon: 0 }]] as const),
          ...Array.from({ length: 40 }, (_, k) => [5 + k, [{ core: 0, axon: 1 }]] as const),
        ]),
      },
    ];
    const base = chipImage(cores);
    const image: ChipImage = {
      ...base,
      symbols: { source: 'hand-built', probes: [], populations: [{ name: 'feed', kind: 'input', size: 40, line: 0, pieces: [{ core: 0, first: 5, count: 40, offset: 0 }] }] },
    };
    const feedSteps = Uint32Array.from({ length: 300 }, (_, k) => (k * 13) % 97);
    const feedNeurons = Uint32Array.from({ length: 300 }, (_, k) => (k * 7) % 40);
    const spikes = await compareBackends(image, [20, 80], { batchSteps: 6 }, (e) => e.setExternalInput('feed', feedSteps, feedNeurons));
    expect(spikes).toBeGreaterThan(200);
  });
});

// ---------------------------------------------------------------- learning

interface LearnPhase {
  readonly steps: number;
  /** setTeacher(population, label) before the phase (null: turn it off). */
  readonly teach?: readonly [string, number | null];
  readonly plastic?: boolean;
  /** External input fed before the phase, per population: (steps relative to the phase's start, neurons). */
  readonly input?: readonly [string, readonly number[], readonly number[]];
}

interface Learner {
  run(steps: number): Promise<void>;
  stepsRun(): number;
  setTeacher?(p: string, l: number | undefined): void;
  setPlasticity?(on: boolean): void;
  setExternalInput?(p: string, s: Uint32Array, n: Uint32Array): void;
  synapses?(): readonly Uint32Array[];
}

function weights(e: Learner): readonly Uint32Array[] {
  if (e.synapses === undefined) throw new Error('the backend has no synapses()');
  return e.synapses();
}

/** Runs both backends through the same phases (teacher, plasticity, inputs) and compares everything, learned weights included, after each. */
async function compareLearning(
  image: ChipImage,
  phases: readonly LearnPhase[],
  options: Partial<WebGpuOptions> = {},
  create: typeof createWebGpuEmulatorWithOptions = createWebGpuEmulatorWithOptions,
): Promise<{ changed: number; updates: number; total: Readonly<Record<string, number>> }> {
  const recordCores = image.cores.map(() => true);
  const run = { seed: options.seed ?? 5, recordCores };
  const cpu = createCpuEmulatorWithState(image, run);
  const wgpu = await create(image, { ...run, ...options });
  const initial = image.cores.map((c) => c.synapses.slice());
  try {
    for (const phase of phases) {
      for (const e of [cpu, wgpu] as Learner[]) {
        if (phase.teach !== undefined) e.setTeacher?.(phase.teach[0], phase.teach[1] ?? undefined);
        if (phase.plastic !== undefined) e.setPlasticity?.(phase.plastic);
        if (phase.input !== undefined) {
          const [pop, steps, neurons] = phase.input;
          e.setExternalInput?.(pop, Uint32Array.from(steps, (s) => s + e.stepsRun()), Uint32Array.from(neurons));
        }
      }
      await cpu.run(phase.steps);
      await wgpu.run(phase.steps);
      expect(weights(wgpu)).toEqual(weights(cpu));
      expect(wgpu.counters()).toEqual(cpu.counters());
      expect(wgpu.stepCycles()).toEqual(cpu.stepCycles());
      expect(wgpu.stepCounters()).toEqual(cpu.stepCounters());
      expect(wgpu.timing()).toEqual(cpu.timing());
      expect(wgpu.spikeCounts()).toEqual(cpu.spikeCounts());
      expect(wgpu.spikeEvents()).toEqual(cpu.spikeEvents());
      for (let c = 0; c < image.cores.length; c++) expect(await wgpu.neuronState(c)).toEqual(cpu.neuronState(c));
    }
    const learned = weights(cpu);
    let changed = 0;
    learned.forEach((s, c) => s.forEach((w, i) => (changed += w !== initial[c][i] ? 1 : 0)));
    return { changed, updates: cpu.counters().total.synaptic_updates, total: cpu.counters().total };
  } finally {
    cpu.dispose();
    wgpu.dispose();
  }
}

/** This suite's rates: larger steps, so that weights move often and any disagreement shows. */
function sbpProgram(mode: 'gain' | 'additive', lateral: boolean, normalize: 'layer' | 'fanout' | 'none', polarity?: 'change' | 'efficacy'): string {
  return sharedSbpProgram(mode, lateral, normalize, { delta: 0.2, hebb: 0.3, decay: 0.4 }, polarity);
}

/** Epochs of 20 steps with the label changing, in chunks that do not line up with epochs or batches. */
const TAUGHT: readonly LearnPhase[] = [
  { steps: 13, teach: ['out', 0] },
  { steps: 47, teach: ['out', 1] },
  { steps: 40, teach: ['out', 2] },
  { steps: 25, teach: ['out', null] },
  { steps: 35, teach: ['out', 1], plastic: false },
  { steps: 30, plastic: true },
];

describe.skipIf(!available && !inCi)('webgpu backend: on-core learning, bit-exact with the cpu reference', () => {
  it('learns with STDP (on pre, on post traces, bounds), learned weights included', async () => {
    const image = compile(`${LEARN_HEAD}
input pre[6] { encoding = poisson(max_rate = 120 Hz) }
population post[4] : Lif
rule stdp {
  trace x1 : pre  (tau = 20 ms)
  trace x2 : pre  (tau = 40 ms)
  trace y1 : post (tau = 15 ms)
  on pre  { w -= 0.012 * y1 }
  on post { w += 0.015 * x1 + 0.001 * x2 * w }
  bounds w in [-2, 2]
  epoch = 40 steps
}
connect pre -> post { pattern = all_to_all; weight = uniform(0.2, 0.5); learn = stdp }
`);
    const r = await compareLearning(image, [{ steps: 70 }, { steps: 90 }, { steps: 41, plastic: false }, { steps: 39, plastic: true }], { batchSteps: 9 });
    expect(r.changed).toBeGreaterThan(10);
    expect(r.updates).toBeGreaterThan(100);
  });

  it("learns with the delta rule of DESIGN.md's example while the label changes", async () => {
    const image = compile(`${LEARN_HEAD}
input pre[8] { encoding = poisson(max_rate = 150 Hz) }
population out[3] : Lif
rule delta {
  trace x1 : pre  (tau = 20 ms)
  trace y1 : post (tau = 20 ms)
  every epoch { w += 0.05 * x1 * (teach - y1) }
  bounds w in [-2, 2]
  epoch = 20 steps
}
connect pre -> out { pattern = all_to_all; weight = uniform(0.0, 0.3); learn = delta }
teach out from labels { rate = 200 Hz }
`);
    const r = await compareLearning(image, TAUGHT, { batchSteps: 16 });
    expect(r.changed).toBeGreaterThan(10);
  });

  for (const mode of ['gain', 'additive'] as const) {
    for (const lateral of [false, true]) {
      for (const normalize of ['layer', 'fanout', 'none'] as const) {
        it(`learns with SBP, ${mode} mode, ${lateral ? 'with' : 'without'} lateral terms, ${normalize} normalization (sbp_* counters, learn cycles)`, async () => {
          const image = compile(sbpProgram(mode, lateral, normalize));
          const r = await compareLearning(image, TAUGHT, { batchSteps: 11 });
          expect(r.changed).toBeGreaterThan(10);
        });
      }
    }
  }

  for (const mode of ['gain', 'additive'] as const) {
    it(`learns with SBP, ${mode} mode, polarity = efficacy on output weights of both signs`, async () => {
      const image = compile(sbpProgram(mode, true, 'fanout', 'efficacy'));
      const r = await compareLearning(image, TAUGHT, { batchSteps: 11 });
      expect(r.changed).toBeGreaterThan(10);
    });
  }

  /** The SBP program with every population spread over cores of 4 neurons, one core per tile. */
  function spreadSbp(): ChipImage {
    const base = builtinProfile('loihi-like')!.source;
    const mesh = { ...base.mesh, cores_per_tile: { ...base.mesh.cores_per_tile, value: 1 } };
    const limits = { ...base.limits, neurons_per_core: { ...base.limits.neurons_per_core, value: 4 } };
    const profile = parseProfile({ ...base, mesh, limits }, 'test profile');
    const text = sbpProgram('gain', true, 'layer').replace('pre[6]', 'pre[12]').replace('hid[4]', 'hid[10]').replace('out[3]', 'out[6]');
    return compile(text, 'spread.snn', profile);
  }
  const SPREAD_PHASES = TAUGHT.map((p) => (p.teach?.[1] === 2 ? { ...p, teach: ['out', 5] as const } : p));

  it('learns with SBP spread over many cores and tiles (retrograde and reduction packets with hops, latencies)', async () => {
    const image = spreadSbp();
    expect(image.cores.length).toBeGreaterThan(6);
    const r = await compareLearning(image, SPREAD_PHASES, { batchSteps: 8 });
    expect(r.changed).toBeGreaterThan(40);
    expect(r.total.sbp_reduction_packets).toBeGreaterThan(0);
    expect(r.total.sbp_hops_east_west + r.total.sbp_hops_north_south).toBeGreaterThan(0);
  });

  // The timing worker is the compiled timing-worker.js; `npm test` builds dist/ before it runs vitest.
  const distWebgpu = new URL('../../../dist/emulator/webgpu/webgpu.js', import.meta.url);
  it.runIf(existsSync(distWebgpu))('times the steps on worker threads (the compiled backend) without changing a bit', async () => {
    const compiled = (await import(distWebgpu.href)) as { createWebGpuEmulatorWithOptions: typeof createWebGpuEmulatorWithOptions };
    const r = await compareLearning(spreadSbp(), SPREAD_PHASES, { batchSteps: 7, timingThreads: 3 }, compiled.createWebGpuEmulatorWithOptions);
    expect(r.total.packets).toBeGreaterThan(500);
  });

  it('learns examples/sbp_xor.snn (external input, teacher, additive SBP every step) over several storage bindings', async () => {
    const image = compile(readFileSync(new URL('../../../examples/sbp_xor.snn', import.meta.url), 'utf8'), 'sbp_xor.snn');
    const phases: LearnPhase[] = [];
    for (let k = 0; k < 8; k++) {
      const a = k & 1;
      const b = (k >> 1) & 1;
      const steps = Array.from({ length: 40 }, (_, i) => i);
      phases.push({ steps: 50, teach: ['answer', a ^ b], input: ['bits', [...steps, ...steps], [...steps.map(() => (a ? 0 : 1)), ...steps.map(() => (b ? 2 : 3))]] });
    }
    phases.push({ steps: 50, plastic: false, teach: ['answer', null] });
    const r = await compareLearning(image, phases, { batchSteps: 13, chunkWords: 32 });
    expect(r.changed).toBeGreaterThan(20);
    // The hidden rule has no products: SBP skipped the rows of bits whose trace had decayed to 0, on both backends alike.
    expect(r.total.sbp_updates).toBeGreaterThan(0);
    expect(r.total.sbp_updates).toBeLessThan(400 * 4 * 24);
  });
});
