// The CPU backend over several threads (`meso run --threads N`): the same step
// as cpu.ts, with the per-core phases (deliver, update: CpuChipCompute) of
// each step spread over worker threads and the main thread, and the rest (send,
// counters, the NoC timing) on the main thread in core order. The result is the
// one-thread result to the bit whatever the thread count:
//  - each core belongs to one thread, which alone writes its neuron state and
//    delay-slot accumulators (shared memory): it delivers into them both from
//    its inbox and from the step's sent list (fan-out.ts: every thread walks
//    the whole list and takes the synapses to its own cores); integer adds,
//    so the order of deliveries would not matter anyway;
//  - every step ends with a barrier (Atomics.wait/notify on a shared counter)
//    before the main thread reads the spike lists and sends in core order;
//  - the timing of step t (the NoC simulation, emulator/noc.ts) runs on the main
//    thread while the workers compute step t + 1: nothing it reads changes
//    before step t + 1's send;
//  - the boundary between the main thread's cores and the first worker's moves
//    while it runs (CoreBalance) to where a step is fastest: how much the main
//    thread's own work (the NoC timing) costs depends on how much the network
//    fires, and how much the threads slow each other on the machine. A core's
//    state lives in shared memory, so which thread updates it changes nothing
//    in the result.
// Images that learn or take external inputs run on one thread (threadingObstacle).
import { Worker } from 'node:worker_threads';
import { CpuEmulatorImpl, cpuChipLayout, cpuChipMemory, createCpuEmulator, type CpuChipLayout, type CpuChipMemory, type CpuEmulator } from './cpu.js';
import { allocateShared, buildSynapseTable, type SynapseTable } from './synapse-table.js';
import { buildFanOuts, inboxRouteCount, sentSpikes, type FanOuts, type SentSpikes } from './fan-out.js';
import type { ChipImage } from '../../isa/image/types.js';
import type { CreateEmulator, RunOptions } from '../interface.js';

/** Indices into the control array shared with the workers. */
export const CTL_GENERATION = 0;
export const CTL_STEP = 1;
export const CTL_PARITY = 2;
export const CTL_DONE = 3;
export const CTL_STOP = 4;
/** The first core of the first worker, which is the end of the main thread's cores (CoreBalance moves it). */
export const CTL_SPLIT = 5;
/** Set by a worker whose step threw: it still joins the barrier, so that the main thread can say so instead of waiting forever. */
export const CTL_FAILED = 6;
/** Spikes in the sent list (fan-out.ts) of the step before CTL_STEP: each thread delivers them to its cores. */
export const CTL_SENT = 7;
export const CTL_LENGTH = 8;
/** Bytes of the shared buffer a failing worker writes its error into (UTF-8, zero-padded). */
export const FAILURE_BYTES = 4096;
/** Per core in the stats array: spikedCount, stepActive, stepInactive, stepInputSpikes. */
export const STATS_PER_CORE = 4;

/**
 * The worker's module: beside this one once built; when this file runs as
 * TypeScript source (vitest), the built copy in dist/ (npm test builds it first).
 */
