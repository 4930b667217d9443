// The CPU backend over several threads (`meso run --threads N`): the same step
// as cpu.ts, with the per-core phases (deliver, update: CpuChipCompute) of
// each step spread over worker threads and the main thread, and the rest (send,
// counters, the NoC timing) on the main thread in core order. The result is the
// one-thread result to the bit whatever the thread count:
//  - each core belongs to one thread, which alone writes its neuron state and
//    delay-slot accumulators (shared memory); integer adds, so the order of
//    deliveries would not matter anyway;
//  - every step ends with a barrier (Atomics.wait/notify on a shared counter)
//    before the main thread reads the spike lists and sends in core order;
//  - the timing of step t (the NoC simulation, emulator/noc.ts) runs on the main
//    thread while the workers compute step t + 1: nothing it reads changes
//    before step t + 1's send.
// Images that learn or take external inputs run on one thread (threadingObstacle).
import { Worker } from 'node:worker_threads';
import { CpuEmulatorImpl, cpuChipLayout, cpuChipMemory, createCpuEmulator, type CpuChipLayout, type CpuChipMemory, type CpuEmulator } from './cpu.js';
import { allocateShared, buildSynapseTable, type SynapseTable } from './synapse-table.js';
import type { ChipImage } from '../../isa/image/types.js';
import type { CreateEmulator, RunOptions } from '../interface.js';

/** Indices into the control array shared with the workers. */
export const CTL_GENERATION = 0;
export const CTL_STEP = 1;
export const CTL_PARITY = 2;
export const CTL_DONE = 3;
export const CTL_STOP = 4;
export const CTL_LENGTH = 5;
/** Per core in the stats array: spikedCount, stepActive, stepInactive, stepInputSpikes. */
export const STATS_PER_CORE = 4;

/**
 * The worker's module: beside this one once built; when this file runs as
 * TypeScript source (vitest), the built copy in dist/ (npm test builds it first).
 */
const WORKER_URL = import.meta.url.endsWith('.ts') ? new URL('../../dist/emulator/cpu/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url);

/**
 * Loads of a shared counter a thread makes before it sleeps in Atomics.wait at a
 * barrier (about 10-40 us): a step of a small network takes about 100 us, and being
 * woken from a futex costs tens of them, which ate the second thread's gain.
 */
export const SPIN_LOADS = 1 << 15;

/**
 * Waits until control[index] differs from `seen` (spinning `spins` loads
 * first) and returns the new value. It re-checks after every wake-up:
 * Atomics.wait returned with the value unchanged under heavy load, and a
 * worker that took that for a new step ran the step again while the main
 * thread was still sending from its spike lists (about one 2,000-step CUBA run
 * in ten diverged with three busy processes beside it).
 */
export function waitForChange(control: Int32Array, index: number, seen: number, spins: number): number {
  let now = Atomics.load(control, index);
  for (let spin = 0; spin < spins && now === seen; spin++) now = Atomics.load(control, index);
  while (now === seen) {
    Atomics.wait(control, index, seen);
    now = Atomics.load(control, index);
  }
  return now;
}

/** What a worker receives (structured clone: the SharedArrayBuffer-backed arrays are shared, not copied). */
export interface WorkerSetup {
  /** The image without its synapses (imageWithoutSynapses). */
  readonly image: ChipImage;
  /** Every core's synapse table, in shared memory, and the chip's layout. */
  readonly tables: readonly SynapseTable[];
  readonly layout: CpuChipLayout;
  readonly first: number;
  readonly end: number;
  /** The chip's state arrays (shared); the worker's cores are views into them. */
  readonly memory: CpuChipMemory;
  readonly control: Int32Array;
  readonly stats: Int32Array;
  readonly inboxes: readonly [Uint16Array, Uint16Array];
  readonly counts: readonly [Int32Array, Int32Array];
  /** Per parity: where each core's inbox starts (the main thread packs them after each send). */
  readonly inboxStarts: readonly [Int32Array, Int32Array];
  readonly seed: number;
}

/** Why an image runs on one thread whatever the thread count, or undefined when it can use several. */
export function threadingObstacle(image: ChipImage): string | undefined {
  if (image.learning !== undefined) return 'it learns (the learn phase runs on one thread)';
  if (image.cores.some((c) => c.groups.some((g) => g.kind !== 'neurons' && g.encoding.kind === 'external'))) {
    return 'it has external inputs (fed on the main thread)';
  }
  if (image.cores.length < 2) return 'it has one core (cores are the unit of work)';
  return undefined;
}

function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Math.max(1, length) * 4)).subarray(0, length);
}

