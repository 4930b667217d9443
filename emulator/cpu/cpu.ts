// The CPU reference backend: the time-step contract written as plain loops over
// typed arrays. A later WebGPU backend must reproduce it to the bit, so every
// rule here (delivery order, delay slots, update order, counters, cycles) is the
// definition, not an implementation detail. Nothing in the step loop allocates:
// buffers are sized when the image is loaded; the event log grows by
// doubling, and the step's packet buffers only when a step sends more packets
// than any before (to an eighth more than it, logs.ts packetRoom, or doubling
// for the inbox list).
import { coreCount, corePosition, hopsBetween, type ChipProfile } from '../../isa/profile.js';
import { clampState, decay, DECAY_ONE, STATE_MAX, STATE_MIN } from '../../isa/fixed.js';
import { synapseDelay, synapseTarget, synapseWeight } from '../../isa/synapse.js';
import { random32, STREAM } from '../../isa/random.js';
import { EventLog, grow, toRecord } from '../logs.js';
import { splitExternalSpikes } from '../external-input.js';
import { CpuLearning } from './learning.js';
import { lifStepPlain } from './kernels.js';
import { STATS_WORDS, STAT_ACTIVE, STAT_INACTIVE, STAT_INPUTS, STAT_SPIKES, lifSimdKernels, setGroupEntry, setTableEntry, type LifStep, type LifTable } from './lif-simd.js';
import { chipMemoryPlan, cpuCoreShape, initialPacketCapacity, SLOT_WORDS, WASM_MAX_PAGES, WASM_PAGE, type ChipMemoryPlan } from './memory.js';
import { buildSynapseTable, type SynapseTable } from './synapse-table.js';
import { inputBounds, type InputBounds } from './input-bound.js';
import { deliverPlan, placeDeliverArena, type DeliverKernel, type DeliverPlan, type PlacedArena } from './deliver-wasm.js';
import { buildFanOuts, deliveryRows, deliverSent, inboxRouteCount, routeOps, routeTables, sentSpikes, type FanOuts, type RouteTables, type SentSpikes } from './fan-out.js';
import { StepTiming } from './timing.js';
import type { ChipImage, CoreImage } from '../../isa/image/types.js';
import {
  COUNTER_NAMES,
  PHASE_NAMES,
  type CounterName,
  type Counters,
  type CreateEmulator,
  type Emulator,
  type NocStats,
  type RunOptions,
  type SpikeEvents,
  type Timing,
} from '../interface.js';

const COUNTERS = COUNTER_NAMES.length;
const PHASE_DELIVER = PHASE_NAMES.indexOf('deliver');
const PHASE_UPDATE = PHASE_NAMES.indexOf('update');
const PHASE_LEARN = PHASE_NAMES.indexOf('learn');
const counterIndex = (name: CounterName): number => COUNTER_NAMES.indexOf(name);
const SYNAPTIC_OPS = counterIndex('synaptic_ops');
const ACTIVE = counterIndex('neuron_updates_active');
const INACTIVE = counterIndex('neuron_updates_inactive');
const SPIKES = counterIndex('spikes');
const INPUT_SPIKES = counterIndex('input_spikes');
const PACKETS = counterIndex('packets');
const HOPS_EW = counterIndex('hops_east_west');
const HOPS_NS = counterIndex('hops_north_south');
const HOPS_CHIP = counterIndex('hops_chip_to_chip');
/** The counters of CpuEmulatorImpl.denseCounters, and each one's index there. */
const DENSE_COUNTERS = [ACTIVE, INACTIVE, SYNAPTIC_OPS];
const DENSE_ACTIVE = 0;
const DENSE_INACTIVE = 1;
const DENSE_OPS = 2;
/** The counters the step loop writes; the learn phase (learning.ts) writes the others, so an image without learning logs only these per step. */
const STEP_COUNTERS = [SYNAPTIC_OPS, ACTIVE, INACTIVE, SPIKES, INPUT_SPIKES, PACKETS, HOPS_EW, HOPS_NS, HOPS_CHIP];

/** Group kinds in the flattened group table (a number, so the update loops stay monomorphic). */
const GROUP_NEURONS = 0;
const GROUP_POISSON = 1;
const GROUP_PERIODIC = 2;
/** Spikes from a list: a file's (in the image) or the host's (setExternalInput). */
const GROUP_SPIKE_LIST = 3;

const NO_SPIKES = new Uint32Array(0);

/** Initial capacity of the step-indexed logs (cycles, latency, per-step counters); they grow by doubling. */
const INITIAL_LOG = 1024;

/** One core's groups as parallel typed arrays; a field that does not apply to a kind is 0. */
interface GroupTable {
  readonly count: number;
  readonly kind: Uint8Array;
  readonly first: Int32Array;
  readonly size: Int32Array;
  readonly du: Int32Array;
  readonly duInh: Int32Array;
  readonly dv: Int32Array;
  readonly vth: Int32Array;
  readonly reset: Int32Array;
  readonly bias: Int32Array;
  readonly refractory: Int32Array;
  readonly thetaPlus: Int32Array;
  readonly dTheta: Int32Array;
  /** Poisson: the u32 threshold, kept as a double so that values >= 2^31 stay positive. */
  readonly threshold: Float64Array;
  /** Poisson: the global input index of the group's first neuron. */
  readonly inputIndex: Int32Array;
  readonly period: Int32Array;
  readonly phase: Int32Array;
  /** Spike lists: group-local neuron listNeurons[g][i] spikes at step listSteps[g][i], sorted by step; listNext[g] is the first not yet sent. */
  readonly listSteps: Uint32Array[];
  readonly listNeurons: Uint32Array[];
  readonly listNext: Int32Array;
  /** Whether the group is fed by the host (encoding = external). */
  readonly external: Uint8Array;
}

/**
 * Neuron state a core can be given instead of allocating its own: the threaded
 * engine (emulator/cpu/threaded.ts) puts it in shared memory so that workers and
 * the main thread see the same arrays.
 */
export interface CpuCoreMemory {
  readonly uE: Int32Array;
  readonly uI: Int32Array;
  readonly v: Int32Array;
  readonly theta: Int32Array;
  readonly ref: Int32Array;
  readonly accum: Int32Array;
  readonly accumInh: Int32Array;
  readonly spiked: Uint32Array;
}

/**
 * Every core's neuron state in one array per field (CpuCore's arrays are views
 * into them): with thousands of small cores, a step over per-core arrays spent
 * its time fetching each core's dozen array objects, not on the neurons.
 * Core c's neurons start at stateStart[c], its accumulators at accumStart[c]
 * (CpuChipLayout, with a gap after a large core's part: memory.ts coreGap);
 * cpuCoreViews gives one core's part, the same record.
 */
export interface CpuChipMemory extends CpuCoreMemory {
  /** The WebAssembly memory the arrays are views into: the SIMD neuron kernel (lif-simd.ts) works on them in place. */
  readonly memory: WebAssembly.Memory;
  /** Per core, TABLE_WORDS words, and per group, GROUP_WORDS: the table kernel's arguments (lif-simd.ts). */
  readonly table: Int32Array;
  readonly groupTable: Int32Array;
  /** Per core, STATS_WORDS words: its step's spikes, active and inactive updates, input spikes (lif-simd.ts STAT_*), as CpuChipCompute.run leaves them. */
  readonly stats: Int32Array;
  /** The byte offset of the room after the arrays (`arenaBytes` of cpuChipMemory): the delivery kernel's tables (deliver-wasm.ts). */
  readonly arenaStart: number;
}

export interface CpuChipLayout {
  /** Per core (and one past the last): where its part of each state array starts, and of the delay slots; a part is n[c] (or n[c] slots[c]) long, and may be followed by free slots (memory.ts coreGap). */
  readonly stateStart: Int32Array;
  readonly accumStart: Int32Array;
  /** Per core: neurons n and delay slots (memory.ts cpuCoreShape). */
  readonly n: Int32Array;
  readonly slots: Int32Array;
  /** Core c's groups are the chip's groups groupStart[c] .. groupStart[c + 1] - 1 (in the table of groups, lif-simd.ts). */
  readonly groupStart: Int32Array;
  readonly neurons: number;
  readonly accums: number;
}

export function cpuChipLayout(image: ChipImage): CpuChipLayout {
  const cores = image.cores.length;
  const stateStart = new Int32Array(cores + 1);
  const accumStart = new Int32Array(cores + 1);
  const n = new Int32Array(cores);
  const slots = new Int32Array(cores);
  const groupStart = new Int32Array(cores + 1);
  image.cores.forEach((core, c) => {
    const shape = cpuCoreShape(core);
    n[c] = shape.n;
    slots[c] = shape.slots;
    stateStart[c + 1] = stateStart[c] + shape.stateSlots;
    accumStart[c + 1] = accumStart[c] + shape.accumSlots;
    groupStart[c + 1] = groupStart[c] + core.groups.length;
  });
  return { stateStart, accumStart, n, slots, groupStart, neurons: stateStart[cores], accums: accumStart[cores] };
}

