// A worker of the threaded CPU engine (emulator/cpu/threaded.ts): builds its
// cores over the shared memory, then per step waits for the main thread's
// signal, runs CpuChipCompute on its cores, writes their step counts and
// joins the barrier.
import { parentPort, workerData } from 'node:worker_threads';
import { CpuChipCompute, CpuCore, cpuCoreViews } from './cpu.js';
import { SPIN_LOADS, waitForChange, CTL_DONE, CTL_GENERATION, CTL_PARITY, CTL_STEP, CTL_STOP, STATS_PER_CORE, type WorkerSetup } from './threaded.js';

const setup = workerData as WorkerSetup;
const { control, stats, inboxes, counts, inboxStarts, seed, first, end } = setup;
const cores: CpuCore[] = [];
const layout = setup.layout;
for (let c = first; c < end; c++) cores.push(new CpuCore(setup.image, c, false, setup.tables[c], layout.slots[c], cpuCoreViews(setup.memory, layout, c)));
const compute = new CpuChipCompute(cores, first, setup.memory, layout);
// Read before saying ready: the main thread starts step 0 as soon as it hears it.
let generation = Atomics.load(control, CTL_GENERATION);
parentPort?.postMessage('ready');
for (;;) {
  generation = waitForChange(control, CTL_GENERATION, generation, SPIN_LOADS);
  if (Atomics.load(control, CTL_STOP) !== 0) break;
  const t = Atomics.load(control, CTL_STEP);
  const parity = Atomics.load(control, CTL_PARITY);
  const inbox = inboxes[parity];
  const count = counts[parity];
  compute.run(first, end, t, inbox, inboxStarts[parity], count, seed);
  for (let k = 0; k < cores.length; k++) {
    const c = first + k;
    const core = cores[k];
    const s = c * STATS_PER_CORE;
    stats[s] = core.spikedCount;
    stats[s + 1] = core.stepActive;
    stats[s + 2] = core.stepInactive;
    stats[s + 3] = core.stepInputSpikes;
  }
  Atomics.add(control, CTL_DONE, 1);
  Atomics.notify(control, CTL_DONE);
}
