// The CPU backend over several threads (`meso run --threads N`): the same step
// as cpu.ts, with the per-core phases (deliver, update: CpuChipCompute) of
// each step spread over worker threads and the main thread, and the rest (send,
// counters) on the main thread in core order. The result is the one-thread
// result to the bit whatever the thread count:
//  - each core belongs to one thread, which alone writes its neuron state and
//    delay-slot accumulators (shared memory): it delivers into them both from
//    its inbox and from the step's sent list (fan-out.ts: every thread walks
//    the whole list and takes the synapses to its own cores); integer adds,
//    so the order of deliveries would not matter anyway;
//  - every step ends with a barrier (Atomics.wait/notify on a shared counter)
//    before the main thread reads the spike lists and sends in core order;
//  - the timing of step t (the NoC simulation, emulator/noc.ts) runs while the
//    threads compute step t + 1: on the main thread, before its cores, or, for
//    odd t when the balance shares the timing, on the first worker, after its
//    cores. A step's timing depends on that step alone and the NoC's totals
//    are integer sums and a maximum (addNocTotals), so which thread times a
//    step changes nothing. The sent list and the cores' update cycles that a
//    timing reads alternate between two buffers, by the step's parity: the
//    worker's timing of step t may run on into step t + 2's compute (its cores
//    wait for it), and step t + 2's send, the next to write those buffers,
//    comes after the barrier that the worker joins only once that timing is
//    done;
//  - the boundary between the main thread's cores and the first worker's, and
//    whether the timing is shared, change while it runs (CoreBalance) to
//    where a step is fastest: how much the timing costs depends on how much
//    the network fires, and how much the threads slow each other on the
//    machine. A core's state lives in shared memory, so which thread updates
//    it changes nothing in the result.
// Images that learn or take external inputs run on one thread (threadingObstacle).
// A disposed engine's workers are lent to the next engine of the process (idleWorkers).
import { Worker } from 'node:worker_threads';
import { CpuEmulatorImpl, cpuChipLayout, cpuChipMemoryWithArena, createCpuEmulator, type CpuChipLayout, type CpuChipMemory, type CpuEmulator } from './cpu.js';
import { allocateShared, buildSynapseTable, type SynapseTable } from './synapse-table.js';
import { buildFanOuts, inboxRouteCount, routeTables, sentSpikes, type FanOuts, type SentSpikes } from './fan-out.js';
import type { InputBounds } from './input-bound.js';
import type { DeliverPlan, PlacedArena } from './deliver-wasm.js';
import type { ChipImage } from '../../isa/image/types.js';
import type { CreateEmulator, NocStats, RunOptions } from '../interface.js';
import { addNocTotals, nocTotalsFrom, nocTotalsLength } from '../noc.js';

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
/** The step the first worker times after its cores in this generation (the one before CTL_STEP), or -1. */
export const CTL_TIME_STEP = 8;
/** One more than the last step the first worker has timed (its result is in the timer's output then). */
export const CTL_TIMED = 9;
/** 1 in a generation that asks the timing worker for its NoC totals (writeNocTotals) instead of a step. */
export const CTL_FLUSH = 10;
/** The first worker's busy time (its cores, and the step it times) in microseconds, summed over the steps it samples (BUSY_SAMPLE_STEPS), and their count; the balance takes and clears them. */
export const CTL_BUSY_US = 11;
export const CTL_BUSY_SAMPLES = 12;
/** Threads asleep in Atomics.wait on this control array (waitForChange): only then does a change need a notify (wake). */
export const CTL_SLEEPERS = 13;
export const CTL_LENGTH = 14;
/** The first worker reads the clock on one step in this many (a reading allocates a number in Node; on every step it would be garbage). */
export const BUSY_SAMPLE_STEPS = 16;
/** The first worker's timing output (shared doubles): a step's latency at its parity (0, 1), its packet buffers' bytes, then its NoC totals (writeNocTotals). */
export const TIMER_LATENCY = 0;
export const TIMER_BUFFER_BYTES = 2;
export const TIMER_NOC = 3;
/** Bytes of the shared buffer a failing worker writes its error into (UTF-8, zero-padded). */
export const FAILURE_BYTES = 4096;

/**
 * The worker's module: beside this one once built; when this file runs as
 * TypeScript source (vitest), the built copy in dist/ (npm test builds it first).
 */
