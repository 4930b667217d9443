// The two backends on the same networks: steps per second and synaptic events
// (synaptic ops) per second of the CPU reference and the WebGPU backend, and a
// check that both produced the same counters and cycles. Networks: the synfire
// example (small), a synthetic image of about 1 million synapses, and, when
// MESO_BENCH_GPU_SYNAPSES is set (bench/gpu.sh sets it on a GPU machine), one
// of that many synapses on a multi-chip board. Without an adapter the case
// says so and records nothing.
import { readFileSync } from 'node:fs';
import { compileSource, hasErrors } from '../../compiler/index.js';
import { createCpuEmulator } from '../../emulator/cpu/cpu.js';
import { anyGpu } from '../../emulator/webgpu/adapter.js';
import { createWebGpuEmulatorWithOptions } from '../../emulator/webgpu/webgpu.js';
import type { Emulator } from '../../emulator/interface.js';
import { UNIT } from '../../isa/fixed.js';
import { builtinProfile, coresPerChip, withChips } from '../../isa/profile.js';
import { probabilityThreshold, random32 } from '../../isa/random.js';
import { packSynapse } from '../../isa/synapse.js';
import type { ChipImage, CoreImage } from '../../isa/image/types.js';
import { timed, type BenchCase, type BenchContext } from '../harness.js';

/** Per synthetic core: 64 Poisson inputs and 192 LIF neurons; 128 axons of 256 synapses fill Loihi's 128 KiB of synapse memory. */
const INPUTS = 64;
const NEURONS = 192;
const AXONS = 128;
const SYNAPSES_PER_AXON = 256;
const SEED = 0x5eed;

/**
 * A synthetic image of about `synapses` synapses within the loihi-like core
 * limits, on as many chips as it needs: every axon of every core is fed by one
 * random slot of a core at most 8 cores away (local, as a mapper places it).
 */
export function syntheticImage(synapses: number): ChipImage {
  const base = builtinProfile('loihi-like');
  if (base === undefined) throw new Error('the loihi-like profile is missing');
  const perCore = AXONS * SYNAPSES_PER_AXON;
  const cores = Math.max(1, Math.ceil(synapses / perCore));
  const chips = Math.ceil(cores / coresPerChip(base));
  const profile = withChips(base, chips);
  const n = INPUTS + NEURONS;
  // Routes, gathered per source core: (slot, destination core, axon).
  const routesOf: number[][] = Array.from({ length: cores }, () => []);
  for (let d = 0; d < cores; d++) {
    for (let a = 0; a < AXONS; a++) {
      const h = random32(SEED, 10, d, a);
      const src = cores === 1 ? 0 : (d + cores + ((h % 17) - 8)) % cores;
      const slot = (h >>> 8) % n;
      routesOf[src].push(slot, d, a);
    }
  }
  const images: CoreImage[] = [];
  for (let c = 0; c < cores; c++) {
    const words = new Uint32Array(perCore);
    for (let s = 0; s < perCore; s++) {
      const h = random32(SEED, 11, c, s);
      const target = INPUTS + (h % NEURONS);
      const weight = ((h >>> 8) % 71) - 30;
      const delay = 1 + ((h >>> 16) % 4);
      words[s] = packSynapse(target, weight, delay);
    }
    const axonStart = Uint32Array.from({ length: AXONS + 1 }, (_, a) => a * SYNAPSES_PER_AXON);
    const list = routesOf[c];
    const order = Array.from({ length: list.length / 3 }, (_, k) => k).sort((x, y) => list[3 * x] - list[3 * y] || x - y);
    const routeStart = new Uint32Array(n + 1);
    for (const k of order) routeStart[list[3 * k] + 1]++;
    for (let i = 0; i < n; i++) routeStart[i + 1] += routeStart[i];
    images.push({
      slot: c,
      neuronCount: n,
      groups: [
        { kind: 'input', first: 0, count: INPUTS, encoding: { kind: 'poisson', threshold: probabilityThreshold(0.02) }, inputIndex: c * INPUTS },
        {
          kind: 'neurons',
          first: INPUTS,
          count: NEURONS,
          params: { du: 800, duInh: 800, dv: 200, vth: UNIT, reset: 0, bias: 0, refractory: 4, thetaPlus: 0, dTheta: 0 },
        },
      ],
      axonStart,
      axonWeightExp: new Uint8Array(AXONS).fill(10),
      synapses: words,
      routeStart,
      routeCore: Uint16Array.from(order.map((k) => list[3 * k + 1])),
      routeAxon: Uint16Array.from(order.map((k) => list[3 * k + 2])),
    });
  }
  return { profile, dtS: 1e-3, cores: images, symbols: { source: `synthetic-${synapses}`, populations: [], probes: [] } };
}

