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
  /** Per edge, its delay in steps where the pattern gives one (from_file), 0 where the connection's `delay` applies. */
  readonly delaySteps?: Uint8Array;
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
    .with({ kind: 'fixed_fan_in' }, ({ k, seed }) => fixedFanIn(out, k, seed, preSize, postSize))
    .with({ kind: 'from_file' }, ({ edges }) => {
      for (let e = 0; e < edges.pre.length; e++) out.push(edges.pre[e], edges.post[e]);
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
  const done = out.done();
  return pattern.kind === 'from_file' ? { ...done, delaySteps: pattern.edges.delaySteps } : done;
}

/**
 * `fixed_fan_in(k, seed)`: every target gets exactly k distinct sources, drawn
 * uniformly without replacement (NEST's fixed_indegree without multapses) by
 * Floyd's algorithm, each draw a pure function of (seed, target, draw number).
 * The edges come out sorted by (pre, post) like every other pattern's.
 */
function fixedFanIn(out: EdgeBuffer, k: number, seed: number, preSize: number, postSize: number): void {
  const chosen = new Uint8Array(preSize);
  const picked = new Uint32Array(k);
  const perPre = new Uint32Array(preSize + 1);
  const all = new Uint32Array(k * postSize);
  for (let j = 0; j < postSize; j++) {
    let n = 0;
    for (let i = preSize - k, draw = 0; i < preSize; i++, draw++) {
      // A uniform integer in 0..i; the bias of the multiply-shift is below 2^-20 for any population the chip holds.
      const t = Math.floor((random32(seed, STREAM.connectivity, FAN_IN_KEY + j, draw) / 4294967296) * (i + 1));
      const pick = chosen[t] === 1 ? i : t;
      chosen[pick] = 1;
      picked[n++] = pick;
    }
    for (let m = 0; m < n; m++) {
      chosen[picked[m]] = 0;
      all[j * k + m] = picked[m];
      perPre[picked[m] + 1]++;
    }
  }
  // Counting sort by pre; targets stay ascending within a source because j ascends.
  for (let i = 0; i < preSize; i++) perPre[i + 1] += perPre[i];
  const pre = new Uint32Array(k * postSize);
  const post = new Uint32Array(k * postSize);
  for (let j = 0; j < postSize; j++) {
    for (let m = 0; m < k; m++) {
      const i = all[j * k + m];
      const at = perPre[i]++;
      pre[at] = i;
      post[at] = j;
    }
  }
  for (let e = 0; e < pre.length; e++) out.push(pre[e], post[e]);
}

/** Offsets fixed_fan_in's draw keys away from random()'s, which key by source neuron. */
const FAN_IN_KEY = 0x80000000;

/** A standard normal draw from two counter-based uniforms (Box-Muller); compile-time only. */
export function randomNormal(seed: number, stream: number, a: number, b: number): number {
  const u1 = (random32(seed, stream, a, 2 * b) + 1) / 4294967297;
  const u2 = random32(seed, stream, a, 2 * b + 1) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** How many standard deviations of a normal weight the projection's exponent holds; rarer draws saturate. */
export const NORMAL_WEIGHT_SPAN = 4;

/** The seed of a projection's weight draws: fixed by its position in the program. */
export function weightSeed(projectionIndex: number): number {
  return (0x5eed0000 + projectionIndex) >>> 0;
}

/** The real-valued weight of edge (pre, post) of a projection; `edge` is its index in the EdgeList (file weights). */
export function edgeWeight(weight: WeightIR, seed: number, pre: number, post: number, edge = 0): number {
  return weightSampler(weight, seed)(pre, post, edge);
}

/**
 * edgeWeight with the distribution resolved once: a projection of millions of
 * synapses calls the returned function per edge without matching the IR each time.
 */
export function weightSampler(weight: WeightIR, seed: number): (pre: number, post: number, edge: number) => number {
  return match(weight)
    .with({ kind: 'constant' }, ({ value }) => () => value)
    .with({ kind: 'uniform' }, ({ low, high }) => (pre: number, post: number) => low + (high - low) * randomUnit(seed, STREAM.weight, pre, post))
    .with({ kind: 'normal' }, ({ mu, sigma }) => (pre: number, post: number) => mu + sigma * randomNormal(seed, STREAM.weight, pre, post))
    .with({ kind: 'from_file' }, ({ edges }) => (_pre: number, _post: number, edge: number) => edges.weight[edge])
    .exhaustive();
}

/** Largest |w| a weight distribution can produce (what the projection's exponent must hold). */
export function weightBound(weight: WeightIR): number {
  return match(weight)
    .with({ kind: 'constant' }, ({ value }) => Math.abs(value))
    .with({ kind: 'uniform' }, ({ low, high }) => Math.max(Math.abs(low), Math.abs(high)))
    .with({ kind: 'normal' }, ({ mu, sigma }) => Math.abs(mu) + NORMAL_WEIGHT_SPAN * sigma)
    .with({ kind: 'from_file' }, ({ edges }) => edges.weight.reduce((m, w) => Math.max(m, Math.abs(w)), 0))
    .exhaustive();
}

