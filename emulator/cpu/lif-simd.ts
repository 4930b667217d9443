// The plain LIF step (emulator/cpu/kernels.ts lifStepPlain: the CUBA LIF of
// isa/fixed.ts without an adaptive threshold) as a WebAssembly SIMD kernel,
// four neurons per instruction: the step loop's largest cost in JavaScript
// (V8 does not vectorise), about five times faster here (docs/performance-log.md).
// It works on the chip's state arrays in place, so they live in the kernel's
// linear memory (cpuChipMemory in cpu.ts). Every lane does exactly the scalar
// arithmetic, so results agree to the bit; a group's last (size mod 4) neurons
// are one more vector whose lanes past the group are read but not written (a
// store per lane), so no other group's or thread's neurons are touched (item
// (w)). The module is compiled for one layout of that memory:
// each array's byte offset is its accesses' constant offset, so that an access
// is one instruction, where an address computed in the loop cost V8 one more
// and a register (docs/performance-log.md item (s)). A third kernel, lifTable,
// updates many cores in one call from a table of their arguments in the same
// memory: where a core holds a few neurons, a call per core cost more than its
// neurons (item (ll)); a core of several plain groups takes their arguments
// from a table of groups (item (tt)). It leaves each core's step counts in the
// chip's stats (STATS_WORDS a core), where the step reads them (item (pp)).
// Groups whose decays are all small (time constants of 16 steps or more, CUBA at
// 0.1 ms) take a decay of one multiply (decayFast, item (lll)). In the table
// kernel, groups whose clamps provably change nothing leave them out
// (leanGroup, item (mmm)).
import { DECAY_BITS, DECAY_ONE, STATE_MAX, STATE_MIN } from '../../isa/fixed.js';
import type { CpuChipMemory } from './cpu.js';
import { I32, V128, ops, simdOps as v, wasmModule, type Code, type WasmFunction } from '../wasm-binary.js';

const ARRAYS = ['uE', 'uI', 'v', 'ref', 'accum', 'accumInh', 'spiked'] as const;
type ArrayName = (typeof ARRAYS)[number];
/** Byte offset of each state array in the kernel's memory: compiled into the kernel as its loads' and stores' offsets. */
export type ArrayOffsets = Readonly<Record<ArrayName, number>>;

const PARAMS = ['first', 'end', 'base', 'kE', 'kI', 'kV', 'vth', 'reset', 'bias', 'refractory', 'shift', 'count'] as const;
const SCALARS = ['at', 'accAt', 'stop', 'mask', 'lane', 'rem', 'validBits', 'core', 'coreEnd', 'entry', 'active', 'step', 'group', 'groupEnd', 'neurons', 'lean', 'fast'] as const;
const VECTORS = ['e0', 'i0', 'v0', 'r', 'inE', 'inI', 'e1', 'i1', 'v1', 'refractoryNow', 'fire', 'resetNow', 'inactive', 'valid', 'vNew', 'rNew',
  'KE', 'KI', 'KV', 'VTH', 'RESET', 'BIAS', 'REFRACTORY', 'lanesOr', 'cleared'] as const;
type Local = (typeof PARAMS)[number] | (typeof SCALARS)[number] | (typeof VECTORS)[number];

const INDEX = new Map<Local, number>([...PARAMS, ...SCALARS, ...VECTORS].map((n, i) => [n, i]));
const get = (n: Local): Code => ops.localGet(INDEX.get(n)!);
const set = (n: Local): Code => ops.localSet(INDEX.get(n)!);
const tee = (n: Local): Code => ops.localTee(INDEX.get(n)!);
const ACTIVE_GLOBAL = 0;

/** What a decay may assume of x's sign: in a lean group the excitatory current is never negative and the inhibitory one never positive (leanGroup), which spares the decays the work of finding it. */
type Sign = 'any' | 'nonNegative' | 'nonPositive';

/**
 * decay(x, d) of isa/fixed.ts with k = ONE - d: x times k / 2^12 rounded toward
 * zero, computed on x's two's-complement halves hi = x >> 12 (arithmetic) and
 * lo = x & 4095: hi k + ((lo k + bias) >> 12), where bias is 4095 for a
 * negative x (flooring x k + 4095 is rounding x k toward zero) and 0 otherwise.
 * hi (|hi| < 2^11, sign-extended) and lo (below 2^12) fit a lane's low 16 bits,
 * and k (at most 4096) sits in the low 16 bits with zeros above, so a 16-bit dot
 * product (one pmaddwd on x86) is each exact 32-bit product; the signed dot
 * takes hi's sign from its low half, and its high half meets k's zeros.
 */
