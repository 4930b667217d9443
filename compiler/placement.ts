// Placement: which mesh slot each core of the partition sits in, so that the
// expected spike traffic travels as few hops as possible (compiler/traffic.ts
// defines the cost). A greedy construction, then simulated annealing over
// moves and swaps, then a polish of the best move or swap per core.
//
// Scale: a dense network (CUBA at 40,000 neurons: 8,000 cores, each talking to
// about 5,000 others) makes every full cost evaluation expensive, so
//  - the work of the local search is bounded by a budget of edge visits, not by
//    iteration counts that grow with the network (a dense graph gets few moves:
//    every placement of a random graph costs about the same anyway);
//  - the cost of a core at every slot at once comes from its neighbours'
//    weights binned by mesh column and row: a slot's distance is the sum of a
//    column part and a row part (X-then-Y routing; a chip-to-chip hop's extra
//    depends only on the chip column or row), so the greedy step and the polish
//    score all slots in O(degree + columns² + rows² + slots), not O(slots · degree);
//  - the polish stops when a pass gains less than POLISH_MIN_GAIN of the cost.
// Nothing depends on the clock, and the only randomness is a PRNG seeded by the
// caller: the same network and seed give the same placement on every machine.
import { trafficCost, type CoreTraffic, type SlotGeometry } from './traffic.js';

export interface PlacementOptions {
  readonly seed: number;
  /**
   * Annealing moves; default: DEFAULT_ITERATIONS_PER_CORE per core, capped by MAX_DEFAULT_ITERATIONS and
   * ANNEAL_EDGE_VISITS (none below ANNEAL_MIN_MOVES_PER_CORE per core). 0: no local search at all.
   */
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
/** Edge visits the default annealing may spend (about a second on this machine's cores). */
export const ANNEAL_EDGE_VISITS = 200_000_000;
/** Work units (edge visits and slots scored) the polish may spend. */
export const POLISH_EDGE_VISITS = 100_000_000;
/** Annealing by default only when the budget allows this many moves per core. */
export const ANNEAL_MIN_MOVES_PER_CORE = 20;
/** Polish passes at most; a pass gaining less than POLISH_MIN_GAIN of the cost ends it early. */
const POLISH_PASSES = 4;
const POLISH_MIN_GAIN = 1e-3;
/** Slots per core whose swap the polish scores exactly: the best by the moving core's own cost. */
const POLISH_CANDIDATES = 6;

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

/**
 * Undirected weights w(a, b) = traffic a->b + b->a, as compressed rows (each
 * neighbour once per row). Float32 weights: the search only compares costs, and
 * at 40 M entries the rows are half the size; reported costs use the directed
 * Float64 traffic.
 */
interface Adjacency {
  readonly start: Uint32Array;
  readonly nb: Uint32Array;
  readonly w: Float32Array;
}

function symmetrise(t: CoreTraffic): Adjacency {
  const n = t.cores;
  const start = new Uint32Array(n + 1);
  // Traffic of a core to itself travels no link (coreTraffic leaves it out; so does this).
  for (let a = 0; a < n; a++) {
    for (let k = t.start[a]; k < t.start[a + 1]; k++) {
      if (t.dest[k] === a) continue;
      start[a + 1]++;
      start[t.dest[k] + 1]++;
    }
  }
  for (let a = 0; a < n; a++) start[a + 1] += start[a];
  // Both directions of every edge, then duplicates merged row by row in place
  // (a row only moves left, so the write position never passes the read position).
  const nb = new Uint32Array(start[n]);
  const w = new Float32Array(start[n]);
  const fill = start.slice(0, n);
  for (let a = 0; a < n; a++) {
    for (let k = t.start[a]; k < t.start[a + 1]; k++) {
      const b = t.dest[k];
      if (b === a) continue;
      const p = t.packets[k];
      nb[fill[a]] = b;
      w[fill[a]++] = p;
      nb[fill[b]] = a;
      w[fill[b]++] = p;
    }
  }
  const at = new Int32Array(n).fill(-1);
  const acc = new Float64Array(n);
  let out = 0;
  let rowStart = 0;
  for (let a = 0; a < n; a++) {
    const lo = start[a];
    const hi = start[a + 1];
    start[a] = rowStart;
    for (let k = lo; k < hi; k++) {
      const b = nb[k];
      if (at[b] < 0) {
        at[b] = out;
        nb[out++] = b;
      }
      acc[b] += w[k];
    }
    for (let k = rowStart; k < out; k++) {
      const b = nb[k];
      w[k] = acc[b];
      acc[b] = 0;
      at[b] = -1;
    }
    rowStart = out;
  }
  start[n] = out;
  return { start, nb: nb.subarray(0, out), w: w.subarray(0, out) };
}

/**
 * The board's slots as columns and rows: slotDistance(s, t) = dx[col s, col t] + dy[row s, row t],
 * a column being a distinct (x, chipX) and a row a distinct (y, chipY).
 */
interface Axes {
  readonly cols: number;
  readonly rows: number;
  readonly colOf: Int32Array;
  readonly rowOf: Int32Array;
  readonly dx: Float64Array;
  readonly dy: Float64Array;
}

function axesOf(g: SlotGeometry): Axes {
  const index = (a: Int32Array, b: Int32Array): { of: Int32Array; values: number[][] } => {
    const seen = new Map<string, number>();
    const of = new Int32Array(g.slots);
    const values: number[][] = [];
    for (let s = 0; s < g.slots; s++) {
      const key = `${a[s]},${b[s]}`;
      let i = seen.get(key);
      if (i === undefined) {
        i = values.length;
        seen.set(key, i);
        values.push([a[s], b[s]]);
      }
      of[s] = i;
    }
    return { of, values };
  };
  const table = (values: number[][]): Float64Array => {
    const m = values.length;
    const d = new Float64Array(m * m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) d[i * m + j] = Math.abs(values[i][0] - values[j][0]) + g.chipExtra * Math.abs(values[i][1] - values[j][1]);
    }
    return d;
  };
  const c = index(g.x, g.chipX);
  const r = index(g.y, g.chipY);
  return { cols: c.values.length, rows: r.values.length, colOf: c.of, rowOf: r.of, dx: table(c.values), dy: table(r.values) };
}

