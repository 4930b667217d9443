// The learning engine of the CPU backend: traces, the rules' microcode, the
// teaching signal and SBP, run as the learn phase of every time step (DESIGN.md
// sections 5 and 6). The arithmetic is isa/learning/engine.ts; this file is
// the order in which it is applied, which docs/isa.md states for the WebGPU
// backend to mirror. Everything is sized when the image is loaded: the step
// allocates nothing.
import { maxWeightMantissa } from '../../isa/fixed.js';
import { DW_FRAC, DW_MAX, KEY_CORE_STRIDE, KEY_POPULATION_STRIDE, MAX_FACTORS, OPERAND_ONE } from '../../isa/learning/constants.js';
import {
  absoluteShare,
  addChange,
  additiveChange,
  addSum,
  applyChange,
  gainOf,
  mantissaBounds,
  mulOperands,
  productShift,
  sbpGain,
  scaleTerm,
  shareOf,
  traceStep,
  weightOperand,
} from '../../isa/learning/engine.js';
import type { LearningImage, PlasticSet } from '../../isa/learning/image.js';
import { decode, epochSteps, hasProducts, sbpSkipsIdleRows, type Instruction } from '../../isa/learning/isa.js';
import { EVENTS, OPERANDS, SBP_NORMALIZATIONS, TRACES, WEIGHT, type TraceName } from '../../isa/learning/symbols.js';
import type { ChipProfile } from '../../isa/profile.js';
import { random32, random32At, random32Prefix, STREAM } from '../../isa/random.js';
import { synapseTarget, synapseWeight } from '../../isa/synapse.js';
import type { ChipImage } from '../../isa/image/types.js';
import { COUNTER_NAMES, type CounterName } from '../interface.js';
import { SBP_COST, SBP_COSTS, sbpEpochCosts } from '../sbp-costs.js';
import { STATS_WORDS, STAT_SPIKES } from './lif-simd.js';

const counterIndex = (name: CounterName): number => COUNTER_NAMES.indexOf(name);
const SYNAPTIC_UPDATES = counterIndex('synaptic_updates');
const SBP_RETRO = counterIndex('sbp_retrograde_packets');
const SBP_REDUCTION_PACKETS = counterIndex('sbp_reduction_packets');
const SBP_HOPS_EW = counterIndex('sbp_hops_east_west');
const SBP_HOPS_NS = counterIndex('sbp_hops_north_south');
const SBP_HOPS_CHIP = counterIndex('sbp_hops_chip_to_chip');
const SBP_OPS = counterIndex('sbp_reduction_ops');
const SBP_UPDATES = counterIndex('sbp_updates');

/** What the learn phase reads and writes of a core (emulator/cpu/cpu.ts CpuCore has these). */
export interface LearnCore {
  readonly n: number;
  /** Slots that fired in this step's update, as many as the chip's stats say (step()'s `stats`). */
  readonly spiked: Uint32Array;
  /** The core's synapses, which learning rewrites (a copy of the image's). */
  readonly synapses: Uint32Array;
  readonly axonStart: Uint32Array;
  readonly axonWeightExp: Uint8Array;
  readonly counters: Float64Array;
  stepLearnCycles: number;
}

/** Trace slots in a set's state, in TRACE code order. */
const TRACE_X1 = TRACES.x1.code;
const TRACE_X2 = TRACES.x2.code;
const TRACE_Y1 = TRACES.y1.code;
const TRACE_Y2 = TRACES.y2.code;
const TRACE_TEACH = TRACES.teach.code;
const TRACE_COUNT = 5;

const EV_PRE = EVENTS.pre;
const EV_POST = EVENTS.post;
const EV_EPOCH = EVENTS.epoch;

/** One event's products as parallel arrays. */
interface EventTable {
  readonly count: number;
  /** |mantissa| and its sign (1 when negative). */
  readonly mag: Int32Array;
  readonly neg: Uint8Array;
  readonly exponent: Int32Array;
  /** Factor count and codes (MAX_FACTORS per product). */
  readonly nf: Uint8Array;
  readonly codes: Uint8Array;
  /** Whether a product multiplies w an odd number of times (its sign follows w's). */
  readonly wOdd: Uint8Array;
  /** Per product: which presynaptic (x0 x1 x2) and postsynaptic (y0 y1 y2 teach) operands it multiplies, bit per OPERANDS code. */
  readonly preCodes: Uint16Array;
  readonly postCodes: Uint16Array;
}

/** Operand codes by side, as bits (a product with a zero factor is zero, so it can be skipped exactly). */
const PRE_BITS = (1 << OPERANDS.x0) | (1 << OPERANDS.x1) | (1 << OPERANDS.x2);
const POST_BITS = (1 << OPERANDS.y0) | (1 << OPERANDS.y1) | (1 << OPERANDS.y2) | (1 << OPERANDS.teach);
/** Products per event that the epoch pass tracks in one 32-bit mask; more fall back to evaluating every product. */
const MASK_PRODUCTS = 30;
/** Entries per slot of a memo table: weight mantissas -128..127. */
const MEMO_WEIGHTS = 256;
/** The fraction bits of a weight change (those stochastic rounding looks at). */
const FRACTION_MASK = (1 << DW_FRAC) - 1;
const EMPTY = new Int32Array(0);

interface SbpConfig {
  readonly additive: boolean;
  /** isa/learning/symbols.ts SBP_NORMALIZATIONS: layer, fanout, none. */
  readonly normalize: number;
  /** isa/learning/symbols.ts SBP_POLARITIES: a source change counts as potentiation by the sign of dw (change) or of dw * w (efficacy). */
  readonly efficacy: boolean;
  readonly backward: number;
  readonly lateralPre: number;
  readonly lateralPost: number;
}