const decay = (x: Local, k: Local, sign: Sign = 'any'): Code => [
  ...get(x), ...ops.i32Const(DECAY_BITS), ...v.shrS, ...get(k), ...v.dotI16,
  ...get(x), ...v.i32x4(DECAY_ONE - 1), ...v.and, ...get(k), ...v.dotI16,
  // The bias: 0 for x >= 0, 4095 for x < 0 (also right for x = 0, whose halves are 0).
  ...(sign === 'nonNegative' ? [] : sign === 'nonPositive' ? [...v.i32x4(DECAY_ONE - 1), ...v.add] : [...get(x), ...ops.i32Const(31), ...v.shrS, ...ops.i32Const(32 - DECAY_BITS), ...v.shrU, ...v.add]),
  ...ops.i32Const(DECAY_BITS), ...v.shrS, ...v.add,
];
/**
 * The largest decay d (of isa/fixed.ts decay: x * (4096 - d) / 4096) for which decayFast is exact over the
 * state range: |x| d plus 4095 must stay below 2^31 for every |x| up to STATE_MAX. 255: time constants of
 * about 16 steps or more (CUBA at 0.1 ms: d = 20, 81 and 41 for tau_m, tau_e and tau_i).
 */
export const FAST_DECAY_MAX = Math.floor((2 ** 31 - DECAY_ONE) / STATE_MAX);

/**
 * decay(x, d) as x - q, q being x d / 2^12 rounded up for x >= 0 and down for x < 0: x k / 2^12 rounded toward zero
 * (k = 4096 - d) is x - ceil(x d / 2^12) for x >= 0 and x - floor(x d / 2^12) for x < 0, and x d fits a lane where d
 * is at most FAST_DECAY_MAX. A multiply, an add of 4095 where x >= 0 and a shift, against decay's two dot products
 * and their halves, in the three decays that are most of the kernel's arithmetic. `d` holds d, not k.
 */
const decayFast = (x: Local, d: Local, sign: Sign = 'any'): Code => [
  ...get(x),
  ...get(x), ...get(d), ...v.mul,
  // Rounded up where x >= 0 (add 4095, then floor), down where x < 0 (also right for x = 0).
  ...(sign === 'nonPositive' ? [] : sign === 'nonNegative' ? [...v.i32x4(DECAY_ONE - 1), ...v.add] : [...v.i32x4(DECAY_ONE - 1), ...get(x), ...ops.i32Const(31), ...v.shrS, ...v.andNot, ...v.add]),
  ...ops.i32Const(DECAY_BITS), ...v.shrS,
  ...v.sub,
];
const clamp: Code = [...v.i32x4(STATE_MIN), ...v.maxS, ...v.i32x4(STATE_MAX), ...v.minS];

/**
 * Which body a group runs. `countActive`: count the active updates (a group without a bias; with one every update is
 * active). `fast`: every decay within decayFast's reach (fastDecay; fastGroup in the table kernel). `lean`: leanGroup
 * holds, so the currents and their inputs take no clamp, the voltage only the lower one, a reset is an and-not, and
 * the currents' decays skip their sign's work (Sign): sixteen vector instructions fewer of the 43 (52 with the
 * two-halves decay) that four neurons of a biased group took (docs/performance-log.md items (mmm), (nnn)).
 */
interface Variant {
  readonly countActive: boolean;
  readonly fast: boolean;
  readonly lean: boolean;
}
const ZERO = v.i32x4(0);
const splat = (from: Local, to: Local): Code => [...get(from), ...v.splat, ...set(to)];

/**
 * Stores `value` (a local) at `addr` + `offset`: the whole vector, or in a
 * group's tail (`part`) only its first `rem` lanes, one 32-bit lane at a time,
 * so that the lanes past the group are read but never written (they may be
 * another group's, or another thread's core).
 */
const put = (addr: Local, offset: number, value: Local, part: boolean): Code =>
  part
    ? [0, 1, 2].flatMap((k) => [
      ...get('rem'), ...ops.i32Const(k), ...ops.i32GtS, ...ops.if,
      ...get(addr), ...get(value), ...v.storeLane(offset + 4 * k, k),
      ...ops.end,
    ])
    : [...get(addr), ...get(value), ...v.store(offset)];

/**
 * Four neurons: the state at byte offset `at` + lane (each array's own offset
 * in the memory is the access's constant offset, so an access is one
 * instruction) and the delay slot at `accAt` + lane. With `part`, the group's
 * last 1-3 neurons (`rem` of them; `valid` and `validBits` mark their lanes).
 */