/** Scratch for scoring one core at every slot: its neighbours' weight per column and row, and the cost per column and row. */
class SlotScorer {
  readonly hx: Float64Array;
  readonly hy: Float64Array;
  readonly fx: Float64Array;
  readonly fy: Float64Array;
  constructor(readonly axes: Axes) {
    this.hx = new Float64Array(axes.cols);
    this.hy = new Float64Array(axes.rows);
    this.fx = new Float64Array(axes.cols);
    this.fy = new Float64Array(axes.rows);
  }
  clear(): void {
    this.hx.fill(0);
    this.hy.fill(0);
  }
  add(slot: number, w: number): void {
    this.hx[this.axes.colOf[slot]] += w;
    this.hy[this.axes.rowOf[slot]] += w;
  }
  /** After the neighbours are added: fx, fy such that the core's cost at slot s is fx[col s] + fy[row s]. */
  finish(): number {
    const { cols, rows, dx, dy } = this.axes;
    for (let i = 0; i < cols; i++) {
      let c = 0;
      for (let j = 0; j < cols; j++) if (this.hx[j] !== 0) c += this.hx[j] * dx[i * cols + j];
      this.fx[i] = c;
    }
    for (let i = 0; i < rows; i++) {
      let c = 0;
      for (let j = 0; j < rows; j++) if (this.hy[j] !== 0) c += this.hy[j] * dy[i * rows + j];
      this.fy[i] = c;
    }
    return cols * cols + rows * rows;
  }
  at(slot: number): number {
    return this.fx[this.axes.colOf[slot]] + this.fy[this.axes.rowOf[slot]];
  }
}

/**
 * Where every core sits, with its slot's column and row kept beside it so that
 * the inner loops read two small tables per edge (slotDistance reads eight).
 */