interface RuleTable {
  readonly has: Uint8Array;
  readonly decay: Int32Array;
  readonly impulse: Int32Array;
  readonly epoch: number;
  readonly bounds: { readonly low: number; readonly high: number } | undefined;
  readonly events: readonly (EventTable | undefined)[];
  readonly sbp: SbpConfig | undefined;
  /**
   * Whether an epoch's end sweeps the rule's synapses (the write-back pass): only a rule with
   * products of its own; an additive SBP rule without them writes back in SBP's pass (sbp_updates).
   */
  readonly sweeps: boolean;
  /** Whether SBP's update pass skips the rows of axons whose x1 trace is 0 (isa/learning/isa.ts sbpSkipsIdleRows). */
  readonly skipsIdleRows: boolean;
}

function ruleTable(program: Uint32Array): RuleTable {
  const instructions: readonly Instruction[] = decode(program).instructions;
  const has = new Uint8Array(TRACE_COUNT);
  const decay = new Int32Array(TRACE_COUNT);
  const impulse = new Int32Array(TRACE_COUNT);
  let bounds: RuleTable['bounds'];
  let sbp: SbpConfig | undefined;
  const events: (EventTable | undefined)[] = [undefined, undefined, undefined];
  for (let k = 0; k < instructions.length; k++) {
    const ins = instructions[k];
    if (ins.op === 'trace') {
      const code = TRACES[ins.trace as TraceName].code;
      has[code] = 1;
      decay[code] = ins.decay;
      impulse[code] = ins.impulse;
    } else if (ins.op === 'bounds') bounds = { low: ins.low, high: ins.high };
    else if (ins.op === 'sbp') {
      sbp = { additive: ins.mode === 'additive', normalize: SBP_NORMALIZATIONS[ins.normalize], efficacy: ins.polarity === 'efficacy', backward: ins.backward, lateralPre: ins.lateralPre, lateralPost: ins.lateralPost };
    } else if (ins.op === 'event') {
      const n = ins.products;
      const t: EventTable = {
        count: n,
        mag: new Int32Array(n),
        neg: new Uint8Array(n),
        exponent: new Int32Array(n),
        nf: new Uint8Array(n),
        codes: new Uint8Array(n * MAX_FACTORS),
        wOdd: new Uint8Array(n),
        preCodes: new Uint16Array(n),
        postCodes: new Uint16Array(n),
      };
      for (let p = 0; p < n; p++) {
        const prod = instructions[k + 1 + p];
        if (prod.op !== 'product') throw new Error('learning: an event is not followed by its products (the image was validated, so this is a bug)');
        t.mag[p] = Math.abs(prod.mantissa);
        t.neg[p] = prod.mantissa < 0 ? 1 : 0;
        t.exponent[p] = prod.exponent;
        t.nf[p] = prod.factors.length;
        let w = 0;
        prod.factors.forEach((f, i) => {
          t.codes[p * MAX_FACTORS + i] = OPERANDS[f];
          if (f === WEIGHT) w++;
          t.preCodes[p] |= (1 << OPERANDS[f]) & PRE_BITS;
          t.postCodes[p] |= (1 << OPERANDS[f]) & POST_BITS;
        });
        t.wOdd[p] = w & 1;
      }
      events[EVENTS[ins.event]] = t;
      k += n;
    }
  }
  return { has, decay, impulse, epoch: epochSteps(instructions), bounds, events, sbp, sweeps: hasProducts(instructions), skipsIdleRows: sbpSkipsIdleRows(instructions) };
}

/** One plastic set's state: its traces and tables, typed arrays only. */
interface SetState {
  readonly core: number;
  readonly set: PlasticSet;
  readonly projection: number;
  readonly rule: RuleTable;
  readonly synFirst: number;
  readonly synEnd: number;
  readonly exponent: number;
  readonly low: number;
  readonly high: number;
  /** Per trace code: the trace values (axons for x, slots for y and teach; empty when the rule has none). */
  readonly traces: readonly Int32Array[];
  /** Per trace code: the key of its first element (random32's counter). */
  readonly keys: Int32Array;
  /** The teach binding of the post population, or -1; and each slot's index in the post population. */
  readonly teach: number;
  readonly postIndex: Int32Array;
  /** Per event, the product shifts for this set's weight exponent. */
  readonly shifts: readonly (Int32Array | undefined)[];
  /** `on post`: synapses into each slot (CSR over postCount), built only when the rule has the event. */
  readonly postStart: Uint32Array | undefined;
  readonly postSyn: Uint32Array | undefined;
  /** Epoch pass scratch: per slot, the products whose postsynaptic factors are all non-zero (bit p). */
  readonly postAlive: Int32Array;
  /**
   * Epoch pass scratch, per (slot, weight mantissa): the signed sum and the sum of
   * magnitudes of the products without presynaptic factors (-1: not yet computed).
   */
  readonly memoSum: Float64Array;
  readonly memoAbs: Float64Array;
}

/** Per SBP projection: where its sets and its sources' sets are, its scratch sums and its fixed per-epoch costs. */
interface SbpState {
  readonly projection: number;
  readonly config: SbpConfig;
  readonly sets: readonly SetState[];
  readonly sources: readonly SetState[];
  readonly P: Int32Array;
  readonly D: Int32Array;
  readonly colP: Int32Array;
  readonly colD: Int32Array;
  readonly rowP: Int32Array;
  readonly rowD: Int32Array;
  readonly gBpP: Int32Array;
  readonly gBpD: Int32Array;
  readonly gPost: Int32Array;
  readonly gPreP: Int32Array;
  readonly gPreD: Int32Array;
  readonly sourceExponent: number;
  /** Per core, the counts one epoch of this projection's SBP adds (indexed [core * SBP_COSTS + k], k as SBP_COST). */
  readonly costs: Float64Array;
  /** Cycles the SBP exchange adds to the learn phase of every core holding a set: packet latencies. */
  readonly latency: number;
  /**
   * Whether the epoch pass can add up the lateral row and column sums as it
   * computes the changes (the rule has lateral terms and no on-pre/on-post
   * events, so every change of the epoch is made by that pass), and the step at
   * which it last did (-1: never). Saturating sums of non-negative values are
   * min(sum, max) in any order, so the sums are the same.
   */
  readonly fusable: boolean;
  fusedAt: number;
}