const four = (o: ArrayOffsets, lane: number, { countActive, fast, lean }: Variant, part = false): Code => [
  // The step's delay slot and the state.
  ...get('accAt'), ...v.load(o.accum + lane), ...set('inE'),
  ...get('accAt'), ...v.load(o.accumInh + lane), ...set('inI'),
  ...get('at'), ...v.load(o.uE + lane), ...set('e0'),
  ...get('at'), ...v.load(o.uI + lane), ...set('i0'),
  ...get('at'), ...v.load(o.v + lane), ...set('v0'),
  ...get('at'), ...v.load(o.ref + lane), ...set('r'),
  // Inactive: state, input and refractory count all zero; a true lane is -1, so adding counts it down.
  // The delay slot is cleared with zeros made from the lanes' OR (m & ~m): the stores are in program
  // order, so the OR is computed here, while its six inputs are in registers, not at the loop's end
  // (TurboFan put a pure OR chain by its only use there, and spilled the six vectors to reach it).
  ...(countActive
    ? [
      ...get('e0'), ...get('i0'), ...v.or, ...get('v0'), ...v.or, ...get('inE'), ...v.or, ...get('inI'), ...v.or, ...get('r'), ...v.or,
      ...tee('lanesOr'), ...get('lanesOr'), ...v.andNot, ...set('cleared'),
      ...get('inactive'), ...get('lanesOr'), ...ZERO, ...v.eq, ...(part ? [...get('valid'), ...v.and] : []), ...v.add, ...set('inactive'),
    ]
    : [...ZERO, ...set('cleared')]),
  // Clear the step's delay slot.
  ...put('accAt', o.accum + lane, 'cleared', part),
  ...put('accAt', o.accumInh + lane, 'cleared', part),
  // Inputs are clamped first, so every sum stays inside 32 bits (isa/fixed.ts); a lean group's never leave the range
  // (leanGroup), nor does its voltage rise past it without firing.
  ...(fast ? decayFast : decay)('e0', 'KE', lean ? 'nonNegative' : 'any'), ...get('inE'), ...(lean ? [...v.add] : [...clamp, ...v.add, ...clamp]), ...set('e1'),
  ...(fast ? decayFast : decay)('i0', 'KI', lean ? 'nonPositive' : 'any'), ...get('inI'), ...(lean ? [...v.add] : [...clamp, ...v.add, ...clamp]), ...set('i1'),
  ...(fast ? decayFast : decay)('v0', 'KV'), ...get('e1'), ...v.add, ...get('i1'), ...v.add, ...(countActive ? [] : [...get('BIAS'), ...v.add]),
  ...(lean ? [...v.i32x4(STATE_MIN), ...v.maxS] : clamp), ...set('v1'),
  // Refractory lanes reset and count down; the others fire at threshold (v1 > VTH, which holds the threshold less one), reset and start the period.
  ...get('r'), ...ZERO, ...v.gtS, ...set('refractoryNow'),
  ...get('v1'), ...get('VTH'), ...v.gtS, ...tee('fire'), ...get('refractoryNow'), ...v.or, ...set('resetNow'),
  ...get('fire'), ...get('refractoryNow'), ...v.andNot, ...set('fire'),
  ...put('at', o.uE + lane, 'e1', part),
  ...put('at', o.uI + lane, 'i1', part),
  // A bit-select is three instructions on x86; a reset to 0 is one (v1 and not resetNow).
  ...(lean ? [...get('v1'), ...get('resetNow'), ...v.andNot] : [...get('RESET'), ...get('v1'), ...get('resetNow'), ...v.bitselect]), ...set('vNew'),
  ...put('at', o.v + lane, 'vNew', part),
  // A lane's count is never negative (zero at first, and the period is, isa/image/validate.ts), so a firing lane's is 0:
  // r + refractoryNow (true is -1) + the period where it fires is r - 1, the period, or r.
  ...get('r'), ...get('refractoryNow'), ...v.add, ...get('fire'), ...get('REFRACTORY'), ...v.and, ...v.add, ...set('rNew'),
  ...put('at', o.ref + lane, 'rNew', part),
  // Spikes are rare: append the firing lanes' slots in lane order, as the scalar loop does.
  ...get('fire'), ...v.bitmask, ...(part ? [...get('validBits'), ...ops.i32And] : []), ...tee('mask'),
  ...ops.if,
  ...get('at'), ...ops.i32Const(lane), ...ops.i32Add, ...ops.i32Const(2), ...ops.i32ShrU, ...get('shift'), ...ops.i32Sub, ...set('lane'),
  ...ops.block, ...ops.loop,
  ...get('mask'), ...ops.i32Eqz, ...ops.brIf(1),
  ...get('mask'), ...ops.i32Const(1), ...ops.i32And,
  ...ops.if,
  ...get('count'), ...ops.i32Const(2), ...ops.i32Shl, ...get('lane'), ...ops.i32Store(o.spiked),
  ...get('count'), ...ops.i32Const(1), ...ops.i32Add, ...set('count'),
  ...ops.end,
  ...get('mask'), ...ops.i32Const(1), ...ops.i32ShrU, ...set('mask'),
  ...get('lane'), ...ops.i32Const(1), ...ops.i32Add, ...set('lane'),
  ...ops.br(0),
  ...ops.end, ...ops.end,
  ...ops.end,
];