/** Where the chip memory holds `layout`'s state arrays (memory.ts chipMemoryPlan). */
const layoutMemoryPlan = (layout: CpuChipLayout): ChipMemoryPlan => chipMemoryPlan(layout.neurons, layout.accums, layout.n.length, layout.groupStart[layout.n.length]);

/**
 * The chip's state arrays, zeroed, as views into one WebAssembly memory
 * (memory.ts chipMemoryPlan), with `arenaBytes` of room after them (whole
 * pages, at arenaStart): shared between threads for the threaded engine,
 * plain otherwise.
 */
export function cpuChipMemory(layout: CpuChipLayout, shared: boolean, arenaBytes = 0): CpuChipMemory {
  const plan = layoutMemoryPlan(layout);
  const { starts, lengths } = plan;
  const pages = plan.pages + Math.ceil(arenaBytes / WASM_PAGE);
  if (pages > WASM_MAX_PAGES) {
    throw new RangeError(`the chip's neuron state, delay slots and delivery tables need ${pages} pages of 64 KiB; the CPU backend holds them in one WebAssembly memory of at most ${WASM_MAX_PAGES} (4 GiB)`);
  }
  const memory = new WebAssembly.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages, maximum: pages });
  const view = (k: number): Int32Array => new Int32Array(memory.buffer, starts[k], lengths[k]);
  return {
    memory,
    uE: view(0),
    uI: view(1),
    v: view(2),
    theta: view(3),
    ref: view(4),
    accum: view(5),
    accumInh: view(6),
    spiked: new Uint32Array(memory.buffer, starts[7], lengths[7]),
    table: view(8),
    groupTable: view(9),
    stats: view(10),
    arenaStart: plan.pages * WASM_PAGE,
  };
}

/**
 * The delivery kernel's arena for `fan` (deliver-wasm.ts) with `lists` sent lists, where some core is
 * delivered by source and the arena fits the chip memory beside the state (`maxPages`, 4 GiB); otherwise
 * none, and delivery by source runs in JavaScript (deliverSent).
 */
export function deliveryArenaPlan(layout: CpuChipLayout, fan: FanOuts, routes: RouteTables, lists: number, maxPages = WASM_MAX_PAGES): DeliverPlan | undefined {
  if (!fan.any) return undefined;
  const plan = deliverPlan(fan, routes, layout.neurons, lists);
  return layoutMemoryPlan(layout).pages + Math.ceil(plan.bytes / WASM_PAGE) <= maxPages ? plan : undefined;
}

/**
 * The chip memory (`shared` for the threaded engine) with, where deliveryArenaPlan finds room, the
 * delivery kernel's arena placed in it: `fan`'s and `routes`' tables and `lists` sent lists.
 */
export function cpuChipMemoryWithArena(layout: CpuChipLayout, shared: boolean, fan: FanOuts, routes: RouteTables, lists: number): { readonly chip: CpuChipMemory; readonly arena: PlacedArena | undefined } {
  const plan = deliveryArenaPlan(layout, fan, routes, lists);
  const chip = cpuChipMemory(layout, shared, plan?.bytes ?? 0);
  const arena = plan === undefined ? undefined : placeDeliverArena(plan, fan, routes, chip.memory, chip.arenaStart, chip.accum, chip.accumInh);
  return { chip, arena };
}

/** Core c's part of the chip's state arrays. */
export function cpuCoreViews(chip: CpuChipMemory, layout: CpuChipLayout, c: number): CpuCoreMemory {
  const s0 = layout.stateStart[c];
  const s1 = s0 + layout.n[c];
  const a0 = layout.accumStart[c];
  const a1 = a0 + layout.n[c] * layout.slots[c];
  return {
    uE: chip.uE.subarray(s0, s1),
    uI: chip.uI.subarray(s0, s1),
    v: chip.v.subarray(s0, s1),
    theta: chip.theta.subarray(s0, s1),
    ref: chip.ref.subarray(s0, s1),
    accum: chip.accum.subarray(a0, a1),
    accumInh: chip.accumInh.subarray(a0, a1),
    spiked: chip.spiked.subarray(s0, s1),
  };
}

/** The state and the read-only tables of one core. One object per core, never per neuron. */
export class CpuCore {
  readonly n: number;
  /** Delay slots D: the largest delay + 1, at least 2. */
  readonly slots: number;
  /** Excitatory and inhibitory synaptic currents, voltage, adaptive threshold (isa/fixed.ts NEURON_UPDATE_ORDER). */
  readonly uE: Int32Array;
  readonly uI: Int32Array;
  readonly v: Int32Array;
  readonly theta: Int32Array;
  readonly ref: Int32Array;
  /** accum[slot * n + neuron], wrapping i32 sums of the non-negative weights; accumInh likewise of the negative ones. */
  readonly accum: Int32Array;
  readonly accumInh: Int32Array;
  readonly spikeCount: Uint32Array;
  /** Slots that spiked in the current step, ascending. */
  readonly spiked: Uint32Array;
  /** Out-parameters of the step kernels (emulator/cpu/kernels.ts): [spike count, active updates]. */
  readonly scratch = new Int32Array(2);
  /**
   * The general update path's counts so far in the current step (cpuLifStep, cpuInputStep): spikes
   * in `spiked`, neuron updates. The step's totals are in the chip's stats (CpuChipMemory.stats).
   */
  spikedCount = 0;
  stepActive = 0;
  stepInactive = 0;
  readonly groups: GroupTable;
  /** The synapses as delivery reads them (synapse-table.ts). */
  readonly table: SynapseTable;
  /** The table's words and axon tables: a core of an image that learns always keeps its words (the learn phase rewrites them). */
  readonly axonStart: Uint32Array;
  readonly axonWeightExp: Uint8Array;
  readonly synapses: Uint32Array;
  /**
   * Routes of each slot: routeAxon[routeStart[i] .. routeStart[i + 1]] (the
   * image's arrays). A route's hops are computed when it is sent, from the
   * two cores' positions; its target core, synapse count and weight are in the
   * fan-out (fan-out.ts); its axon is read only when its target keeps an inbox.
   */
  readonly routeStart: Uint32Array;
  readonly routeAxon: Uint16Array;
  /** Cycles of this step's learn phase on this core: the learn phase adds to it; step() resets it and times it. */
  stepLearnCycles = 0;
  /** Running totals, indexed like COUNTER_NAMES (a view into the emulator's table of every core's, when it gives one). */
  readonly counters: Float64Array;
  readonly record: boolean;

  /** `slots`: the core's delay slots (cpuChipLayout); `table` its synapses (buildSynapseTable). */
  constructor(image: ChipImage, index: number, record: boolean, table: SynapseTable, slots: number, memory?: CpuCoreMemory, counters?: Float64Array) {
    const core = image.cores[index];
    this.counters = counters ?? new Float64Array(COUNTERS);
    this.n = core.neuronCount;
    this.slots = slots;
    this.uE = memory?.uE ?? new Int32Array(this.n);
    this.uI = memory?.uI ?? new Int32Array(this.n);
    this.v = memory?.v ?? new Int32Array(this.n);
    this.theta = memory?.theta ?? new Int32Array(this.n);
    this.ref = memory?.ref ?? new Int32Array(this.n);
    // The only non-zero initial state: per-neuron voltages the compiler drew.
    for (const g of core.groups) if (g.kind === 'neurons' && g.initV !== undefined) this.v.set(g.initV, g.first);
    this.accum = memory?.accum ?? new Int32Array(this.slots * this.n);
    this.accumInh = memory?.accumInh ?? new Int32Array(this.slots * this.n);
    this.spikeCount = new Uint32Array(this.n);
    this.spiked = memory?.spiked ?? new Uint32Array(this.n);
    this.groups = buildGroupTable(core);
    this.table = table;
    this.axonStart = table.axonStart;
    this.axonWeightExp = table.axonWeightExp;
    this.synapses = table.words;
    this.routeStart = core.routeStart;
    this.routeAxon = core.routeAxon;
    this.record = record;
  }
}

function buildGroupTable(core: CoreImage): GroupTable {
  const count = core.groups.length;
  const t: GroupTable = {
    count,
    kind: new Uint8Array(count),
    first: new Int32Array(count),
    size: new Int32Array(count),
    du: new Int32Array(count),
    duInh: new Int32Array(count),
    dv: new Int32Array(count),
    vth: new Int32Array(count),
    reset: new Int32Array(count),
    bias: new Int32Array(count),
    refractory: new Int32Array(count),
    thetaPlus: new Int32Array(count),
    dTheta: new Int32Array(count),
    threshold: new Float64Array(count),
    inputIndex: new Int32Array(count),
    period: new Int32Array(count),
    phase: new Int32Array(count),
    listSteps: Array.from({ length: count }, () => NO_SPIKES),
    listNeurons: Array.from({ length: count }, () => NO_SPIKES),
    listNext: new Int32Array(count),
    external: new Uint8Array(count),
  };
  core.groups.forEach((g, i) => {
    t.first[i] = g.first;
    t.size[i] = g.count;
    if (g.kind === 'neurons') {
      t.kind[i] = GROUP_NEURONS;
      t.du[i] = g.params.du;
      t.duInh[i] = g.params.duInh;
      t.dv[i] = g.params.dv;
      t.vth[i] = g.params.vth;
      t.reset[i] = g.params.reset;
      t.bias[i] = g.params.bias;
      t.refractory[i] = g.params.refractory;
      t.thetaPlus[i] = g.params.thetaPlus;
      t.dTheta[i] = g.params.dTheta;
    } else if (g.encoding.kind === 'spikes' || g.encoding.kind === 'external') {
      t.kind[i] = GROUP_SPIKE_LIST;
      if (g.encoding.kind === 'spikes') {
        t.listSteps[i] = g.encoding.steps;
        t.listNeurons[i] = g.encoding.neurons;
      } else t.external[i] = 1;
    } else if (g.encoding.kind === 'poisson') {
      t.kind[i] = GROUP_POISSON;
      t.threshold[i] = g.encoding.threshold >>> 0;
      t.inputIndex[i] = g.inputIndex;
    } else {
      t.kind[i] = GROUP_PERIODIC;
      t.period[i] = g.encoding.period;
      t.phase[i] = g.encoding.phase;
    }
  });
  return t;
}