const WORKER_URL = import.meta.url.endsWith('.ts') ? new URL('../../dist/emulator/cpu/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url);

/**
 * Loads of a shared counter a thread makes before it sleeps in Atomics.wait at a
 * barrier, each after a pause (PAUSE_DIVISIONS): 4,096, about 0.3 ms. Being
 * woken from a futex took about 16 us on this machine's virtual CPUs, half a
 * CUBA step, so a thread waits out every barrier of a running simulation awake.
 */
export const SPIN_LOADS = 1 << 12;

/**
 * Dependent divisions between two loads of a spin: JavaScript's stand-in for
 * x86's `pause`. A tight loop of loads takes issue slots from a hardware thread
 * that shares the core, where the thread it waits for may be running: on this
 * machine a bare spin in another process slowed a one-thread CUBA run by 40%, a
 * spin of divisions by nothing measurable (docs/performance.md). The divider's
 * latency, not its throughput, sets the pace: a pause takes about 70 ns.
 */
const PAUSE_DIVISIONS = 8;
/** Where the pauses' arithmetic goes, so that the compiler cannot drop it (an array: a double in a module variable is a new heap number at every store). */
const pauseSink = new Float64Array([1]);

/**
 * Waits until control[index] differs from `seen` (spinning `spins` pauses
 * first) and returns the new value. It re-checks after every wake-up:
 * Atomics.wait returned with the value unchanged under heavy load, and a
 * worker that took that for a new step ran the step again while the main
 * thread was still sending from its spike lists (about one 2,000-step CUBA run
 * in ten diverged with three busy processes beside it).
 */
export function waitForChange(control: Int32Array, index: number, seen: number, spins: number): number {
  let now = spin(control, index, seen, spins);
  while (now === seen) {
    Atomics.wait(control, index, seen);
    now = Atomics.load(control, index);
  }
  return now;
}

/**
 * control[index] once it differs from `seen`, or after `spins` pauses. Its
 * own function, with nothing after the loop but the return: V8 compiles a
 * long first spin (a worker waits through the engine's construction) on the
 * stack (OSR), and code after the loop that had not yet run then had no type
 * feedback, so every later wait that spun long enough left that compiled code
 * again (CUBA at 4,000 neurons on two threads: up to 514 deoptimisations in
 * 800 steps; none since).
 */
function spin(control: Int32Array, index: number, seen: number, spins: number): number {
  let now = Atomics.load(control, index);
  for (let k = 0; k < spins && now === seen; k++) {
    // x stays near 0.01 (the map's fixed point): no overflow, no subnormals.
    let x = pauseSink[0];
    for (let j = 0; j < PAUSE_DIVISIONS; j++) x = x / 1.0000001 + 1e-9;
    pauseSink[0] = x;
    now = Atomics.load(control, index);
  }
  return now;
}

/** What a worker receives (structured clone: the SharedArrayBuffer-backed arrays are shared, not copied). */
export interface WorkerSetup {
  /** The image without its synapses (imageWithoutSynapses). */
  readonly image: ChipImage;
  /** Every core's synapse table and fan-out, and the sent list, in shared memory, and the chip's layout. */
  readonly tables: readonly SynapseTable[];
  readonly fan: FanOuts;
  readonly sent: SentSpikes;
  readonly layout: CpuChipLayout;
  readonly first: number;
  readonly end: number;
  /** Where a worker whose step throws writes the error (FAILURE_BYTES, shared). */
  readonly failure: Uint8Array;
  /** Whether the worker's first core is control[CTL_SPLIT] (the first worker): it then builds every core from 0. */
  readonly movable: boolean;
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
 * synapses (the step's work). The main thread (range 0) starts with half a
 * worker's share, as it also sends and runs the NoC timing; CoreBalance then
 * moves the boundary between it and the first worker.
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

/**
 * Steps between two clock readings of the balance, and readings in one window:
 * a window's step time is the fastest of its parts' means, so that a part
 * slowed by something else on the machine does not decide.
 */
export const BALANCE_STEPS = 128;
export const BALANCE_PARTS = 4;
/** A surveyed split whose first parts are this much slower than the best so far is left at once (windowComplete). */
const SURVEY_CUTOFF = 1.25;
/** Windows the balance lets pass before its survey: V8 is still compiling the step loop. */
const BALANCE_WARMUP = 2;
/** A move is kept when its window is faster than the last one at the old split by this fraction. */
const BALANCE_MARGIN = 0.02;
/** Windows to wait before probing again after a probe either way found nothing, doubling up to this. */
const BALANCE_REST_MAX = 32;

/**
 * Moves the boundary between the main thread's cores and the first worker's
 * to where a step is fastest. After BALANCE_WARMUP windows it surveys a few
 * splits, one window each (the first, 0, 1, 2, 4, 8 ... and the last; a split
 * that is clearly slower is left after one part of its window), and takes
 * the fastest: the step time need not fall steadily towards the best split
 * (on CUBA at 1 ms splits 1-3 were about equal and 0 was 15% faster), which a
 * local search alone would miss. Then it goes on by perturb and observe:
 * every window it either keeps the split (and notes its step time) or tries
 * one core more or less for the main thread, keeping the move when its window
 * was faster and taking it back otherwise; after a fruitless probe either way
 * it waits a while (longer each time, up to BALANCE_REST_MAX windows) before
 * the next. Both threads finishing together is not the goal: two hardware
 * threads of one core slow each other down more when both run the neuron
 * kernel than when one times the NoC (docs/performance.md). Only speed
 * depends on it.
 */
export interface CoreBalance {
  /** The main thread's cores are [0, split). */
  split: number;
  /** The first worker's end: it keeps at least one core. */
  readonly end: number;
  /** Mean step time (ms) of the last window at the kept split; NaN before the first. */
  base: number;
  /** The move on trial (+1: the main thread took a core, -1: gave one), 0 when none. */
  probe: number;
  /** The direction of the next probe. */
  direction: number;
  /** Probes in a row that found nothing, windows left before the next probe, and the rest after the next fruitless pair. */
  failures: number;
  rest: number;
  restNext: number;
  /** The survey's splits in the order they run (the first is the split it starts at), the next one's index, and the fastest so far. */
  readonly survey: readonly number[];
  /** Windows still to let pass before the survey. */
  warmup: number;
  surveyNext: number;
  surveyBest: number;
  surveyBestTime: number;
}

export function coreBalance(split: number, end: number): CoreBalance {
  const survey = [split];
  for (let k = 0; k < end; k = k === 0 ? 1 : 2 * k) if (k !== split) survey.push(k);
  if (end - 1 > 0 && !survey.includes(end - 1)) survey.push(end - 1);
  return { split, end, base: NaN, probe: 0, direction: -1, failures: 0, rest: 0, restNext: 1, survey, warmup: BALANCE_WARMUP, surveyNext: 1, surveyBest: split, surveyBestTime: Infinity };
}

const inRange = (b: CoreBalance, split: number): boolean => split >= 0 && split < b.end;

/** Puts the split at `split` and forgets what the balance learnt (a test, or a caller, moved it). */
export function resetBalance(b: CoreBalance, split: number): void {
  Object.assign(b, coreBalance(split, b.end));
}

/**
 * Whether the window under way is complete after `parts` parts whose fastest
 * took `fastest` ms a step: after BALANCE_PARTS, or during the survey as soon
 * as even its fastest part is SURVEY_CUTOFF times slower than the best split
 * surveyed so far (a bad split costs one part, not a window).
 */
export function windowComplete(b: CoreBalance, parts: number, fastest: number): boolean {
  if (parts >= BALANCE_PARTS) return true;
  return b.warmup === 0 && b.surveyNext <= b.survey.length && fastest > SURVEY_CUTOFF * b.surveyBestTime;
}

/** One window's step time (ms) at the current split; moves the split for the next window or not. */
export function balanceWindow(b: CoreBalance, stepTime: number): void {
  if (b.warmup > 0) {
    b.warmup--;
    return;
  }
  if (b.surveyNext <= b.survey.length) {
    if (stepTime < b.surveyBestTime) {
      b.surveyBestTime = stepTime;
      b.surveyBest = b.split;
    }
    b.split = b.surveyNext < b.survey.length ? b.survey[b.surveyNext] : b.surveyBest;
    b.surveyNext++;
    return;
  }
  if (b.probe !== 0) {
    const tried = b.probe;
    b.probe = 0;
    if (stepTime < b.base * (1 - BALANCE_MARGIN)) {
      // Faster: keep it, and try the same way at once.
      b.base = stepTime;
      b.direction = tried;
      b.failures = 0;
      b.restNext = 1;
    } else {
      b.split -= tried;
      b.direction = -tried;
      // Both ways tried (or the other way is off the range): rest before the next probe.
      if (++b.failures >= 2 || !inRange(b, b.split - tried)) {
        b.failures = 0;
        b.rest = b.restNext;
        b.restNext = Math.min(2 * b.restNext, BALANCE_REST_MAX);
      }
      return;
    }
  } else {
    b.base = stepTime;
    if (b.rest > 0) {
      b.rest--;
      return;
    }
  }
  let move = b.direction;
  if (!inRange(b, b.split + move)) move = -move;
  if (!inRange(b, b.split + move)) return;
  b.split += move;
  b.probe = move;
}

/** The threaded engine: a CPU emulator whose boundary between the main thread's cores and the first worker's can be read and set (tests move it). */
export interface ThreadedCpu extends CpuEmulator {
  coreSplit(): number;
  setCoreSplit(split: number): void;
}

class ThreadedCpuEmulator extends CpuEmulatorImpl implements ThreadedCpu {
  private readonly workers: Worker[] = [];
  private readonly control = sharedInt32(CTL_LENGTH);
  private readonly failure = new Uint8Array(new SharedArrayBuffer(FAILURE_BYTES));
  private readonly stats: Int32Array;
  private readonly balance: CoreBalance;
  /** The balance's window: [0] when its current part started (performance.now(); -1: at the next step), [1] its fastest part so far (ms a step), [2] its parts so far. */
  private readonly window = Float64Array.of(-1, Infinity, 0);
  private windowSteps = 0;
  /** The two inbox buffers and their counts; parity 0 is (inboxA, countA), the step-0 arrivals. */
  private readonly inboxA: Uint16Array;
  private readonly inboxB: Uint16Array;
  /** The step whose timing is still to run (-1: none). */
  private pending = -1;
  private stopped = false;

  constructor(
    image: ChipImage,
    options: RunOptions,
    memory: CpuChipMemory,
    ranges: readonly (readonly [number, number])[],
    tables: readonly SynapseTable[],
    fan: FanOuts,
    sent: SentSpikes,
  ) {
    super(image, options, memory, undefined, tables, fan, sent);
    this.stats = sharedInt32(image.cores.length * STATS_PER_CORE);
    // The inboxes and their counts in shared memory: workers deliver from them.
    // Every route to an inbox's worth, so that they never grow (fillInbox): workers hold these very buffers.
    const total = inboxRouteCount(fan);
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
    this.balance = coreBalance(ranges[0][1], ranges[1][1]);
    Atomics.store(this.control, CTL_SPLIT, this.balance.split);
    const shared = imageWithoutSynapses(image);
    for (const [k, [first, end]] of ranges.slice(1).entries()) {
      const setup: WorkerSetup = {
        image: shared,
        tables,
        fan,
        sent,
        layout: this.layout,
        first: k === 0 ? 0 : first,
        end,
        movable: k === 0,
        failure: this.failure,
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

  /** The main thread's cores are [0, coreSplit()); the first worker's start there (tests move it with setCoreSplit). */
  coreSplit(): number {
    return this.balance.split;
  }

  setCoreSplit(split: number): void {
    if (!Number.isInteger(split) || split < 0 || split >= this.balance.end) throw new RangeError(`the split must be in 0..${this.balance.end - 1}, got ${split}`);
    // A probe in flight would be taken back from the wrong split: the balance starts over from here.
    resetBalance(this.balance, split);
  }

  protected override computeCores(t: number): void {
    const ctl = this.control;
    const parity = this.inboxNow === this.inboxA ? 0 : 1;
    const split = this.balance.split;
    Atomics.store(ctl, CTL_SPLIT, split);
    Atomics.store(ctl, CTL_DONE, 0);
    Atomics.store(ctl, CTL_STEP, t);
    Atomics.store(ctl, CTL_PARITY, parity);
    Atomics.store(ctl, CTL_SENT, this.sentCount);
    Atomics.add(ctl, CTL_GENERATION, 1);
    Atomics.notify(ctl, CTL_GENERATION);
    // The previous step's timing, while the workers compute this one.
    if (this.pending >= 0) {
      super.finishStep(this.pending);
      this.pending = -1;
    }
    this.compute.run(0, split, t, this.inboxNow, this.inboxStartNow, this.countNow, this.seed, this.sentCount);
    const workers = this.workers.length;
    // Spin a while (SPIN_LOADS pauses), then sleep until every worker has counted itself done.
    for (let done = Atomics.load(ctl, CTL_DONE); done < workers; ) done = waitForChange(ctl, CTL_DONE, done, SPIN_LOADS);
    if (Atomics.load(ctl, CTL_FAILED) !== 0) this.failed();
    // One clock reading per BALANCE_STEPS steps (it allocates a number in Node; per step it would be garbage).
    if (++this.windowSteps === BALANCE_STEPS) {
      const now = performance.now();
      const w = this.window;
      if (w[0] >= 0) {
        w[1] = Math.min(w[1], (now - w[0]) / BALANCE_STEPS);
        if (windowComplete(this.balance, ++w[2], w[1])) {
          balanceWindow(this.balance, w[1]);
          w[1] = Infinity;
          w[2] = 0;
        }
      }
      w[0] = now;
      this.windowSteps = 0;
    }
    const stats = this.stats;
    for (let c = split; c < this.cores.length; c++) {
      const core = this.cores[c];
      const k = c * STATS_PER_CORE;
      core.spikedCount = stats[k];
      core.stepActive = stats[k + 1];
      core.stepInactive = stats[k + 2];
      core.stepInputSpikes = stats[k + 3];
    }
  }

  /** A worker's step threw (a bug of ours): stop the workers and say what it was. */
  private failed(): never {
    const end = this.failure.indexOf(0);
    const text = new TextDecoder().decode(this.failure.slice(0, end < 0 ? FAILURE_BYTES : end));
    this.dispose();
    throw new Error(`a worker thread of the CPU backend failed: ${text}`);
  }

  protected override finishStep(t: number): void {
    this.pending = t;
  }

  override async run(steps: number): Promise<void> {
    if (this.stopped) throw new Error('the emulator has been disposed');
    // The time between two runs is the caller's, not a step's: the part under way starts anew.
    this.window[0] = -1;
    this.windowSteps = BALANCE_STEPS - 1;
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
  const layout = cpuChipLayout(image);
  const memory = cpuChipMemory(layout, true);
  const fan = buildFanOuts(image, allocateShared);
  const tables = image.cores.map((core, c) => buildSynapseTable(core, false, fan.delay[c], allocateShared));
  const emulator = new ThreadedCpuEmulator(image, options, memory, coreRanges(image, n), tables, fan, sentSpikes(layout.neurons, allocateShared));
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
