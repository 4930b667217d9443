// How the CPU backend holds one core's synapses for delivery. The image stores
// every synapse as a 32-bit word (isa/synapse.ts: target, weight mantissa,
// delay); a core whose synapses cannot change and share one delay needs only
// each synapse's target, and its weights either per axon (a projection's
// constant weight, as in CUBA: one small palette of weights per core) or per
// synapse (one byte). That halves the bytes a synaptic event reads and the
// memory the synapses take; the chip model is unchanged (a core's synapse memory
// is still counted in words by the compiler and the profile). Learning rewrites
// words, so an image that learns keeps them.
import { SYNAPSE_BYTES, packSynapse, synapseDelay, synapseTarget, synapseWeight } from '../../isa/synapse.js';
import type { CoreImage } from '../../isa/image/types.js';

/** The 32-bit words themselves: cores that learn, mix delays, or hold too many synapses for 16-bit offsets. */
export const TABLE_WORDS = 0;
/** 16-bit targets; one weight per axon, an index into the core's palette. */
export const TABLE_AXON_WEIGHT = 1;
/** 16-bit targets and an 8-bit mantissa per synapse; the exponent per axon, as in the image. */
export const TABLE_SYNAPSE_WEIGHT = 2;

/** Distinct (mantissa, exponent) pairs a core's palette holds (its index is one byte). */
const PALETTE_MAX = 256;
/** Synapse offsets in a compact table are 16-bit: the end of the last axon must fit. */
const OFFSET_MAX = 0xffff;

/**
 * One core's synapses as delivery reads them. Every field exists for every kind
 * (empty where the kind does not use it), so the delivery loops see one shape.
 */
export interface SynapseTable {
  readonly kind: number;
  /** Synapses of the core. */
  readonly count: number;
  /** The delay all the core's synapses share, or 0 when they differ (delays are at least 1). */
  readonly uniformDelay: number;
  /** TABLE_WORDS: the words and their axon offsets. */
  readonly words: Uint32Array;
  readonly axonStart: Uint32Array;
  /** TABLE_WORDS and TABLE_SYNAPSE_WEIGHT: each axon's weight exponent. */
  readonly axonWeightExp: Uint8Array;
  /** Compact kinds: axon offsets and targets, 16-bit. */
  readonly axonStart16: Uint16Array;
  readonly targets: Uint16Array;
  /** TABLE_AXON_WEIGHT: each axon's palette index; the palette's weights (mantissa << exponent) and its pairs. */
  readonly axonWeight: Uint8Array;
  readonly palette: Int32Array;
  readonly paletteMantissa: Int8Array;
  readonly paletteExp: Uint8Array;
  /** TABLE_SYNAPSE_WEIGHT: each synapse's mantissa. */
  readonly mantissas: Int8Array;
}

/** What a core's table will be, from a scan of its words: the kind, and the palette's size for TABLE_AXON_WEIGHT. */
export interface SynapseTablePlan {
  readonly kind: number;
  readonly synapses: number;
  readonly axons: number;
  readonly uniformDelay: number;
  readonly paletteSize: number;
}

/** The delay all of the words share, or 0 where they differ. */
function sharedDelay(words: Uint32Array): number {
  if (words.length === 0) return 0;
  const d = synapseDelay(words[0]);
  for (let s = 1; s < words.length; s++) if (synapseDelay(words[s]) !== d) return 0;
  return d;
}

/** Key of a (mantissa, exponent) pair: 16 bits. */
const pairKey = (mantissa: number, exp: number): number => ((mantissa & 0xff) << 8) | (exp & 0xff);

/** Palette index by pair key, -1 where absent; reset after each use (only the entries set), so one table serves every core. */
const paletteSlot = new Int16Array(1 << 16).fill(-1);

/**
 * Each axon's palette index, and the palette, when every axon's synapses share
 * one mantissa and there are at most PALETTE_MAX pairs; undefined otherwise.
 */