/** The image as a worker needs it: its synapses come with the shared tables (WorkerSetup.tables), so the words are not cloned into every worker. */
function imageWithoutSynapses(image: ChipImage): ChipImage {
  return {
    ...image,
    cores: image.cores.map((core) => ({ ...core, synapses: new Uint32Array(0), axonStart: new Uint32Array(1), axonWeightExp: new Uint8Array(0) })),
  };
}

/**
 * Contiguous ranges of cores, one per thread, balanced by neuron slots plus
 * synapses (the step's work). The main thread (range 0) gets half a worker's
 * share: it also sends and runs the NoC timing, a third to a half of a step
 * on one thread (docs/performance.md).
 */
export function coreRanges(image: ChipImage, threads: number): readonly (readonly [number, number])[] {
  const weight = image.cores.map((c) => c.neuronCount + c.synapses.length / 8);
  const total = weight.reduce((a, b) => a + b, 0);
  const shares = threads - 0.5;
  const ranges: [number, number][] = [];
  let c = 0;
  let acc = 0;
  for (let k = 0; k < threads; k++) {
    const first = c;
    const goal = (total * (k + 0.5)) / shares;
    // Each range keeps at least one core, and leaves one for every later range.
    while (c < image.cores.length - (threads - 1 - k) && (c === first || acc + weight[c] / 2 <= goal)) acc += weight[c++];
    if (k === threads - 1) c = image.cores.length;
    ranges.push([first, c]);
  }
  return ranges;
}

class ThreadedCpuEmulator extends CpuEmulatorImpl {
  private readonly workers: Worker[] = [];
  private readonly control = sharedInt32(CTL_LENGTH);
  private readonly stats: Int32Array;
  /** The two inbox buffers and their counts; parity 0 is (inboxA, countA), the step-0 arrivals. */
  private readonly inboxA: Uint16Array;
  private readonly inboxB: Uint16Array;
  private readonly mainEnd: number;
  private readonly workerFirst: number;
  /** The step whose timing is still to run (-1: none). */
  private pending = -1;
  private stopped = false;