/**
 * A group's last 1-3 neurons, if it has them: four lanes computed, the first
 * `rem` stored. Lanes past the group are read (they lie inside the memory: the
 * next array follows each one) and not written.
 */
const tail = (o: ArrayOffsets, variant: Variant): Code => [
  ...get('stop'), ...get('at'), ...ops.i32Sub, ...ops.i32Const(2), ...ops.i32ShrU, ...tee('rem'),
  ...ops.if,
  ...v.i32x4Lanes([0, 1, 2, 3]), ...get('rem'), ...v.splat, ...v.ltS, ...set('valid'),
  ...ops.i32Const(1), ...get('rem'), ...ops.i32Shl, ...ops.i32Const(1), ...ops.i32Sub, ...set('validBits'),
  ...four(o, 0, variant, true),
  ...ops.end,
];

const loop = (o: ArrayOffsets, width: number, variant: Variant): Code => [
  ...ops.block, ...ops.loop,
  ...get('stop'), ...get('at'), ...ops.i32Sub, ...ops.i32Const(4 * width), ...ops.i32LtS, ...ops.brIf(1),
  ...Array.from({ length: width / 4 }, (_, j) => four(o, 16 * j, variant)).flat(),
  ...get('at'), ...ops.i32Const(4 * width), ...ops.i32Add, ...set('at'),
  ...get('accAt'), ...ops.i32Const(4 * width), ...ops.i32Add, ...set('accAt'),
  ...ops.br(0),
  ...ops.end, ...ops.end,
];

/** Neurons per turn of the kernel's main loop; a group's last (its size mod UNROLL) neurons go through a loop of four and the tail. */
const UNROLL = 8;

/** The decay parameter `k` (4096 - d) into the vector `to`: as k, or for decayFast as d. */
const splatDecay = (k: Local, to: Local, fast: boolean): Code => (fast ? [...ops.i32Const(DECAY_ONE), ...get(k), ...ops.i32Sub, ...v.splat, ...set(to)] : splat(k, to));

/**
 * Whether a group can run lean (Variant): reset 0, threshold and bias within the state range, and currents that cannot
 * saturate, given the most its neurons' delay slots can hold in a step (input-bound.ts, as magnitudes). The currents
 * start at 0 (only the voltage has an initial value) and the excitatory one only takes sums >= 0, so it stays >= 0; a
 * decay keeps at most (4096 - d) / 4096 of it, so a current never above S = B 4096 / d stays at most S (1 - d / 4096) +
 * B = S after the next step: where S <= STATE_MAX neither its clamps nor its input's ever act (likewise the inhibitory
 * current, <= 0). The voltage's sum then stays inside 32 bits, and above STATE_MAX it is above the threshold too, so the
 * neuron fires and resets to 0 whether it was clamped or not: only its lower clamp acts.
 */
export function leanGroup(du: number, duInh: number, vth: number, reset: number, bias: number, excitatory: number, inhibitory: number): boolean {
  // most 4096 / d > STATE_MAX, multiplied out: exact in doubles wherever the two sides are near.
  const saturates = (d: number, most: number): boolean => most > 0 && most * DECAY_ONE > STATE_MAX * d;
  return reset === 0 && vth <= STATE_MAX && Math.abs(bias) <= STATE_MAX && !saturates(du, excitatory) && !saturates(duInh, inhibitory);
}

/** Whether a group's three decays are all within decayFast's reach over the whole state range: the group kernels take it there. */
export const fastDecay = (du: number, duInh: number, dv: number): boolean => du <= FAST_DECAY_MAX && duInh <= FAST_DECAY_MAX && dv <= FAST_DECAY_MAX;

