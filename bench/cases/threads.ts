// Where the CPU backend's step time goes between threads and in the NoC model,
// on CUBA 4,000 (docs/performance-log.md, item (n)):
//  - `threads`: one and two threads, warmed up, then alternating runs in one
//    process (steady state: the CUBA cases also count V8's warm-up), medians;
//    the split the two-thread engine's balance settled on; and the step time
//    with each split forced, which is what the balance looks for.
//  - `noc`: the NoC model alone on the packet batches a one-thread run
//    produced, replayed several times, in WebAssembly (emulator/noc-wasm.ts,
//    what the emulator runs) and in JavaScript (emulator/noc.ts MeshNoc.route,
//    the reference), alternating: ns a packet.
import { CpuEmulatorImpl } from '../../emulator/cpu/cpu.js';
import { createThreadedCpuEmulator, type ThreadedCpu } from '../../emulator/cpu/threaded.js';
import { MeshNoc, type PacketBatch } from '../../emulator/noc.js';
import { WasmMeshNoc } from '../../emulator/noc-wasm.js';
import type { ChipImage } from '../../isa/image/types.js';
import { median, type BenchCase, type BenchContext } from '../harness.js';
import { compileCuba } from './cuba.js';
import { CUBA } from './cuba-network.js';

const cuba = (dtMs: number, neurons = 4000, p: number = CUBA.p): ChipImage => compileCuba(neurons, dtMs, p);

/** Microseconds a step of `steps` steps. */
async function stepMicros(e: { run(steps: number): Promise<void> }, steps: number): Promise<number> {
  const start = performance.now();
  await e.run(steps);
  return ((performance.now() - start) * 1000) / steps;
}

async function threadsAt(ctx: BenchContext, dtMs: number): Promise<void> {
  const image = cuba(dtMs);
  const steps = dtMs >= 1 ? 2000 : 5000;
  const reps = ctx.quick ? 3 : 8;
  const one = await createThreadedCpuEmulator(image, { seed: 1 }, 1);
  const two = (await createThreadedCpuEmulator(image, { seed: 1 }, 2)) as ThreadedCpu;
  try {
    await one.run(3000);
    await two.run(3000);
    const t1: number[] = [];
    const t2: number[] = [];
    for (let r = 0; r < reps; r++) {
      t1.push(await stepMicros(one, steps));
      t2.push(await stepMicros(two, steps));
    }
    if (one.counters().total.spikes !== two.counters().total.spikes) throw new Error('two threads gave other spikes than one');
    const m1 = median(t1);
    const m2 = median(t2);
    const settled = two.coreSplit();
    ctx.log(`CUBA 4,000, dt = ${dtMs} ms, ${reps} alternating runs of ${steps} steps after 3,000 (medians):`);
    ctx.log(`  one thread ${m1.toFixed(1)} us a step, two threads ${m2.toFixed(1)} us a step: ${(m1 / m2).toFixed(2)}x; the balance settled on the main thread holding ${settled} of ${image.cores.length} cores`);
    ctx.record(`threads_${dtMs}ms_one_us_per_step`, m1, 'us');
    ctx.record(`threads_${dtMs}ms_two_us_per_step`, m2, 'us');
    ctx.record(`threads_${dtMs}ms_split`, settled, 'cores');
    // Every split for one run each (the balance starts over after each setCoreSplit, and a run shorter than its window leaves it alone).
    const forced: string[] = [];
    const last = Math.min(image.cores.length - 1, 6);
    for (let split = 0; split <= last; split++) {
      two.setCoreSplit(split);
      let best = Infinity;
      for (let k = 0; k < 4; k++) best = Math.min(best, await stepMicros(two, 120));
      forced.push(`${split}: ${best.toFixed(1)}`);
      ctx.record(`threads_${dtMs}ms_split_${split}_us_per_step`, best, 'us');
    }
    ctx.log(`  two threads with the main thread's cores forced (cores: fastest of 4 runs of 120 steps, us a step): ${forced.join(', ')}`);
  } finally {
    one.dispose();
    two.dispose();
  }
}

/** The packet batches of `steps` steps of a one-thread run, as the emulator hands them to its NoC. */
async function recordBatches(image: ChipImage, steps: number): Promise<PacketBatch[]> {
  const batches: PacketBatch[] = [];
  const route = WasmMeshNoc.prototype.route;
  // Measurement only: the emulator's NoC is private, so its calls are recorded on the way through.
  WasmMeshNoc.prototype.route = function (this: WasmMeshNoc, batch: PacketBatch, arrival: Float64Array, order: Int32Array, work?: Int32Array, free?: Float64Array): number {
    batches.push({ count: batch.count, src: batch.src.slice(0, batch.count), dst: batch.dst.slice(0, batch.count), coreReady: batch.coreReady.slice() });
    return route.call(this, batch, arrival, order, work, free);
  };
  try {
    const e = new CpuEmulatorImpl(image, { seed: 1 });
    await e.run(steps);
    e.dispose();
  } finally {
    WasmMeshNoc.prototype.route = route;
  }
  if (batches.length === 0) throw new Error('bench noc: the emulator routed no batch through WasmMeshNoc');
  return batches;
}

async function nocOn(ctx: BenchContext, name: string, image: ChipImage, steps: number): Promise<void> {
  const batches = await recordBatches(image, steps);
  const packets = batches.reduce((sum, b) => sum + b.count, 0);
  const largest = batches.reduce((max, b) => Math.max(max, b.count), 1);
  const arrival = new Float64Array(largest);
  const order = new Int32Array(largest);
  const slots = image.cores.map((c) => c.slot);
  const kinds = [
    ['wasm', WasmMeshNoc],
    ['js', MeshNoc],
  ] as const;
  const times: number[][] = kinds.map(() => []);
  for (let r = 0; r < (ctx.quick ? 3 : 10); r++) {
    kinds.forEach(([, Noc], k) => {
      const noc = new Noc(image.profile, slots);
      const start = performance.now();
      for (const b of batches) noc.route(b, arrival, order);
      times[k].push(((performance.now() - start) * 1e6) / packets);
    });
  }
  const line = kinds.map(([kind], k) => `${kind} ${Math.min(...times[k]).toFixed(1)} (median ${median(times[k]).toFixed(1)})`).join(', ');
  ctx.log(`  ${name}: ${batches.length} steps, ${(packets / batches.length).toFixed(1)} packets a step, ns a packet (fastest replay): ${line}`);
  kinds.forEach(([kind], k) => ctx.record(`noc_${name}_${kind}_ns_per_packet`, Math.min(...times[k]), 'ns'));
}

export const THREADS_CASE: BenchCase = {
  name: 'threads',
  description: 'CUBA 4,000 at 1 and 0.1 ms: one against two threads in steady state, and the step time at each split of cores between them',
  run: async (ctx) => {
    await threadsAt(ctx, 1);
    await threadsAt(ctx, 0.1);
  },
};

export const NOC_CASE: BenchCase = {
  name: 'noc',
  description: 'the NoC model alone, replaying the packet batches of CUBA 4,000 (1 and 0.1 ms) and random-1m',
  run: async (ctx) => {
    ctx.log('The NoC model on recorded batches (one thread, seed 1), WebAssembly and JavaScript alternating:');
    await nocOn(ctx, 'cuba-4k-1ms', cuba(1), ctx.quick ? 500 : 3000);
    await nocOn(ctx, 'cuba-4k-0.1ms', cuba(0.1), ctx.quick ? 2000 : 10000);
    await nocOn(ctx, 'random-1m', cuba(1, 5000, 0.04), ctx.quick ? 100 : 1000);
  },
};
