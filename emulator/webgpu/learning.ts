// The learn phase on the GPU: emulator/cpu/learning.ts (the reference order of
// docs/isa.md) as WGSL kernels, bit for bit. Per step, after the update kernel:
//   mark     (one thread per arrived packet): the axon's arrival stamp (its x0 spike bit) = t + 1
//   traces   (one thread per trace element): decay with stochastic rounding, then the step's spike
//   events   (one workgroup per plastic axon, a thread per synapse): on pre, on post and, where an
//            epoch ends, every epoch, into each synapse's pending change (one thread's: no race), counted
//   sbp*     (per SBP projection whose epoch ends): clear, sums, layer totals, gains, update
//            (which counts sbp_updates: the synapses of the rows it visits);
//            the sums are saturating sums of non-negative values, so any thread order gives the
//            reference's result (min(true sum, 2^31 - 1)), done with a compare-exchange loop
//   apply    (one workgroup per plastic axon): stochastic rounding into the weights, bounds
// The other per-epoch SBP costs (packets, hops, reductions, latencies) depend only on
// the mapping, so the host adds them, as the reference computes them once per projection.
import { maxWeightMantissa, UNIT_SHIFT } from '../../isa/fixed.js';
import {
  DW_FRAC,
  DW_MAX,
  GAIN_FRAC,
  GAIN_ONE,
  KEY_CORE_STRIDE,
  KEY_POPULATION_STRIDE,
  OPERAND_FRAC,
  OPERAND_MAX,
  OPERAND_ONE,
  PRODUCT_MAX,
  PRODUCT_SPLIT,
  TRACE_DECAY_BITS,
  TRACE_DECAY_ONE,
  TRACE_MAX,
} from '../../isa/learning/constants.js';
import { mantissaBounds } from '../../isa/learning/engine.js';
import type { LearningImage } from '../../isa/learning/image.js';
import { decode, epochSteps, sbpSkipsIdleRows } from '../../isa/learning/isa.js';
import { EVENTS, OPERANDS, SBP_NORMALIZATIONS, TRACES, WEIGHT, type TraceName } from '../../isa/learning/symbols.js';
import { SBP_COST, SBP_COSTS, sbpEpochCosts } from '../sbp-costs.js';
import { STREAM } from '../../isa/random.js';
import type { ChipImage } from '../../isa/image/types.js';
import { COUNTER_NAMES } from '../interface.js';
import { CTL, CTL_WORDS, PARAM, PARAM_WORDS, STAT_COUNTERS, STAT_STRIDE, WGSL_RANDOM } from './kernels.js';
import { CORE_FIELDS, CORE_STRIDE, ROUTE_STRIDE, type GpuLayout } from './layout.js';

const WG = 64;
const NONE = 0xffffffff;
const TRACE_COUNT = 5;
const TRACE_X1 = TRACES.x1.code;
const TRACE_X2 = TRACES.x2.code;
const TRACE_TEACH = TRACES.teach.code;

/** u32 columns of one plastic set in the learning table. */
const SET = {
  core: 0,
  rule: 1,
  exponent: 2,
  low: 3,
  high: 4,
  synFirst: 5,
  synEnd: 6,
  pendingFirst: 7,
  axonFirst: 8,
  slotBase: 9,
  coreSynBase: 10,
  traceBase: 11,
  teach: 16,
  postIndex: 17,
  axonPre: 18,
  axonCount: 19,
  postCount: 20,
  postFirst: 21,
} as const;
const SET_STRIDE = 24;
/** u32 columns of one rule: decay[5], impulse[5], epoch, (first product, count) per event, a bit per event that has a block (even of 0 products). */
const RULE = { decay: 0, impulse: 5, epoch: 10, events: 11, has: 17 } as const;
const RULE_STRIDE = 20;
/** u32 columns of one product: |mantissa| | neg << 16 | wOdd << 17, exponent (i32), factor count, factor codes (4 bits each). */
const PRODUCT_STRIDE = 4;
/** u32 columns of one SBP projection. */
const SBP = {
  scratch: 0,
  J: 1,
  I: 2,
  additive: 3,
  normalize: 4,
  backward: 5,
  lateralPre: 6,
  lateralPost: 7,
  sourceExp: 8,
  ownExp: 9,
  srcList: 10,
  srcCount: 11,
  ownList: 12,
  ownCount: 13,
  efficacy: 14,
  /** 1: the update pass skips rows whose x1 trace is 0 (isa/learning/isa.ts sbpSkipsIdleRows). */
  skipsIdleRows: 15,
} as const;
const SBP_STRIDE = 16;

/** SBP's per-epoch costs per core, as emulator/cpu/learning.ts counts them. */
/** The counter of each column of SBP_COST, in its column order. */
const COST_COUNTERS = [
  COUNTER_NAMES.indexOf('sbp_retrograde_packets'),
  COUNTER_NAMES.indexOf('sbp_reduction_packets'),
  COUNTER_NAMES.indexOf('sbp_hops_east_west'),
  COUNTER_NAMES.indexOf('sbp_hops_north_south'),
  COUNTER_NAMES.indexOf('sbp_hops_chip_to_chip'),
  COUNTER_NAMES.indexOf('sbp_reduction_ops'),
];

export interface GpuSbp {
  /** Threads of the clear pass, workgroups of the sums pass (one per axon), threads of the totals and gains passes, workgroups of the update pass. */
  readonly scratchWords: number;
  readonly sumThreads: number;
  readonly neurons: number;
  readonly ownCount: number;
  readonly layer: boolean;
  readonly epoch: number;
  /** Per core (index c * SBP_COSTS + k), the counts one epoch adds; and the latency each of its sets adds to its core. */
  readonly costs: Float64Array;
  readonly setCores: readonly number[];
  readonly latency: number;
}