class Layout {
  readonly occupant: Int32Array;
  readonly colOf: Int32Array;
  readonly rowOf: Int32Array;
  constructor(
    readonly axes: Axes,
    readonly slotOf: Uint32Array,
  ) {
    this.occupant = new Int32Array(axes.colOf.length).fill(-1);
    this.colOf = new Int32Array(slotOf.length);
    this.rowOf = new Int32Array(slotOf.length);
    for (let a = 0; a < slotOf.length; a++) this.place(a, slotOf[a]);
  }
  private place(a: number, s: number): void {
    this.slotOf[a] = s;
    this.occupant[s] = a;
    this.colOf[a] = this.axes.colOf[s];
    this.rowOf[a] = this.axes.rowOf[s];
  }
  /** Core a to slot s; s's occupant, if any, to a's old slot. */
  move(a: number, s: number): void {
    const from = this.slotOf[a];
    const b = this.occupant[s];
    this.occupant[from] = -1;
    this.place(a, s);
    if (b >= 0) this.place(b, from);
  }
  /** The distance between slots s and t, as the search counts it (slotDistance, summed per axis). */
  distance(s: number, t: number): number {
    const { cols, rows, colOf, rowOf, dx, dy } = this.axes;
    return dx[colOf[s] * cols + colOf[t]] + dy[rowOf[s] * rows + rowOf[t]];
  }
}

/** Cost of core a's edges if a sat at slot s (neighbours where they are; `skip` left out). */
function edgeCost(adj: Adjacency, lay: Layout, a: number, s: number, skip: number): number {
  const { cols, rows, dx, dy } = lay.axes;
  const cs = lay.axes.colOf[s] * cols;
  const rs = lay.axes.rowOf[s] * rows;
  const { nb, w } = adj;
  const colOf = lay.colOf;
  const rowOf = lay.rowOf;
  let c = 0;
  for (let k = adj.start[a], end = adj.start[a + 1]; k < end; k++) {
    const b = nb[k];
    if (b !== skip) c += w[k] * (dx[cs + colOf[b]] + dy[rs + rowOf[b]]);
  }
  return c;
}

/** Change of cost when core a moves to slot s and s's occupant (or nobody, -1) takes a's slot. */
function moveDelta(adj: Adjacency, lay: Layout, a: number, s: number): number {
  const from = lay.slotOf[a];
  const b = lay.occupant[s];
  let d = edgeCost(adj, lay, a, s, b) - edgeCost(adj, lay, a, from, b);
  if (b >= 0) d += edgeCost(adj, lay, b, from, a) - edgeCost(adj, lay, b, s, a);
  return d;
}

/**
 * Greedy construction: the core with the most traffic goes to the slot nearest
 * the board's centre; then, repeatedly, the unplaced core with the most traffic
 * to placed cores goes to the free slot that adds the least cost (every free
 * slot scored at once by the SlotScorer).
 */
function greedy(adj: Adjacency, g: SlotGeometry, axes: Axes, n: number): Uint32Array {
  const slotOf = new Uint32Array(n);
  const free = new Uint8Array(g.slots).fill(1);
  const placed = new Uint8Array(n);
  const pull = new Float64Array(n);
  const strength = new Float64Array(n);
  const scorer = new SlotScorer(axes);
  for (let a = 0; a < n; a++) for (let k = adj.start[a]; k < adj.start[a + 1]; k++) strength[a] += adj.w[k];
  let cx = 0;
  let cy = 0;
  for (let s = 0; s < g.slots; s++) {
    cx += g.x[s];
    cy += g.y[s];
  }
  cx /= g.slots;
  cy /= g.slots;
  let firstFree = 0;
  for (let step = 0; step < n; step++) {
    let a = -1;
    for (let c = 0; c < n; c++) {
      if (placed[c]) continue;
      if (a < 0 || pull[c] > pull[a] || (pull[c] === pull[a] && pull[c] === 0 && strength[c] > strength[a])) a = c;
    }
    while (!free[firstFree]) firstFree++;
    let best = firstFree;
    if (pull[a] > 0) {
      scorer.clear();
      for (let k = adj.start[a]; k < adj.start[a + 1]; k++) if (placed[adj.nb[k]]) scorer.add(slotOf[adj.nb[k]], adj.w[k]);
      scorer.finish();
      let bestCost = Infinity;
      for (let s = firstFree; s < g.slots; s++) {
        if (!free[s]) continue;
        const c = scorer.at(s);
        if (c < bestCost) {
          bestCost = c;
          best = s;
        }
      }
    } else if (strength[a] > 0) {
      // The first core of a connected group: the centre, so that its neighbours have room on every side.
      let bestCost = Infinity;
      for (let s = firstFree; s < g.slots; s++) {
        if (!free[s]) continue;
        const c = Math.abs(g.x[s] - cx) + Math.abs(g.y[s] - cy);
        if (c < bestCost) {
          bestCost = c;
          best = s;
        }
      }
    }
    // Cores that talk to nobody take the first free slot.
    slotOf[a] = best;
    free[best] = 0;
    placed[a] = 1;
    for (let k = adj.start[a]; k < adj.start[a + 1]; k++) pull[adj.nb[k]] += adj.w[k];
  }
  return slotOf;
}