/**
 * Phase 1, deliver, on accumulators that start at `at` in accum/accumInh (a
 * core's part of the chip's arrays): adds every synapse of every arrived packet's axon into the
 * delay slot it is due in. A packet arrived at step t was sent at t - 1, so a
 * delay d lands in the update of step t - 1 + d: `sent` is (t - 1) mod D, and
 * `row` the first accumulator of the one delay slot when the core's synapses
 * share a delay (deliverCore). (The synaptic ops are counted when the packets
 * are sent.)
 */
function cpuDeliver(
  accum: Int32Array,
  accumInh: Int32Array,
  at: number,
  n: number,
  slots: number,
  sent: number,
  row: number,
  axonStart: Uint32Array,
  axonWeightExp: Uint8Array,
  uniformDelay: number,
  synapses: Uint32Array,
  inbox: Uint16Array,
  start: number,
  count: number,
): void {
  for (let p = start; p < start + count; p++) {
    const a = inbox[p];
    const exp = axonWeightExp[a];
    const first = axonStart[a];
    const end = axonStart[a + 1];
    if (uniformDelay !== 0) {
      for (let s = first; s < end; s++) {
        const word = synapses[s];
        const i = row + synapseTarget(word);
        // The weight's sign picks the current it feeds (isa/fixed.ts): excitatory or inhibitory.
        const w = synapseWeight(word) << exp;
        if (w >= 0) accum[i] = (accum[i] + w) | 0;
        else accumInh[i] = (accumInh[i] + w) | 0;
      }
    } else {
      for (let s = first; s < end; s++) {
        const word = synapses[s];
        let slot = sent + synapseDelay(word);
        if (slot >= slots) slot -= slots;
        const i = at + slot * n + synapseTarget(word);
        const w = synapseWeight(word) << exp;
        if (w >= 0) accum[i] = (accum[i] + w) | 0;
        else accumInh[i] = (accumInh[i] + w) | 0;
      }
    }
  }
}

/** Phase 1 for one core that delivers for itself (synapse-table.ts): its arrived packets into the delay slots. */
function deliverCore(accum: Int32Array, accumInh: Int32Array, at: number, n: number, slots: number, table: SynapseTable, t: number, inbox: Uint16Array, start: number, count: number): void {
  // (t - 1 + d) mod D with 1 <= d < D, without a division per synapse.
  const sent = (t - 1) % slots;
  // One delay for the whole core (usually): one delay slot, found once.
  let slot = sent + table.uniformDelay;
  if (slot >= slots) slot -= slots;
  const row = at + slot * n;
  cpuDeliver(accum, accumInh, at, n, slots, sent, row, table.axonStart, table.axonWeightExp, table.uniformDelay, table.words, inbox, start, count);
}

/**
 * Phase 2 for one `neurons` group: the fixed-point CUBA LIF / IF / ALIF update in
 * the order of isa/fixed.ts (NEURON_UPDATE_ORDER). Reads and clears the step's
 * delay slot, appends spiking slots to core.spiked and tallies active and
 * inactive updates.
 */
function cpuLifStep(core: CpuCore, g: number, t: number): void {
  const { uE, uI, v, theta, ref, accum, accumInh, spiked, groups } = core;
  const base = (t % core.slots) * core.n;
  const du = groups.du[g];
  const duInh = groups.duInh[g];
  const dv = groups.dv[g];
  const vth = groups.vth[g];
  const reset = groups.reset[g];
  const bias = groups.bias[g];
  const refractory = groups.refractory[g];
  const thetaPlus = groups.thetaPlus[g];
  const dTheta = groups.dTheta[g];
  const end = groups.first[g] + groups.size[g];
  if (thetaPlus === 0) {
    // No adaptation: theta stays 0 (emulator/cpu/kernels.ts), the same arithmetic without it.
    const out = core.scratch;
    out[0] = core.spikedCount;
    lifStepPlain(uE, uI, v, ref, accum, accumInh, spiked, out, base, groups.first[g], end, du, duInh, dv, vth, reset, bias, refractory, 0);
    core.spikedCount = out[0];
    core.stepActive += out[1];
    core.stepInactive += end - groups.first[g] - out[1];
    return;
  }
  let active = 0;
  let spikedCount = core.spikedCount;
  for (let i = groups.first[g]; i < end; i++) {
    const inE = accum[base + i];
    const inI = accumInh[base + i];
    accum[base + i] = 0;
    accumInh[base + i] = 0;
    const e0 = uE[i];
    const i0 = uI[i];
    const v0 = v[i];
    const th0 = theta[i];
    const r = ref[i];
    if ((e0 | i0 | v0 | th0 | inE | inI | bias | r) !== 0) active++;
    // Inputs are clamped first, so every sum stays inside 32 bits (isa/fixed.ts): WGSL agrees.
    const e1 = clampState(decay(e0, du) + clampState(inE));
    const i1 = clampState(decay(i0, duInh) + clampState(inI));
    let v1 = clampState(decay(v0, dv) + e1 + i1 + bias);
    let th1 = decay(th0, dTheta);
    if (r > 0) {
      v1 = reset;
      ref[i] = r - 1;
    } else if (v1 - th0 >= vth) {
      spiked[spikedCount++] = i;
      v1 = reset;
      ref[i] = refractory;
      th1 += thetaPlus;
      if (th1 > STATE_MAX) th1 = STATE_MAX;
    }
    uE[i] = e1;
    uI[i] = i1;
    v[i] = v1;
    theta[i] = th1;
  }
  core.spikedCount = spikedCount;
  core.stepActive += active;
  core.stepInactive += end - groups.first[g] - active;
}

/** Phase 2 for one input group: Poisson, periodic or listed spikes, no neuron state. Returns the spikes. */
function cpuInputStep(core: CpuCore, g: number, t: number, seed: number): number {
  const { spiked, groups } = core;
  const first = groups.first[g];
  const size = groups.size[g];
  const before = core.spikedCount;
  let spikedCount = before;
  const kind = groups.kind[g];
  if (kind === GROUP_POISSON) {
    const threshold = groups.threshold[g];
    const inputIndex = groups.inputIndex[g];
    for (let k = 0; k < size; k++) {
      if (random32(seed, STREAM.poisson, t, inputIndex + k) < threshold) spiked[spikedCount++] = first + k;
    }
  } else if (kind === GROUP_SPIKE_LIST) {
    // Sorted by (step, neuron), each pair once: a slot spikes at most once per step.
    const steps = groups.listSteps[g];
    const neurons = groups.listNeurons[g];
    let next = groups.listNext[g];
    while (next < steps.length && steps[next] < t) next++;
    while (next < steps.length && steps[next] === t) spiked[spikedCount++] = first + neurons[next++];
    groups.listNext[g] = next;
  } else {
    const phase = groups.phase[g];
    if (t >= phase && (t - phase) % groups.period[g] === 0) {
      for (let k = 0; k < size; k++) spiked[spikedCount++] = first + k;
    }
  }
  core.spikedCount = spikedCount;
  return spikedCount - before;
}

/** Group kinds of CpuChipCompute's table: a LIF group without adaptation (the kernel), anything else (the general path). */
const FLAT_PLAIN = 0;
const FLAT_OTHER = 1;
/** Per group in CpuChipCompute's parameter table: first, end, du, duInh, dv, vth, reset, bias, refractory. */
const FLAT_PARAMS = 9;

