// The synapses of a core that delivers its own packets, as the image stores
// them: 32-bit words (isa/synapse.ts: target, weight mantissa, delay) in axon
// order, each axon's first word and weight exponent. Only cores that learn or
// mix delays deliver for themselves; every other core is delivered by source
// (fan-out.ts) and holds no table here.
import { SYNAPSE_BYTES, synapseDelay } from '../../isa/synapse.js';
import type { CoreImage } from '../../isa/image/types.js';

/** One core's synapses as its own delivery (cpu.ts deliverCore) and the learn phase read them. */
export interface SynapseTable {
  /** The words, their axon offsets and each axon's weight exponent; empty for a core delivered by source. */
  readonly words: Uint32Array;
  readonly axonStart: Uint32Array;
  readonly axonWeightExp: Uint8Array;
  /** The delay all the core's synapses share, or 0 when they differ (delays are at least 1). */
  readonly uniformDelay: number;
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

/** The table of a core delivered by source: nothing to read. */
const BY_SOURCE: SynapseTable = { words: new Uint32Array(0), axonStart: new Uint32Array(1), axonWeightExp: new Uint8Array(0), uniformDelay: 0 };

/**
 * The table of `core`: `delay` is its delay when it is delivered by source
 * (FanOuts.delay), else 0. With `allocate` plain, the table of an image without
 * learning reads the image's own arrays; one that learns gets a copy of the
 * words (learning rewrites them; the image the caller holds keeps its own);
 * with shared allocation every array is copied into shared memory.
 */
export function buildSynapseTable(core: CoreImage, learns: boolean, delay: number, allocate: Allocate = allocatePlain): SynapseTable {
  if (delay !== 0) return BY_SOURCE;
  const shared = allocate === allocateShared;
  return {
    words: shared || learns ? copyOf(core.synapses, Uint32Array, 4, allocate) : core.synapses,
    axonStart: shared ? copyOf(core.axonStart, Uint32Array, 4, allocate) : core.axonStart,
    axonWeightExp: shared ? copyOf(core.axonWeightExp, Uint8Array, 1, allocate) : core.axonWeightExp,
    uniformDelay: uniformDelay(core.synapses),
  };
}

/** The delay every one of `words` has, or 0 when they differ or there are none. */
export function uniformDelay(words: Uint32Array): number {
  if (words.length === 0) return 0;
  const d = synapseDelay(words[0]);
  for (let s = 1; s < words.length; s++) if (synapseDelay(words[s]) !== d) return 0;
  return d;
}

/** Bytes the table of a core that delivers for itself holds (or reads of the image's): its words, and its axon offsets and exponents. */
export function synapseTableBytes(core: CoreImage): { readonly synapses: number; readonly axons: number } {
  return { synapses: core.synapses.length * SYNAPSE_BYTES, axons: core.axonStart.length * 4 + core.axonWeightExp.length };
}

/** The synapse count of axon `a` (a packet's synaptic ops). */
export function axonSynapses(table: SynapseTable, a: number): number {
  return table.axonStart[a + 1] - table.axonStart[a];
}
