// Placement: which mesh slot each core of the partition sits in, so that the
// expected spike traffic travels as few hops as possible (compiler/traffic.ts
// defines the cost). A greedy construction, then simulated annealing over
// moves and swaps, then a steepest-descent polish. The work is bounded by
// iteration counts, never by the clock, and the only randomness is a PRNG
// seeded by the caller: the same network and seed give the same placement on
// every machine.
import { slotDistance, trafficCost, type CoreTraffic, type SlotGeometry } from './traffic.js';

export interface PlacementOptions {
  readonly seed: number;
  /** Annealing moves; default: DEFAULT_ITERATIONS_PER_CORE per core, capped. */
  readonly iterations?: number;
}

export interface PlacementResult {
  /** Slot of every core. */
  readonly slotOf: Uint32Array;
  readonly cost: { readonly inOrder: number; readonly greedy: number; readonly final: number };
  readonly iterations: number;
  readonly accepted: number;
}

export const DEFAULT_ITERATIONS_PER_CORE = 4000;
export const MAX_DEFAULT_ITERATIONS = 4_000_000;
/** Steepest-descent passes over every (core, slot) pair after annealing. */
const POLISH_PASSES = 4;

/** mulberry32: a small, fast 32-bit PRNG; deterministic for a seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Undirected weights w(a, b) = traffic a->b + b->a, as compressed rows. */
interface Adjacency {
  readonly start: Uint32Array;
  readonly nb: Uint32Array;
  readonly w: Float64Array;
}

function symmetrise(t: CoreTraffic): Adjacency {
  const n = t.cores;
  const deg = new Uint32Array(n + 1);
  for (let a = 0; a < n; a++) {
    for (let k = t.start[a]; k < t.start[a + 1]; k++) {
      deg[a + 1]++;
      deg[t.dest[k] + 1]++;
    }
  }
  for (let a = 0; a < n; a++) deg[a + 1] += deg[a];
  const fill = deg.slice(0, n);
  const nbRaw = new Uint32Array(deg[n]);
  const wRaw = new Float64Array(deg[n]);
  for (let a = 0; a < n; a++) {
    for (let k = t.start[a]; k < t.start[a + 1]; k++) {
      const b = t.dest[k];
      nbRaw[fill[a]] = b;
      wRaw[fill[a]++] = t.packets[k];
      nbRaw[fill[b]] = a;
      wRaw[fill[b]++] = t.packets[k];
    }
  }
  // Merge duplicates (a->b and b->a both listed) so each neighbour appears once per row.
  const start = new Uint32Array(n + 1);
  const nb: number[] = [];
  const w: number[] = [];
  const acc = new Float64Array(n);
  const seen = new Uint8Array(n);
  for (let a = 0; a < n; a++) {
    const list: number[] = [];
    for (let k = deg[a]; k < deg[a + 1]; k++) {
      const b = nbRaw[k];
      if (!seen[b]) {
        seen[b] = 1;
        list.push(b);
      }
      acc[b] += wRaw[k];
    }
    list.sort((x, y) => x - y);
    for (const b of list) {
      nb.push(b);
      w.push(acc[b]);
      acc[b] = 0;
      seen[b] = 0;
    }
    start[a + 1] = nb.length;
  }
  return { start, nb: Uint32Array.from(nb), w: Float64Array.from(w) };
}

/** Cost of core a's edges if a sat at slot s (neighbours where they are; `skip` left out). */
function edgeCost(adj: Adjacency, g: SlotGeometry, slotOf: Uint32Array, a: number, s: number, skip: number): number {
  let c = 0;
  for (let k = adj.start[a]; k < adj.start[a + 1]; k++) {
    const b = adj.nb[k];
    if (b !== skip) c += adj.w[k] * slotDistance(g, s, slotOf[b]);
  }
  return c;
}

/** Change of cost when core a moves to slot s and s's occupant (or nobody, -1) takes a's slot. */
function moveDelta(adj: Adjacency, g: SlotGeometry, slotOf: Uint32Array, occupant: Int32Array, a: number, s: number): number {
  const from = slotOf[a];
  const b = occupant[s];
  let d = edgeCost(adj, g, slotOf, a, s, b) - edgeCost(adj, g, slotOf, a, from, b);
  if (b >= 0) d += edgeCost(adj, g, slotOf, b, from, a) - edgeCost(adj, g, slotOf, b, s, a);
  return d;
}

function applyMove(slotOf: Uint32Array, occupant: Int32Array, a: number, s: number): void {
  const from = slotOf[a];
  const b = occupant[s];
  slotOf[a] = s;
  occupant[s] = a;
  occupant[from] = b;
  if (b >= 0) slotOf[b] = from;
}

/**
 * Greedy construction: the core with the most traffic goes to the slot nearest
 * the board's centre; then, repeatedly, the unplaced core with the most traffic
 * to placed cores goes to the free slot that adds the least cost.
 */