interface Measured {
  readonly stepsPerS: number;
  readonly eventsPerS: number;
  readonly emulator: Emulator;
}

async function measure(emulator: Emulator, warmup: number, steps: number): Promise<Measured> {
  await emulator.run(warmup);
  const before = emulator.counters().total.synaptic_ops;
  const { seconds } = await timed(() => emulator.run(steps));
  const events = emulator.counters().total.synaptic_ops - before;
  return { stepsPerS: steps / seconds, eventsPerS: events / seconds, emulator };
}

/** A learning network: Poisson inputs -> hidden (SBP, gain, lateral terms, layer) -> output (delta rule, taught), about `n`^2 * 1.3 plastic synapses. */
export function learningSource(n: number): string {
  return `target "loihi-like" { dt = 1 ms }
neuron Lif { model = lif; tau_mem = 10 ms; tau_syn = 2 ms; threshold = 1.0; reset = 0.0; refractory = 2 ms }
input pre[${n}] { encoding = poisson(max_rate = 40 Hz) }
population hid[${n}] : Lif
population out[${Math.max(2, Math.round(n * 0.3))}] : Lif { threshold = 3.0 }
rule delta {
  trace x1 : pre  (tau = 20 ms)
  trace y1 : post (tau = 20 ms)
  every epoch { w += 0.05 * x1 * (teach - y1) }
  bounds w in [-1, 1]
  epoch = 20 steps
}
rule hsbp : sbp {
  trace x1 : pre  (tau = 20 ms)
  trace y1 : post (tau = 20 ms)
  on pre  { w -= 0.001 * y1 }
  every epoch { w += 0.02 * x1 * y1 - 0.01 * w * y1 }
  source = delta
  fraction = 1.0
  backward = 1.0
  lateral_pre = 0.5
  lateral_post = 0.5
  mode = gain
  normalize = layer
  bounds w in [-1, 1]
}
connect pre -> hid { pattern = all_to_all; weight = uniform(0.0, ${(4 / n).toPrecision(3)}); learn = hsbp }
connect hid -> out { pattern = all_to_all; weight = uniform(0.0, ${(8 / n).toPrecision(3)}); learn = delta }
teach out from labels { rate = 200 Hz }
`;
}