/**
 * Whether the table kernel takes decayFast for a group: fastDecay, or, in a lean group, a current's decay past
 * FAST_DECAY_MAX where its product still fits a lane. decayFast needs |x| d + 4095 < 2^31, and a lean group's current
 * never passes S = B 4096 / d (leanGroup), so |x| d is at most B 4096, whatever d: where the most its delay slot holds
 * in a step, B, is below 2^19, its decay is exact as one multiply (CUBA at 1 ms: d = 742 and 390 for the currents, whose
 * B is at most about 440,000 at 40,000 neurons, and 200 for the voltage). The voltage's own decay still needs d <= 255.
 */
export function fastGroup(du: number, duInh: number, dv: number, lean: boolean, excitatory: number, inhibitory: number): boolean {
  const current = (d: number, most: number): boolean => d <= FAST_DECAY_MAX || (lean && most * DECAY_ONE + DECAY_ONE - 1 < 2 ** 31);
  return dv <= FAST_DECAY_MAX && current(du, excitatory) && current(duInh, inhibitory);
}

/** The kernel: neurons [first, end), state at byte offset 4 first, delay slot at 4 (base + first), as `variant` runs them. */
const bodyCore = (o: ArrayOffsets, variant: Variant): Code => [
  ...splatDecay('kE', 'KE', variant.fast), ...splatDecay('kI', 'KI', variant.fast), ...splatDecay('kV', 'KV', variant.fast), ...splat('vth', 'VTH'),
  ...(variant.lean ? [] : splat('reset', 'RESET')), ...(variant.countActive ? [] : splat('bias', 'BIAS')), ...splat('refractory', 'REFRACTORY'),
  ...get('first'), ...ops.i32Const(2), ...ops.i32Shl, ...set('at'),
  ...get('end'), ...ops.i32Const(2), ...ops.i32Shl, ...set('stop'),
  ...get('base'), ...get('first'), ...ops.i32Add, ...ops.i32Const(2), ...ops.i32Shl, ...set('accAt'),
  ...loop(o, UNROLL, variant),
  ...loop(o, 4, variant),
  ...tail(o, variant),
  ...(variant.countActive
    ? [
      // Active updates: the lanes run less those counted inactive.
      ...get('end'), ...get('first'), ...ops.i32Sub,
      ...get('inactive'), ...v.extractLane(0), ...ops.i32Add, ...get('inactive'), ...v.extractLane(1), ...ops.i32Add,
      ...get('inactive'), ...v.extractLane(2), ...ops.i32Add, ...get('inactive'), ...v.extractLane(3), ...ops.i32Add,
      ...ops.globalSet(ACTIVE_GLOBAL),
    ]
    : []),
];
/** An exported group kernel's body: any reset and any inputs (never lean). */
const body = (o: ArrayOffsets, countActive: boolean, fast: boolean): Code => [...bodyCore(o, { countActive, fast, lean: false }), ...get('count')];

/**
 * The table of cores (CpuChipMemory.table): per core TABLE_WORDS words. The first is 1 where the
 * table kernel updates the core, every group of it a plain LIF group; then its groups' range in the
 * table of groups, its first state slot (where its spikes go, as the kernels' `shift`), and what
 * gives the delay slot base at step t: its delay slots' start less its first state slot, its
 * neurons n and its delay slots, for base = start + (t mod slots) n (cpu.ts CpuChipCompute.run).
 * The kernel works the base out, so the step writes nothing to the table (a word a core and step
 * cost a cache miss each at CUBA 40,000).
 */
export const TABLE_WORDS = 8;
/** An entry's byte offset is the core shifted by this, not multiplied: TABLE_WORDS words are a power of two bytes. */
const TABLE_SHIFT = Math.log2(4 * TABLE_WORDS);
/** An entry's words, in order (setTableEntry). */
const TABLE_FIELDS = ['mark', 'groupFirst', 'groupEnd', 'shift', 'slotsStart', 'n', 'slots'] as const;
if (!Number.isInteger(TABLE_SHIFT) || TABLE_FIELDS.length > TABLE_WORDS) throw new Error('emulator/cpu/lif-simd.ts: TABLE_WORDS must hold an entry in a power of two bytes');
/** The byte offset of an entry's word in the table at `table`. */
const tableWord = (table: number, field: (typeof TABLE_FIELDS)[number]): number => table + 4 * TABLE_FIELDS.indexOf(field);

/**
 * The table of groups (CpuChipMemory.groupTable): per group of the chip GROUP_WORDS words, the
 * kernel's arguments for it in this order (its first and end state slot, its decays as 4096 - d,
 * its threshold less one, reset, bias and refractory period, and 1 where it runs lean and where it
 * takes decayFast: Variant), filled for the table kernel's cores.
 */