function axonPalette(core: CoreImage): { readonly index: Uint8Array; readonly pairs: readonly number[] } | undefined {
  const axons = core.axonWeightExp.length;
  const index = new Uint8Array(axons);
  const pairs: number[] = [];
  const { axonStart, synapses, axonWeightExp } = core;
  let uniform = true;
  for (let a = 0; a < axons && uniform; a++) {
    const first = axonStart[a];
    const end = axonStart[a + 1];
    if (first === end) continue;
    const m = synapseWeight(synapses[first]);
    for (let s = first + 1; s < end && uniform; s++) uniform = synapseWeight(synapses[s]) === m;
    if (!uniform) break;
    const key = pairKey(m, axonWeightExp[a]);
    let k = paletteSlot[key];
    if (k < 0) {
      if (pairs.length === PALETTE_MAX) {
        uniform = false;
        break;
      }
      k = pairs.length;
      pairs.push(key);
      paletteSlot[key] = k;
    }
    index[a] = k;
  }
  for (const key of pairs) paletteSlot[key] = -1;
  return uniform ? { index, pairs } : undefined;
}

/** The plan, with the palette when the kind is TABLE_AXON_WEIGHT (buildSynapseTable needs it, synapseTablePlan only its size). */
function planTable(core: CoreImage, learns: boolean): { readonly plan: SynapseTablePlan; readonly palette: ReturnType<typeof axonPalette> } {
  const synapses = core.synapses.length;
  const axons = core.axonWeightExp.length;
  const uniformDelay = sharedDelay(core.synapses);
  const base = { synapses, axons, uniformDelay, paletteSize: 0 };
  if (learns || uniformDelay === 0 || synapses > OFFSET_MAX) return { plan: { ...base, kind: TABLE_WORDS }, palette: undefined };
  const palette = axonPalette(core);
  if (palette === undefined) return { plan: { ...base, kind: TABLE_SYNAPSE_WEIGHT }, palette };
  return { plan: { ...base, kind: TABLE_AXON_WEIGHT, paletteSize: palette.pairs.length }, palette };
}

/** The table kind for `core`; `learns`: the image has on-core learning (its words are rewritten). */
export function synapseTablePlan(core: CoreImage, learns: boolean): SynapseTablePlan {
  return planTable(core, learns).plan;
}

/**
 * Bytes a table of `plan` holds (what the CPU backend allocates for it, or keeps
 * of the image's): per synapse (words, or targets and mantissas) and per axon
 * (offsets, exponents or palette indices, and the palette).
 */
export function synapseTableBytes(plan: SynapseTablePlan): { readonly synapses: number; readonly axons: number } {
  const { synapses, axons } = plan;
  if (plan.kind === TABLE_WORDS) return { synapses: synapses * SYNAPSE_BYTES, axons: (axons + 1) * 4 + axons };
  if (plan.kind === TABLE_AXON_WEIGHT) return { synapses: synapses * 2, axons: (axons + 1) * 2 + axons + plan.paletteSize * (4 + 1 + 1) };
  return { synapses: synapses * 3, axons: (axons + 1) * 2 + axons };
}

/** The arrays a table kind does not use: length 0, shared by every table. */
const NONE = {
  words: new Uint32Array(0),
  axonStart: new Uint32Array(0),
  axonWeightExp: new Uint8Array(0),
  axonStart16: new Uint16Array(0),
  targets: new Uint16Array(0),
  axonWeight: new Uint8Array(0),
  palette: new Int32Array(0),
  paletteMantissa: new Int8Array(0),
  paletteExp: new Uint8Array(0),
  mantissas: new Int8Array(0),
} as const;

type TableArrays = Omit<SynapseTable, 'kind' | 'count' | 'uniformDelay'>;

/** A table with every field, always in one order: one object shape, so that reading a field stays fast (objects built by spreading were slow to read). */
function table(head: Pick<SynapseTable, 'kind' | 'count' | 'uniformDelay'>, arrays: Partial<TableArrays>): SynapseTable {
  return {
    kind: head.kind,
    count: head.count,
    uniformDelay: head.uniformDelay,
    words: arrays.words ?? NONE.words,
    axonStart: arrays.axonStart ?? NONE.axonStart,
    axonWeightExp: arrays.axonWeightExp ?? NONE.axonWeightExp,
    axonStart16: arrays.axonStart16 ?? NONE.axonStart16,
    targets: arrays.targets ?? NONE.targets,
    axonWeight: arrays.axonWeight ?? NONE.axonWeight,
    palette: arrays.palette ?? NONE.palette,
    paletteMantissa: arrays.paletteMantissa ?? NONE.paletteMantissa,
    paletteExp: arrays.paletteExp ?? NONE.paletteExp,
    mantissas: arrays.mantissas ?? NONE.mantissas,
  };
}

