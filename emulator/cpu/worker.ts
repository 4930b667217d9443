// A worker of the threaded CPU engine (emulator/cpu/threaded.ts): builds its
// cores over the shared memory, then per step waits for the main thread's
// signal, runs CpuChipCompute on its cores, writes their step counts and
// joins the barrier.
import { parentPort, workerData } from 'node:worker_threads';
import { CpuChipCompute, CpuCore, cpuCoreViews } from './cpu.js';
import { routeTables } from './fan-out.js';
import { SPIN_LOADS, waitForChange, CTL_DONE, CTL_FAILED, CTL_GENERATION, CTL_PARITY, CTL_SPLIT, CTL_SENT, CTL_STEP, CTL_STOP, FAILURE_BYTES, STATS_PER_CORE, type WorkerSetup } from './threaded.js';

const setup = workerData as WorkerSetup;
const { control, stats, inboxes, counts, inboxStarts, seed, first, end, movable, failure } = setup;
const cores: CpuCore[] = [];
const layout = setup.layout;
for (let c = first; c < end; c++) cores.push(new CpuCore(setup.image, c, false, setup.tables[c], layout.slots[c], cpuCoreViews(setup.memory, layout, c)));
const compute = new CpuChipCompute(cores, first, setup.memory, layout, setup.fan, routeTables(setup.image), setup.sent);
/** Runs steps until the main thread says stop: a function, not module-level code, so that V8 optimises it. */
function serve(generation: number): void {
  for (;;) {
    generation = waitForChange(control, CTL_GENERATION, generation, SPIN_LOADS);
    if (Atomics.load(control, CTL_STOP) !== 0) return;
    const t = Atomics.load(control, CTL_STEP);
    const parity = Atomics.load(control, CTL_PARITY);
    // The first worker starts where the main thread's cores end (CoreBalance moves it between steps).
    const from = movable ? Atomics.load(control, CTL_SPLIT) : first;
    if (from < first || from >= end) throw new RangeError(`the main thread handed this worker cores ${from}..${end - 1}; it has ${first}..${end - 1}`);
    compute.run(from, end, t, inboxes[parity], inboxStarts[parity], counts[parity], seed, Atomics.load(control, CTL_SENT));
    for (let c = from; c < end; c++) {
      const core = cores[c - first];
      const s = c * STATS_PER_CORE;
      stats[s] = core.spikedCount;
      stats[s + 1] = core.stepActive;
      stats[s + 2] = core.stepInactive;
      stats[s + 3] = core.stepInputSpikes;
    }
    // The add publishes the writes above to the main thread, which reads them once it sees every worker done.
    Atomics.add(control, CTL_DONE, 1);
    Atomics.notify(control, CTL_DONE);
  }
}

// Read before saying ready: the main thread starts step 0 as soon as it hears it.
const generation = Atomics.load(control, CTL_GENERATION);
parentPort?.postMessage('ready');
try {
  serve(generation);
} catch (err) {
  // The main thread is blocked at the barrier and cannot hear an error event: say it in shared memory, then join the barrier.
  const text = new TextEncoder().encode(err instanceof Error ? (err.stack ?? err.message) : String(err));
  failure.set(text.subarray(0, FAILURE_BYTES - 1));
  Atomics.store(control, CTL_FAILED, 1);
  Atomics.add(control, CTL_DONE, 1);
  Atomics.notify(control, CTL_DONE);
}
