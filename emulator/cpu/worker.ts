// A worker of the threaded CPU engine (emulator/cpu/threaded.ts), lent to one
// engine at a time (threaded.ts keeps the idle ones for the next engine of the
// process, with the code V8 compiled for them). Per engine it builds its cores
// over the shared memory, then per step waits for the main thread's signal,
// runs CpuChipCompute on its cores (which leaves their step counts in the
// shared chip memory) and joins the barrier. The first worker then times the
// step it was handed, if any (the step before), with its own StepTiming, and
// hands its NoC totals over when the main thread asks (CTL_FLUSH). Once the
// engine stops, the worker waits for the next engine's setup.
import { parentPort } from 'node:worker_threads';
import { CpuChipCompute, CpuCore, cpuCoreViews } from './cpu.js';
import { routeTables, type RouteTables } from './fan-out.js';
import { deliverKernel } from './deliver-wasm.js';
import { takeNocTotals, writeNocTotals } from '../noc.js';
import { StepTiming } from './timing.js';
import {
  BUSY_SAMPLE_STEPS, SPIN_LOADS, waitForChange, wake, CTL_BUSY_SAMPLES, CTL_BUSY_US, CTL_DONE, CTL_FAILED, CTL_FLUSH, CTL_GENERATION, CTL_PARITY, CTL_SPLIT, CTL_SENT, CTL_STEP, CTL_STOP, CTL_TIME_STEP, CTL_TIMED,
  FAILURE_BYTES, TIMER_BUFFER_BYTES, TIMER_LATENCY, TIMER_NOC, type WorkerSetup,
} from './threaded.js';

/**
 * What this worker holds for the engine it is lent to. A record of one shape, passed to module-level functions
 * rather than closed over, so that the code V8 compiled for one engine serves the next.
 */
interface Engine {
  readonly setup: WorkerSetup;
  readonly compute: CpuChipCompute;
  readonly routes: RouteTables;
  /** The first worker's timer, made when it is first handed a step: its packet buffers cost nothing where the balance never shares (0.3 bytes a synapse at CUBA 40,000 neurons). */
  timing: StepTiming | undefined;
  /** Threaded images do not learn (threadingObstacle): every core's learn cycles are 0. */
  readonly noLearn: Float64Array;
}

function build(setup: WorkerSetup): Engine {
  const { layout, memory, first, end } = setup;
  const cores: CpuCore[] = [];
  for (let c = first; c < end; c++) cores.push(new CpuCore(setup.image, c, false, setup.tables[c], layout.slots[c], cpuCoreViews(memory, layout, c)));
  const routes = routeTables(setup.image);
  const deliver = setup.deliver === undefined ? undefined : deliverKernel(setup.deliver, memory.memory, memory.arenaStart, memory.accum, memory.accumInh);
  const compute = new CpuChipCompute(cores, first, memory, layout, setup.fan, routes, setup.inputBounds, deliver);
  return { setup, compute, routes, timing: undefined, noLearn: new Float64Array(setup.image.cores.length) };
}

/** Joins the barrier: the add publishes this thread's writes to the main thread, which reads them once it sees every worker done. */
function done(control: Int32Array): void {
  Atomics.add(control, CTL_DONE, 1);
  wake(control, CTL_DONE);
}

/** Runs the engine's steps until its main thread says stop: a function, not module-level code, so that V8 optimises it. */
function serve(engine: Engine, generation: number): void {
  const { setup, compute } = engine;
  const { control, inboxes, counts, inboxStarts, seed, first, end, movable, sentLists, timer } = setup;
  for (;;) {
    generation = waitForChange(control, CTL_GENERATION, generation, SPIN_LOADS);
    if (Atomics.load(control, CTL_STOP) !== 0) return;
    if (Atomics.load(control, CTL_FLUSH) !== 0) {
      if (engine.timing !== undefined && timer !== undefined) writeNocTotals(takeNocTotals(engine.timing.noc), timer.out.subarray(TIMER_NOC));
      done(control);
      continue;
    }
    // Read before joining the barrier: the main thread writes the next step's once every worker has.
    const t = Atomics.load(control, CTL_STEP);
    const sentCount = Atomics.load(control, CTL_SENT);
    const timeStep = Atomics.load(control, CTL_TIME_STEP);
    const parity = Atomics.load(control, CTL_PARITY);
    // The first worker starts where the main thread's cores end (CoreBalance moves it between steps).
    const from = movable ? Atomics.load(control, CTL_SPLIT) : first;
    if (from < first || from >= end) throw new RangeError(`the main thread handed this worker cores ${from}..${end - 1}; it has ${first}..${end - 1}`);
    // The first worker's busy time on one step in BUSY_SAMPLE_STEPS, for the balance (CoreBalance: whether sharing the timing can pay).
    const sample = movable && t % BUSY_SAMPLE_STEPS === 0;
    const start = sample ? performance.now() : 0;
    // Step t delivers step t - 1's spikes (none at step 0).
    // Its cores' counts go to the chip's stats, in the shared memory the main thread reads.
    compute.run(from, end, t, inboxes[parity], inboxStarts[parity], counts[parity], seed, sentLists[(t + 1) & 1], sentCount);
    done(control);
    // The step before, whose sent list and update cycles stay as they are until this worker next joins the barrier.
    if (timer !== undefined && timeStep >= 0) {
      const timing = (engine.timing ??= new StepTiming(setup.image, engine.routes, setup.fan, setup.tables, timer.packetCapacity));
      timing.latency(sentLists[timeStep & 1], sentCount, timer.updates[timeStep & 1], engine.noLearn, timer.out, TIMER_LATENCY + (timeStep & 1));
      timer.out[TIMER_BUFFER_BYTES] = timing.bufferBytes();
      Atomics.store(control, CTL_TIMED, timeStep + 1);
      wake(control, CTL_TIMED);
    }
    if (sample) {
      Atomics.add(control, CTL_BUSY_US, Math.round(1000 * (performance.now() - start)));
      Atomics.add(control, CTL_BUSY_SAMPLES, 1);
    }
  }
}

/** Takes an engine: builds its cores, says ready, and serves it until it stops. */
function take(setup: WorkerSetup): void {
  const engine = build(setup);
  const { control, failure } = setup;
  // Read before saying ready: the main thread starts step 0 as soon as it hears it.
  const generation = Atomics.load(control, CTL_GENERATION);
  parentPort?.postMessage('ready');
  try {
    serve(engine, generation);
  } catch (err) {
    // The main thread is blocked at the barrier and cannot hear an error event: say it in shared memory, then join the barrier.
    const text = new TextEncoder().encode(err instanceof Error ? (err.stack ?? err.message) : String(err));
    failure.set(text.subarray(0, FAILURE_BYTES - 1));
    Atomics.store(control, CTL_FAILED, 1);
    done(control);
    // The main thread may be waiting for a timing instead of the barrier.
    Atomics.store(control, CTL_TIMED, -1);
    Atomics.notify(control, CTL_TIMED);
  }
}

// One message a setup: the event loop hands the next one over once the engine before has stopped.
parentPort?.on('message', (setup: WorkerSetup) => take(setup));