/** Makes typed arrays in plain or shared memory (the threaded engine's workers read the shared ones). */
export type Allocate = <A extends Uint32Array | Uint16Array | Uint8Array | Int8Array | Int32Array>(
  make: new (buffer: ArrayBuffer | SharedArrayBuffer) => A,
  length: number,
  bytesPerElement: number,
) => A;

export const allocatePlain: Allocate = (make, length, bytes) => new make(new ArrayBuffer(length * bytes));
export const allocateShared: Allocate = (make, length, bytes) => new make(new SharedArrayBuffer(length * bytes));

function copyOf<A extends Uint32Array | Uint8Array>(source: A, make: new (buffer: ArrayBuffer | SharedArrayBuffer) => A, bytes: number, allocate: Allocate): A {
  const out = allocate(make, source.length, bytes);
  out.set(source);
  return out;
}

/**
 * The table for `core`. With `allocate` plain, a TABLE_WORDS table of an image
 * without learning reads the image's own arrays; one that learns gets a copy of
 * the words (learning rewrites them; the image the caller holds keeps its own);
 * with shared allocation every array is copied into shared memory.
 */
export function buildSynapseTable(core: CoreImage, learns: boolean, allocate: Allocate = allocatePlain): SynapseTable {
  const { plan, palette: found } = planTable(core, learns);
  const shared = allocate === allocateShared;
  const head = { kind: plan.kind, count: plan.synapses, uniformDelay: plan.uniformDelay };
  const exps = shared ? copyOf(core.axonWeightExp, Uint8Array, 1, allocate) : core.axonWeightExp;
  if (plan.kind === TABLE_WORDS) {
    return table(head, {
      words: shared || learns ? copyOf(core.synapses, Uint32Array, 4, allocate) : core.synapses,
      axonStart: shared ? copyOf(core.axonStart, Uint32Array, 4, allocate) : core.axonStart,
      axonWeightExp: exps,
    });
  }
  const axons = plan.axons;
  const axonStart16 = allocate(Uint16Array, axons + 1, 2);
  for (let a = 0; a <= axons; a++) axonStart16[a] = core.axonStart[a];
  const targets = allocate(Uint16Array, plan.synapses, 2);
  for (let s = 0; s < plan.synapses; s++) targets[s] = synapseTarget(core.synapses[s]);
  if (plan.kind === TABLE_SYNAPSE_WEIGHT) {
    const mantissas = allocate(Int8Array, plan.synapses, 1);
    for (let s = 0; s < plan.synapses; s++) mantissas[s] = synapseWeight(core.synapses[s]);
    return table(head, { axonWeightExp: exps, axonStart16, targets, mantissas });
  }
  if (found === undefined) throw new Error('internal: a core planned with per-axon weights has none');
  const axonWeight = allocate(Uint8Array, axons, 1);
  axonWeight.set(found.index);
  const size = found.pairs.length;
  const palette = allocate(Int32Array, size, 4);
  const paletteMantissa = allocate(Int8Array, size, 1);
  const paletteExp = allocate(Uint8Array, size, 1);
  found.pairs.forEach((key, k) => {
    const mantissa = (key << 16) >> 24;
    const exp = key & 0xff;
    paletteMantissa[k] = mantissa;
    paletteExp[k] = exp;
    // As the words' delivery computes it: synapseWeight(word) << exp.
    palette[k] = mantissa << exp;
  });
  return table(head, { axonStart16, targets, axonWeight, palette, paletteMantissa, paletteExp });
}

/** The core's synapses as the image's words again (Emulator.synapses()). */
export function tableWords(table: SynapseTable): Uint32Array {
  if (table.kind === TABLE_WORDS) return table.words.slice();
  const words = new Uint32Array(table.count);
  const axons = table.axonStart16.length - 1;
  for (let a = 0; a < axons; a++) {
    for (let s = table.axonStart16[a]; s < table.axonStart16[a + 1]; s++) {
      const mantissa = table.kind === TABLE_AXON_WEIGHT ? table.paletteMantissa[table.axonWeight[a]] : table.mantissas[s];
      words[s] = packSynapse(table.targets[s], mantissa, table.uniformDelay);
    }
  }
  return words;
}

/** The synapse count of axon `a` (a packet's synaptic ops). */
export function axonSynapses(table: SynapseTable, a: number): number {
  return table.kind === TABLE_WORDS ? table.axonStart[a + 1] - table.axonStart[a] : table.axonStart16[a + 1] - table.axonStart16[a];
}
