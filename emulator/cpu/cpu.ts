// The CPU reference backend: the time-step contract written as plain loops over
// typed arrays. A later WebGPU backend must reproduce it to the bit, so every
// rule here (delivery order, delay slots, update order, counters, cycles) is the
// definition, not an implementation detail. Nothing in the step loop allocates:
// buffers are sized when the image is loaded, and only the event log grows.
import { barrierCycles, coreCount, corePosition, type ChipProfile } from '../../isa/profile.js';
import { clampState, decay, DECAY_ONE } from '../../isa/fixed.js';
import { synapseDelay, synapseTarget, synapseWeight } from '../../isa/synapse.js';
import { random32, STREAM } from '../../isa/random.js';
import type { ChipImage, CoreImage } from '../../isa/image/types.js';
import {
  COUNTER_NAMES,
  type CounterName,
  type Counters,
  type CreateEmulator,
  type Emulator,
  type RunOptions,
  type SpikeEvents,
} from '../interface.js';

const COUNTERS = COUNTER_NAMES.length;
const counterIndex = (name: CounterName): number => COUNTER_NAMES.indexOf(name);
const SYNAPTIC_OPS = counterIndex('synaptic_ops');
const ACTIVE = counterIndex('neuron_updates_active');
const INACTIVE = counterIndex('neuron_updates_inactive');
const SPIKES = counterIndex('spikes');
const INPUT_SPIKES = counterIndex('input_spikes');
const PACKETS = counterIndex('packets');
const HOPS_EW = counterIndex('hops_east_west');
const HOPS_NS = counterIndex('hops_north_south');

/** Group kinds in the flattened group table (a number, so the update loops stay monomorphic). */
const GROUP_NEURONS = 0;
const GROUP_POISSON = 1;
const GROUP_PERIODIC = 2;

/** Initial capacity of the event log and the step-cycle log; both grow by doubling. */
const INITIAL_LOG = 1024;

/** One core's groups as parallel typed arrays; a field that does not apply to a kind is 0. */
interface GroupTable {
  readonly count: number;
  readonly kind: Uint8Array;
  readonly first: Int32Array;
  readonly size: Int32Array;
  readonly du: Int32Array;
  readonly dv: Int32Array;
  readonly vth: Int32Array;
  readonly reset: Int32Array;
  readonly bias: Int32Array;
  readonly refractory: Int32Array;
  /** Poisson: the u32 threshold, kept as a double so that values >= 2^31 stay positive. */
  readonly threshold: Float64Array;
  /** Poisson: the global input index of the group's first neuron. */
  readonly inputIndex: Int32Array;
  readonly period: Int32Array;
  readonly phase: Int32Array;
}

/** The state and the read-only tables of one core. One object per core, never per neuron. */
class CpuCore {
  readonly n: number;
  /** Delay slots D: the largest delay + 1, at least 2. */
  readonly slots: number;
  readonly u: Int32Array;
  readonly v: Int32Array;
  readonly ref: Int32Array;
  /** accum[slot * n + neuron], wrapping i32 sums. */
  readonly accum: Int32Array;
  readonly spikeCount: Uint32Array;
  /** Slots that spiked in the current step, ascending. */
  readonly spiked: Uint32Array;
  spikedCount = 0;
  /** Neuron updates of the current step. */
  stepActive = 0;
  stepInactive = 0;
  readonly groups: GroupTable;
  readonly axonStart: Uint32Array;
  readonly axonWeightExp: Uint8Array;
  readonly synapses: Uint32Array;
  readonly routeStart: Uint32Array;
  readonly routeCore: Uint16Array;
  readonly routeAxon: Uint16Array;
  /** Per route: |dx|, |dy| between the two cores' tiles, and the packet's latency in cycles. */
  readonly routeHopsEW: Uint16Array;
  readonly routeHopsNS: Uint16Array;
  readonly routeLatency: Float64Array;
  /** Running totals, indexed like COUNTER_NAMES. */
  readonly counters = new Float64Array(COUNTERS);
  readonly record: boolean;

