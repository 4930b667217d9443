// Expands each projection's pattern into explicit edges (pre, post), in a fixed
// order, with counter-based randomness so that the same program always gives the
// same synapses. Edges are typed arrays: networks of millions of synapses stay
// a few bytes per edge here.
import { match } from 'ts-pattern';
import { random32, randomUnit, STREAM } from '../isa/random.js';
import type { PatternIR, WeightIR } from './ir.js';

export interface EdgeList {
  /** Population-local indices of each edge's source and target, sorted by (pre, post). */
  readonly pre: Uint32Array;
  readonly post: Uint32Array;
}

/** Grows a Uint32Array pair without per-edge allocation. */
class EdgeBuffer {
  private pre: Uint32Array = new Uint32Array(1024);
  private post: Uint32Array = new Uint32Array(1024);
  private n = 0;
  push(a: number, b: number): void {
    if (this.n === this.pre.length) {
      const grow = (x: Uint32Array): Uint32Array => {
        const y = new Uint32Array(x.length * 2);
        y.set(x);
        return y;
      };
      this.pre = grow(this.pre);
      this.post = grow(this.post);
    }
    this.pre[this.n] = a;
    this.post[this.n] = b;
    this.n++;
  }
  done(): EdgeList {
    return { pre: this.pre.slice(0, this.n), post: this.post.slice(0, this.n) };
  }
}

/**
 * Edges of one projection between populations of `preSize` and `postSize`.
 * `random(p, seed)` visits each row with geometric skips (so the cost is
 * proportional to the synapses made, not to preSize * postSize); every skip is
 * a pure function of (seed, pre, draw number).
 */
export function expandPattern(pattern: PatternIR, preSize: number, postSize: number): EdgeList {
  const out = new EdgeBuffer();
  match(pattern)
    .with({ kind: 'all_to_all' }, () => {
      for (let i = 0; i < preSize; i++) for (let j = 0; j < postSize; j++) out.push(i, j);
    })
    .with({ kind: 'one_to_one' }, () => {
      for (let i = 0; i < Math.min(preSize, postSize); i++) out.push(i, i);
    })
    .with({ kind: 'random' }, ({ p, seed }) => {
      if (p >= 1) {
        for (let i = 0; i < preSize; i++) for (let j = 0; j < postSize; j++) out.push(i, j);
        return;
      }
      const logQ = Math.log1p(-p);
      for (let i = 0; i < preSize; i++) {
        let j = -1;
        for (let draw = 0; ; draw++) {
          // Gap to the next connected target ~ Geometric(p): floor(log(U) / log(1 - p)), U in (0, 1].
          const u = (random32(seed, STREAM.connectivity, i, draw) + 1) / 4294967296;
          j += 1 + Math.floor(Math.log(u) / logQ);
          if (j >= postSize || !Number.isFinite(j)) break;
          out.push(i, j);
        }
      }
    })
    .exhaustive();
  return out.done();
}

/** The seed of a projection's weight draws: fixed by its position in the program. */
export function weightSeed(projectionIndex: number): number {
  return (0x5eed0000 + projectionIndex) >>> 0;
}

/** The real-valued weight of edge (pre, post) of a projection. */
export function edgeWeight(weight: WeightIR, seed: number, pre: number, post: number): number {
  return match(weight)
    .with({ kind: 'constant' }, ({ value }) => value)
    .with({ kind: 'uniform' }, ({ low, high }) => low + (high - low) * randomUnit(seed, STREAM.weight, pre, post))
    .exhaustive();
}

/** Largest |w| a weight distribution can produce (what the projection's exponent must hold). */
export function weightBound(weight: WeightIR): number {
  return match(weight)
    .with({ kind: 'constant' }, ({ value }) => Math.abs(value))
    .with({ kind: 'uniform' }, ({ low, high }) => Math.max(Math.abs(low), Math.abs(high)))
    .exhaustive();
}