const WORKER_URL = import.meta.url.endsWith('.ts') ? new URL('../../dist/emulator/cpu/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url);

/**
 * Workers lent to no engine: a disposed engine's workers wait here for the next engine of this process, as an
 * OpenMP runtime keeps its threads between parallel regions. They keep the code V8 compiled for them: a fresh worker
 * compiles its step loop during its first few thousand steps, and that compiling takes the CPU its partner spins on
 * (docs/performance-log.md, tenth session). Unref'd: they do not keep the process alive.
 */
const idleWorkers: Worker[] = [];

/** An idle worker, or a new one (dropped from the idle list should it ever exit). Exported for tests. */
export function lendWorker(): Worker {
  const idle = idleWorkers.pop();
  if (idle !== undefined) return idle;
  const worker = new Worker(WORKER_URL);
  worker.unref();
  worker.once('exit', () => {
    const at = idleWorkers.indexOf(worker);
    if (at >= 0) idleWorkers.splice(at, 1);
  });
  // An error event without a listener would throw in the main thread: a worker that fails outside a step (one that
  // runs out of memory, say) ends, and its exit takes it off the idle list; an engine building its cores hears the
  // error through ready() as well.
  worker.on('error', () => undefined);
  return worker;
}

/** Workers idle now (tests). */
export function idleWorkerCount(): number {
  return idleWorkers.length;
}

/**
 * Loads of a shared counter a thread makes before it sleeps in Atomics.wait at a
 * barrier, each after a pause (PAUSE_DIVISIONS): 4,096, 0.16-0.3 ms on this
 * machine (measured at 0.3 ms first, 158-281 us later). Being woken from a
 * futex took about 16 us on this machine's virtual CPUs, half a CUBA step, so a
 * thread waits out every barrier of a running simulation awake.
 */
export const SPIN_LOADS = 1 << 12;

/**
 * Dependent divisions between two loads of a spin: JavaScript's stand-in for
 * x86's `pause`. A tight loop of loads takes issue slots from a hardware thread
 * that shares the core, where the thread it waits for may be running: where the
 * two virtual CPUs shared a core, a bare spin in another process slowed a
 * one-thread CUBA run by 40%, a spin of divisions by nothing measurable
 * (docs/performance-log.md, item (n)). The divider's
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
    // Counted before the wait checks the word: a thread that changes it and then finds no sleeper (wake) made its
    // change before this count, so the wait sees the new value and returns at once.
    Atomics.add(control, CTL_SLEEPERS, 1);
    Atomics.wait(control, index, seen);
    Atomics.sub(control, CTL_SLEEPERS, 1);
    now = Atomics.load(control, index);
  }
  return now;
}

/**
 * Wakes the threads asleep on control[index] after a change to it, if any thread sleeps (waitForChange): a notify
 * takes the waiter list's lock, 36-45 ns on this machine, and on a running simulation every thread spins instead.
 */
export function wake(control: Int32Array, index: number): void {
  if (Atomics.load(control, CTL_SLEEPERS) !== 0) Atomics.notify(control, index);
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
  /** Every core's synapse table and fan-out, the two sent lists (by step parity: step t's spikes are in sentLists[t & 1]), in shared memory, and the chip's layout. */
  readonly tables: readonly SynapseTable[];
  readonly fan: FanOuts;
  readonly sentLists: readonly [SentSpikes, SentSpikes];
  /** Where the delivery kernel's tables lie in the chip memory's arena, where the engine placed them (deliver-wasm.ts): each worker makes its own instance. */
  readonly deliver: DeliverPlan | undefined;
  readonly layout: CpuChipLayout;
  /** Per group of the chip: the most its neurons' delay slots can hold in a step (input-bound.ts): the worker's image has no synapses to tell. */
  readonly inputBounds: InputBounds;
  readonly first: number;
  readonly end: number;
  /** Where a worker whose step throws writes the error (FAILURE_BYTES, shared). */
  readonly failure: Uint8Array;
  /** Whether the worker's first core is control[CTL_SPLIT] (the first worker): it then builds every core from 0. */
  readonly movable: boolean;
  /** The chip's state arrays (shared); the worker's cores are views into them. */
  readonly memory: CpuChipMemory;
  readonly control: Int32Array;
  readonly inboxes: readonly [Uint16Array, Uint16Array];
  readonly counts: readonly [Int32Array, Int32Array];
  /** Per parity: where each core's inbox starts (the main thread packs them after each send). */
  readonly inboxStarts: readonly [Int32Array, Int32Array];
  readonly seed: number;
  /** The first worker also times steps (CTL_TIME_STEP): per step parity each core's update cycles, its timing batch's starting room, and where it writes (TIMER_*). */
  readonly timer?: { readonly updates: readonly [Float64Array, Float64Array]; readonly packetCapacity: number; readonly out: Float64Array };
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

function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(Math.max(1, length) * 8)).subarray(0, length);
}

/** The image as a worker needs it: its synapses come with the shared tables (WorkerSetup.tables), so the words are not cloned into every worker. */
function imageWithoutSynapses(image: ChipImage): ChipImage {
  return {
    ...image,
    cores: image.cores.map((core) => ({ ...core, synapses: new Uint32Array(0), axonStart: new Uint32Array(1), axonWeightExp: new Uint8Array(0) })),
  };
}

/** A core's share of a step's work, as the ranges and the balance weigh it: its neuron slots plus its synapses. */
const coreWork = (core: ChipImage['cores'][number]): number => core.neuronCount + core.synapses.length / 8;

/**
 * Contiguous ranges of cores, one per thread, balanced by neuron slots plus
 * synapses (the step's work). The main thread (range 0) starts with half a
 * worker's share, as it also sends and runs the NoC timing; CoreBalance then
 * moves the boundary between it and the first worker.
 */