/** |change| of product p for the operands in opv: its factors multiplied in program order, then scaled (evaluate()'s term). */
function productTerm(opv: Int32Array, nf: number, codes: Uint8Array, p: number, mag: number, shift: number): number {
  const base = p * MAX_FACTORS;
  let prod = nf === 0 ? OPERAND_ONE : opv[codes[base]];
  for (let f = 1; f < nf; f++) prod = mulOperands(prod, opv[codes[base + f]]);
  return scaleTerm(mag, prod, shift);
}

export class CpuLearning {
  private readonly setsOfCore: readonly (readonly SetState[])[];
  private readonly sbp: readonly SbpState[];
  /** The SBP projection each set belongs to (sets of projections without SBP are absent). */
  private readonly sbpOfSet = new Map<SetState, SbpState>();
  private readonly arrived: readonly Uint8Array[];
  private readonly fired: readonly Uint8Array[];
  private readonly pending: readonly Int32Array[];
  private readonly teachLabel: Int32Array;
  private readonly teachThreshold: Float64Array;
  private readonly teachKey: Int32Array;
  private readonly teachNow: Uint8Array;
  private readonly teachPopulations: readonly string[];
  private readonly teachSizes: Int32Array;
  /** Per synapse evaluation: operand values by code (w, x0, x1, x2, y0, y1, y2, teach). */
  private readonly opv = new Int32Array(9);
  private readonly stepUpdates: Float64Array;
  private readonly cycles: ChipProfile['cycles'];

  constructor(
    image: ChipImage,
    learning: LearningImage,
    private readonly cores: readonly LearnCore[],
    private readonly seed: number,
  ) {
    const profile = image.profile;
    this.cycles = profile.cycles;
    const maxMant = maxWeightMantissa(profile.limits.weightBits);
    const rules = learning.rules.map((r) => ruleTable(r.program));
    const pops = image.symbols.populations;
    this.teachPopulations = learning.teach.map((t) => pops[t.population].name);
    this.teachSizes = Int32Array.from(learning.teach, (t) => pops[t.population].size);
    this.teachLabel = new Int32Array(learning.teach.length).fill(-1);
    this.teachThreshold = Float64Array.from(learning.teach, (t) => t.threshold >>> 0);
    this.teachKey = Int32Array.from(learning.teach, (t) => t.population * KEY_POPULATION_STRIDE);
    this.teachNow = new Uint8Array(learning.teach.length);
    const teachOf = new Map(learning.teach.map((t, i) => [t.population, i]));

    // Each slot's index in its population, per core (from the symbols' pieces).
    const slotIndex = image.cores.map((core) => new Int32Array(core.neuronCount).fill(-1));
    for (const pop of pops) {
      for (const piece of pop.pieces) {
        for (let k = 0; k < piece.count; k++) slotIndex[piece.core][piece.first + k] = piece.offset + k;
      }
    }

    const all: SetState[] = [];
    const perCore: SetState[][] = image.cores.map(() => []);
    learning.cores.forEach((sets, c) => {
      const core = cores[c];
      let key = c * KEY_CORE_STRIDE;
      for (const set of sets) {
        const proj = learning.projections[set.projection];
        const rule = rules[proj.rule];
        const exponent = core.axonWeightExp[set.axonFirst];
        const b = rule.bounds === undefined ? { low: -maxMant, high: maxMant } : mantissaBounds(rule.bounds.low, rule.bounds.high, exponent, maxMant);
        const traces: Int32Array[] = [];
        const keys = new Int32Array(TRACE_COUNT);
        for (let code = 0; code < TRACE_COUNT; code++) {
          const len = rule.has[code] === 0 ? 0 : code <= TRACE_X2 ? set.axonCount : set.postCount;
          traces.push(new Int32Array(len));
          keys[code] = key;
          key += len;
        }
        const postIndex = new Int32Array(set.postCount);
        for (let k = 0; k < set.postCount; k++) postIndex[k] = slotIndex[c][set.postFirst + k];
        const shifts = rule.events.map((ev) => (ev === undefined ? undefined : Int32Array.from(ev.exponent, (e) => productShift(e, exponent))));
        const synFirst = core.axonStart[set.axonFirst];
        const synEnd = core.axonStart[set.axonFirst + set.axonCount];
        let postStart: Uint32Array | undefined;
        let postSyn: Uint32Array | undefined;
        if (rule.events[EV_POST] !== undefined) {
          postStart = new Uint32Array(set.postCount + 1);
          for (let s = synFirst; s < synEnd; s++) postStart[synapseTarget(core.synapses[s]) - set.postFirst + 1]++;
          for (let k = 0; k < set.postCount; k++) postStart[k + 1] += postStart[k];
          const fill = postStart.slice(0, set.postCount);
          postSyn = new Uint32Array(synEnd - synFirst);
          for (let s = synFirst; s < synEnd; s++) postSyn[fill[synapseTarget(core.synapses[s]) - set.postFirst]++] = s;
        }
        const state: SetState = {
          core: c,
          set,
          projection: set.projection,
          rule,
          synFirst,
          synEnd,
          exponent,
          low: b.low,
          high: b.high,
          traces,
          keys,
          teach: teachOf.get(proj.post) ?? -1,
          postIndex,
          shifts,
          postStart,
          postSyn,
          postAlive: new Int32Array(set.postCount),
          memoSum: new Float64Array(rule.events[EV_EPOCH] === undefined ? 0 : set.postCount * MEMO_WEIGHTS),
          memoAbs: new Float64Array(rule.events[EV_EPOCH] === undefined ? 0 : set.postCount * MEMO_WEIGHTS),
        };
        all.push(state);
        perCore[c].push(state);
      }
    });
    this.setsOfCore = perCore;
    this.arrived = image.cores.map((core) => new Uint8Array(core.axonWeightExp.length));
    this.fired = image.cores.map((core) => new Uint8Array(core.neuronCount));
    this.pending = image.cores.map((core, c) => new Int32Array(perCore[c].length > 0 ? core.synapses.length : 0));
    this.stepUpdates = new Float64Array(image.cores.length);

    // SBP: per SBP projection, its sets, its sources' sets, scratch sums and its fixed per-epoch costs.
    this.sbp = learning.projections.flatMap((proj, p) => {
      const config = rules[proj.rule].sbp;
      if (config === undefined) return [];
      const sets = all.filter((s) => s.projection === p);
      const sources = all.filter((s) => proj.sources.includes(s.projection));
      const J = pops[proj.post];
      const I = pops[proj.pre];
      const { costs, latency } = sbpEpochCosts(image, learning, p, config);
      const firstSource = sources[0];
      return [
        {
          projection: p,
          config,
          sets,
          sources,
          P: new Int32Array(J.size),
          D: new Int32Array(J.size),
          colP: new Int32Array(J.size),
          colD: new Int32Array(J.size),
          rowP: new Int32Array(I.size),
          rowD: new Int32Array(I.size),
          gBpP: new Int32Array(J.size),
          gBpD: new Int32Array(J.size),
          gPost: new Int32Array(J.size),
          gPreP: new Int32Array(I.size),
          gPreD: new Int32Array(I.size),
          sourceExponent: firstSource === undefined ? 0 : firstSource.exponent,
          costs,
          latency,
          fusable:
            (config.lateralPre > 0 || config.lateralPost > 0) &&
            rules[proj.rule].events[EV_PRE] === undefined &&
            rules[proj.rule].events[EV_POST] === undefined &&
            (rules[proj.rule].events[EV_EPOCH]?.count ?? MASK_PRODUCTS + 1) <= MASK_PRODUCTS,
          fusedAt: -1,
        },
      ];
    });
    for (const st of this.sbp) for (const set of st.sets) this.sbpOfSet.set(set, st);
  }

