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

/** Key of a (mantissa, exponent) pair. */
const pairKey = (mantissa: number, exp: number): number => ((mantissa & 0xff) << 8) | exp;

/**
 * Each axon's palette index, and the palette, when every axon's synapses share
 * one mantissa and there are at most PALETTE_MAX pairs; undefined otherwise.
 */
function axonPalette(core: CoreImage): { readonly index: Uint8Array; readonly pairs: readonly number[] } | undefined {
  const axons = core.axonWeightExp.length;
  const index = new Uint8Array(axons);
  const pairs: number[] = [];
  const seen = new Map<number, number>();
  for (let a = 0; a < axons; a++) {
    const first = core.axonStart[a];
    const end = core.axonStart[a + 1];
    if (first === end) continue;
    const m = synapseWeight(core.synapses[first]);
    for (let s = first + 1; s < end; s++) if (synapseWeight(core.synapses[s]) !== m) return undefined;
    const key = pairKey(m, core.axonWeightExp[a]);
    let k = seen.get(key);
    if (k === undefined) {
      if (pairs.length === PALETTE_MAX) return undefined;
      k = pairs.length;
      pairs.push(key);
      seen.set(key, k);
    }
    index[a] = k;
  }
  return { index, pairs };
}

/** The table kind for `core`; `learns`: the image has on-core learning (its words are rewritten). */
export function synapseTablePlan(core: CoreImage, learns: boolean): SynapseTablePlan {
  const synapses = core.synapses.length;
  const axons = core.axonWeightExp.length;
  const uniformDelay = sharedDelay(core.synapses);
  const base = { synapses, axons, uniformDelay, paletteSize: 0 };
  if (learns || uniformDelay === 0 || synapses > OFFSET_MAX) return { ...base, kind: TABLE_WORDS };
  const palette = axonPalette(core);
  if (palette === undefined) return { ...base, kind: TABLE_SYNAPSE_WEIGHT };
  return { ...base, kind: TABLE_AXON_WEIGHT, paletteSize: palette.pairs.length };
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
  const plan = synapseTablePlan(core, learns);
  const shared = allocate === allocateShared;
  const empty = {
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
  };
  const head = { kind: plan.kind, count: plan.synapses, uniformDelay: plan.uniformDelay };
  const exps = shared ? copyOf(core.axonWeightExp, Uint8Array, 1, allocate) : core.axonWeightExp;
  if (plan.kind === TABLE_WORDS) {
    return {
      ...empty,
      ...head,
      words: shared || learns ? copyOf(core.synapses, Uint32Array, 4, learns && !shared ? allocatePlain : allocate) : core.synapses,
      axonStart: shared ? copyOf(core.axonStart, Uint32Array, 4, allocate) : core.axonStart,
      axonWeightExp: exps,
    };
  }
  const axons = plan.axons;
  const axonStart16 = allocate(Uint16Array, axons + 1, 2);
  for (let a = 0; a <= axons; a++) axonStart16[a] = core.axonStart[a];
  const targets = allocate(Uint16Array, plan.synapses, 2);
  for (let s = 0; s < plan.synapses; s++) targets[s] = synapseTarget(core.synapses[s]);
  if (plan.kind === TABLE_SYNAPSE_WEIGHT) {
    const mantissas = allocate(Int8Array, plan.synapses, 1);
    for (let s = 0; s < plan.synapses; s++) mantissas[s] = synapseWeight(core.synapses[s]);
    return { ...empty, ...head, axonWeightExp: exps, axonStart16, targets, mantissas };
  }
  const found = axonPalette(core);
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
  return { ...empty, ...head, axonStart16, targets, axonWeight, palette, paletteMantissa, paletteExp };
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
