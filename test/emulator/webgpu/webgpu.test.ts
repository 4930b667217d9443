// The WebGPU backend against the CPU reference, bit for bit: the same networks
// run on both, in the same chunks of steps, and every observable must be equal
// (counters per core, cycles and counters per step, spike counts, spike events,
// neuron state). The comparison runs whatever cpu.ts does at the time, so a
// semantic change to the reference that the kernels do not follow fails here.
//
// Without a GPU these run on Mesa's llvmpipe (EGL_PLATFORM=surfaceless,
// Dawn's OpenGL ES backend). With CI set, a missing adapter fails the suite.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSource, hasErrors, renderDiagnostic } from '../../../compiler/index.js';
import { createCpuEmulatorWithState } from '../../../emulator/cpu/cpu.js';
import { anyGpu, EGL_PACKAGES } from '../../../emulator/webgpu/adapter.js';
import { createWebGpuEmulatorWithOptions, type WebGpuOptions } from '../../../emulator/webgpu/webgpu.js';
import { STATE_MAX, STATE_MIN, UNIT } from '../../../isa/fixed.js';
import { probabilityThreshold } from '../../../isa/random.js';
import type { ChipImage } from '../../../isa/image/types.js';
import { chipImage, lif, type AxonSpec, type CoreSpec } from '../build.js';

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

function compile(text: string, file = 'test.snn'): ChipImage {
  const result = compileSource(text, file);
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