  /** Whether weights learn; off, traces still follow spikes but no change is made, and the epoch's partial changes are dropped. */
  private plastic = true;

  setPlasticity(on: boolean): void {
    if (!on) for (const p of this.pending) p.fill(0);
    this.plastic = on;
  }

  /** Turns the teaching signal of population `population` on for neuron `label`, or off. */
  setTeacher(population: string, label: number | undefined): void {
    const b = this.teachPopulations.indexOf(population);
    if (b < 0) {
      const taught = this.teachPopulations.length === 0 ? 'none is' : this.teachPopulations.map((p) => `\`${p}\``).join(', ') + (this.teachPopulations.length === 1 ? ' is' : ' are');
      throw new Error(`setTeacher: \`${population}\` has no \`teach ${population} from labels\` declaration (${taught} taught)`);
    }
    if (label === undefined || label < 0) {
      this.teachLabel[b] = -1;
      return;
    }
    if (!Number.isInteger(label) || label >= this.teachSizes[b]) throw new RangeError(`setTeacher: label ${label} is outside \`${population}\` (${this.teachSizes[b]} neurons)`);
    this.teachLabel[b] = label;
  }

  /**
   * The learn phase of step t, after every core's update. `inbox` holds the
   * axons whose packets arrived this step (core c's are inbox[inboxStart[c]
   * .. + count[c]]): their presynaptic spike bit x0 is 1. `stats`: per core
   * its step counts (CpuChipMemory.stats), the first its spikes (its slots in
   * LearnCore.spiked).
   */
  step(t: number, inbox: Uint16Array, inboxStart: Int32Array, count: Int32Array, stats: Int32Array): void {
    const seed = this.seed;
    for (let b = 0; b < this.teachLabel.length; b++) {
      const label = this.teachLabel[b];
      this.teachNow[b] = label >= 0 && random32(seed, STREAM.teach, t, this.teachKey[b] + label) < this.teachThreshold[b] ? 1 : 0;
    }
    const updates = this.stepUpdates;
    updates.fill(0);
    let epochEnds = false;
    // The lateral sums that this step's epoch passes add up (SbpState.fusable).
    if (this.plastic) {
      for (let k = 0; k < this.sbp.length; k++) {
        const st = this.sbp[k];
        const first = st.sets[0];
        if (!st.fusable || first === undefined || (t + 1) % first.rule.epoch !== 0) continue;
        st.rowP.fill(0);
        st.rowD.fill(0);
        st.colP.fill(0);
        st.colD.fill(0);
        st.fusedAt = t;
      }
    }
    // A: spike bits, traces, on-pre and on-post products, and the epoch's products where an epoch ends.
    for (let c = 0; c < this.setsOfCore.length; c++) {
      const sets = this.setsOfCore[c];
      if (sets.length === 0) continue;
      const core = this.cores[c];
      const arrived = this.arrived[c];
      const fired = this.fired[c];
      for (let p = inboxStart[c]; p < inboxStart[c] + count[c]; p++) arrived[inbox[p]] = 1;
      const spikes = stats[c * STATS_WORDS + STAT_SPIKES];
      for (let k = 0; k < spikes; k++) fired[core.spiked[k]] = 1;
      for (let k = 0; k < sets.length; k++) {
        const s = sets[k];
        this.updateTraces(s, t, arrived, fired);
        if (!this.plastic) continue;
        updates[c] += this.runEvents(s, arrived, fired);
        if ((t + 1) % s.rule.epoch === 0) {
          epochEnds = true;
          if (s.rule.sweeps) updates[c] += s.synEnd - s.synFirst;
          if (s.rule.events[EV_EPOCH] !== undefined) this.runEpoch(s, t);
        }
      }
    }
    // B: SBP, once every source's change of the epoch is known.
    for (let k = 0; k < this.sbp.length; k++) {
      const sbp = this.sbp[k];
      const first = sbp.sets[0];
      if (first !== undefined && epochEnds && (t + 1) % first.rule.epoch === 0) this.runSbp(sbp, t);
    }
    // C: the epoch's changes into the weights; clear this step's spike bits.
    for (let c = 0; c < this.setsOfCore.length; c++) {
      const sets = this.setsOfCore[c];
      if (sets.length === 0) continue;
      if (epochEnds) for (let k = 0; k < sets.length; k++) if ((t + 1) % sets[k].rule.epoch === 0) this.apply(sets[k], t);
      const core = this.cores[c];
      const arrived = this.arrived[c];
      for (let p = inboxStart[c]; p < inboxStart[c] + count[c]; p++) arrived[inbox[p]] = 0;
      const fired = this.fired[c];
      const spikes = stats[c * STATS_WORDS + STAT_SPIKES];
      for (let k = 0; k < spikes; k++) fired[core.spiked[k]] = 0;
      core.counters[SYNAPTIC_UPDATES] += updates[c];
      core.stepLearnCycles += updates[c] * this.cycles.synaptic_update;
    }
  }