async function compare(ctx: BenchContext, name: string, image: ChipImage, warmup: number, steps: number, teach?: readonly [string, number]): Promise<void> {
  const synapses = image.cores.reduce((s, c) => s + c.synapses.length, 0);
  ctx.log(`${name}: ${synapses.toLocaleString('en-US')} synapses on ${image.cores.length} cores (${image.profile.board.chips} chip${image.profile.board.chips === 1 ? '' : 's'}), ${steps} steps after ${warmup} warm-up steps`);
  const options = { seed: 1 };
  const cpuEmulator = await createCpuEmulator(image, options);
  if (teach !== undefined) cpuEmulator.setTeacher?.(teach[0], teach[1]);
  const cpu = await measure(cpuEmulator, warmup, steps);
  const made = await timed(() => createWebGpuEmulatorWithOptions(image, options));
  if (teach !== undefined) made.value.setTeacher?.(teach[0], teach[1]);
  const gpu = await measure(made.value, warmup, steps);
  // The bit-exactness check the test suite makes, on the benchmark's networks: counters, cycles, per-step counters, spike counts.
  const c = cpu.emulator;
  const g = gpu.emulator;
  const same =
    JSON.stringify(c.counters()) === JSON.stringify(g.counters()) &&
    JSON.stringify(Array.from(c.stepCycles())) === JSON.stringify(Array.from(g.stepCycles())) &&
    JSON.stringify(Array.from(c.stepCounters())) === JSON.stringify(Array.from(g.stepCounters())) &&
    JSON.stringify(c.spikeCounts().map((a) => Array.from(a))) === JSON.stringify(g.spikeCounts().map((a) => Array.from(a))) &&
    sameWeights(c, g);
  const total = cpu.emulator.counters().total;
  ctx.log(`  activity: ${(total.spikes / (warmup + steps)).toFixed(1)} spikes and ${(total.synaptic_ops / (warmup + steps)).toFixed(0)} synaptic events per step`);
  ctx.log(`  cpu     ${cpu.stepsPerS.toFixed(1).padStart(10)} steps/s  ${(cpu.eventsPerS / 1e6).toFixed(2).padStart(9)} M synaptic events/s`);
  ctx.log(`  webgpu  ${gpu.stepsPerS.toFixed(1).padStart(10)} steps/s  ${(gpu.eventsPerS / 1e6).toFixed(2).padStart(9)} M synaptic events/s  (${(gpu.stepsPerS / cpu.stepsPerS).toFixed(2)}x; load ${made.seconds.toFixed(2)} s)`);
  ctx.log(`  bit-exact counters, cycles, per-step counters, spike counts${image.learning === undefined ? '' : ' and learned weights'}: ${same ? 'yes' : 'NO'}`);
  ctx.record(`${name}_cpu_steps_per_s`, cpu.stepsPerS, 'steps/s');
  ctx.record(`${name}_cpu_events_per_s`, cpu.eventsPerS, 'events/s');
  ctx.record(`${name}_webgpu_steps_per_s`, gpu.stepsPerS, 'steps/s');
  ctx.record(`${name}_webgpu_events_per_s`, gpu.eventsPerS, 'events/s');
  ctx.record(`${name}_speedup`, gpu.stepsPerS / cpu.stepsPerS, 'x');
  ctx.record(`${name}_bit_exact`, same ? 1 : 0, 'bool');
  cpu.emulator.dispose();
  gpu.emulator.dispose();
  if (!same) process.exitCode = 2;
}

/** The learned weights of both backends are the same (true without learning). */
function sameWeights(a: Emulator, b: Emulator): boolean {
  const x = a.synapses?.();
  const y = b.synapses?.();
  if (x === undefined || y === undefined) return x === y;
  return x.length === y.length && x.every((s, c) => s.length === y[c].length && s.every((w, i) => w === y[c][i]));
}

export const WEBGPU_CASE: BenchCase = {
  name: 'webgpu',
  description: 'cpu vs webgpu backend: steps/s and synaptic events/s on the same networks (small, 1M synapses, learning, MESO_BENCH_GPU_SYNAPSES)',
  run: async (ctx) => {
    const gpu = await anyGpu();
    if ('reason' in gpu) {
      ctx.log(`skipped: no WebGPU adapter (${gpu.reason})`);
      return;
    }
    ctx.log(`adapter: ${gpu.description}`);
    const text = readFileSync('examples/synfire.snn', 'utf8');
    const small = compileSource(text, 'examples/synfire.snn');
    if (hasErrors(small.diagnostics) || small.image === undefined) throw new Error('examples/synfire.snn does not compile');
    await compare(ctx, 'synfire', small.image, 100, 2000);
    await compare(ctx, 'synthetic_1m', syntheticImage(1 << 20), 20, 300);
    // On-core learning (STDP-like on pre, SBP with lateral terms and layer reductions, the delta rule), about 1.3 n^2 plastic synapses.
    const n = Number(process.env.MESO_BENCH_GPU_LEARN_N ?? '400');
    const learn = compileSource(learningSource(n), 'learning.snn');
    if (hasErrors(learn.diagnostics) || learn.image === undefined) throw new Error('the learning network does not compile');
    await compare(ctx, 'learning', learn.image, 20, 200, ['out', 1]);
    const large = Number(process.env.MESO_BENCH_GPU_SYNAPSES ?? '0');
    if (large > 0) {
      const built = await timed(() => syntheticImage(large));
      ctx.log(`built the ${large.toLocaleString('en-US')}-synapse image in ${built.seconds.toFixed(1)} s`);
      await compare(ctx, 'synthetic_large', built.value, 10, Number(process.env.MESO_BENCH_GPU_STEPS ?? '100'));
    }
  },
};