/** The learning part of the image flattened for the kernels (host code, no GPU). */
export interface GpuLearningLayout {
  readonly table: Uint32Array;
  /** Offsets of the table's sections (u32 words), baked into the kernels as constants. */
  readonly at: Readonly<Record<'sets' | 'rules' | 'products' | 'axons' | 'elems' | 'postIndex' | 'axonPre' | 'teach' | 'sbp' | 'sbpList' | 'coreAxon', number>>;
  readonly elements: number;
  readonly plasticAxons: number;
  /** Learning state (i32 words): trace values, then arrival stamps per global axon, then pending changes per plastic synapse. */
  readonly arrivedAt: number;
  readonly pendingAt: number;
  readonly stateWords: number;
  readonly scratchWords: number;
  readonly teachLabelsAt: number;
  readonly sbp: readonly GpuSbp[];
  /** Distinct epoch lengths of the sets; whether any rule has `on pre` or `on post`. */
  readonly epochs: readonly number[];
  readonly hasPrePost: boolean;
  readonly teachPopulations: readonly string[];
  readonly teachSizes: readonly number[];
}

interface RuleInfo {
  readonly decay: number[];
  readonly impulse: number[];
  readonly has: boolean[];
  readonly epoch: number;
  bounds: { low: number; high: number } | undefined;
  readonly events: { first: number; count: number; has: boolean }[];
  sbp: { additive: boolean; normalize: number; efficacy: boolean; backward: number; lateralPre: number; lateralPost: number; skipsIdleRows: boolean } | undefined;
}