  /** x1, x2 per axon and y1, y2, teach per slot: decay, then the step's spike. */
  private updateTraces(s: SetState, t: number, arrived: Uint8Array, fired: Uint8Array): void {
    const seed = this.seed;
    const rule = s.rule;
    const { axonFirst, axonCount, postFirst, postCount } = s.set;
    const prefix = random32Prefix(seed, STREAM.trace, t);
    for (let code = 0; code < TRACE_COUNT; code++) {
      if (rule.has[code] === 0) continue;
      const x = s.traces[code];
      const decay = rule.decay[code];
      const impulse = rule.impulse[code];
      const key = s.keys[code];
      if (code <= TRACE_X2) {
        for (let a = 0; a < axonCount; a++) {
          const spike = arrived[axonFirst + a] === 1;
          if (x[a] === 0 && !spike) continue;
          x[a] = traceStep(x[a], decay, impulse, spike, random32At(prefix, key + a));
        }
      } else if (code === TRACE_TEACH) {
        const b = s.teach;
        const label = b < 0 || this.teachNow[b] === 0 ? -1 : this.teachLabel[b];
        for (let k = 0; k < postCount; k++) {
          const spike = s.postIndex[k] === label;
          if (x[k] === 0 && !spike) continue;
          x[k] = traceStep(x[k], decay, impulse, spike, random32At(prefix, key + k));
        }
      } else {
        for (let k = 0; k < postCount; k++) {
          const spike = fired[postFirst + k] === 1;
          if (x[k] === 0 && !spike) continue;
          x[k] = traceStep(x[k], decay, impulse, spike, random32At(prefix, key + k));
        }
      }
    }
  }

  /** Operand values of the synapse s (axon a of the set, slot k of the set) into opv; returns w's mantissa. */
  private loadOperands(s: SetState, word: number, a: number, k: number, x0: number, y0: number): number {
    const opv = this.opv;
    const tr = s.traces;
    const w = synapseWeight(word);
    opv[OPERANDS.w] = weightOperand(w, s.exponent);
    opv[OPERANDS.x0] = x0;
    opv[OPERANDS.y0] = y0;
    opv[OPERANDS.x1] = tr[TRACE_X1].length > 0 ? tr[TRACE_X1][a] : 0;
    opv[OPERANDS.x2] = tr[TRACE_X2].length > 0 ? tr[TRACE_X2][a] : 0;
    opv[OPERANDS.y1] = tr[TRACE_Y1].length > 0 ? tr[TRACE_Y1][k] : 0;
    opv[OPERANDS.y2] = tr[TRACE_Y2].length > 0 ? tr[TRACE_Y2][k] : 0;
    opv[OPERANDS.teach] = tr[TRACE_TEACH].length > 0 ? tr[TRACE_TEACH][k] : 0;
    return w;
  }

  /** The sum of one event's products for the operands in opv, in weight-change units. */
  private evaluate(ev: EventTable, shifts: Int32Array, w: number): number {
    const opv = this.opv;
    let dw = 0;
    for (let p = 0; p < ev.count; p++) {
      const nf = ev.nf[p];
      const base = p * MAX_FACTORS;
      let prod = nf === 0 ? OPERAND_ONE : opv[ev.codes[base]];
      for (let f = 1; f < nf; f++) prod = mulOperands(prod, opv[ev.codes[base + f]]);
      const mag = scaleTerm(ev.mag[p], prod, shifts[p]);
      const negative = (ev.neg[p] ^ (ev.wOdd[p] & (w < 0 ? 1 : 0))) === 1;
      dw = addChange(dw, negative ? -mag : mag);
    }
    return dw;
  }

  /** `on pre` for the axons whose spike arrived and `on post` for the slots that fired; returns the synapses evaluated. */
  private runEvents(s: SetState, arrived: Uint8Array, fired: Uint8Array): number {
    const pre = s.rule.events[EV_PRE];
    const post = s.rule.events[EV_POST];
    if (pre === undefined && post === undefined) return 0;
    const core = this.cores[s.core];
    const syn = core.synapses;
    const pending = this.pending[s.core];
    const { axonFirst, axonCount, postFirst, postCount } = s.set;
    let evaluated = 0;
    if (pre !== undefined) {
      const shifts = s.shifts[EV_PRE] as Int32Array;
      for (let a = 0; a < axonCount; a++) {
        if (arrived[axonFirst + a] === 0) continue;
        const end = core.axonStart[axonFirst + a + 1];
        for (let i = core.axonStart[axonFirst + a]; i < end; i++) {
          const target = synapseTarget(syn[i]);
          const w = this.loadOperands(s, syn[i], a, target - postFirst, OPERAND_ONE, fired[target] === 1 ? OPERAND_ONE : 0);
          pending[i] = addChange(pending[i], this.evaluate(pre, shifts, w));
        }
        evaluated += end - core.axonStart[axonFirst + a];
      }
    }
    if (post !== undefined && s.postStart !== undefined && s.postSyn !== undefined) {
      const shifts = s.shifts[EV_POST] as Int32Array;
      for (let k = 0; k < postCount; k++) {
        if (fired[postFirst + k] === 0) continue;
        for (let j: number = s.postStart[k]; j < s.postStart[k + 1]; j++) {
          const i = s.postSyn[j];
          const a = this.axonOf(core, s, i);
          const w = this.loadOperands(s, syn[i], a, k, arrived[axonFirst + a] === 1 ? OPERAND_ONE : 0, OPERAND_ONE);
          pending[i] = addChange(pending[i], this.evaluate(post, shifts, w));
        }
        evaluated += s.postStart[k + 1] - s.postStart[k];
      }
    }
    return evaluated;
  }

