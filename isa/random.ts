// Counter-based random numbers: a value is a pure function of (seed, stream,
// step, index), never of call order or thread, so every backend and every run
// with the same seed draws the same numbers. The mixer is Chris Wellons'
// "lowbias32" integer hash, which needs only 32-bit multiplies and shifts (WGSL has them).

export function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return x;
}

/** Independent streams, so that e.g. Poisson inputs and connectivity never share draws. */
export const STREAM = {
  poisson: 1,
  connectivity: 2,
  weight: 3,
  init: 4,
  rounding: 5,
  /** Learning engine: stochastic rounding of trace decay (isa/learning/engine.ts). */
  trace: 6,
  /** Learning engine: the teaching spike train of `teach POP from labels`. */
  teach: 7,
  /** Host side: the seeded shuffle of a dataset's split, and rate coding of its samples. */
  dataset: 16,
  encoder: 17,
} as const;

/** A uniform 32-bit unsigned integer for (seed, stream, a, b). */
export function random32(seed: number, stream: number, a: number, b: number): number {
  let h = hash32((seed >>> 0) ^ 0x9e3779b9);
  h = hash32((h + stream) >>> 0);
  h = hash32((h ^ (a >>> 0)) >>> 0);
  return hash32((h + (b >>> 0)) >>> 0);
}

/** The part of random32(seed, stream, a, b) that does not depend on b: hoisted out of loops over b. */
export function random32Prefix(seed: number, stream: number, a: number): number {
  let h = hash32((seed >>> 0) ^ 0x9e3779b9);
  h = hash32((h + stream) >>> 0);
  return hash32((h ^ (a >>> 0)) >>> 0);
}

/** random32(seed, stream, a, b) from random32Prefix(seed, stream, a): the same value. */
export function random32At(prefix: number, b: number): number {
  return hash32((prefix + (b >>> 0)) >>> 0);
}

/** A uniform float in [0, 1) from the same counters (for compile-time draws only, never in a backend). */
export function randomUnit(seed: number, stream: number, a: number, b: number): number {
  return random32(seed, stream, a, b) / 4294967296;
}

/** Threshold for a per-step probability: an event happens when random32(...) < threshold. */
export function probabilityThreshold(p: number): number {
  if (!(p > 0)) return 0;
  if (p >= 1) return 0xffffffff;
  return Math.min(0xffffffff, Math.round(p * 4294967296)) >>> 0;
}