export const GROUP_WORDS = 16;
const GROUP_ARGS = ['first', 'end', 'kE', 'kI', 'kV', 'vth', 'reset', 'bias', 'refractory', 'lean', 'fast'] as const;
const GROUP_SHIFT = Math.log2(4 * GROUP_WORDS);
if (!Number.isInteger(GROUP_SHIFT) || GROUP_ARGS.length > GROUP_WORDS) throw new Error('emulator/cpu/lif-simd.ts: GROUP_WORDS must hold the arguments in a power of two bytes');

/**
 * The chip's step counts (CpuChipMemory.stats): per core STATS_WORDS words, the step's spikes
 * (its input spikes included), its active and inactive neuron updates and its input spikes. The
 * table kernel writes its cores' and CpuChipCompute.run the others'; the step reads them in one
 * dense array (a field of each core's object cost a cache miss a core at CUBA 40,000).
 */
export const STATS_WORDS = 4;
export const STAT_SPIKES = 0;
export const STAT_ACTIVE = 1;
export const STAT_INACTIVE = 2;
export const STAT_INPUTS = 3;
/** A core's stats' byte offset is the core shifted by this. */
const STATS_SHIFT = Math.log2(4 * STATS_WORDS);
if (!Number.isInteger(STATS_SHIFT)) throw new Error('emulator/cpu/lif-simd.ts: STATS_WORDS must make a power of two bytes');

/** The group's body by its fast and lean words (fastGroup, leanGroup), for a group without a bias (countActive) or with one. */
const byDecay = (o: ArrayOffsets, countActive: boolean): Code => {
  const byLean = (fast: boolean): Code => [...get('lean'), ...ops.if, ...bodyCore(o, { countActive, fast, lean: true }), ...ops.else, ...bodyCore(o, { countActive, fast, lean: false }), ...ops.end];
  return [...get('fast'), ...ops.if, ...byLean(true), ...ops.else, ...byLean(false), ...ops.end];
};

/**
 * The table kernel: the cores [first, end) whose table entries are marked, each group of each as
 * `lif` or `lifBiased` would with its arguments from the table of groups, in one call (a call per
 * core of five neurons cost more than the neurons at CUBA 40,000 and 0.1 ms); each core's counts
 * into its stats. The step comes as `base`.
 */
const tableBody = (o: ArrayOffsets, table: number, groups: number, stats: number): Code => [
  ...get('first'), ...set('core'), ...get('end'), ...set('coreEnd'), ...get('base'), ...set('step'),
  ...ops.block, ...ops.loop,
  ...get('core'), ...get('coreEnd'), ...ops.i32GeS, ...ops.brIf(1),
  ...get('core'), ...ops.i32Const(TABLE_SHIFT), ...ops.i32Shl, ...set('entry'),
  ...get('entry'), ...ops.i32Load(tableWord(table, 'mark')), ...ops.if,
  ...get('entry'), ...ops.i32Load(tableWord(table, 'shift')), ...tee('shift'), ...set('count'),
  ...get('entry'), ...ops.i32Load(tableWord(table, 'slotsStart')),
  ...get('step'), ...get('entry'), ...ops.i32Load(tableWord(table, 'slots')), ...ops.i32RemU,
  ...get('entry'), ...ops.i32Load(tableWord(table, 'n')), ...ops.i32Mul, ...ops.i32Add, ...set('base'),
  ...get('entry'), ...ops.i32Load(tableWord(table, 'groupFirst')), ...set('group'),
  ...get('entry'), ...ops.i32Load(tableWord(table, 'groupEnd')), ...set('groupEnd'),
  ...ops.i32Const(0), ...set('active'), ...ops.i32Const(0), ...set('neurons'),
  // Each group in turn: its spikes follow the previous groups' (count), its updates add up.
  ...ops.block, ...ops.loop,
  ...get('group'), ...get('groupEnd'), ...ops.i32GeS, ...ops.brIf(1),
  ...get('group'), ...ops.i32Const(GROUP_SHIFT), ...ops.i32Shl, ...set('entry'),
  ...GROUP_ARGS.flatMap((name, k) => [...get('entry'), ...ops.i32Load(groups + 4 * k), ...set(name)]),
  ...ZERO, ...set('inactive'),
  ...get('bias'), ...ops.i32Eqz, ...ops.if,
  ...byDecay(o, true),
  ...get('active'), ...ops.globalGet(ACTIVE_GLOBAL), ...ops.i32Add, ...set('active'),
  ...ops.else,
  ...byDecay(o, false),
  ...get('active'), ...get('end'), ...get('first'), ...ops.i32Sub, ...ops.i32Add, ...set('active'),
  ...ops.end,
  ...get('neurons'), ...get('end'), ...get('first'), ...ops.i32Sub, ...ops.i32Add, ...set('neurons'),
  ...get('group'), ...ops.i32Const(1), ...ops.i32Add, ...set('group'),
  ...ops.br(0),
  ...ops.end, ...ops.end,
  // The stats: spikes (the count less the first slot, where the kernel started it), active, inactive, no inputs.
  ...get('core'), ...ops.i32Const(STATS_SHIFT), ...ops.i32Shl, ...set('entry'),
  ...get('entry'), ...get('count'), ...get('shift'), ...ops.i32Sub, ...ops.i32Store(stats + 4 * STAT_SPIKES),
  ...get('entry'), ...get('active'), ...ops.i32Store(stats + 4 * STAT_ACTIVE),
  ...get('entry'), ...get('neurons'), ...get('active'), ...ops.i32Sub, ...ops.i32Store(stats + 4 * STAT_INACTIVE),
  ...get('entry'), ...ops.i32Const(0), ...ops.i32Store(stats + 4 * STAT_INPUTS),
  ...ops.end,
  ...get('core'), ...ops.i32Const(1), ...ops.i32Add, ...set('core'),
  ...ops.br(0),
  ...ops.end, ...ops.end,
  ...ops.i32Const(0),
];