export function coreRanges(image: ChipImage, threads: number): readonly (readonly [number, number])[] {
  const weight = image.cores.map(coreWork);
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
/**
 * A part of the warm-up that took this long (ms) ends it: V8 has compiled the
 * step loop within a few long steps, and two windows of CUBA at 40,000
 * neurons and 1 ms (15 ms a step) took 15 s of a 150-s run.
 */
export const WARMUP_PART_MS = 250;
/** A move is kept when its window is faster than the last one at the old split by this fraction. */
const BALANCE_MARGIN = 0.02;
/** Windows to wait before probing again after a probe either way found nothing, doubling up to this. */
const BALANCE_REST_MAX = 32;

/**
 * Moves the boundary between the main thread's cores and the first worker's,
 * and decides whether the first worker times every other step (`share`), to
 * where a step is fastest. After BALANCE_WARMUP windows it surveys a few
 * settings, one window each (the split it starts at, then split 0 with the
 * timing shared, then the splits 0, 1, 2, 4, 8 ... and the last with the
 * timing on the main thread; a setting that is clearly slower is left after
 * one part of its window), runs the unshared ones close to the fastest again
 * in the reverse order (extendSurvey), and takes the fastest: the step time
 * need not fall steadily towards the best split (on CUBA at 1 ms splits 1-3
 * were about equal and 0 was 15% faster), which a local search alone would
 * miss. Sharing the
 * timing wins where it is most of a step (CUBA at 40,000 neurons and 1 ms) and
 * loses where it is not: a worker that times a step after its cores is late
 * for the next step's. So a shared setting is surveyed or probed only where
 * the first worker would be idle for most of a step (SHARE_MAX_WORKER_BUSY,
 * from its own clock readings scaled to the split it would share at:
 * shareFits), and judged by the time a packet (balanceWindow),
 * from the second window on that ever shared it (the first worker's timing
 * code is still cold in the first); or, where the main thread times for most
 * of a step and the first worker's cores take well under half as long, taken
 * at once (shareClear).
 * Then it goes on by perturb and observe: every window
 * it either keeps the setting (and notes its step time) or tries one core
 * more or less for the main thread, or after a fruitless probe either way the
 * other choice of sharing, keeping the move when its window was faster and
 * taking it back otherwise; after a fruitless round it waits a while (longer
 * each time, up to BALANCE_REST_MAX windows) before the next, which probes
 * two cores either way, then four, and so on up to half the splits, then one
 * again (CoreBalance.stride). Both threads finishing together is not the
 * goal: the balance goes by the step time it measures, which also counts what
 * the threads cost each other (where the two virtual CPUs shared one core,
 * item (n), they slowed each other most when both ran the neuron kernel; on
 * the twelfth session's machine two one-thread runs side by side each ran
 * 1-3% slower than alone; docs/performance-log.md). Only speed depends on it.
 */
export interface CoreBalance {
  /** The main thread's cores are [0, split). */
  split: number;
  /** Whether the first worker times the odd steps (after its cores); the main thread times the others, or all when false. */
  share: boolean;
  /** The first worker's end: it keeps at least one core. */
  readonly end: number;
  /** The cores' work (coreWork) summed over [0, k) at k, for k in 0..end: the first worker's at split s is work[end] - work[s]. */
  readonly work: Float64Array;
  /** Mean step time (ms) of the last window at the kept setting; NaN before the first. */
  base: number;
  /** The same window's time a packet (ms; NaN when not measured): sharing is judged on it, which the network's activity moves less than a step's time. */
  basePacket: number;
  /** The move on trial (+k: the main thread took k cores, -k: gave k, FLIP: sharing switched), 0 when none. */
  probe: number;
  /** The direction of the next probe of the split (+1 or -1), and whether the next probe switches sharing instead. */
  direction: number;
  flipNext: boolean;
  /**
   * Cores a probe of the split moves: 1, doubled for the next round after a round that found nothing, up to
   * strideMax (then back to 1), and 1 again once a longer probe was faster. A search by single cores stops where
   * the next core either way is slower: at CUBA 4,000 and 0.1 ms split 1 was slower than split 0 and split 2 faster
   * (6.53, 6.22 and 5.91 us a step, the best 5.21 at split 4), and a quarter of fresh runs stayed at split 0 for the
   * whole run.
   */
  stride: number;
  /** Probes in a row that found nothing, windows left before the next probe, and the rest after the next fruitless round. */
  failures: number;
  rest: number;
  restNext: number;
  /**
   * The survey's settings in the order they run (the first is the one it starts at), the next one's index, and the
   * fastest so far; each one's window time as measured (NaN before), and how many settings the first pass has: the
   * unshared ones close to the best run again in reverse order (extendSurvey).
   */
  readonly survey: BalanceSetting[];
  readonly surveyTimes: number[];
  readonly surveyFirst: number;
  /** Windows still to let pass before the survey. */
  warmup: number;
  /**
   * Whether a window has run with the timing shared: the first one is not judged (the setting stays for
   * another). The first worker's timing code is cold then: at random-1m its first shared steps took 2-3x
   * an unshared step, and the survey passed sharing over, which was 1.3x faster once warm.
   */
  sharedBefore: boolean;
  surveyNext: number;
  surveyBest: BalanceSetting;
  surveyBestTime: number;
  /** The fastest survey window without sharing so far (ms a step, and ms a packet). */
  surveyBestUnshared: number;
  surveyBestUnsharedPacket: number;
}

export interface BalanceSetting {
  readonly split: number;
  readonly share: boolean;
}

/** CoreBalance.probe of a switch of sharing: no move of the split. */
const FLIP = Number.POSITIVE_INFINITY;

/** The longest probe: half the splits there are, so that one way or the other always stays in range. */
const strideMax = (b: CoreBalance): number => Math.max(1, Math.floor((b.end - 1) / 2));
/**
 * Sharing is tried (surveyed, or switched on by a probe) only where the first
 * worker is busy for at most this share of a step: half the timing must fit
 * into its idle time. Elsewhere it is only late for the next step's cores:
 * on CUBA at 4,000 neurons and 1 ms (the worker busy 80-90% of a step at split
 * 0) sharing was no faster once compiled, and the first shared steps, while
 * V8 compiles the paths it takes, cost 30-50 ms of a 0.3-s run.
 */
export const SHARE_MAX_WORKER_BUSY = 0.5;
/**
 * Sharing is tried for the first time only where the run has at least this
 * long (ms) left at the window's step time: a first trial costs its cold steps
 * (V8 compiling the first worker's timing) whatever it finds. On
 * CUBA at 4,000 neurons and 1 ms (10,000 steps, 0.2-0.3 s on two threads) a
 * probe of sharing took two windows of 65 and 101 ms against 11 unshared, and
 * that worker's busy share, read from one step in 16, came out at 0.45 in a
 * slow window and let the probe through (docs/performance-log.md item (vv)).
 */
export const SHARE_MIN_REST_MS = 1000;

/**
 * Sharing is taken without a trial where the main thread spends at least this
 * share of a step timing (unshared) and the first worker's cores take well
 * under half of that (SHARE_CLEAR_FILL): half the timing then moves to a
 * thread that waits anyway. A trial judges a window against
 * other windows, and a bursting network moves both a step's time and a
 * packet's between them: on CUBA at 40,000 neurons and 1 ms (the main thread
 * timing 90% of a step, the first worker busy 7-17%) the survey passed sharing
 * over in two runs of four (a shared window at 149-174 ns a packet against an
 * unshared one at 136-157), where shared steps were 1.35-1.57x faster than one
 * thread's and unshared ones about as fast.
 */
export const SHARE_CLEAR_TIMING = 0.5;
/**
 * How much of half the timing the first worker's cores may take for sharing to be taken without a trial. With the
 * main thread timing T and the worker's cores taking W, both before the barrier, an unshared step is max(T, W) plus
 * what the main thread does after it, and a shared one, on average, max(W + T/2, T/2) plus the same: sharing pays
 * where W < T/2. The rule was first the worker's share plus half the timing's at most 0.9 of a step, which counts
 * the part after the barrier as room it is not: on CUBA 40,000 at 0.1 ms (the worker busy 0.50 of a step, the
 * timing 0.54) it shared in the survey, where steps were 12% slower shared than unshared (601 against 528 us,
 * split 0 forced, 500-step chunks alternating). Half the bound, W at most T/4, leaves room for a window's noise:
 * there W/T came out at 0.33-1.01 from one window to the next, and at CUBA 40,000 and 1 ms at 0.05-0.19, which
 * shares at once under either rule.
 */
export const SHARE_CLEAR_FILL = 0.5;

/** A balance that starts at `split`, with the timing shared or not; `weights`, each core's work in [0, end) (coreWork), equal by default. */
export function coreBalance(split: number, end: number, share = false, weights: ArrayLike<number> = new Float64Array(end).fill(1)): CoreBalance {
  const work = new Float64Array(end + 1);
  for (let k = 0; k < end; k++) work[k + 1] = work[k] + weights[k];
  const survey: BalanceSetting[] = [{ split, share }, { split: 0, share: !share }];
  for (let k = 0; k < end; k = k === 0 ? 1 : 2 * k) if (k !== split) survey.push({ split: k, share: false });
  if (end - 1 > 0 && end - 1 !== split && !survey.some((x) => x.split === end - 1)) survey.push({ split: end - 1, share: false });
  return {
    split, share, end, work, base: NaN, basePacket: NaN, probe: 0, direction: -1, flipNext: false, stride: 1, failures: 0, rest: 0, restNext: 1,
    survey, surveyTimes: survey.map(() => NaN), surveyFirst: survey.length, warmup: BALANCE_WARMUP, sharedBefore: share, surveyNext: 1, surveyBest: survey[0], surveyBestTime: Infinity, surveyBestUnshared: Infinity, surveyBestUnsharedPacket: Infinity,
  };
}

const inRange = (b: CoreBalance, split: number): boolean => split >= 0 && split < b.end;

/**
 * Whether sharing may be tried at `split`, given the share of a step for which the first worker was busy at the
 * current split (NaN, not measured, counts as idle enough) and, before sharing was ever tried, the time the run has
 * left (SHARE_MIN_REST_MS): its busy share there scaled by its cores' work there.
 * The survey shares at split 0, where the first worker holds every core of its range: at CUBA 4,000 and 1 ms it
 * was busy 41-48% of a step at split 3, and trying split 0 shared in the survey cost 60-85 ms of a 0.42-s run
 * (the worker's first shared parts 75-400 us a step, against 20 unshared), where scaled it is 59-69%.
 */
function shareFits(b: CoreBalance, workerBusy: number, split: number, restMs: number): boolean {
  if (!b.sharedBefore && !(restMs >= SHARE_MIN_REST_MS)) return false;
  return !(busyAt(b, workerBusy, split) > SHARE_MAX_WORKER_BUSY);
}

/** The first worker's busy share at `split`, from `workerBusy` at the current split, scaled by its cores' work there. */
function busyAt(b: CoreBalance, workerBusy: number, split: number): number {
  const here = b.work[b.end] - b.work[b.split];
  const there = b.work[b.end] - b.work[split];
  return workerBusy * (here > 0 ? there / here : 1);
}

/**
 * Whether sharing at `split` needs no trial (SHARE_CLEAR_TIMING): the main thread timed for `timing` of a step, and the
 * first worker was busy for `workerBusy` of it at the current split (both unshared; NaN: not measured, no).
 */
function shareClear(b: CoreBalance, workerBusy: number, timing: number, split: number, restMs: number): boolean {
  if (!(timing >= SHARE_CLEAR_TIMING) || !(workerBusy >= 0) || !shareFits(b, workerBusy, split, restMs)) return false;
  // A share above 1 comes of dividing by a window's fastest part: the timing is then the whole step.
  return busyAt(b, workerBusy, split) <= (SHARE_CLEAR_FILL * Math.min(timing, 1)) / 2;
}

/** Puts the split at `split` and sharing at `share`, and forgets what the balance learnt (a test, or a caller, moved it). */
export function resetBalance(b: CoreBalance, split: number, share: boolean): void {
  // The cores' work stays: it is the image's, not something the balance learnt.
  Object.assign(b, coreBalance(split, b.end, share), { work: b.work });
}

/**
 * Whether the window under way is complete after `parts` parts whose fastest
 * took `fastest` ms a step: after BALANCE_PARTS, or during the survey as soon
 * as even its fastest part is SURVEY_CUTOFF times slower than the best split
 * surveyed so far (a bad split costs one part, not a window; a shared setting
 * is not cut short), or during the
 * warm-up after a part of WARMUP_PART_MS (which ends it: balanceWindow).
 */
export function windowComplete(b: CoreBalance, parts: number, fastest: number): boolean {
  if (parts >= BALANCE_PARTS) return true;
  if (b.warmup > 0) return fastest * BALANCE_STEPS >= WARMUP_PART_MS;
  // A shared setting runs its whole window: it is judged by the time a packet, and one part's step time in a bursting
  // network says little (CUBA 40,000 at 1 ms: a part shared at 6.0-7.0 ms a step against an unshared best of 4.6, and
  // whole shared windows at 3.1-3.2 ms once warm; cut after a part, the survey passed sharing over in one run of two).
  return b.surveyNext <= b.survey.length && !b.share && fastest > SURVEY_CUTOFF * b.surveyBestTime;
}

/**
 * At the end of the survey's first pass with an unshared setting the fastest: the unshared settings within
 * SURVEY_CUTOFF of it run again, in the reverse order, and each is judged by the mean of its two windows
 * (bestOfTwoPasses). One window a setting, taken at different times, is judged with whatever the time moved
 * meanwhile: at CUBA 40,000 and 0.1 ms the survey's first window, at the split it starts at, took 410 us a step
 * while the network settled, and the survey kept that split (steps of 565-900 us there later, against 528-605
 * at split 0); run in the reverse order, a steady drift weighs on every setting alike.
 */
function extendSurvey(b: CoreBalance): void {
  if (b.surveyBest.share) return;
  const close: BalanceSetting[] = [];
  for (let k = 0; k < b.surveyFirst; k++) {
    if (!b.survey[k].share && b.surveyTimes[k] <= SURVEY_CUTOFF * b.surveyBestTime) close.push(b.survey[k]);
  }
  if (close.length < 2) return;
  for (const setting of close.reverse()) {
    b.survey.push(setting);
    b.surveyTimes.push(NaN);
  }
}

/** The setting of the survey's second pass with the least mean of its two windows. */
function bestOfTwoPasses(b: CoreBalance): BalanceSetting {
  let best = b.surveyBest;
  let bestTime = Infinity;
  for (let k = b.surveyFirst; k < b.survey.length; k++) {
    const first = b.survey.findIndex((x, j) => j < b.surveyFirst && !x.share && x.split === b.survey[k].split);
    const again = b.surveyTimes[k];
    const mean = again >= 0 ? (b.surveyTimes[first] + again) / 2 : b.surveyTimes[first];
    if (mean < bestTime) {
      bestTime = mean;
      best = b.survey[k];
    }
  }
  return best;
}

/**
 * One window's step time (ms) at the current setting, the share of a step for
 * which the first worker was busy, and its time a packet (ms; NaN: not
 * measured), the time (ms) the run has left at that step time, and the share
 * of a step the main thread spent timing (NaN: not measured); moves the split
 * or switches sharing for the next window, or not.
 * Sharing is judged by the time a packet where it is known: it is tried only
 * where the timing is a step's bulk, and a bursting network moves its step
 * time by 2x between windows (CUBA 40,000 at 1 ms), less its time a packet.
 * Where the timing is most of the main thread's step and the first worker
 * idles, sharing is taken without a trial (shareClear).
 */
export function balanceWindow(b: CoreBalance, stepTime: number, workerBusy = NaN, packetTime = NaN, restMs = Infinity, timing = NaN): void {
  // Once shared, switching back is always tried.
  const mayShare = b.share || shareFits(b, workerBusy, b.split, restMs);
  if (b.warmup > 0) {
    b.warmup = stepTime * BALANCE_STEPS >= WARMUP_PART_MS ? 0 : b.warmup - 1;
    return;
  }
  if (b.share && !b.sharedBefore) {
    b.sharedBefore = true;
    return;
  }
  // Unshared with no probe under way (a probe that switched sharing off is judged as any other): sharing without a
  // trial where it clearly pays. The survey then ends, sharing at split 0 as it would have surveyed it.
  const surveying = b.surveyNext <= b.survey.length;
  if (!b.share && b.probe === 0 && shareClear(b, workerBusy, timing, surveying ? 0 : b.split, restMs)) {
    if (surveying) {
      b.split = 0;
      b.surveyBest = { split: 0, share: true };
      b.surveyNext = b.survey.length + 1;
    }
    b.share = true;
    b.base = NaN;
    b.basePacket = NaN;
    return;
  }
  if (b.surveyNext <= b.survey.length) {
    b.surveyTimes[b.surveyNext - 1] = stepTime;
    if (stepTime < b.surveyBestTime) {
      b.surveyBestTime = stepTime;
      b.surveyBest = { split: b.split, share: b.share };
    }
    if (!b.share) {
      b.surveyBestUnshared = Math.min(b.surveyBestUnshared, stepTime);
      if (packetTime >= 0) b.surveyBestUnsharedPacket = Math.min(b.surveyBestUnsharedPacket, packetTime);
    } else if (packetTime >= 0 ? packetTime < b.surveyBestUnsharedPacket : stepTime < b.surveyBestUnshared) {
      // Shared faster than every split without sharing so far: the timing is the step's bulk (the worker had room
      // for it, mayShare), and the splits still to survey without sharing (one part at least each, at CUBA 40,000
      // neurons and 1 ms 2 s a part) are left to the probes, which switch sharing off at the split reached.
      b.surveyBest = { split: b.split, share: true };
      b.surveyNext = b.survey.length;
    }
    // A shared setting is passed over where the worker would have no room there for half the timing.
    while (!b.share && b.surveyNext < b.survey.length && b.survey[b.surveyNext].share && !shareFits(b, workerBusy, b.survey[b.surveyNext].split, restMs)) b.surveyNext++;
    if (b.surveyNext === b.survey.length) {
      if (b.survey.length === b.surveyFirst) extendSurvey(b);
      else b.surveyBest = bestOfTwoPasses(b);
    }
    const next = b.surveyNext < b.survey.length ? b.survey[b.surveyNext] : b.surveyBest;
    b.split = next.split;
    b.share = next.share;
    b.surveyNext++;
    return;
  }
  if (b.probe !== 0) {
    const tried = b.probe;
    b.probe = 0;
    // By the time a packet while shared or across a switch (the timing is then the step's bulk), else by the step.
    const perPacket = (b.share || tried === FLIP) && packetTime >= 0 && b.basePacket >= 0;
    const faster = perPacket ? packetTime < b.basePacket * (1 - BALANCE_MARGIN) : stepTime < b.base * (1 - BALANCE_MARGIN);
    if (faster) {
      // Faster: keep it, and try the same way at once (the split's way after a switch).
      b.base = stepTime;
      b.basePacket = packetTime;
      if (tried !== FLIP) {
        b.direction = Math.sign(tried);
        // A longer probe jumped over a slower split: the search goes on from there a core at a time.
        b.stride = 1;
      }
      b.failures = 0;
      b.restNext = 1;
    } else {
      if (tried === FLIP) b.share = !b.share;
      else {
        b.split -= tried;
        b.direction = -Math.sign(tried);
      }
      b.failures++;
      // After both ways, the switch of sharing. A round that found nothing rests before the next probe, and the next
      // round probes at twice the stride (back to 1 after strideMax).
      const roundDone = tried === FLIP || b.failures >= 2 || !inRange(b, b.split - tried);
      if (roundDone && tried !== FLIP && mayShare) b.flipNext = true;
      else if (roundDone) {
        b.failures = 0;
        b.stride = 2 * b.stride <= strideMax(b) ? 2 * b.stride : 1;
        b.rest = b.restNext;
        b.restNext = Math.min(2 * b.restNext, BALANCE_REST_MAX);
      }
      return;
    }
  } else {
    b.base = stepTime;
    b.basePacket = packetTime;
    if (b.rest > 0) {
      b.rest--;
      return;
    }
  }
  if (b.flipNext) {
    b.flipNext = false;
    b.share = !b.share;
    b.probe = FLIP;
    return;
  }
  let move = b.direction * b.stride;
  if (!inRange(b, b.split + move)) move = -move;
  if (!inRange(b, b.split + move)) {
    // One core for the worker: nowhere to move the split, but sharing can still switch.
    if (mayShare) {
      b.share = !b.share;
      b.probe = FLIP;
    }
    return;
  }
  b.split += move;
  b.probe = move;
}

/** The threaded engine: a CPU emulator whose boundary between the main thread's cores and the first worker's, and whether the first worker times every other step, can be read and set (tests move them). */
export interface ThreadedCpu extends CpuEmulator {
  coreSplit(): number;
  setCoreSplit(split: number): void;
  timingShared(): boolean;
  setTimingShared(share: boolean): void;
}

class ThreadedCpuEmulator extends CpuEmulatorImpl implements ThreadedCpu {
  private readonly workers: Worker[] = [];
  private readonly control = sharedInt32(CTL_LENGTH);
  private readonly failure = new Uint8Array(new SharedArrayBuffer(FAILURE_BYTES));
  private readonly balance: CoreBalance;
  /**
   * The balance's window: [0] when its current part started (performance.now(); -1: at the next step), [1] its
   * fastest part so far (ms a step), [2] its parts so far, [3] its fastest part by time a packet (ms), [4] the
   * packets sent before the current part (packetsSent).
   */
  private readonly window = Float64Array.of(-1, Infinity, 0, Infinity, 0);
  private windowSteps = 0;
  /** The main thread's time (ms) timing the steps it sampled in the window under way (BUSY_SAMPLE_STEPS), and their count. */
  private timingMs = 0;
  private timingSamples = 0;
  /**
   * The step at which the run under way ends (run()). The balance takes the steps left in it, or the steps run so far
   * where more (a caller that runs many short calls goes on about as long again), as the run's rest.
   */
  private runEnd = 0;
  /** The two inbox buffers and their counts; parity 0 is (inboxA, countA), the step-0 arrivals. */
  private readonly inboxA: Uint16Array;
  private readonly inboxB: Uint16Array;
  /** The step whose timing is still to run (-1: none). */
  private pending = -1;
  /** The step the first worker is timing (-1: none): handed over in the next step's compute, its result is there after the barrier of the step after that. */
  private workerStep = -1;
  /** Whether the first worker has timed steps whose NoC totals it has not handed over yet (collectWorkerNoc). */
  private workerTotals = false;
  /** The two sent lists and update-cycle arrays (shared), by step parity. */
  private readonly sentLists: readonly [SentSpikes, SentSpikes];
  private readonly updates: readonly [Float64Array, Float64Array];
  /** What the first worker writes as it times (TIMER_*). */
  private readonly timerOut: Float64Array;
  private stopped = false;
  /** Whether every worker said ready: only then do they go back to the idle list when the engine is disposed. */
  private lendable = false;

  constructor(
    image: ChipImage,
    options: RunOptions,
    memory: CpuChipMemory,
    ranges: readonly (readonly [number, number])[],
    tables: readonly SynapseTable[],
    fan: FanOuts,
    sentLists: readonly [SentSpikes, SentSpikes],
    arena: PlacedArena | undefined,
  ) {
    super(image, options, memory, undefined, tables, fan, sentLists[0], arena);
    this.sentLists = sentLists;
    this.updates = [sharedFloat64(image.cores.length), sharedFloat64(image.cores.length)];
    this.coreUpdate = this.updates[0];
    this.timerOut = sharedFloat64(TIMER_NOC + nocTotalsLength(this.stepTiming.noc));
    Atomics.store(this.control, CTL_TIME_STEP, -1);
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
    this.balance = coreBalance(ranges[0][1], ranges[1][1], false, image.cores.slice(0, ranges[1][1]).map(coreWork));
    Atomics.store(this.control, CTL_SPLIT, this.balance.split);
    const shared = imageWithoutSynapses(image);
    for (const [k, [first, end]] of ranges.slice(1).entries()) {
      const setup: WorkerSetup = {
        image: shared,
        tables,
        fan,
        sentLists,
        deliver: arena?.plan,
        layout: this.layout,
        inputBounds: this.inputBounds,
        first: k === 0 ? 0 : first,
        end,
        movable: k === 0,
        failure: this.failure,
        memory,
        control: this.control,
        inboxes: [this.inboxA, this.inboxB],
        counts,
        inboxStarts: starts,
        seed: this.seed,
        timer: k === 0 ? { updates: this.updates, packetCapacity: this.packetCapacity(), out: this.timerOut } : undefined,
      };
      const worker = lendWorker();
      worker.postMessage(setup);
      this.workers.push(worker);
    }
  }

  /** Resolves when every worker has built its cores. */
  async ready(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const ready = (): void => {
              w.off('error', fail);
              resolve();
            };
            const fail = (err: Error): void => {
              w.off('message', ready);
              reject(err);
            };
            w.once('message', ready);
            w.once('error', fail);
          }),
      ),
    );
    this.lendable = true;
  }

  /** The main thread's cores are [0, coreSplit()); the first worker's start there (tests move it with setCoreSplit). */
  coreSplit(): number {
    return this.balance.split;
  }

  setCoreSplit(split: number): void {
    if (!Number.isInteger(split) || split < 0 || split >= this.balance.end) throw new RangeError(`the split must be in 0..${this.balance.end - 1}, got ${split}`);
    // A probe in flight would be taken back from the wrong split: the balance starts over from here.
    resetBalance(this.balance, split, this.balance.share);
  }

  /** Whether the first worker times the odd steps (CoreBalance.share). */
  timingShared(): boolean {
    return this.balance.share;
  }

  setTimingShared(share: boolean): void {
    resetBalance(this.balance, this.balance.split, share);
  }

  protected override computeCores(t: number): void {
    const ctl = this.control;
    const parity = this.inboxNow === this.inboxA ? 0 : 1;
    const split = this.balance.split;
    // The previous step's timing: odd steps go to the first worker, which times them after its cores.
    const q = this.pending;
    const toWorker = q >= 0 && (q & 1) === 1 && this.balance.share;
    this.pending = -1;
    // Plain stores: the generation's atomic add publishes them to a worker that sees it. Atomic stores are a full
    // fence each on x86 (seven took 68-114 ns on this machine).
    ctl[CTL_SPLIT] = split;
    ctl[CTL_DONE] = 0;
    ctl[CTL_STEP] = t;
    ctl[CTL_PARITY] = parity;
    ctl[CTL_SENT] = this.sentCount;
    ctl[CTL_TIME_STEP] = toWorker ? q : -1;
    Atomics.add(ctl, CTL_GENERATION, 1);
    wake(ctl, CTL_GENERATION);
    if (toWorker) {
      this.workerStep = q;
      this.workerTotals = true;
    } else if (q >= 0) {
      // The main thread's timing on one step in BUSY_SAMPLE_STEPS, for the balance (shareClear). Even steps, which it
      // times whether shared or not: this is step q = t - 1 with q % BUSY_SAMPLE_STEPS === 0.
      const sample = t % BUSY_SAMPLE_STEPS === 1;
      const start = sample ? performance.now() : 0;
      this.timeHere(q);
      if (sample) {
        this.timingMs += performance.now() - start;
        this.timingSamples++;
      }
    }
    // Step t delivers step t - 1's spikes (none at step 0).
    this.compute.run(0, split, t, this.inboxNow, this.inboxStartNow, this.countNow, this.seed, this.sentLists[(t + 1) & 1], this.sentCount);
    this.barrier();
    // A worker joins this barrier only after timing what it was handed in an earlier step.
    if (this.workerStep >= 0 && this.workerStep + 1 < t) this.collectWorkerStep();
    // Step t's send writes the other buffers than step t - 1's, which a timing may still read.
    this.sent = this.sentLists[t & 1];
    this.coreUpdate = this.updates[t & 1];
    // One clock reading per BALANCE_STEPS steps (it allocates a number in Node; per step it would be garbage).
    if (++this.windowSteps === BALANCE_STEPS) {
      const now = performance.now();
      const w = this.window;
      const packets = this.packetsSent();
      if (w[0] >= 0) {
        w[1] = Math.min(w[1], (now - w[0]) / BALANCE_STEPS);
        if (packets > w[4]) w[3] = Math.min(w[3], (now - w[0]) / (packets - w[4]));
        if (windowComplete(this.balance, ++w[2], w[1])) {
          // The first worker's busy time on the steps it sampled over the window (microseconds), as a share of a step.
          const busy = Atomics.exchange(ctl, CTL_BUSY_US, 0);
          const samples = Atomics.exchange(ctl, CTL_BUSY_SAMPLES, 0);
          const timing = this.timingSamples > 0 ? this.timingMs / this.timingSamples / w[1] : NaN;
          this.timingMs = 0;
          this.timingSamples = 0;
          balanceWindow(this.balance, w[1], samples > 0 ? busy / samples / 1000 / w[1] : NaN, w[3] < Infinity ? w[3] : NaN, Math.max(this.runEnd - t, t) * w[1], timing);
          w[1] = Infinity;
          w[2] = 0;
          w[3] = Infinity;
        }
      }
      w[0] = now;
      w[4] = packets;
      this.windowSteps = 0;
    }
  }

  /** Waits until every worker has counted itself done: spins a while (SPIN_LOADS pauses), then sleeps. */
  private barrier(): void {
    const ctl = this.control;
    const workers = this.workers.length;
    for (let done = Atomics.load(ctl, CTL_DONE); done < workers; ) done = waitForChange(ctl, CTL_DONE, done, SPIN_LOADS);
    if (Atomics.load(ctl, CTL_FAILED) !== 0) this.failed();
  }

  /** Times step q, the last one sent (this.sentCount is its count), on the main thread from its parity's buffers. */
  private timeHere(q: number): void {
    this.timeStep(q, this.sentLists[q & 1], this.sentCount, this.updates[q & 1]);
  }

  /** The first worker's timing of workerStep, once it has written it (CTL_TIMED). */
  private collectWorkerStep(): void {
    const q = this.workerStep;
    for (let timed = Atomics.load(this.control, CTL_TIMED); timed !== q + 1; ) {
      if (Atomics.load(this.control, CTL_FAILED) !== 0) this.failed();
      timed = waitForChange(this.control, CTL_TIMED, timed, SPIN_LOADS);
    }
    this.setStepLatency(q, this.timerOut[TIMER_LATENCY + (q & 1)]);
    this.workerStep = -1;
  }

  /** Adds the NoC totals of the steps the first worker timed into the main thread's NoC (a generation that asks it for them). */
  private collectWorkerNoc(): void {
    if (!this.workerTotals || this.stopped) return;
    const ctl = this.control;
    Atomics.store(ctl, CTL_DONE, 0);
    Atomics.store(ctl, CTL_FLUSH, 1);
    Atomics.add(ctl, CTL_GENERATION, 1);
    wake(ctl, CTL_GENERATION);
    this.barrier();
    Atomics.store(ctl, CTL_FLUSH, 0);
    addNocTotals(this.stepTiming.noc, nocTotalsFrom(this.timerOut.subarray(TIMER_NOC)));
    this.workerTotals = false;
  }

  /** A worker's step threw (a bug of ours): stop the workers and say what it was. */
  private failed(): never {
    const end = this.failure.indexOf(0);
    const text = new TextDecoder().decode(this.failure.slice(0, end < 0 ? FAILURE_BYTES : end));
    this.dispose();
    throw new Error(`a worker thread of the CPU backend failed: ${text}`);
  }

  protected override finishStep(t: number): void {
    this.logStepCounters(t);
    this.pending = t;
  }

  override async run(steps: number): Promise<void> {
    if (this.stopped) throw new Error('the emulator has been disposed');
    // The time between two runs is the caller's, not a step's: the part under way starts anew.
    this.window[0] = -1;
    this.windowSteps = BALANCE_STEPS - 1;
    this.runEnd = this.stepsRun() + steps;
    await super.run(steps);
    // Every step timed before run() returns: the last one here, whatever its parity.
    if (this.workerStep >= 0) this.collectWorkerStep();
    const q = this.pending;
    if (q >= 0) {
      this.pending = -1;
      this.timeHere(q);
    }
  }

  protected override nocStats(): NocStats {
    this.collectWorkerNoc();
    return super.nocStats();
  }

  /** The packet buffers of both timers: the first worker's as it last said (it writes them after every step it times). */
  override packetBufferBytes(): number {
    return super.packetBufferBytes() + this.timerOut[TIMER_BUFFER_BYTES];
  }

  override dispose(): void {
    if (!this.stopped) {
      this.stopped = true;
      Atomics.store(this.control, CTL_STOP, 1);
      Atomics.add(this.control, CTL_GENERATION, 1);
      Atomics.notify(this.control, CTL_GENERATION);
      // A worker whose step threw, or that never said ready, is not lent again.
      const sound = this.lendable && Atomics.load(this.control, CTL_FAILED) === 0;
      for (const w of this.workers) {
        if (sound) idleWorkers.push(w);
        else void w.terminate();
      }
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
  const built = buildFanOuts(image, allocateShared);
  // Delivery by source in WebAssembly (deliver-wasm.ts) where it can: its tables and both sent lists in the shared chip memory.
  const { chip: memory, arena } = cpuChipMemoryWithArena(layout, true, built, routeTables(image), 2);
  const fan = arena?.fan ?? built;
  const tables = image.cores.map((core, c) => buildSynapseTable(core, false, fan.delay[c], allocateShared));
  const sentLists = arena === undefined ? ([sentSpikes(layout.neurons, allocateShared), sentSpikes(layout.neurons, allocateShared)] as const) : ([arena.sentLists[0], arena.sentLists[1]] as const);
  const emulator = new ThreadedCpuEmulator(image, options, memory, coreRanges(image, n), tables, fan, sentLists, arena);
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