export function buildLearningLayout(image: ChipImage, learning: LearningImage, layout: GpuLayout): GpuLearningLayout {
  const profile = image.profile;
  const maxMant = maxWeightMantissa(profile.limits.weightBits);
  const pops = image.symbols.populations;
  const products: number[] = [];
  const rules: RuleInfo[] = learning.rules.map((r) => {
    const ins = decode(r.program).instructions;
    const info: RuleInfo = { decay: [0, 0, 0, 0, 0], impulse: [0, 0, 0, 0, 0], has: [false, false, false, false, false], epoch: epochSteps(ins), bounds: undefined, events: [0, 1, 2].map(() => ({ first: 0, count: 0, has: false })), sbp: undefined };
    for (let k = 0; k < ins.length; k++) {
      const x = ins[k];
      if (x.op === 'trace') {
        const code = TRACES[x.trace as TraceName].code;
        info.has[code] = true;
        info.decay[code] = x.decay;
        info.impulse[code] = x.impulse;
      } else if (x.op === 'bounds') info.bounds = { low: x.low, high: x.high };
      else if (x.op === 'sbp') info.sbp = { additive: x.mode === 'additive', normalize: SBP_NORMALIZATIONS[x.normalize], efficacy: x.polarity === 'efficacy', backward: x.backward, lateralPre: x.lateralPre, lateralPost: x.lateralPost, skipsIdleRows: sbpSkipsIdleRows(ins) };
      else if (x.op === 'event') {
        info.events[EVENTS[x.event]] = { first: products.length / PRODUCT_STRIDE, count: x.products, has: true };
        for (let p = 0; p < x.products; p++) {
          const prod = ins[k + 1 + p];
          if (prod.op !== 'product') throw new Error('webgpu learning: an event is not followed by its products (the image was validated, so this is a bug)');
          let codes = 0;
          let w = 0;
          prod.factors.forEach((f, i) => {
            codes |= OPERANDS[f] << (4 * i);
            if (f === WEIGHT) w++;
          });
          products.push(Math.abs(prod.mantissa) | ((prod.mantissa < 0 ? 1 : 0) << 16) | ((w & 1) << 17), prod.exponent >>> 0, prod.factors.length, codes);
        }
        k += x.products;
      }
    }
    return info;
  });

  // Each slot's index in its population (from the symbols' pieces).
  const slotIndex = image.cores.map((core) => new Int32Array(core.neuronCount).fill(-1));
  pops.forEach((pop) => {
    for (const piece of pop.pieces) {
      for (let k = 0; k < piece.count; k++) slotIndex[piece.core][piece.first + k] = piece.offset + k;
    }
  });
  const teachOf = new Map(learning.teach.map((t, i) => [t.population, i]));
  const coreSynBase = new Float64Array(image.cores.length + 1);
  image.cores.forEach((core, c) => (coreSynBase[c + 1] = coreSynBase[c] + core.synapses.length));
  const coreAxonBase = (c: number): number => layout.coreTable[c * CORE_STRIDE + CORE_FIELDS.axonBase];

  interface SetInfo {
    readonly core: number;
    readonly projection: number;
    readonly exponent: number;
    readonly synFirst: number;
    readonly synEnd: number;
    readonly axonFirst: number;
    readonly axonCount: number;
    readonly axonList: number;
    readonly epoch: number;
  }
  const setRows: number[][] = [];
  const sets: SetInfo[] = [];
  const axonRows: number[] = [];
  const elemRows: number[] = [];
  const postIndex: number[] = [];
  const axonPre: number[] = [];
  let pending = 0;
  learning.cores.forEach((coreSets, c) => {
    const core = image.cores[c];
    let key = c * KEY_CORE_STRIDE;
    for (const set of coreSets) {
      const proj = learning.projections[set.projection];
      const rule = rules[proj.rule];
      const exponent = core.axonWeightExp[set.axonFirst];
      const b = rule.bounds === undefined ? { low: -maxMant, high: maxMant } : mantissaBounds(rule.bounds.low, rule.bounds.high, exponent, maxMant);
      const synFirst = core.axonStart[set.axonFirst];
      const synEnd = core.axonStart[set.axonFirst + set.axonCount];
      const s = sets.length;
      const row = new Array<number>(SET_STRIDE).fill(0);
      row[SET.core] = c;
      row[SET.rule] = proj.rule;
      row[SET.exponent] = exponent;
      row[SET.low] = b.low >>> 0;
      row[SET.high] = b.high >>> 0;
      row[SET.synFirst] = coreSynBase[c] + synFirst;
      row[SET.synEnd] = coreSynBase[c] + synEnd;
      row[SET.pendingFirst] = pending;
      row[SET.axonFirst] = coreAxonBase(c) + set.axonFirst;
      row[SET.slotBase] = layout.nbase[c];
      row[SET.coreSynBase] = coreSynBase[c];
      for (let code = 0; code < TRACE_COUNT; code++) {
        if (!rule.has[code]) {
          row[SET.traceBase + code] = NONE;
          continue;
        }
        const len = code <= TRACE_X2 ? set.axonCount : set.postCount;
        row[SET.traceBase + code] = elemRows.length / 4;
        for (let k = 0; k < len; k++) elemRows.push(key + k, s, code, k);
        key += len;
      }
      row[SET.teach] = teachOf.get(proj.post) ?? NONE;
      row[SET.postIndex] = postIndex.length;
      for (let k = 0; k < set.postCount; k++) postIndex.push(slotIndex[c][set.postFirst + k] >>> 0);
      row[SET.axonPre] = axonPre.length;
      for (let a = 0; a < set.axonCount; a++) axonPre.push(set.axonPre[a]);
      row[SET.axonCount] = set.axonCount;
      row[SET.postCount] = set.postCount;
      row[SET.postFirst] = set.postFirst;
      setRows.push(row);
      sets.push({ core: c, projection: set.projection, exponent, synFirst, synEnd, axonFirst: set.axonFirst, axonCount: set.axonCount, axonList: axonRows.length / 2, epoch: rule.epoch });
      for (let a = 0; a < set.axonCount; a++) axonRows.push(s, a);
      pending += synEnd - synFirst;
    }
  });

  // SBP: per projection, its scratch, its axon lists and its fixed per-epoch costs (as emulator/cpu/learning.ts counts them).
  const sbpRows: number[][] = [];
  const sbpList: number[] = [];
  const sbp: GpuSbp[] = [];
  let scratch = 0;
  learning.projections.forEach((proj, p) => {
    const config = rules[proj.rule].sbp;
    if (config === undefined) return;
    const own = sets.filter((s) => s.projection === p);
    const sources = sets.filter((s) => proj.sources.includes(s.projection));
    const J = pops[proj.post];
    const I = pops[proj.pre];
    const { costs, latency } = sbpEpochCosts(image, learning, p, config);
    const row = new Array<number>(SBP_STRIDE).fill(0);
    const words = 7 * J.size + 4 * I.size + 8;
    row[SBP.scratch] = scratch;
    row[SBP.J] = J.size;
    row[SBP.I] = I.size;
    row[SBP.additive] = config.additive ? 1 : 0;
    row[SBP.normalize] = config.normalize;
    row[SBP.efficacy] = config.efficacy ? 1 : 0;
    row[SBP.skipsIdleRows] = config.skipsIdleRows ? 1 : 0;
    row[SBP.backward] = config.backward;
    row[SBP.lateralPre] = config.lateralPre;
    row[SBP.lateralPost] = config.lateralPost;
    row[SBP.sourceExp] = sources[0] === undefined ? 0 : sources[0].exponent;
    row[SBP.ownExp] = own[0] === undefined ? 0 : own[0].exponent;
    row[SBP.srcList] = sbpList.length;
    for (const s of sources) for (let a = 0; a < s.axonCount; a++) sbpList.push(s.axonList + a);
    row[SBP.srcCount] = sbpList.length - row[SBP.srcList];
    row[SBP.ownList] = sbpList.length;
    for (const s of own) for (let a = 0; a < s.axonCount; a++) sbpList.push(s.axonList + a);
    row[SBP.ownCount] = sbpList.length - row[SBP.ownList];
    sbpRows.push(row);
    sbp.push({
      scratchWords: words,
      sumThreads: row[SBP.srcCount] + row[SBP.ownCount],
      neurons: Math.max(J.size, I.size),
      ownCount: row[SBP.ownCount],
      layer: config.normalize === SBP_NORMALIZATIONS.layer,
      // No set of its own: the reference never runs it (0: no epoch ends).
      epoch: own[0] === undefined ? 0 : own[0].epoch,
      costs,
      setCores: own.map((s) => s.core),
      latency,
    });
    scratch += words;
  });
  const teachLabelsAt = scratch;
  scratch += Math.max(1, learning.teach.length);

  // The table: sections one after another.
  const sections: [keyof GpuLearningLayout['at'], readonly number[]][] = [
    ['sets', setRows.flat()],
    ['rules', rules.flatMap((r) => {
      const row = new Array<number>(RULE_STRIDE).fill(0);
      for (let c = 0; c < TRACE_COUNT; c++) {
        row[RULE.decay + c] = r.decay[c];
        row[RULE.impulse + c] = r.impulse[c];
      }
      row[RULE.epoch] = r.epoch;
      r.events.forEach((e, k) => {
        row[RULE.events + 2 * k] = e.first;
        row[RULE.events + 2 * k + 1] = e.count;
        if (e.has) row[RULE.has] |= 1 << k;
      });
      return row;
    })],
    ['products', products],
    ['axons', axonRows],
    ['elems', elemRows],
    ['postIndex', postIndex],
    ['axonPre', axonPre],
    ['teach', learning.teach.flatMap((t) => [t.threshold >>> 0, t.population * KEY_POPULATION_STRIDE])],
    ['sbp', sbpRows.flat()],
    ['sbpList', sbpList],
    ['coreAxon', image.cores.map((_, c) => coreAxonBase(c))],
  ];
  const total = sections.reduce((n, [, s]) => n + s.length, 0);
  const table = new Uint32Array(Math.max(4, total));
  const at = {} as Record<keyof GpuLearningLayout['at'], number>;
  let off = 0;
  for (const [name, data] of sections) {
    at[name] = off;
    for (let k = 0; k < data.length; k++) table[off + k] = data[k] >>> 0;
    off += data.length;
  }
  const elements = elemRows.length / 4;
  const arrivedAt = elements;
  const pendingAt = arrivedAt + layout.axonTable.length / 2;
  const epochs = [...new Set(sets.map((s) => s.epoch))];
  return {
    table,
    at,
    elements,
    plasticAxons: axonRows.length / 2,
    arrivedAt,
    pendingAt,
    stateWords: pendingAt + pending,
    scratchWords: scratch,
    teachLabelsAt,
    sbp,
    epochs,
    hasPrePost: rules.some((r) => r.events[EVENTS.pre].has || r.events[EVENTS.post].has),
    teachPopulations: learning.teach.map((t) => pops[t.population].name),
    teachSizes: learning.teach.map((t) => pops[t.population].size),
  };
}