  constructor(image: ChipImage, options: RunOptions, memory: CpuChipMemory, ranges: readonly (readonly [number, number])[], tables: readonly SynapseTable[]) {
    super(image, options, memory, undefined, tables);
    this.stats = sharedInt32(image.cores.length * STATS_PER_CORE);
    // The inboxes and their counts in shared memory: workers deliver from them.
    // Every route's worth, so that they never grow (fillInbox): workers hold these very buffers.
    let total = 0;
    for (const core of image.cores) total += core.routeCore.length;
    this.inboxA = new Uint16Array(new SharedArrayBuffer(Math.max(2, total * 2))).subarray(0, total);
    this.inboxNow = this.inboxA;
    this.inboxB = new Uint16Array(new SharedArrayBuffer(Math.max(2, total * 2))).subarray(0, total);
    this.inboxNext = this.inboxB;
    this.countNow = sharedInt32(image.cores.length);
    this.countNext = sharedInt32(image.cores.length);
    this.inboxStartNow = sharedInt32(image.cores.length + 1);
    this.inboxStartNext = sharedInt32(image.cores.length + 1);
    const starts: [Int32Array, Int32Array] = [this.inboxStartNow, this.inboxStartNext];
    const counts: [Int32Array, Int32Array] = [this.countNow, this.countNext];
    this.mainEnd = ranges[0][1];
    this.workerFirst = this.mainEnd;
    const shared = imageWithoutSynapses(image);
    for (const [first, end] of ranges.slice(1)) {
      const setup: WorkerSetup = {
        image: shared,
        tables,
        layout: this.layout,
        first,
        end,
        memory,
        control: this.control,
        stats: this.stats,
        inboxes: [this.inboxA, this.inboxB],
        counts,
        inboxStarts: starts,
        seed: this.seed,
      };
      const worker = new Worker(WORKER_URL, { workerData: setup });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Resolves when every worker has built its cores. */
  ready(): Promise<void> {
    return Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
          }),
      ),
    ).then(() => undefined);
  }

  protected override computeCores(t: number): void {
    const ctl = this.control;
    const parity = this.inboxNow === this.inboxA ? 0 : 1;
    Atomics.store(ctl, CTL_DONE, 0);
    Atomics.store(ctl, CTL_STEP, t);
    Atomics.store(ctl, CTL_PARITY, parity);
    Atomics.add(ctl, CTL_GENERATION, 1);
    Atomics.notify(ctl, CTL_GENERATION);
    // The previous step's timing, while the workers compute this one.
    if (this.pending >= 0) {
      super.finishStep(this.pending);
      this.pending = -1;
    }
    this.compute.run(0, this.mainEnd, t, this.inboxNow, this.inboxStartNow, this.countNow, this.seed);
    const workers = this.workers.length;
    // Spin a little before sleeping (SPIN_LOADS), then sleep until every worker has counted itself done.
    for (let done = Atomics.load(ctl, CTL_DONE); done < workers; ) done = waitForChange(ctl, CTL_DONE, done, SPIN_LOADS);
    const stats = this.stats;
    for (let c = this.workerFirst; c < this.cores.length; c++) {
      const core = this.cores[c];
      const k = c * STATS_PER_CORE;
      core.spikedCount = stats[k];
      core.stepActive = stats[k + 1];
      core.stepInactive = stats[k + 2];
      core.stepInputSpikes = stats[k + 3];
    }
  }

  protected override finishStep(t: number): void {
    this.pending = t;
  }

  override async run(steps: number): Promise<void> {
    if (this.stopped) throw new Error('the emulator has been disposed');
    await super.run(steps);
    if (this.pending >= 0) {
      super.finishStep(this.pending);
      this.pending = -1;
    }
  }

  override dispose(): void {
    if (!this.stopped) {
      this.stopped = true;
      Atomics.store(this.control, CTL_STOP, 1);
      Atomics.add(this.control, CTL_GENERATION, 1);
      Atomics.notify(this.control, CTL_GENERATION);
      for (const w of this.workers) void w.terminate();
    }
    super.dispose();
  }
}

/**
 * A CPU emulator on `threads` threads (the main thread and threads - 1 workers);
 * one thread, or an image with a threadingObstacle, gives the plain CPU emulator.
 */
export async function createThreadedCpuEmulator(image: ChipImage, options: RunOptions, threads: number): Promise<CpuEmulator> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive whole number, got ${threads}`);
  const n = Math.min(threads, image.cores.length);
  if (n <= 1 || threadingObstacle(image) !== undefined) return (await createCpuEmulator(image, options)) as CpuEmulator;
  const memory = cpuChipMemory(cpuChipLayout(image), true);
  const tables = image.cores.map((core) => buildSynapseTable(core, false, allocateShared));
  const emulator = new ThreadedCpuEmulator(image, options, memory, coreRanges(image, n), tables);
  try {
    await emulator.ready();
  } catch (err) {
    emulator.dispose();
    throw err;
  }
  return emulator;
}

/** The `cpu` backend's factory: options.threads (default 1) picks the threaded engine. */
export const createCpuBackend: CreateEmulator = (image, options) => createThreadedCpuEmulator(image, options, options.threads ?? 1);