  constructor(image: ChipImage, index: number, record: boolean) {
    const core = image.cores[index];
    const profile = image.profile;
    this.n = core.neuronCount;
    let maxDelay = 1;
    for (let s = 0; s < core.synapses.length; s++) maxDelay = Math.max(maxDelay, synapseDelay(core.synapses[s]));
    this.slots = maxDelay + 1;
    this.u = new Int32Array(this.n);
    this.v = new Int32Array(this.n);
    this.ref = new Int32Array(this.n);
    this.accum = new Int32Array(this.slots * this.n);
    this.spikeCount = new Uint32Array(this.n);
    this.spiked = new Uint32Array(this.n);
    this.groups = buildGroupTable(core);
    this.axonStart = core.axonStart;
    this.axonWeightExp = core.axonWeightExp;
    this.synapses = core.synapses;
    this.routeStart = core.routeStart;
    this.routeCore = core.routeCore;
    this.routeAxon = core.routeAxon;
    const routes = core.routeCore.length;
    this.routeHopsEW = new Uint16Array(routes);
    this.routeHopsNS = new Uint16Array(routes);
    this.routeLatency = new Float64Array(routes);
    const from = corePosition(profile, core.slot);
    for (let r = 0; r < routes; r++) {
      const to = corePosition(profile, image.cores[core.routeCore[r]].slot);
      const dx = Math.abs(to.x - from.x);
      const dy = Math.abs(to.y - from.y);
      this.routeHopsEW[r] = dx;
      this.routeHopsNS[r] = dy;
      this.routeLatency[r] = profile.cycles.spike_in_tile + dx * profile.cycles.hop_east_west + dy * profile.cycles.hop_north_south;
    }
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
    dv: new Int32Array(count),
    vth: new Int32Array(count),
    reset: new Int32Array(count),
    bias: new Int32Array(count),
    refractory: new Int32Array(count),
    threshold: new Float64Array(count),
    inputIndex: new Int32Array(count),
    period: new Int32Array(count),
    phase: new Int32Array(count),
  };
  core.groups.forEach((g, i) => {
    t.first[i] = g.first;
    t.size[i] = g.count;
    if (g.kind === 'neurons') {
      t.kind[i] = GROUP_NEURONS;
      t.du[i] = g.params.du;
      t.dv[i] = g.params.dv;
      t.vth[i] = g.params.vth;
      t.reset[i] = g.params.reset;
      t.bias[i] = g.params.bias;
      t.refractory[i] = g.params.refractory;
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
 * Phase 1, deliver: adds every synapse of every arrived packet's axon into the
 * delay slot it is due in. A packet arrived at step t was sent at t - 1, so a
 * delay d lands in the update of step t - 1 + d. Returns the synaptic ops done.
 */
function cpuDeliver(core: CpuCore, t: number, inbox: Uint16Array, start: number, count: number): number {
  const { n, slots, accum, axonStart, axonWeightExp, synapses } = core;
  // (t - 1 + d) mod D with 1 <= d < D, without a division per synapse.
  const sent = (t - 1) % slots;
  let ops = 0;
  for (let p = start; p < start + count; p++) {
    const a = inbox[p];
    const exp = axonWeightExp[a];
    const end = axonStart[a + 1];
    for (let s = axonStart[a]; s < end; s++) {
      const word = synapses[s];
      let slot = sent + synapseDelay(word);
      if (slot >= slots) slot -= slots;
      const i = slot * n + synapseTarget(word);
      accum[i] = (accum[i] + (synapseWeight(word) << exp)) | 0;
    }
    ops += end - axonStart[a];
  }
  return ops;
}

/**
 * Phase 2 for one `neurons` group: the fixed-point CUBA LIF update in the order
 * of isa/fixed.ts (NEURON_UPDATE_ORDER). Reads and clears the step's delay slot,
 * appends spiking slots to core.spiked and tallies active and inactive updates.
 */
function cpuLifStep(core: CpuCore, g: number, t: number): void {
  const { u, v, ref, accum, spiked, groups } = core;
  const base = (t % core.slots) * core.n;
  const du = groups.du[g];
  const dv = groups.dv[g];
  const vth = groups.vth[g];
  const reset = groups.reset[g];
  const bias = groups.bias[g];
  const refractory = groups.refractory[g];
  const end = groups.first[g] + groups.size[g];
  let active = 0;
  let spikedCount = core.spikedCount;
  for (let i = groups.first[g]; i < end; i++) {
    const input = accum[base + i];
    accum[base + i] = 0;
    const u0 = u[i];
    const v0 = v[i];
    const r = ref[i];
    if (u0 !== 0 || v0 !== 0 || input !== 0 || bias !== 0 || r !== 0) active++;
    // The input is clamped first, so every sum stays inside 32 bits (isa/fixed.ts): WGSL agrees.
    const u1 = clampState(decay(u0, du) + clampState(input));
    let v1 = clampState(decay(v0, dv) + u1 + bias);
    if (r > 0) {
      v1 = reset;
      ref[i] = r - 1;
    } else if (v1 >= vth) {
      spiked[spikedCount++] = i;
      v1 = reset;
      ref[i] = refractory;
    }
    u[i] = u1;
    v[i] = v1;
  }
  core.spikedCount = spikedCount;
  core.stepActive += active;
  core.stepInactive += end - groups.first[g] - active;
}

/** Phase 2 for one input group: Poisson or periodic spikes, no neuron state. Returns the spikes. */
function cpuInputStep(core: CpuCore, g: number, t: number, seed: number): number {
  const { spiked, groups } = core;
  const first = groups.first[g];
  const size = groups.size[g];
  const before = core.spikedCount;
  let spikedCount = before;
  if (groups.kind[g] === GROUP_POISSON) {
    const threshold = groups.threshold[g];
    const inputIndex = groups.inputIndex[g];
    for (let k = 0; k < size; k++) {
      if (random32(seed, STREAM.poisson, t, inputIndex + k) < threshold) spiked[spikedCount++] = first + k;
    }
  } else {
    const phase = groups.phase[g];
    if (t >= phase && (t - phase) % groups.period[g] === 0) {
      for (let k = 0; k < size; k++) spiked[spikedCount++] = first + k;
    }
  }
  core.spikedCount = spikedCount;
  return spikedCount - before;
}

class CpuEmulatorImpl implements CpuEmulator {
  readonly backend = 'cpu' as const;
  private readonly profile: ChipProfile;
  private readonly cores: readonly CpuCore[];
  private readonly seed: number;
  private readonly barrier: number;
  /** Packets in flight, as destination axons: the inbox of core c is [inboxStart[c], inboxStart[c] + count[c]). */
  private inboxNow: Uint16Array;
  private inboxNext: Uint16Array;
  private countNow: Int32Array;
  private countNext: Int32Array;
  private readonly inboxStart: Int32Array;
  private t = 0;
  private cycles = new Float64Array(INITIAL_LOG);
  private eventStep = new Uint32Array(INITIAL_LOG);
  private eventCore = new Uint16Array(INITIAL_LOG);
  private eventNeuron = new Uint16Array(INITIAL_LOG);
  private events = 0;
  private disposed = false;

  constructor(image: ChipImage, options: RunOptions) {
    assertRunnableImage(image, options);
    this.profile = image.profile;
    this.seed = options.seed >>> 0;
    this.cores = image.cores.map((_, c) => new CpuCore(image, c, options.recordCores?.[c] === true));
    const tiles = new Set(image.cores.map((core) => corePosition(image.profile, core.slot).tile));
    this.barrier = barrierCycles(image.profile, tiles.size);
    // A slot spikes at most once per step, so a core receives at most one packet per route aimed at it:
    // sizing each inbox by its incoming routes means it can never overflow.
    const incoming = new Int32Array(image.cores.length);
    for (const core of image.cores) for (let r = 0; r < core.routeCore.length; r++) incoming[core.routeCore[r]]++;
    this.inboxStart = new Int32Array(image.cores.length + 1);
    for (let c = 0; c < image.cores.length; c++) this.inboxStart[c + 1] = this.inboxStart[c] + incoming[c];
    const total = this.inboxStart[image.cores.length];
    this.inboxNow = new Uint16Array(total);
    this.inboxNext = new Uint16Array(total);
    this.countNow = new Int32Array(image.cores.length);
    this.countNext = new Int32Array(image.cores.length);
  }

  async run(steps: number): Promise<void> {
    this.assertLive();
    if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`steps must be a non-negative integer, got ${steps}`);
    if (this.t + steps > 0xffffffff) throw new RangeError('a run is limited to 2^32 steps (events store the step in 32 bits)');
    if (this.t + steps > this.cycles.length) this.cycles = grow(this.cycles, this.t + steps);
    for (let i = 0; i < steps; i++) this.step();
  }

  readonly stepsRun = (): number => this.t;

  counters(): Counters {
    const byCore = this.cores.map((core) => toRecord(core.counters));
    const sum = new Float64Array(COUNTERS);
    for (const core of this.cores) for (let k = 0; k < COUNTERS; k++) sum[k] += core.counters[k];
    return { total: toRecord(sum), byCore };
  }

  stepCycles(): Float64Array {
    return this.cycles.slice(0, this.t);
  }

  spikeCounts(): readonly Uint32Array[] {
    return this.cores.map((core) => core.spikeCount.slice());
  }

  spikeEvents(): SpikeEvents {
    return {
      step: this.eventStep.slice(0, this.events),
      core: this.eventCore.slice(0, this.events),
      neuron: this.eventNeuron.slice(0, this.events),
    };
  }

  /** A copy of one core's neuron state (u, v, refractory steps left): for tests and probes of the reference. */
  neuronState(core: number): CpuNeuronState {
    const c = this.cores[core];
    return { u: c.u.slice(), v: c.v.slice(), refractory: c.ref.slice() };
  }

  dispose(): void {
    this.disposed = true;
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('the emulator has been disposed');
  }

  /** One time step on every core, in core order: deliver, update (and send), learn (none yet), then the step's cycles. */
  private step(): void {
    const t = this.t;
    const cyc = this.profile.cycles;
    let critical = 0;
    for (let c = 0; c < this.cores.length; c++) {
      const core = this.cores[c];
      const ops = cpuDeliver(core, t, this.inboxNow, this.inboxStart[c], this.countNow[c]);

      core.spikedCount = 0;
      core.stepActive = 0;
      core.stepInactive = 0;
      let inputSpikes = 0;
      const groups = core.groups;
      for (let g = 0; g < groups.count; g++) {
        if (groups.kind[g] === GROUP_NEURONS) cpuLifStep(core, g, t);
        else inputSpikes += cpuInputStep(core, g, t, this.seed);
      }
      const latency = this.send(c, core, t);

      const counters = core.counters;
      counters[SYNAPTIC_OPS] += ops;
      counters[ACTIVE] += core.stepActive;
      counters[INACTIVE] += core.stepInactive;
      counters[SPIKES] += core.spikedCount - inputSpikes;
      counters[INPUT_SPIKES] += inputSpikes;
      const busy = ops * cyc.synaptic_op + core.stepActive * cyc.neuron_update_active + core.stepInactive * cyc.neuron_update_inactive;
      if (busy + latency > critical) critical = busy + latency;
    }
    this.cycles[t] = critical + this.barrier;

    // Packets sent in this step are the next step's arrivals.
    const inbox = this.inboxNow;
    this.inboxNow = this.inboxNext;
    this.inboxNext = inbox;
    const count = this.countNow;
    this.countNow = this.countNext;
    this.countNext = count;
    count.fill(0);
    this.t = t + 1;
  }

  /**
   * Counts, records and routes this step's spikes of core c: one packet per route
   * entry, into the destination's inbox for step t + 1. Returns the largest latency.
   */
  private send(c: number, core: CpuCore, t: number): number {
    const { spiked, spikeCount, routeStart, routeCore, routeAxon, routeHopsEW, routeHopsNS, routeLatency, counters } = core;
    const inbox = this.inboxNext;
    const count = this.countNext;
    const inboxStart = this.inboxStart;
    let latency = 0;
    let packets = 0;
    let hopsEW = 0;
    let hopsNS = 0;
    for (let k = 0; k < core.spikedCount; k++) {
      const i = spiked[k];
      spikeCount[i]++;
      if (core.record) this.recordEvent(t, c, i);
      const end = routeStart[i + 1];
      for (let r = routeStart[i]; r < end; r++) {
        const dest = routeCore[r];
        inbox[inboxStart[dest] + count[dest]++] = routeAxon[r];
        hopsEW += routeHopsEW[r];
        hopsNS += routeHopsNS[r];
        if (routeLatency[r] > latency) latency = routeLatency[r];
      }
      packets += end - routeStart[i];
    }
    counters[PACKETS] += packets;
    counters[HOPS_EW] += hopsEW;
    counters[HOPS_NS] += hopsNS;
    return latency;
  }

  private recordEvent(t: number, c: number, neuron: number): void {
    if (this.events === this.eventStep.length) {
      this.eventStep = grow(this.eventStep, this.events + 1);
      this.eventCore = grow(this.eventCore, this.events + 1);
      this.eventNeuron = grow(this.eventNeuron, this.events + 1);
    }
    this.eventStep[this.events] = t;
    this.eventCore[this.events] = c;
    this.eventNeuron[this.events] = neuron;
    this.events++;
  }
}

type GrowableArray = Float64Array | Uint32Array | Uint16Array;

/** A copy of `a` with room for at least `needed` elements, at least doubling. */
function grow<A extends GrowableArray>(a: A, needed: number): A {
  const next = new (a.constructor as new (length: number) => A)(Math.max(needed, a.length * 2));
  next.set(a);
  return next;
}

function toRecord(values: Float64Array): Readonly<Record<CounterName, number>> {
  const record = {} as Record<CounterName, number>;
  COUNTER_NAMES.forEach((name, k) => {
    record[name] = values[k];
  });
  return record;
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
        if (!(Number.isInteger(p.du) && p.du >= 0 && p.du <= DECAY_ONE && Number.isInteger(p.dv) && p.dv >= 0 && p.dv <= DECAY_ONE)) {
          problems.push(`${at} group ${k}: decay constants du=${p.du}, dv=${p.dv} must be integers in 0..${DECAY_ONE}`);
        }
        if (![p.vth, p.reset, p.bias, p.refractory].every(isInt32) || p.refractory < 0) {
          problems.push(`${at} group ${k}: vth, reset, bias and refractory must be 32-bit integers (refractory >= 0)`);
        }
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
  readonly u: Int32Array;
  readonly v: Int32Array;
  readonly refractory: Int32Array;
}

/** The CPU backend's emulator with its reference-only state accessor (tests use it). */
export interface CpuEmulator extends Emulator {
  /** A copy of core `core`'s (index into ChipImage.cores) neuron state after the steps run so far. */
  neuronState(core: number): CpuNeuronState;
}

/** Creates a CPU emulator that also exposes neuronState(); the Emulator interface is what callers should rely on. */
export function createCpuEmulatorWithState(image: ChipImage, options: RunOptions): CpuEmulator {
  return new CpuEmulatorImpl(image, options);
}

export const createCpuEmulator: CreateEmulator = async (image, options) => new CpuEmulatorImpl(image, options);