/** Per-epoch SBP costs of one projection into counters (c * COUNTERS + k) and per-core learn cycles. */
export function addSbpCosts(s: GpuSbp, cycles: { readonly sbp_reduction_op: number }, counters: Float64Array, stepLog: Float64Array, logAt: number, learnCycles: Float64Array): void {
  const counterCount = COUNTER_NAMES.length;
  for (let c = 0; c < learnCycles.length; c++) {
    const base = c * SBP_COSTS;
    for (let k = 0; k < SBP_COSTS; k++) {
      const v = s.costs[base + k];
      if (v === 0) continue;
      counters[c * counterCount + COST_COUNTERS[k]] += v;
      stepLog[logAt + COST_COUNTERS[k]] += v;
    }
    learnCycles[c] += s.costs[base + SBP_COST.ops] * cycles.sbp_reduction_op;
  }
  for (const c of s.setCores) learnCycles[c] += s.latency;
}

const u = (x: number): string => `${x >>> 0}u`;

/** The learn-phase kernels for one layout; `chunks` synapse bindings (2^chunkShift words each), read-write. */
export function learnShader(l: GpuLearningLayout, chunks: number): string {
  const A = l.at;
  const SU = STAT_COUNTERS.indexOf('synaptic_updates');
  const SBPU = STAT_COUNTERS.indexOf('sbp_updates');
  const syn = Array.from({ length: chunks }, (_, k) => `@group(0) @binding(${10 + k}) var<storage, read_write> syn${k}: array<u32>;`).join('\n');
  const cases = (body: (k: number) => string): string => Array.from({ length: chunks }, (_, k) => `    case ${k}u: { ${body(k)} }`).join('\n');
  const access =
    chunks === 1
      ? `fn synapse(s: u32) -> u32 { return syn0[s]; }\nfn setSynapse(s: u32, w: u32) { syn0[s] = w; }`
      : `fn synapse(s: u32) -> u32 {
  let shift = param(${PARAM.chunkShift}u);
  let m = s & ((1u << shift) - 1u);
  switch (s >> shift) {
${cases((k) => `return syn${k}[m];`)}
    default: { return 0u; }
  }
}
fn setSynapse(s: u32, w: u32) {
  let shift = param(${PARAM.chunkShift}u);
  let m = s & ((1u << shift) - 1u);
  switch (s >> shift) {
${cases((k) => `syn${k}[m] = w;`)}
    default: { }
  }
}`;
  return `
struct Params { w: array<vec4<u32>, ${PARAM_WORDS / 4}> }
@group(0) @binding(0) var<uniform> params: Params;
fn param(k: u32) -> u32 { return params.w[k / 4u][k % 4u]; }
@group(0) @binding(1) var<storage, read> ctl: array<u32, ${CTL_WORDS}>;
@group(0) @binding(2) var<storage, read> queue: array<u32>;
@group(0) @binding(3) var<storage, read> routes: array<u32>;
@group(0) @binding(4) var<storage, read> recordBits: array<u32>;
@group(0) @binding(5) var<storage, read> ltab: array<u32>;
@group(0) @binding(6) var<storage, read> axons: array<u32>;
@group(0) @binding(7) var<storage, read_write> lstate: array<i32>;
@group(0) @binding(8) var<storage, read_write> scratch: array<atomic<u32>>;
@group(0) @binding(9) var<storage, read_write> stats: array<atomic<u32>>;
${syn}
${access}
${WGSL_RANDOM}
override PROJ: u32 = 0u;

const NONE: u32 = ${u(NONE)};
const DW_MAX: i32 = ${DW_MAX}i;
const SUM_MAX: u32 = 0x7fffffffu;

fn tid(wid: vec3<u32>, lid: u32) -> u32 { return (wid.x + wid.y * param(${PARAM.maxWorkgroups}u)) * ${u(WG)} + lid; }
/** Kernels with one workgroup per plastic axon: its 64 threads share the axon's synapses. */
fn wgIndex(wid: vec3<u32>) -> u32 { return wid.x + wid.y * param(${PARAM.maxWorkgroups}u); }
fn stepNow() -> u32 { return ctl[${CTL.t}]; }
fn arrivedAxon(ga: u32) -> bool { return lstate[${u(l.arrivedAt)} + ga] == bitcast<i32>(stepNow() + 1u); }
fn firedSlot(slot: u32) -> bool {
  let index = (ctl[${CTL.slotOffset}] + stepNow() - ctl[${CTL.batchStart}]) * param(${PARAM.recordWords}u) + (slot >> 5u);
  return ((recordBits[index] >> (slot & 31u)) & 1u) == 1u;
}
fn setField(s: u32, f: u32) -> u32 { return ltab[${u(A.sets)} + s * ${u(SET_STRIDE)} + f]; }
fn ruleField(r: u32, f: u32) -> u32 { return ltab[${u(A.rules)} + r * ${u(RULE_STRIDE)} + f]; }
fn epochEnds(s: u32) -> bool { return (stepNow() + 1u) % ruleField(setField(s, ${u(SET.rule)}), ${u(RULE.epoch)}) == 0u; }
fn weightOf(word: u32) -> i32 { return bitcast<i32>(word << 16u) >> 24u; }
fn traceAt(s: u32, code: u32, index: u32) -> u32 {
  let base = setField(s, ${u(SET.traceBase)} + code);
  if (base == NONE) { return 0u; }
  return u32(lstate[base + index]);
}

// isa/learning/engine.ts, line by line, in 32-bit integers.
fn traceStep(x: u32, decay: u32, impulse: u32, spike: bool, rnd: u32) -> u32 {
  let p = x * (${u(TRACE_DECAY_ONE)} - decay);
  var next = p >> ${u(TRACE_DECAY_BITS)};
  if ((rnd >> ${u(32 - TRACE_DECAY_BITS)}) < (p & ${u(TRACE_DECAY_ONE - 1)})) { next = next + 1u; }
  if (spike) { next = next + impulse; }
  return min(next, ${u(TRACE_MAX)});
}
fn weightOperand(m: i32, exponent: u32) -> u32 {
  let q = (u32(abs(m)) << exponent) >> ${u(UNIT_SHIFT - OPERAND_FRAC)};
  return min(q, ${u(OPERAND_MAX)});
}
fn mulOperands(a: u32, b: u32) -> u32 {
  let p = (a >> ${u(PRODUCT_SPLIT)}) * b + (((a & ${u((1 << PRODUCT_SPLIT) - 1)}) * b) >> ${u(OPERAND_FRAC)});
  return min(p, ${u(PRODUCT_MAX)});
}
fn scaleProduct(r: u32, shift: i32) -> i32 {
  if (shift >= 0i) {
    if (shift > 27i || r > (u32(DW_MAX) >> u32(shift))) { return select(DW_MAX, 0i, r == 0u); }
    return i32(r << u32(shift));
  }
  if (-shift > 31i) { return 0i; }
  return i32(r >> u32(-shift));
}
fn scaleTerm(m: u32, p: u32, shift: i32) -> i32 {
  let hi = scaleProduct(m * (p >> ${u(PRODUCT_SPLIT)}), shift + ${PRODUCT_SPLIT}i);
  let lo = scaleProduct(m * (p & ${u((1 << PRODUCT_SPLIT) - 1)}), shift);
  return min(hi + lo, DW_MAX);
}
fn addChange(a: i32, b: i32) -> i32 { return clamp(a + b, -DW_MAX, DW_MAX); }
fn addSum(a: u32, b: u32) -> u32 { return min(a + b, SUM_MAX); }

/** One event's products added one by one (saturating) to dw, for operands opv (codes 1..8). */
fn evaluate(first: u32, count: u32, exponent: u32, opv: array<u32, 9>, w: i32, dw0: i32) -> i32 {
  var dw = dw0;
  var o = opv;
  for (var p = 0u; p < count; p = p + 1u) {
    let row = ${u(A.products)} + (first + p) * ${u(PRODUCT_STRIDE)};
    let head = ltab[row];
    let nf = ltab[row + 2u];
    let codes = ltab[row + 3u];
    var prod = ${u(OPERAND_ONE)};
    if (nf > 0u) { prod = o[codes & 15u]; }
    for (var f = 1u; f < nf; f = f + 1u) { prod = mulOperands(prod, o[(codes >> (4u * f)) & 15u]); }
    // productShift: coefficient exponent - 12 + 16 - weight exponent + 16.
    let shift = bitcast<i32>(ltab[row + 1u]) - ${OPERAND_FRAC}i + ${UNIT_SHIFT}i - i32(exponent) + ${DW_FRAC}i;
    let mag = scaleTerm(head & 0xffffu, prod, shift);
    let negative = (((head >> 16u) & 1u) ^ (((head >> 17u) & 1u) & select(0u, 1u, w < 0i))) == 1u;
    dw = addChange(dw, select(mag, -mag, negative));
  }
  return dw;
}

@compute @workgroup_size(${WG})
fn mark(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = stepNow();
  let parity = t & 1u;
  let count = ctl[${CTL.queueCount}u + parity];
  for (var p = wid.x * ${u(WG)} + lid; p < count; p = p + nwg.x * ${u(WG)}) {
    let packet = routes[queue[parity * param(${PARAM.queueCap}u) + p] * ${u(ROUTE_STRIDE)}];
    let ga = ltab[${u(A.coreAxon)} + (packet >> 16u)] + (packet & 0xffffu);
    lstate[${u(l.arrivedAt)} + ga] = bitcast<i32>(t + 1u);
  }
}

@compute @workgroup_size(${WG})
fn traces(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let e = tid(wid, lid);
  if (e >= ${u(l.elements)}) { return; }
  let row = ${u(A.elems)} + e * 4u;
  let key = ltab[row];
  let s = ltab[row + 1u];
  let code = ltab[row + 2u];
  let k = ltab[row + 3u];
  let t = stepNow();
  var spike = false;
  if (code <= ${u(TRACE_X2)}) {
    spike = arrivedAxon(setField(s, ${u(SET.axonFirst)}) + k);
  } else if (code == ${u(TRACE_TEACH)}) {
    let b = setField(s, ${u(SET.teach)});
    if (b != NONE) {
      let label = atomicLoad(&scratch[${u(l.teachLabelsAt)} + b]);
      let teach = ${u(A.teach)} + b * 2u;
      if (label != NONE && random32(param(${PARAM.seed}u), ${u(STREAM.teach)}, t, ltab[teach + 1u] + label) < ltab[teach]) {
        spike = ltab[${u(A.postIndex)} + setField(s, ${u(SET.postIndex)}) + k] == label;
      }
    }
  } else {
    spike = firedSlot(setField(s, ${u(SET.slotBase)}) + setField(s, ${u(SET.postFirst)}) + k);
  }
  let x = u32(lstate[e]);
  if (x == 0u && !spike) { return; }
  let r = setField(s, ${u(SET.rule)});
  let rnd = random32(param(${PARAM.seed}u), ${u(STREAM.trace)}, t, key);
  lstate[e] = i32(traceStep(x, ruleField(r, ${u(RULE.decay)} + code), ruleField(r, ${u(RULE.impulse)} + code), spike, rnd));
}

@compute @workgroup_size(${WG})
fn events(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wgIndex(wid);
  if (g >= ${u(l.plasticAxons)}) { return; }
  let s = ltab[${u(A.axons)} + g * 2u];
  let a = ltab[${u(A.axons)} + g * 2u + 1u];
  let r = setField(s, ${u(SET.rule)});
  let preFirst = ruleField(r, ${u(RULE.events + 2 * EVENTS.pre)});
  let preCount = ruleField(r, ${u(RULE.events + 2 * EVENTS.pre + 1)});
  let postFirst = ruleField(r, ${u(RULE.events + 2 * EVENTS.post)});
  let postCount = ruleField(r, ${u(RULE.events + 2 * EVENTS.post + 1)});
  let epochFirst = ruleField(r, ${u(RULE.events + 2 * EVENTS.epoch)});
  let epochCount = ruleField(r, ${u(RULE.events + 2 * EVENTS.epoch + 1)});
  let has = ruleField(r, ${u(RULE.has)});
  let hasPre = (has & ${u(1 << EVENTS.pre)}) != 0u;
  let hasPost = (has & ${u(1 << EVENTS.post)}) != 0u;
  let sweeps = preCount + postCount + epochCount > 0u;
  let ends = epochEnds(s);
  let ga = setField(s, ${u(SET.axonFirst)}) + a;
  let arrived = arrivedAxon(ga);
  if (!ends && !(arrived && hasPre) && !hasPost) { return; }
  let exponent = setField(s, ${u(SET.exponent)});
  let slotBase = setField(s, ${u(SET.slotBase)});
  let localFirst = setField(s, ${u(SET.postFirst)});
  let synFirst = setField(s, ${u(SET.synFirst)});
  let pend = ${u(l.pendingAt)} + setField(s, ${u(SET.pendingFirst)});
  var opv: array<u32, 9>;
  opv[${OPERANDS.x0}] = select(0u, ${u(OPERAND_ONE)}, arrived);
  opv[${OPERANDS.x1}] = traceAt(s, ${u(TRACE_X1)}, a);
  opv[${OPERANDS.x2}] = traceAt(s, ${u(TRACE_X2)}, a);
  let start = axons[ga * 2u];
  let end = axons[ga * 2u + 2u];
  var updates = 0u;
  for (var i = start + lid; i < end; i = i + ${u(WG)}) {
    let word = synapse(i);
    let post = word >> 16u;
    let k = post - localFirst;
    let fired = firedSlot(slotBase + post);
    let w = weightOf(word);
    opv[${OPERANDS.w}] = weightOperand(w, exponent);
    opv[${OPERANDS.y0}] = select(0u, ${u(OPERAND_ONE)}, fired);
    opv[${OPERANDS.y1}] = traceAt(s, ${u(TRACES.y1.code)}, k);
    opv[${OPERANDS.y2}] = traceAt(s, ${u(TRACES.y2.code)}, k);
    opv[${OPERANDS.teach}] = traceAt(s, ${u(TRACE_TEACH)}, k);
    let at = pend + (i - synFirst);
    var dw = lstate[at];
    if (arrived && hasPre) {
      dw = addChange(dw, evaluate(preFirst, preCount, exponent, opv, w, 0i));
      updates = updates + 1u;
    }
    if (fired && hasPost) {
      dw = addChange(dw, evaluate(postFirst, postCount, exponent, opv, w, 0i));
      updates = updates + 1u;
    }
    if (ends) {
      dw = evaluate(epochFirst, epochCount, exponent, opv, w, dw);
      // The write-back pass, only for a rule with products of its own (isa/learning/isa.ts hasProducts).
      if (sweeps) { updates = updates + 1u; }
    }
    lstate[at] = dw;
  }
  if (updates > 0u) { atomicAdd(&stats[setField(s, ${u(SET.core)}) * ${u(STAT_STRIDE)} + ${u(SU)}], updates); }
}

@compute @workgroup_size(${WG})
fn apply(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wgIndex(wid);
  if (g >= ${u(l.plasticAxons)}) { return; }
  let s = ltab[${u(A.axons)} + g * 2u];
  if (!epochEnds(s)) { return; }
  let a = ltab[${u(A.axons)} + g * 2u + 1u];
  let ga = setField(s, ${u(SET.axonFirst)}) + a;
  let synFirst = setField(s, ${u(SET.synFirst)});
  let pend = ${u(l.pendingAt)} + setField(s, ${u(SET.pendingFirst)});
  let key = setField(s, ${u(SET.core)}) * ${u(KEY_CORE_STRIDE)} - setField(s, ${u(SET.coreSynBase)});
  let low = bitcast<i32>(setField(s, ${u(SET.low)}));
  let high = bitcast<i32>(setField(s, ${u(SET.high)}));
  let end = axons[ga * 2u + 2u];
  for (var i = axons[ga * 2u] + lid; i < end; i = i + ${u(WG)}) {
    let change = lstate[pend + (i - synFirst)];
    if (change == 0i) { continue; }
    lstate[pend + (i - synFirst)] = 0i;
    let word = synapse(i);
    let rnd = random32(param(${PARAM.seed}u), ${u(STREAM.rounding)}, stepNow(), key + i);
    var w = weightOf(word) + (change >> ${u(DW_FRAC)});
    if ((rnd >> ${u(32 - DW_FRAC)}) < (bitcast<u32>(change) & ${u((1 << DW_FRAC) - 1)})) { w = w + 1i; }
    w = clamp(w, low, high);
    setSynapse(i, (word & 0xffff00ffu) | ((bitcast<u32>(w) & 0xffu) << 8u));
  }
}

// ---------------------------------------------------------------- SBP (one pipeline per projection: PROJ)

fn sbpField(f: u32) -> u32 { return ltab[${u(A.sbp)} + PROJ * ${u(SBP_STRIDE)} + f]; }
/** A saturating add of a non-negative value into scratch[i]: min(sum, 2^31 - 1) whatever the order of the adds. */
fn satAdd(i: u32, v: u32) {
  if (v == 0u) { return; }
  var old = atomicLoad(&scratch[i]);
  loop {
    if (old >= SUM_MAX) { return; }
    let r = atomicCompareExchangeWeak(&scratch[i], old, min(old + v, SUM_MAX));
    if (r.exchanged) { return; }
    old = r.old_value;
  }
}
fn sc(i: u32) -> u32 { return atomicLoad(&scratch[i]); }
fn shareOf(v: u32, total: u32) -> u32 {
  if (total == 0u) { return 0u; }
  let k = u32(max(0i, 32i - i32(countLeadingZeros(total)) - 16i));
  let t = total >> k;
  if (t == 0u) { return 0u; }
  return ((v >> k) * ${u(GAIN_ONE)}) / t;
}
fn absoluteShare(v: u32, exponent: u32) -> u32 {
  let q = v >> ((${u(DW_FRAC + UNIT_SHIFT - GAIN_FRAC)} - exponent) & 31u);
  return min(q, ${u(GAIN_ONE)});
}
fn gainOf(lambda: u32, share: u32) -> u32 {
  if (lambda == ${u(GAIN_ONE)}) { return share; }
  return (lambda * share) >> ${u(GAIN_FRAC)};
}
fn shareBy(v: u32, other: u32, total: u32, exponent: u32) -> u32 {
  let normalize = sbpField(${u(SBP.normalize)});
  if (normalize == ${u(SBP_NORMALIZATIONS.layer)}) { return shareOf(v, total); }
  if (normalize == ${u(SBP_NORMALIZATIONS.fanout)}) { return shareOf(v, addSum(v, other)); }
  return absoluteShare(v, exponent);
}
fn mulGain(a: u32, g: u32) -> u32 { return (a >> 16u) * g + (((a & 0xffffu) * g) >> 16u); }
fn sbpGain(d: i32, gPrePot: u32, gBpPot: u32, gPreDep: u32, gPostDep: u32, gBpDep: u32) -> i32 {
  if (d > 0i) { return addChange(d, i32(mulGain(u32(d), (gPrePot + gBpPot) >> 1u))); }
  if (d < 0i) { return addChange(d, -i32(mulGain(u32(-d), (gPreDep + gPostDep + gBpDep) / 3u))); }
  return 0i;
}
fn additiveChange(gain: u32, x1: u32, exponent: u32) -> i32 {
  let thr = (gain * x1) >> ${u(OPERAND_FRAC)};
  return scaleProduct(thr, ${DW_FRAC + UNIT_SHIFT - GAIN_FRAC}i - i32(exponent));
}

@compute @workgroup_size(${WG})
fn sbpClear(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = tid(wid, lid);
  let J = sbpField(${u(SBP.J)});
  let I = sbpField(${u(SBP.I)});
  if (n < 7u * J + 4u * I + 8u) { atomicStore(&scratch[sbpField(${u(SBP.scratch)}) + n], 0u); }
}

@compute @workgroup_size(${WG})
fn sbpSums(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = wgIndex(wid);
  let J = sbpField(${u(SBP.J)});
  let I = sbpField(${u(SBP.I)});
  let base = sbpField(${u(SBP.scratch)});
  let srcCount = sbpField(${u(SBP.srcCount)});
  let latPre = sbpField(${u(SBP.lateralPre)}) > 0u;
  let latPost = sbpField(${u(SBP.lateralPost)}) > 0u;
  var g = 0u;
  if (n < srcCount) {
    g = ltab[${u(A.sbpList)} + sbpField(${u(SBP.srcList)}) + n];
  } else if (n < srcCount + sbpField(${u(SBP.ownCount)}) && (latPre || latPost)) {
    g = ltab[${u(A.sbpList)} + sbpField(${u(SBP.ownList)}) + n - srcCount];
  } else {
    return;
  }
  let s = ltab[${u(A.axons)} + g * 2u];
  let a = ltab[${u(A.axons)} + g * 2u + 1u];
  let ga = setField(s, ${u(SET.axonFirst)}) + a;
  let pre = ltab[${u(A.axonPre)} + setField(s, ${u(SET.axonPre)}) + a];
  let synFirst = setField(s, ${u(SET.synFirst)});
  let pend = ${u(l.pendingAt)} + setField(s, ${u(SET.pendingFirst)});
  let end = axons[ga * 2u + 2u];
  var p = 0u;
  var d = 0u;
  if (n < srcCount) {
    // P_j, D_j of the neuron j this source axon leaves; with polarity = efficacy a negative weight's change counts negated.
    let efficacy = sbpField(${u(SBP.efficacy)}) != 0u;
    for (var i = axons[ga * 2u] + lid; i < end; i = i + ${u(WG)}) {
      let change = lstate[pend + (i - synFirst)];
      let v = select(change, -change, efficacy && weightOf(synapse(i)) < 0i);
      if (v > 0i) { p = addSum(p, u32(v)); } else if (v < 0i) { d = addSum(d, u32(-v)); }
    }
    satAdd(base + pre, p);
    satAdd(base + J + pre, d);
    return;
  }
  // Lateral sums over this projection's own changes: rows per presynaptic neuron, columns per postsynaptic one.
  let localFirst = setField(s, ${u(SET.postFirst)});
  let postIndex = ${u(A.postIndex)} + setField(s, ${u(SET.postIndex)});
  for (var i = axons[ga * 2u] + lid; i < end; i = i + ${u(WG)}) {
    let v = lstate[pend + (i - synFirst)];
    if (v == 0i) { continue; }
    let j = ltab[postIndex + (synapse(i) >> 16u) - localFirst];
    if (v > 0i) {
      p = addSum(p, u32(v));
      if (latPost) { satAdd(base + 2u * J + j, u32(v)); }
    } else {
      d = addSum(d, u32(-v));
      if (latPost) { satAdd(base + 3u * J + j, u32(-v)); }
    }
  }
  if (latPre) {
    satAdd(base + 7u * J + pre, p);
    satAdd(base + 7u * J + I + pre, d);
  }
}

@compute @workgroup_size(${WG})
fn sbpTotals(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = tid(wid, lid);
  let J = sbpField(${u(SBP.J)});
  let I = sbpField(${u(SBP.I)});
  let base = sbpField(${u(SBP.scratch)});
  let totals = base + 7u * J + 4u * I;
  if (n < J) {
    satAdd(totals, sc(base + n));
    satAdd(totals + 1u, sc(base + J + n));
    if (sbpField(${u(SBP.lateralPost)}) > 0u) { satAdd(totals + 2u, sc(base + 3u * J + n)); }
  }
  if (n < I && sbpField(${u(SBP.lateralPre)}) > 0u) {
    satAdd(totals + 3u, sc(base + 7u * J + n));
    satAdd(totals + 4u, sc(base + 7u * J + I + n));
  }
}

@compute @workgroup_size(${WG})
fn sbpGains(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = tid(wid, lid);
  let J = sbpField(${u(SBP.J)});
  let I = sbpField(${u(SBP.I)});
  let base = sbpField(${u(SBP.scratch)});
  let totals = base + 7u * J + 4u * I;
  let srcExp = sbpField(${u(SBP.sourceExp)});
  let ownExp = sbpField(${u(SBP.ownExp)});
  let backward = sbpField(${u(SBP.backward)});
  let latPre = sbpField(${u(SBP.lateralPre)});
  let latPost = sbpField(${u(SBP.lateralPost)});
  if (n < J) {
    let P = sc(base + n);
    let D = sc(base + J + n);
    atomicStore(&scratch[base + 4u * J + n], gainOf(backward, shareBy(P, D, sc(totals), srcExp)));
    atomicStore(&scratch[base + 5u * J + n], gainOf(backward, shareBy(D, P, sc(totals + 1u), srcExp)));
    var gPost = 0u;
    if (latPost > 0u) { gPost = gainOf(latPost, shareBy(sc(base + 3u * J + n), sc(base + 2u * J + n), sc(totals + 2u), ownExp)); }
    atomicStore(&scratch[base + 6u * J + n], gPost);
  }
  if (n < I) {
    var gP = 0u;
    var gD = 0u;
    if (latPre > 0u) {
      let rowP = sc(base + 7u * J + n);
      let rowD = sc(base + 7u * J + I + n);
      gP = gainOf(latPre, shareBy(rowP, rowD, sc(totals + 3u), ownExp));
      gD = gainOf(latPre, shareBy(rowD, rowP, sc(totals + 4u), ownExp));
    }
    atomicStore(&scratch[base + 7u * J + 2u * I + n], gP);
    atomicStore(&scratch[base + 7u * J + 3u * I + n], gD);
  }
}

@compute @workgroup_size(${WG})
fn sbpUpdate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = wgIndex(wid);
  if (n >= sbpField(${u(SBP.ownCount)})) { return; }
  let J = sbpField(${u(SBP.J)});
  let I = sbpField(${u(SBP.I)});
  let base = sbpField(${u(SBP.scratch)});
  let additive = sbpField(${u(SBP.additive)}) == 1u;
  let g = ltab[${u(A.sbpList)} + sbpField(${u(SBP.ownList)}) + n];
  let s = ltab[${u(A.axons)} + g * 2u];
  let a = ltab[${u(A.axons)} + g * 2u + 1u];
  let ga = setField(s, ${u(SET.axonFirst)}) + a;
  let i0 = ltab[${u(A.axonPre)} + setField(s, ${u(SET.axonPre)}) + a];
  let gPreP = sc(base + 7u * J + 2u * I + i0);
  let gPreD = sc(base + 7u * J + 3u * I + i0);
  let x1 = traceAt(s, ${u(TRACE_X1)}, a);
  // A row that cannot change is not visited (isa/learning/isa.ts sbpSkipsIdleRows); sbp_updates counts the rows visited.
  if (x1 == 0u && sbpField(${u(SBP.skipsIdleRows)}) == 1u) { return; }
  let exponent = setField(s, ${u(SET.exponent)});
  let synFirst = setField(s, ${u(SET.synFirst)});
  let pend = ${u(l.pendingAt)} + setField(s, ${u(SET.pendingFirst)});
  let localFirst = setField(s, ${u(SET.postFirst)});
  let postIndex = ${u(A.postIndex)} + setField(s, ${u(SET.postIndex)});
  let start = axons[ga * 2u];
  let end = axons[ga * 2u + 2u];
  if (lid == 0u && end > start) { atomicAdd(&stats[setField(s, ${u(SET.core)}) * ${u(STAT_STRIDE)} + ${u(SBPU)}], end - start); }
  for (var i = start + lid; i < end; i = i + ${u(WG)}) {
    let j = ltab[postIndex + (synapse(i) >> 16u) - localFirst];
    let gBpP = sc(base + 4u * J + j);
    let gBpD = sc(base + 5u * J + j);
    let gPost = sc(base + 6u * J + j);
    let at = pend + (i - synFirst);
    if (additive) {
      let d = sbpGain(lstate[at], gPreP, 0u, gPreD, gPost, 0u);
      lstate[at] = addChange(addChange(d, additiveChange(gBpP, x1, exponent)), -additiveChange(gBpD, x1, exponent));
    } else {
      lstate[at] = sbpGain(lstate[at], gPreP, gBpP, gPreD, gPost, gBpD);
    }
  }
}
`;
}