/** The first k with sorted[k] >= x (sorted.length if none). */
function firstAtLeast(sorted: Int32Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Phases 1 and 2 of step t for a range of cores whose state lives in the chip's
 * arrays (CpuChipMemory): each core delivers its arrived packets, then updates
 * every group in order, leaving the step's spikes in core.spiked and its counts
 * in the chip's stats (CpuChipMemory.stats: spikes, updates, input spikes). A core
 * touches nothing outside itself, so cores can run in any order or in parallel.
 * The common group, LIF without adaptation, runs the kernel on the chip's arrays
 * with its parameters from one flat table; other groups take the general path
 * (cpuLifStep, cpuInputStep) through the core's views.
 */
export class CpuChipCompute {
  private readonly cores: readonly CpuCore[];
  private readonly first: number;
  private readonly chip: CpuChipMemory;
  private readonly layout: CpuChipLayout;
  /** Per core (from `first`): its groups are groupKind[groupStart[c]..groupStart[c + 1]). */
  private readonly groupStart: Int32Array;
  private readonly groupKind: Uint8Array;
  private readonly groupIndex: Int32Array;
  private readonly params: Int32Array;
  private readonly out = new Int32Array(2);
  /** The plain LIF groups' update: the SIMD kernel over the chip memory (lif-simd.ts), a group a call. */
  private readonly lifPlain: LifStep;
  /**
   * The cores that are one plain group: updated in one call over their entries in the chip's table of
   * cores (a call per core cost more than its neurons where cores hold a few: CUBA 40,000 at 0.1 ms).
   */
  private readonly lifTable: LifTable;
  private readonly tabled: Uint8Array;
  /** The cores (ascending, indices into ChipImage.cores) that run() visits: those not in the table, and those that keep an inbox. */
  private readonly irregular: Int32Array;
  /** Delivery by source (fan-out.ts): every core's fan-out and routes, the previous step's spikes, and per core its delay slot row of this step. */
  private readonly fan: FanOuts;
  private readonly routes: RouteTables;
  private readonly rows: Int32Array;
  /** Delivery by source in WebAssembly (deliver-wasm.ts) where the engine placed its tables in the chip memory: it reads the sent list there. */
  private readonly deliver: DeliverKernel | undefined;

  /**
   * `cores[k]` is core first + k; its arrays must be views into `chip` as `layout` places them (cpuCoreViews).
   * `bounds`: per group of the chip, the most its neurons' delay slots can hold in a step (input-bound.ts inputBounds).
   */
  constructor(cores: readonly CpuCore[], first: number, chip: CpuChipMemory, layout: CpuChipLayout, fan: FanOuts, routes: RouteTables, bounds: InputBounds, deliver?: DeliverKernel) {
    this.cores = cores;
    this.first = first;
    this.chip = chip;
    this.layout = layout;
    this.fan = fan;
    this.routes = routes;
    this.deliver = deliver;
    this.rows = deliver?.rows ?? new Int32Array(layout.n.length);
    const kernels = lifSimdKernels(chip);
    this.lifPlain = kernels.step;
    this.lifTable = kernels.table;
    this.tabled = new Uint8Array(cores.length);
    let total = 0;
    for (const core of cores) total += core.groups.count;
    this.groupStart = new Int32Array(cores.length + 1);
    this.groupKind = new Uint8Array(total);
    this.groupIndex = new Int32Array(total);
    this.params = new Int32Array(total * FLAT_PARAMS);
    let k = 0;
    cores.forEach((core, i) => {
      const g = core.groups;
      for (let j = 0; j < g.count; j++, k++) {
        this.groupIndex[k] = j;
        const plain = g.kind[j] === GROUP_NEURONS && g.thetaPlus[j] === 0;
        this.groupKind[k] = plain ? FLAT_PLAIN : FLAT_OTHER;
        const at = k * FLAT_PARAMS;
        const row = [g.first[j], g.first[j] + g.size[j], g.du[j], g.duInh[j], g.dv[j], g.vth[j], g.reset[j], g.bias[j], g.refractory[j]];
        for (let q = 0; q < FLAT_PARAMS; q++) this.params[at + q] = row[q];
      }
      this.groupStart[i + 1] = k;
      // A core whose groups are all plain and not empty goes to the table kernel, each group at its place in the chip's groups.
      let plain = g.count > 0;
      for (let j = 0; j < g.count; j++) plain &&= g.size[j] > 0 && this.groupKind[this.groupStart[i] + j] === FLAT_PLAIN;
      if (plain) {
        const c = first + i;
        const s0 = layout.stateStart[c];
        const g0 = layout.groupStart[c];
        this.tabled[i] = 1;
        for (let j = 0; j < g.count; j++) {
          setGroupEntry(chip.groupTable, g0 + j, s0 + g.first[j], s0 + g.first[j] + g.size[j], g.du[j], g.duInh[j], g.dv[j], g.vth[j], g.reset[j], g.bias[j], g.refractory[j], bounds.excitatory[g0 + j], bounds.inhibitory[g0 + j]);
        }
        setTableEntry(chip.table, c, g0, g0 + g.count, s0, layout.accumStart[c] - s0, layout.n[c], layout.slots[c]);
      }
    });
    this.irregular = Int32Array.from(cores.keys()).filter((i) => this.tabled[i] === 0 || fan.delay[first + i] === 0).map((i) => first + i);
  }

  /**
   * Phases 1 and 2 of step t for cores [from, to) (indices into ChipImage.cores,
   * within this compute's range): the `sentCount` spikes of step t - 1 in the
   * sent list `sent` to cores delivered by source, then per core its inbox and
   * update.
   */
  run(from: number, to: number, t: number, inbox: Uint16Array, inboxStart: Int32Array, counts: Int32Array, seed: number, sent: SentSpikes, sentCount: number): void {
    const { accum, accumInh } = this.chip;
    const { stateStart, accumStart, n: ns, slots: slotCounts } = this.layout;
    const { groupStart, groupKind, groupIndex, params, out, cores, first, lifPlain, tabled, irregular } = this;
    const stats = this.chip.stats;
    // A thread without cores this step (the threaded engine's main thread, often) has nothing to deliver.
    if (sentCount > 0 && to > from && this.fan.any) {
      const deliver = this.deliver;
      if (deliver !== undefined && deliver.reads(sent)) {
        deliveryRows(this.fan, from, to, t, this.layout, this.rows);
        deliver.run(sent, sentCount, from, to);
      } else deliverSent(this.fan, this.routes, sent, sentCount, from, to, t, this.layout, accum, accumInh, this.rows);
    }
    for (let k = firstAtLeast(irregular, from); k < irregular.length && irregular[k] < to; k++) {
      const c = irregular[k];
      const core = cores[c - first];
      const n = ns[c];
      const slots = slotCounts[c];
      const s0 = stateStart[c];
      const a0 = accumStart[c];
      const count = counts[c];
      if (count > 0) deliverCore(accum, accumInh, a0, n, slots, core.table, t, inbox, inboxStart[c], count);
      if (tabled[c - first] === 1) continue;
      // The kernel indexes state by global slot i = s0 + local and the delay slot by base + i.
      const base = a0 + (t % slots) * n - s0;
      let spikedCount = 0;
      let active = 0;
      let inactive = 0;
      let inputSpikes = 0;
      for (let k = groupStart[c - first]; k < groupStart[c - first + 1]; k++) {
        const at = k * FLAT_PARAMS;
        if (groupKind[k] === FLAT_PLAIN) {
          const lo = params[at];
          const hi = params[at + 1];
          out[0] = s0 + spikedCount;
          lifPlain(out, base, s0 + lo, s0 + hi, params[at + 2], params[at + 3], params[at + 4], params[at + 5], params[at + 6], params[at + 7], params[at + 8], s0);
          spikedCount = out[0] - s0;
          active += out[1];
          inactive += hi - lo - out[1];
          continue;
        }
        core.spikedCount = spikedCount;
        core.stepActive = active;
        core.stepInactive = inactive;
        const g = groupIndex[k];
        if (core.groups.kind[g] === GROUP_NEURONS) cpuLifStep(core, g, t);
        else inputSpikes += cpuInputStep(core, g, t, seed);
        spikedCount = core.spikedCount;
        active = core.stepActive;
        inactive = core.stepInactive;
      }
      const at = c * STATS_WORDS;
      stats[at + STAT_SPIKES] = spikedCount;
      stats[at + STAT_ACTIVE] = active;
      stats[at + STAT_INACTIVE] = inactive;
      stats[at + STAT_INPUTS] = inputSpikes;
    }
    // The cores whose groups are all plain, in one call, which writes their stats.
    this.lifTable(from, to, t);
  }
}

/** Where a slot's sums lie in its SLOT_WORDS (slotSums). */
const SLOT_EW = 0;
const SLOT_NS = 1;
const SLOT_CHIP = 2;
const SLOT_OPS = 3;

/**
 * Per core, per slot: what a spike of it sends, summed over its routes (SLOT_WORDS each): the hops east-west,
 * north-south and chip-to-chip, as isa/profile.ts routeHops counts them, and the synaptic ops on the target cores.
 * Routes never change, so a spike's sums are its slot's: send adds them once a spike (a route's four position reads
 * were a tenth of a CUBA step at 4,000 neurons and 1 ms, docs/performance-log.md item (xx); its ops, read and added per
 * route, most of what send did per packet, tenth session).
 */
function routeSumsBySlot(image: ChipImage, fan: FanOuts, tables: readonly SynapseTable[]): Int32Array[] {
  const positions = image.cores.map((core) => corePosition(image.profile, core.slot));
  return image.cores.map((core, c) => {
    const { routeStart, routeCore, routeAxon } = core;
    const sums = new Int32Array(SLOT_WORDS * (routeStart.length - 1));
    for (let i = 0; i + 1 < routeStart.length; i++) {
      for (let r = routeStart[i]; r < routeStart[i + 1]; r++) {
        const d = routeCore[r];
        const h = hopsBetween(positions[c], positions[d]);
        sums[SLOT_WORDS * i + SLOT_EW] += h.eastWest;
        sums[SLOT_WORDS * i + SLOT_NS] += h.northSouth;
        sums[SLOT_WORDS * i + SLOT_CHIP] += h.chipToChip;
        sums[SLOT_WORDS * i + SLOT_OPS] += routeOps(fan.cores[c], fan.crossbar, fan.delay, tables, routeAxon, r, d);
      }
    }
    return sums;
  });
}

export class CpuEmulatorImpl implements CpuEmulator {
  readonly backend = 'cpu' as const;
  private readonly profile: ChipProfile;
  private readonly symbols: ChipImage['symbols'];
  /** The learn phase; undefined for an image without learning. */
  protected readonly learning: CpuLearning | undefined;
  protected readonly cores: readonly CpuCore[];
  /** Every core's running counters, core-major (CpuCore.counters are views), but those in denseCounters. */
  private readonly counterTable: Float64Array;
  /**
   * The counters every core adds to every step (DENSE_COUNTERS), counter-major: counter DENSE_COUNTERS[j]
   * of core c at j * cores + c, so that a step's adds run along one array (a core's row of counterTable a
   * step was a cache miss a core at CUBA 40,000). CpuCore.counters holds 0 for them; counters() joins them.
   */
  private readonly denseCounters: Float64Array;
  /** Phases 1 and 2 over the chip's state arrays, and where each core's part of them lies. */
  protected readonly compute: CpuChipCompute;
  /** Per group of the chip: the most its neurons' delay slots can hold in a step (inputBounds); the threaded engine's workers take them too. */
  protected readonly inputBounds: InputBounds;
  protected readonly layout: CpuChipLayout;
  /** Per core: the step's spikes, updates and input spikes, as compute leaves them (CpuChipMemory.stats). */
  private readonly stats: Int32Array;
  protected readonly seed: number;
  /**
   * Packets in flight to the cores that keep an inbox (fan-out.ts), as
   * destination axons: the inbox of core c is
   * [inboxStartNow[c], inboxStartNow[c] + countNow[c]), packed by target core
   * after each step's send (fillInbox), so it holds the step's packets rather
   * than a place for every route (a random write into a table of every route
   * per packet was a cache and TLB miss each).
   */
  protected inboxNow: Uint16Array;
  protected inboxNext: Uint16Array;
  protected countNow: Int32Array;
  protected countNext: Int32Array;
  protected inboxStartNow: Int32Array;
  protected inboxStartNext: Int32Array;
  /** This step's packets to cores that keep an inbox, target core and axon (packed into inboxNext by fillInbox), grown by doubling; per core: fillInbox's cursor. */
  private inboxPackets = 0;
  private inboxDst: Uint16Array;
  private inboxAxon: Uint16Array;
  private readonly inboxFill: Int32Array;
  /** Step timing (timing.ts): the NoC and the deliveries, from the sent list. */
  protected readonly stepTiming: StepTiming;
  private readonly tick: number;
  /** Per core: this step's learn cycles, as the timing reads them. */
  private readonly learnCycles: Float64Array;
  /**
   * Per core, per slot s: its routes' hops and synaptic ops at SLOT_WORDS s (routeSumsBySlot).
   * A spike sends every route of its slot, so send adds them once a spike.
   */
  private readonly slotSums: readonly Int32Array[];
  /** The steps run when each core's synaptic ops (denseCounters) were last worked out from the spike counts (opsByCore). */
  private opsAtStep = 0;
  /** Every core's synaptic tables, for opsByCore. */
  private readonly synapseTables: readonly SynapseTable[];
  /** Delivery by source (fan-out.ts): each core's routes' synapses, and this step's spikes as sent (the next step delivers them). */
  protected readonly fan: FanOuts;
  /** The sent list this step's send writes (the threaded engine alternates two), and its length. */
  protected sent: SentSpikes;
  protected sentCount = 0;
  /** The image's words (synapses() of a core delivered by source: it does not learn, so they are its synapses). */
  private readonly imageWords: readonly Uint32Array[];
  /** Per core: this step's update cycles (its packets are ready then; the timing reads them; the threaded engine alternates two). */
  protected coreUpdate: Float64Array;
  /**
   * Per core: its learn phase's busy cycles over the run. The update and deliver phases' are its
   * update and synaptic op counters times their cycles (phaseCyclesByCore), exactly, as whole
   * numbers below 2^53.
   */
  private readonly learnCyclesTotal: Float64Array;
  protected t = 0;
  private cycles = new Float64Array(INITIAL_LOG);
  /** Per step: work + barrier before the tick floor (equal to cycles[t] on a chip without a tick). */
  private latency = new Float64Array(INITIAL_LOG);
  /**
   * Per-step chip-wide counter totals, step-major, of the counters in `logged`
   * (every counter when the image learns, STEP_COUNTERS otherwise: half the
   * bytes a step writes, and a step at 0.1 ms wrote its log into fresh pages
   * for about 0.5 us); stepCounters() gives every counter. `lastTotals` is the
   * running sum at the end of the previous step.
   */
  private readonly logged: Int32Array;
  private stepLog: Float64Array;
  private readonly lastTotals = new Float64Array(COUNTERS);
  /**
   * Chip-wide running totals of the counters the step loop writes
   * (STEP_COUNTERS), added where the per-core table is: the log reads them
   * instead of summing every core's row each step (a strided pass over the
   * table per counter, the largest line of a step at 40,000 neurons).
   */
  private readonly stepTotals = new Float64Array(COUNTERS);
  /** Per logged counter: 1 where stepTotals holds its total (the learn phase's counters are summed from the table). */
  private readonly loggedFromTotals: Uint8Array;
  private readonly events = new EventLog();
  private disposed = false;
  /** arenaOverheadBytes(). */
  private readonly arenaOverhead: number;

  /** `packetCapacity`: the packet buffers' starting size (default initialPacketCapacity; tests start them small to exercise growth). */
  /** `memory`: the chip's state arrays (the threaded engine's are shared), by default plain ones. */
  /** `tables`, `fan`, `sent`: every core's synapse table, the fan-out tables and the sent list (the threaded engine's are in shared memory), by default built here. */
  /** `arena`: where the threaded engine placed the delivery kernel's tables in `memory` (by default, with no `memory`, `fan` or `sent` given, placed here wherever the kernel can deliver). */
  constructor(
    image: ChipImage,
    options: RunOptions,
    memory?: CpuChipMemory,
    packetCapacity: number = initialPacketCapacity(image),
    tables?: readonly SynapseTable[],
    fan?: FanOuts,
    sent?: SentSpikes,
    arena?: PlacedArena,
  ) {
    assertRunnableImage(image, options);
    this.profile = image.profile;
    this.symbols = image.symbols;
    this.seed = options.seed >>> 0;
    const layout = cpuChipLayout(image);
    this.layout = layout;
    const learns = image.learning !== undefined;
    const builtFan = fan ?? buildFanOuts(image);
    const builtRoutes = routeTables(image);
    // One thread, tables built here: delivery by source runs in WebAssembly over copies of them in the chip memory.
    const own = memory === undefined && fan === undefined && sent === undefined ? cpuChipMemoryWithArena(layout, false, builtFan, builtRoutes, 1) : undefined;
    const chip = memory ?? own?.chip ?? cpuChipMemory(layout, false);
    const placed = arena ?? own?.arena;
    this.fan = placed?.fan ?? builtFan;
    this.arenaOverhead = placed?.overheadBytes ?? 0;
    const synapseTables = tables ?? image.cores.map((core, c) => buildSynapseTable(core, learns, this.fan.delay[c]));
    this.counterTable = new Float64Array(image.cores.length * COUNTERS);
    this.denseCounters = new Float64Array(image.cores.length * DENSE_COUNTERS.length);
    this.cores = image.cores.map(
      (_, c) =>
        new CpuCore(image, c, options.recordCores?.[c] === true, synapseTables[c], layout.slots[c], cpuCoreViews(chip, layout, c), this.counterTable.subarray(c * COUNTERS, (c + 1) * COUNTERS)),
    );
    this.sent = sent ?? placed?.sentLists[0] ?? sentSpikes(layout.neurons);
    this.imageWords = image.cores.map((core) => core.synapses);
    const routes = placed?.routes ?? builtRoutes;
    this.inputBounds = inputBounds(image, layout.groupStart);
    this.compute = new CpuChipCompute(this.cores, 0, chip, layout, this.fan, routes, this.inputBounds, placed?.kernel);
    this.stats = chip.stats;
    this.learning = image.learning === undefined ? undefined : new CpuLearning(image, image.learning, this.cores, this.seed);
    const capacity = Math.max(1, packetCapacity);
    // The inboxes hold one step's packets to cores that keep one: sized like the packet buffers, at most
    // every such route (none on a chip delivered by source), grown on demand (fillInbox, growInboxList).
    const inboxCapacity = Math.min(capacity, inboxRouteCount(this.fan));
    this.inboxNow = new Uint16Array(inboxCapacity);
    this.inboxNext = new Uint16Array(inboxCapacity);
    this.countNow = new Int32Array(image.cores.length);
    this.countNext = new Int32Array(image.cores.length);
    this.inboxStartNow = new Int32Array(image.cores.length + 1);
    this.inboxStartNext = new Int32Array(image.cores.length + 1);
    this.inboxDst = new Uint16Array(inboxCapacity);
    this.inboxAxon = new Uint16Array(inboxCapacity);
    this.inboxFill = new Int32Array(image.cores.length);
    this.stepTiming = new StepTiming(image, routes, this.fan, synapseTables, capacity);
    this.learnCycles = new Float64Array(image.cores.length);
    this.tick = image.profile.tickCycles;
    this.synapseTables = synapseTables;
    this.slotSums = routeSumsBySlot(image, this.fan, synapseTables);
    this.coreUpdate = new Float64Array(image.cores.length);
    this.learnCyclesTotal = new Float64Array(image.cores.length);
    this.logged = Int32Array.from(this.learning === undefined ? STEP_COUNTERS : COUNTER_NAMES.map((_, k) => k));
    this.stepLog = new Float64Array(INITIAL_LOG * this.logged.length);
    this.loggedFromTotals = Uint8Array.from(this.logged, (k) => (STEP_COUNTERS.includes(k) ? 1 : 0));
  }

  async run(steps: number): Promise<void> {
    this.assertLive();
    if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`steps must be a non-negative integer, got ${steps}`);
    if (this.t + steps > 0xffffffff) throw new RangeError('a run is limited to 2^32 steps (events store the step in 32 bits)');
    if (this.t + steps > this.cycles.length) this.cycles = grow(this.cycles, this.t + steps);
    if (this.t + steps > this.latency.length) this.latency = grow(this.latency, this.t + steps);
    if ((this.t + steps) * this.logged.length > this.stepLog.length) this.stepLog = grow(this.stepLog, (this.t + steps) * this.logged.length);
    for (let i = 0; i < steps; i++) this.step();
  }

  readonly stepsRun = (): number => this.t;

  counters(): Counters {
    this.opsByCore();
    const cores = this.cores.length;
    const byCore = this.cores.map((core, c) => {
      const counters = core.counters.slice();
      DENSE_COUNTERS.forEach((k, j) => {
        counters[k] = this.denseCounters[j * cores + c];
      });
      return counters;
    });
    const sum = new Float64Array(COUNTERS);
    for (const counters of byCore) for (let k = 0; k < COUNTERS; k++) sum[k] += counters[k];
    return { total: toRecord(sum), byCore: byCore.map(toRecord) };
  }

  stepCycles(): Float64Array {
    return this.cycles.slice(0, this.t);
  }

  timing(): Timing {
    return {
      stepLatencyCycles: this.latency.slice(0, this.t),
      barrierCycles: this.stepTiming.barrier,
      tickCycles: this.tick,
      phaseCyclesByCore: this.phaseCyclesByCore(),
      noc: this.nocStats(),
    };
  }

  /** Busy cycles per core and phase, [c * PHASE_NAMES.length + k]: the learn phase's as summed, the others' from the counters. */
  private phaseCyclesByCore(): Float64Array {
    this.opsByCore();
    const dense = this.denseCounters;
    const cyc = this.profile.cycles;
    const phases = PHASE_NAMES.length;
    const cores = this.cores.length;
    const out = new Float64Array(cores * phases);
    for (let c = 0; c < cores; c++) {
      out[c * phases + PHASE_UPDATE] = dense[DENSE_ACTIVE * cores + c] * cyc.neuron_update_active + dense[DENSE_INACTIVE * cores + c] * cyc.neuron_update_inactive;
      out[c * phases + PHASE_DELIVER] = dense[DENSE_OPS * cores + c] * cyc.synaptic_op;
      out[c * phases + PHASE_LEARN] = this.learnCyclesTotal[c];
    }
    return out;
  }

  stepCounters(): Float64Array {
    const logged = this.logged;
    const n = logged.length;
    const out = new Float64Array(this.t * COUNTERS);
    for (let t = 0; t < this.t; t++) for (let j = 0; j < n; j++) out[t * COUNTERS + logged[j]] = this.stepLog[t * n + j];
    // A counter left out of the log must have stayed 0, or the log would be short of it (a bug of ours).
    for (let k = 0; k < COUNTERS; k++) {
      if (logged.includes(k)) continue;
      for (let at = k; at < this.counterTable.length; at += COUNTERS) {
        if (this.counterTable[at] !== 0) throw new Error(`internal: counter ${COUNTER_NAMES[k]} changed in an image without learning, but is not in the per-step log`);
      }
    }
    return out;
  }

  spikeCounts(): readonly Uint32Array[] {
    return this.cores.map((core) => core.spikeCount.slice());
  }

  spikeEvents(): SpikeEvents {
    return this.events.snapshot();
  }

  /** A copy of one core's neuron state: for tests and probes of the reference. */
  neuronState(core: number): CpuNeuronState {
    const c = this.cores[core];
    const u = new Int32Array(c.n);
    for (let i = 0; i < c.n; i++) u[i] = c.uE[i] + c.uI[i];
    return { u, uExc: c.uE.slice(), uInh: c.uI.slice(), v: c.v.slice(), theta: c.theta.slice(), refractory: c.ref.slice() };
  }

  setExternalInput(population: string, steps: Uint32Array, neurons: Uint32Array): void {
    this.assertLive();
    for (const { piece, steps: at, locals } of splitExternalSpikes(this.symbols, population, this.t, steps, neurons)) {
      const groups = this.cores[piece.core].groups;
      let g = 0;
      while (g < groups.count && groups.first[g] + groups.size[g] <= piece.first) g++;
      if (g === groups.count || groups.external[g] !== 1) throw new Error(`setExternalInput: \`${population}\` is not an input with encoding = external`);
      const shift = piece.first - groups.first[g];
      groups.listSteps[g] = at;
      groups.listNeurons[g] = locals.map((local) => local + shift);
      groups.listNext[g] = 0;
    }
  }

  /** Turns the teaching signal of a taught population on for neuron `label` (index in the population), or off (undefined). */
  setTeacher(population: string, label: number | undefined): void {
    this.assertLive();
    if (this.learning === undefined) throw new Error(`setTeacher: the image teaches no population (it has no \`teach ${population} from labels\`)`);
    this.learning.setTeacher(population, label);
  }

  /** Turns weight learning on or off (traces keep following spikes); off drops the current epoch's partial changes. */
  setPlasticity(on: boolean): void {
    this.assertLive();
    this.learning?.setPlasticity(on);
  }

  /** The current synapse words of every core, learned weights included (copies). */
  synapses(): readonly Uint32Array[] {
    return this.cores.map((core, c) => (this.fan.delay[c] !== 0 ? this.imageWords[c] : core.table.words).slice());
  }

  dispose(): void {
    this.disposed = true;
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('the emulator has been disposed');
  }

  /**
   * One time step on every core, in core order: deliver (the arithmetic of the
   * packets sent in step t - 1), update and send, learn; then the step's timing.
   * Timing (docs/chip-model.md): each core updates its neurons from cycle 0;
   * its packets are ready at the end of its update and cross the NoC
   * (emulator/noc.ts); each target core delivers them in order of arrival once
   * its update is done, then runs its learn phase. The step lasts until the last
   * core is done (the last packet has arrived by then), plus the barrier, and at
   * least the profile's tick. A packet's synaptic ops are counted and timed in
   * the step it is sent, as the chip does them before the barrier; the
   * accumulation into the delay slot is done at the start of step t + 1, which
   * gives the same sums (the slot it lands in is never the one step t reads).
   */
  private step(): void {
    const t = this.t;
    const cyc = this.profile.cycles;
    // Deliver and update every core first, then send in core order: no core's
    // deliver or update reads what another core's send writes (the next step's
    // inboxes, counters, the packet list), so this is the per-core order's result.
    this.computeCores(t);
    this.inboxPackets = 0;
    this.sentCount = 0;
    const table = this.counterTable;
    const cores = this.cores.length;
    const dense = this.denseCounters;
    const coreUpdate = this.coreUpdate;
    const activeCycles = cyc.neuron_update_active;
    const inactiveCycles = cyc.neuron_update_inactive;
    const learns = this.learning !== undefined;
    const stats = this.stats;
    let active = 0;
    let inactive = 0;
    let spikes = 0;
    let inputs = 0;
    for (let c = 0; c < cores; c++) {
      if (learns) this.cores[c].stepLearnCycles = 0;
      const s = c * STATS_WORDS;
      const spiked = stats[s + STAT_SPIKES];
      const coreActive = stats[s + STAT_ACTIVE];
      const coreInactive = stats[s + STAT_INACTIVE];
      coreUpdate[c] = coreActive * activeCycles + coreInactive * inactiveCycles;
      dense[DENSE_ACTIVE * cores + c] += coreActive;
      if (coreInactive !== 0) dense[DENSE_INACTIVE * cores + c] += coreInactive;
      active += coreActive;
      inactive += coreInactive;
      // A core without spikes (input spikes among them) sends nothing, and its spike, packet and hop counters would add 0.
      if (spiked === 0) continue;
      this.send(c, this.cores[c], spiked, t);
      const at = c * COUNTERS;
      const inputSpikes = stats[s + STAT_INPUTS];
      table[at + SPIKES] += spiked - inputSpikes;
      table[at + INPUT_SPIKES] += inputSpikes;
      spikes += spiked - inputSpikes;
      inputs += inputSpikes;
    }
    const totals = this.stepTotals;
    totals[ACTIVE] += active;
    totals[INACTIVE] += inactive;
    totals[SPIKES] += spikes;
    totals[INPUT_SPIKES] += inputs;
    this.fillInbox();
    // The learn phase (emulator/cpu/learning.ts): this step's arrivals are the x0 spike bits.
    this.learning?.step(t, this.inboxNow, this.inboxStartNow, this.countNow, stats);
    this.finishStep(t);

    // Packets sent in this step are the next step's arrivals.
    const inbox = this.inboxNow;
    this.inboxNow = this.inboxNext;
    this.inboxNext = inbox;
    const count = this.countNow;
    this.countNow = this.countNext;
    this.countNext = count;
    if (this.fan.inboxes) count.fill(0);
    const start = this.inboxStartNow;
    this.inboxStartNow = this.inboxStartNext;
    this.inboxStartNext = start;
    this.t = t + 1;
  }

  /** Phases 1 and 2 of step t on every core; the threaded engine spreads them over workers. */
  protected computeCores(t: number): void {
    this.compute.run(0, this.cores.length, t, this.inboxNow, this.inboxStartNow, this.countNow, this.seed, this.sent, this.sentCount);
  }

  /**
   * Step t's timing and per-step counters, from this step's packet list and
   * counters; the threaded engine defers it to overlap the next step's compute
   * (nothing it reads changes before the next step's send).
   */
  protected finishStep(t: number): void {
    this.time(t);
    this.logStepCounters(t);
  }

  /**
   * Step t's cycles (the timeline of step()): the NoC gives each packet's
   * arrival, each core delivers from the end of its update in arrival order,
   * then learns; the step ends with the last core, plus the barrier, and lasts
   * at least the tick.
   */
  private time(t: number): void {
    const learn = this.learnCycles;
    // Without a learn phase every core's learn cycles stay 0.
    if (this.learning !== undefined) {
      for (let c = 0; c < this.cores.length; c++) {
        learn[c] = this.cores[c].stepLearnCycles;
        this.learnCyclesTotal[c] += learn[c];
      }
    }
    this.timeStep(t, this.sent, this.sentCount, this.coreUpdate);
  }

  /** Step t's latency from its sent list (`count` spikes) and its cores' update and learn cycles, into the logs. */
  protected timeStep(t: number, sent: SentSpikes, count: number, update: Float64Array): void {
    this.stepTiming.latency(sent, count, update, this.learnCycles, this.latency, t);
    this.setStepLatency(t, this.latency[t]);
  }

  /** Step t's latency (its work and the barrier), and its cycles: at least the tick. */
  protected setStepLatency(t: number, latency: number): void {
    this.latency[t] = latency;
    this.cycles[t] = latency > this.tick ? latency : this.tick;
  }

  /** Packets sent so far (the threaded engine's balance reads it). */
  protected packetsSent(): number {
    return this.stepTotals[PACKETS];
  }

  /** The NoC's totals over the run (the threaded engine adds its worker's). */
  protected nocStats(): NocStats {
    return this.stepTiming.noc.stats();
  }

  /** Appends step t's chip-wide counter totals: the running totals minus those at the end of step t - 1 (integers below 2^53, so exact). */
  protected logStepCounters(t: number): void {
    const log = this.stepLog;
    const last = this.lastTotals;
    const logged = this.logged;
    const base = t * logged.length;
    const table = this.counterTable;
    const fromTotals = this.loggedFromTotals;
    // Each total in a register: the log is large and cold, so it is written once per counter.
    for (let j = 0; j < logged.length; j++) {
      const k = logged[j];
      let total = 0;
      if (fromTotals[j] === 1) total = this.stepTotals[k];
      else for (let at = k; at < table.length; at += COUNTERS) total += table[at];
      log[base + j] = total - last[k];
      last[k] = total;
    }
  }

  /**
   * Packs this step's packets into the next step's inbox by target core, each
   * core's in the order they were sent (the order the per-route inbox had).
   */
  private fillInbox(): void {
    // No core keeps an inbox: every count and start stays 0 (8,000 cores a step at CUBA 40,000).
    if (!this.fan.inboxes) return;
    const n = this.inboxPackets;
    const count = this.countNext;
    const start = this.inboxStartNext;
    const fill = this.inboxFill;
    const cores = this.cores.length;
    let at = 0;
    for (let c = 0; c < cores; c++) {
      start[c] = at;
      at += count[c];
    }
    start[cores] = at;
    // The threaded engine's shared inboxes hold every route, so only the one-thread engine's grow.
    if (this.inboxNext.length < n) this.inboxNext = new Uint16Array(Math.max(n, 2 * this.inboxNext.length));
    const inbox = this.inboxNext;
    const dst = this.inboxDst;
    const axon = this.inboxAxon;
    for (let p = 0; p < n; p++) {
      const d = dst[p];
      inbox[start[d] + fill[d]++] = axon[p];
    }
    fill.fill(0);
  }

  /**
   * Counts and records this step's spikes of core c (the first `spikes` of
   * core.spiked) and lists them as sent
   * (the next step delivers them by source, fan-out.ts; the step's timing lists
   * their packets from the same list, timing.ts). A packet to a core that keeps
   * an inbox goes on the inbox list too (fillInbox packs it), so only a core
   * with such routes walks its routes here. A spike's hops and synaptic ops
   * are its slot's sums (slotSums); the ops on each target core are worked out
   * from the spike counts when read (opsByCore): a step counts and times every
   * packet's ops as the chip does them before the barrier (see step()).
   */
  private send(c: number, core: CpuCore, spikes: number, t: number): void {
    const { spiked, spikeCount, routeStart, routeAxon, counters } = core;
    const { slotCore, routeStep, inboxRoutes } = this.fan.cores[c];
    const { delay } = this.fan;
    const sentCore = this.sent.core;
    const sentSlot = this.sent.slot;
    let sentCount = this.sentCount;
    const count = this.countNext;
    const sums = this.slotSums[c];
    let q = this.inboxPackets;
    let packets = 0;
    let hopsEW = 0;
    let hopsNS = 0;
    let hopsChip = 0;
    let ops = 0;
    for (let k = 0; k < spikes; k++) {
      const i = spiked[k];
      spikeCount[i]++;
      if (core.record) this.events.push(t, c, i);
      sentCore[sentCount] = c;
      sentSlot[sentCount++] = i;
      const first = routeStart[i];
      const end = routeStart[i + 1];
      if (inboxRoutes > 0) {
        let dest = slotCore[i];
        for (let r = first; r < end; r++) {
          dest = (dest + routeStep[r]) & 0xffff;
          // Delivered by source next step (fan-out.ts), or through the target's inbox.
          if (delay[dest] !== 0) continue;
          if (q === this.inboxDst.length) this.growInboxList(q + 1);
          count[dest]++;
          this.inboxDst[q] = dest;
          this.inboxAxon[q++] = routeAxon[r];
        }
      }
      packets += end - first;
      const at = SLOT_WORDS * i;
      hopsEW += sums[at + SLOT_EW];
      hopsNS += sums[at + SLOT_NS];
      hopsChip += sums[at + SLOT_CHIP];
      ops += sums[at + SLOT_OPS];
    }
    this.inboxPackets = q;
    this.sentCount = sentCount;
    counters[PACKETS] += packets;
    counters[HOPS_EW] += hopsEW;
    counters[HOPS_NS] += hopsNS;
    counters[HOPS_CHIP] += hopsChip;
    const totals = this.stepTotals;
    totals[PACKETS] += packets;
    totals[HOPS_EW] += hopsEW;
    totals[HOPS_NS] += hopsNS;
    totals[HOPS_CHIP] += hopsChip;
    totals[SYNAPTIC_OPS] += ops;
  }

  /**
   * Every core's synaptic ops so far, into denseCounters: each slot's spike count times each of its routes' ops, added
   * on the route's target. Routes never change, so this is the sum send would have added packet by packet (whole
   * numbers below 2^53: the same to the bit). Worked out again only after steps have run.
   */
  private opsByCore(): void {
    if (this.opsAtStep === this.t) return;
    const cores = this.cores.length;
    const dense = this.denseCounters;
    const at = DENSE_OPS * cores;
    dense.fill(0, at, at + cores);
    for (let c = 0; c < cores; c++) {
      const { spikeCount, routeStart, routeAxon } = this.cores[c];
      const out = this.fan.cores[c];
      const { slotCore, routeStep } = out;
      for (let i = 0; i < spikeCount.length; i++) {
        const k = spikeCount[i];
        if (k === 0) continue;
        let d = slotCore[i];
        for (let r = routeStart[i]; r < routeStart[i + 1]; r++) {
          d = (d + routeStep[r]) & 0xffff;
          dense[at + d] += k * routeOps(out, this.fan.crossbar, this.fan.delay, this.synapseTables, routeAxon, r, d);
        }
      }
    }
    this.opsAtStep = this.t;
  }

  /** Room for at least `needed` packets on the inbox list, keeping those already listed; at least doubles. */
  private growInboxList(needed: number): void {
    const size = Math.max(needed, 2 * this.inboxDst.length);
    this.inboxDst = grow(this.inboxDst, size);
    this.inboxAxon = grow(this.inboxAxon, size);
  }

  /** The fan-out tables (emulator/cpu/memory.ts counts them). */
  fanOuts(): FanOuts {
    return this.fan;
  }

  /** Packets the step's timing batch holds before it next grows. */
  packetCapacity(): number {
    return this.stepTiming.capacity();
  }

  /** Bytes of the per-step packet buffers as they are now: the inboxes and inbox list, the timing's batch and the NoC's (emulator/cpu/memory.ts cpuMemory counts them). */
  packetBufferBytes(): number {
    return this.inboxNow.byteLength + this.inboxNext.byteLength + this.inboxDst.byteLength + this.inboxAxon.byteLength + this.stepTiming.bufferBytes();
  }

  /** The chip memory's bytes past its state arrays that hold none of the tables memory.ts counts (cpuMemory's `arenaBytes`). */
  arenaOverheadBytes(): number {
    return this.arenaOverhead;
  }
}