/** One exported kernel: the same signature and locals, with or without the active count (or the table kernel's body). */
const kernel = (name: string, code: Code): WasmFunction => ({
  name,
  params: PARAMS.map(() => I32),
  results: [I32],
  locals: [[SCALARS.length, I32], [VECTORS.length, V128]],
  body: code,
});

/** The kernels' module for a shared (threaded engine) or a plain memory, with the arrays (and the tables of cores and groups and the cores' stats) at these offsets. */
export function lifSimdModule(shared: boolean, offsets: ArrayOffsets, table = 0, groups = 0, stats = 0): Uint8Array {
  return wasmModule(
    shared,
    [
      kernel('lif', body(offsets, true, false)),
      kernel('lifBiased', body(offsets, false, false)),
      kernel('lifFast', body(offsets, true, true)),
      kernel('lifBiasedFast', body(offsets, false, true)),
      kernel('lifTable', tableBody(offsets, table, groups, stats)),
    ],
    ['active'],
  );
}

/**
 * Modules compiled, by memory kind and offsets, the latest last: the engines of one chip layout (a benchmark's
 * repetitions, a test's twins) share one. More than the last one: a benchmark alternates one thread (a plain memory)
 * with two (a shared one), and with only the last kept, every engine assembled its module anew. Assembling runs
 * `four` and its kin, whose TurboFan compile, once they were hot, took 0.63 s of a background thread, in the middle
 * of a two-thread run whose threads it slowed (docs/performance-log.md, tenth session).
 */
const compiled = new Map<string, WebAssembly.Module>();
/** Modules kept: a process that builds many layouts (the test suite) keeps the latest. */
export const COMPILED_KEPT = 8;
/** Modules this thread has assembled and compiled (tests). */
let assembled = 0;
export const lifSimdAssembled = (): number => assembled;

type WasmLif = (...args: number[]) => number;

/** The chip's state arrays the kernel updates, as views into one WebAssembly memory (cpuChipMemory). */
export type LifSimdArrays = Pick<CpuChipMemory, 'memory' | 'table' | 'groupTable' | 'stats' | ArrayName>;

/**
 * lifStepPlain over `arrays` with the same arguments after the arrays:
 * out[0] in (spike count) and out (new count, active updates in out[1]).
 * One instance per thread: the active count is the instance's global.
 */
export type LifStep = (out: Int32Array, base: number, first: number, end: number, du: number, duInh: number, dv: number, vth: number, reset: number, bias: number, refractory: number, shift: number) => void;

/** v >= vth as v > vth - 1: v is never below STATE_MIN, so a lower threshold is STATE_MIN's (and vth - 1 cannot wrap). */
const below = (vth: number): number => (vth > STATE_MIN ? vth : STATE_MIN) - 1;

/**
 * Marks core c's table entry for the table kernel: its groups are [groupFirst, groupEnd) of the
 * table of groups (setGroupEntry), `shift` its first state slot, and its delay slots start at
 * `slotsStart` (as lifSimdStep's `base`: less the first state slot), for its `n` neurons and `slots`.
 */
export function setTableEntry(table: Int32Array, c: number, groupFirst: number, groupEnd: number, shift: number, slotsStart: number, n: number, slots: number): void {
  const words = { mark: 1, groupFirst, groupEnd, shift, slotsStart, n, slots };
  TABLE_FIELDS.forEach((field, k) => {
    table[c * TABLE_WORDS + k] = words[field];
  });
}