function greedy(adj: Adjacency, g: SlotGeometry, n: number): Uint32Array {
  const slotOf = new Uint32Array(n);
  const free = new Uint8Array(g.slots).fill(1);
  const placed = new Uint8Array(n);
  const pull = new Float64Array(n);
  const strength = new Float64Array(n);
  for (let a = 0; a < n; a++) for (let k = adj.start[a]; k < adj.start[a + 1]; k++) strength[a] += adj.w[k];
  let cx = 0;
  let cy = 0;
  for (let s = 0; s < g.slots; s++) {
    cx += g.x[s];
    cy += g.y[s];
  }
  cx /= g.slots;
  cy /= g.slots;
  for (let step = 0; step < n; step++) {
    let a = -1;
    for (let c = 0; c < n; c++) {
      if (placed[c]) continue;
      if (a < 0 || pull[c] > pull[a] || (pull[c] === pull[a] && pull[c] === 0 && strength[c] > strength[a])) a = c;
    }
    let best = -1;
    let bestCost = Infinity;
    for (let s = 0; s < g.slots; s++) {
      if (!free[s]) continue;
      let c = 0;
      if (pull[a] > 0) {
        for (let k = adj.start[a]; k < adj.start[a + 1]; k++) if (placed[adj.nb[k]]) c += adj.w[k] * slotDistance(g, s, slotOf[adj.nb[k]]);
      } else if (strength[a] > 0) {
        // The first core of a connected group: the centre, so that its neighbours have room on every side.
        c = Math.abs(g.x[s] - cx) + Math.abs(g.y[s] - cy);
      }
      // Cores that talk to nobody take the first free slot (c = 0 everywhere).
      if (c < bestCost) {
        bestCost = c;
        best = s;
      }
    }
    slotOf[a] = best;
    free[best] = 0;
    placed[a] = 1;
    for (let k = adj.start[a]; k < adj.start[a + 1]; k++) pull[adj.nb[k]] += adj.w[k];
  }
  return slotOf;
}

/** Places `traffic.cores` cores on the `g.slots` slots of the board. */
export function placeCores(traffic: CoreTraffic, g: SlotGeometry, options: PlacementOptions): PlacementResult {
  const n = traffic.cores;
  if (n > g.slots) throw new Error(`placeCores: ${n} cores on ${g.slots} slots`);
  const inOrderSlots = Uint32Array.from({ length: n }, (_, c) => c);
  const inOrder = trafficCost(traffic, inOrderSlots, g);
  const adj = symmetrise(traffic);
  const slotOf = greedy(adj, g, n);
  const greedyCost = trafficCost(traffic, slotOf, g);
  const occupant = new Int32Array(g.slots).fill(-1);
  for (let a = 0; a < n; a++) occupant[slotOf[a]] = a;

  const iterations = options.iterations ?? Math.min(MAX_DEFAULT_ITERATIONS, DEFAULT_ITERATIONS_PER_CORE * n);
  const rand = prng(options.seed ^ 0x9e3779b9);
  let accepted = 0;
  if (n > 1 && iterations > 0 && adj.nb.length > 0) {
    // Starting temperature: the mean uphill change of a sample of random moves.
    let up = 0;
    let ups = 0;
    for (let i = 0; i < 256; i++) {
      const d = moveDelta(adj, g, slotOf, occupant, Math.floor(rand() * n), Math.floor(rand() * g.slots));
      if (d > 0) {
        up += d;
        ups++;
      }
    }
    const t0 = ups > 0 ? up / ups : 0;
    const tEnd = t0 * 1e-4;
    const cool = iterations > 1 && t0 > 0 ? Math.pow(tEnd / t0, 1 / (iterations - 1)) : 0;
    let temp = t0;
    for (let i = 0; i < iterations; i++, temp *= cool) {
      const a = Math.floor(rand() * n);
      // Half the moves go near a neighbour of a (where a good slot usually is), half anywhere.
      let s: number;
      const deg = adj.start[a + 1] - adj.start[a];
      if (deg > 0 && rand() < 0.5) {
        const b = adj.nb[adj.start[a] + Math.floor(rand() * deg)];
        const near = slotOf[b] + Math.floor(rand() * 9) - 4;
        s = Math.min(g.slots - 1, Math.max(0, near));
      } else s = Math.floor(rand() * g.slots);
      if (s === slotOf[a]) continue;
      const d = moveDelta(adj, g, slotOf, occupant, a, s);
      if (d <= 0 || (temp > 0 && rand() < Math.exp(-d / temp))) {
        applyMove(slotOf, occupant, a, s);
        accepted++;
      }
    }
    // Polish: the best single move or swap for each core, until none helps (bounded passes).
    for (let pass = 0; pass < POLISH_PASSES; pass++) {
      let improved = false;
      for (let a = 0; a < n; a++) {
        let best = -1;
        let bestDelta = -1e-12;
        for (let s = 0; s < g.slots; s++) {
          if (s === slotOf[a]) continue;
          const d = moveDelta(adj, g, slotOf, occupant, a, s);
          if (d < bestDelta) {
            bestDelta = d;
            best = s;
          }
        }
        if (best >= 0) {
          applyMove(slotOf, occupant, a, best);
          improved = true;
        }
      }
      if (!improved) break;
    }
  }
  let final = trafficCost(traffic, slotOf, g);
  // Never worse than where annealing started (or than in-order).
  let result = slotOf;
  if (greedyCost < final) {
    result = greedy(adj, g, n);
    final = greedyCost;
  }
  if (inOrder < final) {
    result = inOrderSlots;
    final = inOrder;
  }
  return { slotOf: result, cost: { inOrder, greedy: greedyCost, final }, iterations, accepted };
}