  /** The set-local axon holding synapse i (binary search over the core's axonStart). */
  private axonOf(core: LearnCore, s: SetState, i: number): number {
    let lo = s.set.axonFirst;
    let hi = s.set.axonFirst + s.set.axonCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (core.axonStart[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo - s.set.axonFirst;
  }

  /** `every epoch` over every synapse of the set (spike bits are this step's). */
  private runEpoch(s: SetState, t: number): void {
    const ev = s.rule.events[EV_EPOCH] as EventTable;
    if (ev.count > MASK_PRODUCTS) {
      this.runEpochAll(s);
      return;
    }
    const shifts = s.shifts[EV_EPOCH] as Int32Array;
    const core = this.cores[s.core];
    const syn = core.synapses;
    const axonStart = core.axonStart;
    const pending = this.pending[s.core];
    const arrived = this.arrived[s.core];
    const fired = this.fired[s.core];
    const { axonFirst, axonCount, postFirst, postCount } = s.set;
    const opv = this.opv;
    const tr = s.traces;
    const x1 = tr[TRACE_X1];
    const x2 = tr[TRACE_X2];
    const y1 = tr[TRACE_Y1];
    const y2 = tr[TRACE_Y2];
    const teach = tr[TRACE_TEACH];
    const exponent = s.exponent;
    const { count, nf: nfs, codes, mag: mags, neg: negs, wOdd: wOdds, preCodes, postCodes } = ev;
    // Exactly the sum evaluate() makes, faster:
    //  - a product with a zero factor adds exactly 0 (mulOperands(.., 0) = 0,
    //    scaleTerm(m, 0, s) = 0, addChange(dw, 0) = dw), so it is skipped;
    //  - the products without presynaptic factors depend only on (slot, w), so
    //    their sum is computed once per (slot, w) in an epoch;
    //  - the terms are added without clamping when |pending| + Σ|term| <= DW_MAX
    //    (then no partial sum can reach the clamp, so the order does not matter);
    //    otherwise the synapse is evaluated term by term with addChange, in order.
    let memoMask = 0;
    for (let p = 0; p < count; p++) if (preCodes[p] === 0) memoMask |= 1 << p;
    const postAlive = s.postAlive;
    for (let k = 0; k < postCount; k++) {
      const zero =
        (fired[postFirst + k] === 1 ? 0 : 1 << OPERANDS.y0) |
        (y1.length > 0 && y1[k] !== 0 ? 0 : 1 << OPERANDS.y1) |
        (y2.length > 0 && y2[k] !== 0 ? 0 : 1 << OPERANDS.y2) |
        (teach.length > 0 && teach[k] !== 0 ? 0 : 1 << OPERANDS.teach);
      let alive = 0;
      for (let p = 0; p < count; p++) if ((postCodes[p] & zero) === 0) alive |= 1 << p;
      postAlive[k] = alive;
    }
    const memoSum = s.memoSum;
    const memoAbs = s.memoAbs;
    if (memoMask !== 0) memoAbs.fill(-1);
    // Lateral sums of SBP, added up here when fused (the other synapses' changes are 0: no events wrote them).
    const st = this.sbpOfSet.get(s);
    const fuse = st !== undefined && st.fusedAt === t;
    const sumRows = fuse && st.config.lateralPre > 0;
    const sumCols = fuse && st.config.lateralPost > 0;
    const rowP = fuse ? st.rowP : EMPTY;
    const rowD = fuse ? st.rowD : EMPTY;
    const colP = fuse ? st.colP : EMPTY;
    const colD = fuse ? st.colD : EMPTY;
    const postIndex = s.postIndex;
    const axonPre = s.set.axonPre;
    for (let a = 0; a < axonCount; a++) {
      const xv0 = arrived[axonFirst + a] === 1 ? OPERAND_ONE : 0;
      const xv1 = x1.length > 0 ? x1[a] : 0;
      const xv2 = x2.length > 0 ? x2[a] : 0;
      const zero = (xv0 !== 0 ? 0 : 1 << OPERANDS.x0) | (xv1 !== 0 ? 0 : 1 << OPERANDS.x1) | (xv2 !== 0 ? 0 : 1 << OPERANDS.x2);
      let preAlive = 0;
      for (let p = 0; p < count; p++) if (preCodes[p] !== 0 && (preCodes[p] & zero) === 0) preAlive |= 1 << p;
      if (preAlive === 0 && memoMask === 0) continue;
      opv[OPERANDS.x0] = xv0;
      opv[OPERANDS.x1] = xv1;
      opv[OPERANDS.x2] = xv2;
      let rp = 0;
      let rd = 0;
      const end = axonStart[axonFirst + a + 1];
      for (let i = axonStart[axonFirst + a]; i < end; i++) {
        const word = syn[i];
        const target = synapseTarget(word);
        const k = target - postFirst;
        const post = postAlive[k];
        const memoAlive = post & memoMask;
        const directAlive = post & preAlive;
        if ((memoAlive | directAlive) === 0) continue;
        const w = synapseWeight(word);
        const before = pending[i];
        let dw = before;
        let abs = before < 0 ? -before : before;
        let loaded = false;
        if (memoAlive !== 0) {
          const at = k * MEMO_WEIGHTS + w + MEMO_WEIGHTS / 2;
          if (memoAbs[at] < 0) {
            this.loadPost(s, w, target, k);
            loaded = true;
            let sum = 0;
            let mags0 = 0;
            for (let p = 0; p < count; p++) {
              if ((memoAlive & (1 << p)) === 0) continue;
              const mag = productTerm(opv, nfs[p], codes, p, mags[p], shifts[p]);
              sum += (negs[p] ^ (wOdds[p] & (w < 0 ? 1 : 0))) === 1 ? -mag : mag;
              mags0 += mag;
            }
            memoSum[at] = sum;
            memoAbs[at] = mags0;
          }
          dw += memoSum[at];
          abs += memoAbs[at];
        }
        if (directAlive !== 0) {
          if (!loaded) this.loadPost(s, w, target, k);
          loaded = true;
          for (let p = 0; p < count; p++) {
            if ((directAlive & (1 << p)) === 0) continue;
            const mag = productTerm(opv, nfs[p], codes, p, mags[p], shifts[p]);
            dw += (negs[p] ^ (wOdds[p] & (w < 0 ? 1 : 0))) === 1 ? -mag : mag;
            abs += mag;
          }
        }
        if (abs > DW_MAX) {
          // A partial sum may clamp: term by term, in program order, as evaluate() does.
          if (!loaded) this.loadPost(s, w, target, k);
          const alive = memoAlive | directAlive;
          dw = before;
          for (let p = 0; p < count; p++) {
            if ((alive & (1 << p)) === 0) continue;
            const mag = productTerm(opv, nfs[p], codes, p, mags[p], shifts[p]);
            dw = addChange(dw, (negs[p] ^ (wOdds[p] & (w < 0 ? 1 : 0))) === 1 ? -mag : mag);
          }
        }
        pending[i] = dw;
        if (fuse && dw !== 0) {
          if (dw > 0) {
            if (sumRows) rp = addSum(rp, dw);
            if (sumCols) colP[postIndex[k]] = addSum(colP[postIndex[k]], dw);
          } else {
            if (sumRows) rd = addSum(rd, -dw);
            if (sumCols) colD[postIndex[k]] = addSum(colD[postIndex[k]], -dw);
          }
        }
      }
      if (sumRows) {
        const i0 = axonPre[a];
        rowP[i0] = addSum(rowP[i0], rp);
        rowD[i0] = addSum(rowD[i0], rd);
      }
    }
  }

  /** The weight and postsynaptic operands of a synapse into opv (the presynaptic ones are set per axon). */
  private loadPost(s: SetState, w: number, target: number, k: number): void {
    const opv = this.opv;
    const tr = s.traces;
    opv[OPERANDS.w] = weightOperand(w, s.exponent);
    opv[OPERANDS.y0] = this.fired[s.core][target] === 1 ? OPERAND_ONE : 0;
    opv[OPERANDS.y1] = tr[TRACE_Y1].length > 0 ? tr[TRACE_Y1][k] : 0;
    opv[OPERANDS.y2] = tr[TRACE_Y2].length > 0 ? tr[TRACE_Y2][k] : 0;
    opv[OPERANDS.teach] = tr[TRACE_TEACH].length > 0 ? tr[TRACE_TEACH][k] : 0;
  }

  /** `every epoch`, every product of every synapse: for events with more products than one mask holds. */
  private runEpochAll(s: SetState): void {
    const ev = s.rule.events[EV_EPOCH] as EventTable;
    const shifts = s.shifts[EV_EPOCH] as Int32Array;
    const core = this.cores[s.core];
    const syn = core.synapses;
    const pending = this.pending[s.core];
    const arrived = this.arrived[s.core];
    const fired = this.fired[s.core];
    const { axonFirst, axonCount, postFirst } = s.set;
    for (let a = 0; a < axonCount; a++) {
      const end = core.axonStart[axonFirst + a + 1];
      for (let i = core.axonStart[axonFirst + a]; i < end; i++) {
        const target = synapseTarget(syn[i]);
        const w = this.loadOperands(s, syn[i], a, target - postFirst, arrived[axonFirst + a] === 1 ? OPERAND_ONE : 0, fired[target] === 1 ? OPERAND_ONE : 0);
        pending[i] = addChange(pending[i], this.evaluate(ev, shifts, w));
      }
    }
  }

  /** SBP for one projection at its epoch's end (docs/isa.md, "SBP"). */
  private runSbp(st: SbpState, t: number): void {
    const cfg = st.config;
    const { P, D, colP, colD, rowP, rowD, gBpP, gBpD, gPost, gPreP, gPreD } = st;
    P.fill(0);
    D.fill(0);
    // 1. At the cores of the output synapses: P_j and |D_j| per presynaptic neuron j (retrograde packets carry them home);
    //    with polarity = efficacy, the change of a negative weight counts with its sign flipped.
    const efficacy = cfg.efficacy;
    for (const s of st.sources) {
      const core = this.cores[s.core];
      const pending = this.pending[s.core];
      const syn = core.synapses;
      for (let a = 0; a < s.set.axonCount; a++) {
        const j = s.set.axonPre[a];
        let p = P[j];
        let d = D[j];
        const end = core.axonStart[s.set.axonFirst + a + 1];
        for (let i = core.axonStart[s.set.axonFirst + a]; i < end; i++) {
          const v = efficacy && synapseWeight(syn[i]) < 0 ? -pending[i] : pending[i];
          if (v > 0) p = addSum(p, v);
          else if (v < 0) d = addSum(d, -v);
        }
        P[j] = p;
        D[j] = d;
      }
    }
    // 2. The lateral sums over this projection's own changes: per presynaptic neuron (rows), per postsynaptic neuron (columns);
    //    already made by this step's epoch passes when fused.
    const fused = st.fusedAt === t;
    if (fused) {
      // rowP..colD hold the sums.
    } else if (cfg.lateralPre > 0) {
      rowP.fill(0);
      rowD.fill(0);
    }
    if (cfg.lateralPost > 0 && !fused) {
      colP.fill(0);
      colD.fill(0);
    }
    if ((cfg.lateralPre > 0 || cfg.lateralPost > 0) && !fused) {
      const latPre = cfg.lateralPre > 0;
      const latPost = cfg.lateralPost > 0;
      for (const s of st.sets) {
        const core = this.cores[s.core];
        const pending = this.pending[s.core];
        const syn = core.synapses;
        const axonStart = core.axonStart;
        const { axonFirst, axonPre, postFirst } = s.set;
        const postIndex = s.postIndex;
        for (let a = 0; a < s.set.axonCount; a++) {
          const i0 = axonPre[a];
          // Saturating sums of non-negative values equal min(sum, max) in any order, so a row accumulates in locals.
          let rp = rowP[i0];
          let rd = rowD[i0];
          const end = axonStart[axonFirst + a + 1];
          for (let i = axonStart[axonFirst + a]; i < end; i++) {
            const v = pending[i];
            if (v === 0) continue;
            if (v > 0) {
              if (latPre) rp = addSum(rp, v);
              if (latPost) {
                const j = postIndex[synapseTarget(syn[i]) - postFirst];
                colP[j] = addSum(colP[j], v);
              }
            } else {
              if (latPre) rd = addSum(rd, -v);
              if (latPost) {
                const j = postIndex[synapseTarget(syn[i]) - postFirst];
                colD[j] = addSum(colD[j], -v);
              }
            }
          }
          if (latPre) {
            rowP[i0] = rp;
            rowD[i0] = rd;
          }
        }
      }
    }
    // 3. Shares and gains (the `layer` totals are the reduction's result).
    const sourceExp = st.sourceExponent;
    const ownExp = st.sets[0].exponent;
    shares(P, D, cfg.normalize, sourceExp, cfg.backward, gBpP);
    shares(D, P, cfg.normalize, sourceExp, cfg.backward, gBpD);
    if (cfg.lateralPost > 0) shares(colD, colP, cfg.normalize, ownExp, cfg.lateralPost, gPost);
    else gPost.fill(0);
    if (cfg.lateralPre > 0) {
      shares(rowP, rowD, cfg.normalize, ownExp, cfg.lateralPre, gPreP);
      shares(rowD, rowP, cfg.normalize, ownExp, cfg.lateralPre, gPreD);
    } else {
      gPreP.fill(0);
      gPreD.fill(0);
    }
    // 4. The gains on this projection's changes, same sign to same sign; sbp_updates counts the synapses of the rows it visits.
    const additive = cfg.additive;
    for (const s of st.sets) {
      const core = this.cores[s.core];
      const pending = this.pending[s.core];
      const syn = core.synapses;
      const axonStart = core.axonStart;
      const { axonFirst, axonPre, postFirst } = s.set;
      const postIndex = s.postIndex;
      const x1 = s.traces[TRACE_X1];
      const skipsIdleRows = s.rule.skipsIdleRows;
      let visited = 0;
      for (let a = 0; a < s.set.axonCount; a++) {
        if (skipsIdleRows && x1[a] === 0) continue;
        const i0 = axonPre[a];
        const preP = gPreP[i0];
        const preD = gPreD[i0];
        const start = axonStart[axonFirst + a];
        const end = axonStart[axonFirst + a + 1];
        visited += end - start;
        for (let i = start; i < end; i++) {
          const d = pending[i];
          // sbpGain(0, ...) is 0: in gain mode a synapse without a change keeps none.
          if (d === 0 && !additive) continue;
          const j = postIndex[synapseTarget(syn[i]) - postFirst];
          if (additive) {
            const g = sbpGain(d, preP, 0, preD, gPost[j], 0);
            const up = additiveChange(gBpP[j], x1[a], s.exponent);
            const down = additiveChange(gBpD[j], x1[a], s.exponent);
            pending[i] = addChange(addChange(g, up), -down);
          } else {
            pending[i] = sbpGain(d, preP, gBpP[j], preD, gPost[j], gBpD[j]);
          }
        }
      }
      core.counters[SBP_UPDATES] += visited;
      core.stepLearnCycles += visited * this.cycles.sbp_update;
    }
    // 5. Its fixed costs: packets, hops and adds, and the packets' latency on every core that waits for them.
    const costs = st.costs;
    for (let c = 0; c < this.cores.length; c++) {
      const base = c * SBP_COSTS;
      const counters = this.cores[c].counters;
      counters[SBP_RETRO] += costs[base + SBP_COST.retro];
      counters[SBP_REDUCTION_PACKETS] += costs[base + SBP_COST.reductionPackets];
      counters[SBP_HOPS_EW] += costs[base + SBP_COST.ew];
      counters[SBP_HOPS_NS] += costs[base + SBP_COST.ns];
      counters[SBP_HOPS_CHIP] += costs[base + SBP_COST.chip];
      counters[SBP_OPS] += costs[base + SBP_COST.ops];
      this.cores[c].stepLearnCycles += costs[base + SBP_COST.ops] * this.cycles.sbp_reduction_op;
    }
    for (const s of st.sets) this.cores[s.core].stepLearnCycles += st.latency;
  }

  /** The epoch's changes into the set's weights (stochastic rounding, bounds), then a fresh epoch. */
  private apply(s: SetState, t: number): void {
    const syn = this.cores[s.core].synapses;
    const pending = this.pending[s.core];
    const key = s.core * KEY_CORE_STRIDE;
    const prefix = random32Prefix(this.seed, STREAM.rounding, t);
    const { low, high } = s;
    for (let i = s.synFirst; i < s.synEnd; i++) {
      const change = pending[i];
      if (change === 0) continue;
      pending[i] = 0;
      const word = syn[i];
      // A change without a fraction rounds the same whatever the draw (applyChange compares it with 0).
      const w = applyChange(synapseWeight(word), change, (change & FRACTION_MASK) === 0 ? 0 : random32At(prefix, key + i), low, high);
      syn[i] = ((word & 0xffff00ff) | ((w & 0xff) << 8)) >>> 0;
    }
  }
}

/**
 * Gains lambda * share(v) per neuron into `out`: `layer` divides by the sum of v
 * over the population (the reduction), `fanout` by v + other (the neuron's own
 * change of both signs), `none` takes v in threshold units (at most 1).
 */
function shares(v: Int32Array, other: Int32Array, normalize: number, exponent: number, lambda: number, out: Int32Array): void {
  if (normalize === SBP_NORMALIZATIONS.layer) {
    let total = 0;
    for (let j = 0; j < v.length; j++) total = addSum(total, v[j]);
    for (let j = 0; j < v.length; j++) out[j] = gainOf(lambda, shareOf(v[j], total));
  } else if (normalize === SBP_NORMALIZATIONS.fanout) {
    for (let j = 0; j < v.length; j++) out[j] = gainOf(lambda, shareOf(v[j], addSum(v[j], other[j])));
  } else {
    for (let j = 0; j < v.length; j++) out[j] = gainOf(lambda, absoluteShare(v[j], exponent));
  }
}