/**
 * Group g's entry in the table of groups: the arguments lifSimdStep's kernel would take for a plain group [first, end) of
 * state slots, and whether it runs lean (leanGroup) and takes decayFast (fastGroup), from the most its neurons' delay
 * slots can hold in a step, each sign's as a magnitude (input-bound.ts; Infinity: no bound).
 */
export function setGroupEntry(
  groupTable: Int32Array, g: number, first: number, end: number, du: number, duInh: number, dv: number, vth: number, reset: number, bias: number, refractory: number,
  excitatory: number, inhibitory: number,
): void {
  const lean = leanGroup(du, duInh, vth, reset, bias, excitatory, inhibitory);
  const fast = fastGroup(du, duInh, dv, lean, excitatory, inhibitory);
  const args = [first, end, DECAY_ONE - du, DECAY_ONE - duInh, DECAY_ONE - dv, below(vth), reset, bias, refractory, lean ? 1 : 0, fast ? 1 : 0];
  args.forEach((x, k) => {
    groupTable[g * GROUP_WORDS + k] = x;
  });
}

/** An instance of the kernels' module over `arrays` (compiled once per layout: `compiled`). */
function lifSimdInstance(arrays: LifSimdArrays): WebAssembly.Instance {
  const shared = arrays.memory.buffer instanceof SharedArrayBuffer;
  for (const name of ARRAYS) {
    if (arrays[name].buffer !== arrays.memory.buffer) throw new Error('lif-simd.ts: the state arrays must be views into the kernel memory');
  }
  if ([arrays.table, arrays.groupTable, arrays.stats].some((a) => a.buffer !== arrays.memory.buffer)) {
    throw new Error('lif-simd.ts: the tables of cores and groups and the stats must be views into the kernel memory');
  }
  const offsets = Object.fromEntries(ARRAYS.map((name) => [name, arrays[name].byteOffset])) as Record<ArrayName, number>;
  const tables = [arrays.table.byteOffset, arrays.groupTable.byteOffset, arrays.stats.byteOffset] as const;
  const key = `${shared} ${ARRAYS.map((name) => offsets[name]).join(' ')} ${tables.join(' ')}`;
  let module = compiled.get(key);
  if (module === undefined) {
    module = new WebAssembly.Module(lifSimdModule(shared, offsets, ...tables));
    assembled++;
    if (compiled.size >= COMPILED_KEPT) compiled.delete(compiled.keys().next().value as string);
  }
  // Taken out and put back: the Map's order is then the order of use, and the first key the least recently used.
  compiled.delete(key);
  compiled.set(key, module);
  return new WebAssembly.Instance(module, { env: { memory: arrays.memory } });
}

/** The table kernel over `arrays`: updates the marked cores of [first, end) at step t (below 2^32: an unsigned 32-bit remainder gives the delay row) from their table entries (TABLE_WORDS). */
export type LifTable = (first: number, end: number, t: number) => void;

/** Both ways to call the kernels over `arrays`, from one instance: a group a call, and the table of cores. */
export function lifSimdKernels(arrays: LifSimdArrays): { readonly step: LifStep; readonly table: LifTable } {
  const instance = lifSimdInstance(arrays);
  const table = instance.exports.lifTable as WasmLif;
  return {
    step: lifStepOf(instance),
    table: (first, end, t) => {
      if (end > first) table(first, end, t, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    },
  };
}

export function lifSimdStep(arrays: LifSimdArrays): LifStep {
  return lifStepOf(lifSimdInstance(arrays));
}

/** lifPlain's calling convention (LifStep) over an instance's two group kernels. */
function lifStepOf(instance: WebAssembly.Instance): LifStep {
  const lif = instance.exports.lif as WasmLif;
  const lifBiased = instance.exports.lifBiased as WasmLif;
  const lifFast = instance.exports.lifFast as WasmLif;
  const lifBiasedFast = instance.exports.lifBiasedFast as WasmLif;
  const active = instance.exports.active as WebAssembly.Global;
  return (out, base, first, end, du, duInh, dv, vth, reset, bias, refractory, shift) => {
    if (end <= first) {
      out[1] = 0;
      return;
    }
    const fast = fastDecay(du, duInh, dv);
    const kernel = bias === 0 ? (fast ? lifFast : lif) : fast ? lifBiasedFast : lifBiased;
    out[0] = kernel(first, end, base, DECAY_ONE - du, DECAY_ONE - duInh, DECAY_ONE - dv, below(vth), reset, bias, refractory, shift, out[0]);
    out[1] = bias === 0 ? active.value : end - first;
  };
}