/** Simulated annealing over moves and swaps; returns the moves accepted. */
function anneal(adj: Adjacency, lay: Layout, iterations: number, rand: () => number): number {
  const slotOf = lay.slotOf;
  const n = slotOf.length;
  const slots = lay.occupant.length;
  let accepted = 0;
  // Starting temperature: the mean uphill change of a sample of random moves.
  let up = 0;
  let ups = 0;
  for (let i = 0; i < 256; i++) {
    const d = moveDelta(adj, lay, Math.floor(rand() * n), Math.floor(rand() * slots));
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
      s = Math.min(slots - 1, Math.max(0, near));
    } else s = Math.floor(rand() * slots);
    if (s === slotOf[a]) continue;
    const d = moveDelta(adj, lay, a, s);
    if (d <= 0 || (temp > 0 && rand() < Math.exp(-d / temp))) {
      lay.move(a, s);
      accepted++;
    }
  }
  return accepted;
}

/**
 * Polish: for each core, its own cost at every slot (SlotScorer), then the
 * exact change of a move to the best free slot or a swap with the occupant of
 * one of its POLISH_CANDIDATES best slots; the best improving one is made.
 * Passes end when one gains under POLISH_MIN_GAIN of the cost, or the budget of
 * work units is spent.
 */
function polish(adj: Adjacency, lay: Layout, budget: number): void {
  const { slotOf, occupant } = lay;
  const n = slotOf.length;
  const slots = occupant.length;
  const scorer = new SlotScorer(lay.axes);
  const candSlot = new Int32Array(POLISH_CANDIDATES);
  const candCost = new Float64Array(POLISH_CANDIDATES);
  let cost = 0;
  for (let a = 0; a < n; a++) cost += edgeCost(adj, lay, a, slotOf[a], -1);
  cost /= 2;
  let spent = adj.nb.length;
  for (let pass = 0; pass < POLISH_PASSES && spent < budget; pass++) {
    let gain = 0;
    for (let a = 0; a < n && spent < budget; a++) {
      const lo = adj.start[a];
      const hi = adj.start[a + 1];
      if (lo === hi) continue;
      const from = slotOf[a];
      scorer.clear();
      for (let k = lo; k < hi; k++) scorer.add(slotOf[adj.nb[k]], adj.w[k]);
      spent += hi - lo + scorer.finish() + slots;
      const here = scorer.at(from);
      // The best free slot, and the best occupied slots by a's own cost (kept sorted, ascending).
      let freeSlot = -1;
      let freeCost = here;
      let cands = 0;
      for (let s = 0; s < slots; s++) {
        const c = scorer.at(s);
        if (c >= here || s === from) continue;
        if (occupant[s] < 0) {
          if (c < freeCost) {
            freeCost = c;
            freeSlot = s;
          }
          continue;
        }
        if (cands === POLISH_CANDIDATES && c >= candCost[cands - 1]) continue;
        let i = cands < POLISH_CANDIDATES ? cands++ : cands - 1;
        while (i > 0 && candCost[i - 1] > c) {
          candCost[i] = candCost[i - 1];
          candSlot[i] = candSlot[i - 1];
          i--;
        }
        candCost[i] = c;
        candSlot[i] = s;
      }
      let best = freeSlot;
      let bestDelta = freeSlot >= 0 ? freeCost - here : 0;
      for (let i = 0; i < cands; i++) {
        const s = candSlot[i];
        const b = occupant[s];
        // a's part without the a-b edge (at s, b's edge counts 0 in the scorer; at `from` it counted w_ab d).
        // b's part: its other neighbours, from s to `from`.
        let wab = 0;
        let bPart = 0;
        for (let k = adj.start[b]; k < adj.start[b + 1]; k++) {
          const c = adj.nb[k];
          if (c === a) {
            wab = adj.w[k];
            continue;
          }
          const t = slotOf[c];
          bPart += adj.w[k] * (lay.distance(from, t) - lay.distance(s, t));
        }
        spent += adj.start[b + 1] - adj.start[b];
        const d = candCost[i] - here + wab * lay.distance(from, s) + bPart;
        if (d < bestDelta) {
          bestDelta = d;
          best = s;
        }
      }
      // Improvements below rounding between the two ways of summing are not moves.
      if (best >= 0 && bestDelta < -1e-9 * here) {
        lay.move(a, best);
        gain -= bestDelta;
      }
    }
    if (gain < POLISH_MIN_GAIN * cost) break;
    cost -= gain;
  }
}