/**
 * Checks what the step loop relies on (typed-array writes out of range are
 * silently dropped, so a bad index would corrupt results instead of failing).
 * A failure is a bug in the image writer or reader, not a user error.
 */
function assertRunnableImage(image: ChipImage, options: RunOptions): void {
  const problems: string[] = [];
  const cores = image.cores;
  const slots = coreCount(image.profile);
  if (cores.length > 1 << 16) problems.push(`${cores.length} cores: at most 65536 (events store the core in 16 bits)`);
  if (options.recordCores !== undefined && options.recordCores.length > cores.length) {
    problems.push(`recordCores has ${options.recordCores.length} entries for ${cores.length} cores`);
  }
  const isInt32 = (x: number): boolean => Number.isInteger(x) && x >= -0x80000000 && x <= 0x7fffffff;
  const used = new Set<number>();
  cores.forEach((core, c) => {
    const at = `core ${c}`;
    if (!Number.isInteger(core.slot) || core.slot < 0 || core.slot >= slots) problems.push(`${at}: slot ${core.slot} is not on the ${slots}-core mesh`);
    if (used.has(core.slot)) problems.push(`${at}: slot ${core.slot} is used twice`);
    used.add(core.slot);
    const n = core.neuronCount;
    if (!Number.isInteger(n) || n < 0 || n > 1 << 16) problems.push(`${at}: neuronCount ${n} is not in 0..65536`);
    let next = 0;
    core.groups.forEach((g, k) => {
      if (g.first !== next || !Number.isInteger(g.count) || g.count < 0) problems.push(`${at} group ${k}: covers ${g.first}..+${g.count}, expected to start at ${next}`);
      next = g.first + g.count;
      if (g.kind === 'neurons') {
        const p = g.params;
        const isDecay = (d: number): boolean => Number.isInteger(d) && d >= 0 && d <= DECAY_ONE;
        if (![p.du, p.duInh, p.dv, p.dTheta].every(isDecay)) {
          problems.push(`${at} group ${k}: decay constants du=${p.du}, duInh=${p.duInh}, dv=${p.dv}, dTheta=${p.dTheta} must be integers in 0..${DECAY_ONE}`);
        }
        if (![p.vth, p.reset, p.bias, p.refractory].every(isInt32) || p.refractory < 0) {
          problems.push(`${at} group ${k}: vth, reset, bias and refractory must be 32-bit integers (refractory >= 0)`);
        }
        if (!(Number.isInteger(p.thetaPlus) && p.thetaPlus >= 0 && p.thetaPlus <= STATE_MAX)) {
          problems.push(`${at} group ${k}: thetaPlus ${p.thetaPlus} must be an integer in 0..${STATE_MAX}`);
        }
        if (g.initV !== undefined && (g.initV.length !== g.count || g.initV.some((x) => x < STATE_MIN || x > STATE_MAX))) {
          problems.push(`${at} group ${k}: initV must hold ${g.count} values in the state range`);
        }
      } else if (g.encoding.kind === 'spikes') {
        const { steps, neurons } = g.encoding;
        let ordered = steps.length === neurons.length;
        for (let i = 0; ordered && i < steps.length; i++) {
          ordered = neurons[i] < g.count && (i === 0 || steps[i] > steps[i - 1] || (steps[i] === steps[i - 1] && neurons[i] > neurons[i - 1]));
        }
        if (!ordered) problems.push(`${at} group ${k}: its spike list must be sorted by (step, neuron), each pair once, neurons inside the group`);
      } else if (g.encoding.kind === 'periodic') {
        const { period, phase } = g.encoding;
        if (!(Number.isInteger(period) && period >= 1 && isInt32(period) && Number.isInteger(phase) && phase >= 0 && isInt32(phase))) {
          problems.push(`${at} group ${k}: periodic input needs an integer period >= 1 and phase >= 0`);
        }
      } else if (!(Number.isInteger(g.inputIndex) && g.inputIndex >= 0 && g.inputIndex + g.count <= 0x7fffffff)) {
        problems.push(`${at} group ${k}: inputIndex ${g.inputIndex} is not a valid input counter`);
      }
    });
    if (next !== n) problems.push(`${at}: groups cover ${next} slots, neuronCount is ${n}`);

    const axons = core.axonStart.length - 1;
    if (axons < 0 || core.axonStart[0] !== 0 || core.axonStart[axons] !== core.synapses.length) {
      problems.push(`${at}: axonStart must run from 0 to the synapse count ${core.synapses.length}`);
    }
    for (let a = 0; a < axons; a++) if (core.axonStart[a] > core.axonStart[a + 1]) problems.push(`${at}: axonStart decreases at axon ${a}`);
    if (core.axonWeightExp.length !== Math.max(axons, 0)) problems.push(`${at}: axonWeightExp has ${core.axonWeightExp.length} entries for ${axons} axons`);
    for (let a = 0; a < core.axonWeightExp.length; a++) if (core.axonWeightExp[a] > 31) problems.push(`${at}: axon ${a} weight exponent ${core.axonWeightExp[a]} exceeds 31`);
    for (let s = 0; s < core.synapses.length; s++) {
      const word = core.synapses[s];
      if (synapseTarget(word) >= n) problems.push(`${at}: synapse ${s} targets slot ${synapseTarget(word)} of ${n}`);
      if (synapseDelay(word) < 1) problems.push(`${at}: synapse ${s} has delay 0 (delays start at 1)`);
    }

    if (core.routeStart.length !== n + 1 || core.routeStart[0] !== 0 || core.routeStart[n] !== core.routeCore.length || core.routeAxon.length !== core.routeCore.length) {
      problems.push(`${at}: routeStart must have neuronCount + 1 entries running from 0 to the route count`);
    }
    for (let i = 0; i + 1 < core.routeStart.length; i++) if (core.routeStart[i] > core.routeStart[i + 1]) problems.push(`${at}: routeStart decreases at slot ${i}`);
    for (let r = 0; r < core.routeCore.length; r++) {
      const dest = cores[core.routeCore[r]];
      if (dest === undefined) problems.push(`${at}: route ${r} goes to core ${core.routeCore[r]} of ${cores.length}`);
      else if (core.routeAxon[r] >= dest.axonStart.length - 1) problems.push(`${at}: route ${r} goes to axon ${core.routeAxon[r]} of core ${core.routeCore[r]}, which has ${dest.axonStart.length - 1}`);
    }
  });
  if (problems.length > 0) throw new Error(`chip image cannot run on the cpu backend:\n${problems.slice(0, 20).map((p) => `  - ${p}`).join('\n')}`);
}

/** One core's neuron state, per slot (input slots stay 0). */
export interface CpuNeuronState {
  /** The total synaptic current uExc + uInh, the term v integrates. */
  readonly u: Int32Array;
  readonly uExc: Int32Array;
  readonly uInh: Int32Array;
  readonly v: Int32Array;
  /** The adaptive threshold (ALIF); 0 for other models. */
  readonly theta: Int32Array;
  readonly refractory: Int32Array;
}

/** The CPU backend's emulator with its reference-only state accessor (tests use it). */
export interface CpuEmulator extends Emulator {
  /** A copy of core `core`'s (index into ChipImage.cores) neuron state after the steps run so far. */
  neuronState(core: number): CpuNeuronState;
  setExternalInput(population: string, steps: Uint32Array, neurons: Uint32Array): void;
}

/** Creates a CPU emulator that also exposes neuronState(); the Emulator interface is what callers should rely on. */
export function createCpuEmulatorWithState(image: ChipImage, options: RunOptions): CpuEmulator {
  return new CpuEmulatorImpl(image, options);
}

export const createCpuEmulator: CreateEmulator = async (image, options) => new CpuEmulatorImpl(image, options);