/** Annealing moves for a network: the requested count, else per core, within the edge-visit budget. */
function defaultIterations(adj: Adjacency, n: number, slots: number): number {
  // Each move visits a's edges twice and, for a swap, the occupant's twice.
  const meanDegree = adj.nb.length / Math.max(1, n);
  const perMove = 2 * meanDegree * (1 + n / slots) + 1;
  const moves = Math.min(MAX_DEFAULT_ITERATIONS, DEFAULT_ITERATIONS_PER_CORE * n, Math.floor(ANNEAL_EDGE_VISITS / perMove));
  // Too few moves per core to cool from a hot start: annealing would only scramble the greedy
  // placement (a dense graph, where every placement costs about the same); the polish alone runs.
  return moves < ANNEAL_MIN_MOVES_PER_CORE * n ? 0 : moves;
}

/** Places `traffic.cores` cores on the `g.slots` slots of the board. */
export function placeCores(traffic: CoreTraffic, g: SlotGeometry, options: PlacementOptions): PlacementResult {
  const n = traffic.cores;
  if (n > g.slots) throw new Error(`placeCores: ${n} cores on ${g.slots} slots`);
  const inOrderSlots = Uint32Array.from({ length: n }, (_, c) => c);
  const inOrder = trafficCost(traffic, inOrderSlots, g);
  const adj = symmetrise(traffic);
  const axes = axesOf(g);
  const greedySlots = greedy(adj, g, axes, n);
  const greedyCost = trafficCost(traffic, greedySlots, g);
  const slotOf = greedySlots.slice();

  const iterations = options.iterations ?? defaultIterations(adj, n, g.slots);
  const rand = prng(options.seed ^ 0x9e3779b9);
  let accepted = 0;
  // `iterations: 0` asks for no local search at all (the in-order strategy's figures).
  if (n > 1 && options.iterations !== 0 && adj.nb.length > 0) {
    const lay = new Layout(axes, slotOf);
    if (iterations > 0) accepted = anneal(adj, lay, iterations, rand);
    polish(adj, lay, POLISH_EDGE_VISITS);
  }
  let final = trafficCost(traffic, slotOf, g);
  // Never worse than where annealing started (or than in-order).
  let result: Uint32Array = slotOf;
  if (greedyCost < final) {
    result = greedySlots;
    final = greedyCost;
  }
  if (inOrder < final) {
    result = inOrderSlots;
    final = inOrder;
  }
  return { slotOf: result, cost: { inOrder, greedy: greedyCost, final }, iterations, accepted };
}
