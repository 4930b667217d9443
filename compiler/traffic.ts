// Expected spike traffic of a mapped network: what the placement minimises and
// what the map report shows. Every figure is a pure function of the image (its
// cores, routes and slots) and one expected rate per population, so `meso
// inspect` of a .chip computes the same numbers as `meso compile --map-report`.
//
// Units: a packet is one route entry used once (one spike of a source neuron to
// one destination core, as the emulator sends it). Expected packets per step of
// core a to core b = Σ over a's neurons n of P(n spikes in a step) × routes of n to b.
// The traffic cost of a placement = Σ over core pairs of packets per step × hops
// of the X-then-Y route between their slots, where a hop over a chip-to-chip link
// counts as chipHopWeight(profile) on-chip hops (its energy over an on-chip hop's).
import type { ChipImage, CoreImage } from '../isa/image/types.js';
import { corePosition, type ChipProfile } from '../isa/profile.js';
import type { NetworkIR, PopulationIR } from './ir.js';

/**
 * Rate the mapper assumes for a population of neurons without a `rate` hint.
 * 10 Hz: the order of mean cortical firing rates (a few Hz to tens of Hz) that
 * Brian2 and NEST example networks run at; a guess, which `rate = ...` replaces.
 */
export const DEFAULT_NEURON_RATE_HZ = 10;

export type RateSource = 'hint' | 'encoding' | 'default';

export interface PopulationRate {
  readonly hz: number;
  readonly source: RateSource;
}

/** The rate the mapper expects of each population: the `rate` hint, else the input's encoding, else the default. */
export function expectedRate(pop: PopulationIR): PopulationRate {
  if (pop.rateHz !== undefined) return { hz: pop.rateHz, source: 'hint' };
  if (pop.kind === 'input') {
    const enc = pop.encoding;
    if (enc.kind === 'poisson') return { hz: enc.maxRateHz, source: 'encoding' };
    if (enc.kind === 'periodic') return { hz: 1 / enc.periodS, source: 'encoding' };
    // Other encodings (added by later work) carry no rate the mapper can read.
    return { hz: DEFAULT_NEURON_RATE_HZ, source: 'default' };
  }
  return { hz: DEFAULT_NEURON_RATE_HZ, source: 'default' };
}

export function networkRates(network: NetworkIR): readonly PopulationRate[] {
  return network.populations.map(expectedRate);
}

/** Rates read back from an image alone: input encodings, and the default for neurons (hints are not stored). */
export function imageRates(image: ChipImage): readonly PopulationRate[] {
  return image.symbols.populations.map((pop): PopulationRate => {
    if (pop.rateHz !== undefined) return { hz: pop.rateHz, source: 'hint' };
    const piece = pop.pieces[0];
    if (pop.kind === 'input' && piece !== undefined) {
      const group = image.cores[piece.core].groups.find((g) => g.first <= piece.first && piece.first < g.first + g.count);
      if (group?.kind === 'input') {
        const enc = group.encoding;
        if (enc.kind === 'poisson') return { hz: enc.threshold / 4294967296 / image.dtS, source: 'encoding' };
        if (enc.kind === 'periodic') return { hz: 1 / (enc.period * image.dtS), source: 'encoding' };
      }
    }
    return { hz: DEFAULT_NEURON_RATE_HZ, source: 'default' };
  });
}

/** Expected spikes per step of every neuron slot, per core (a probability, at most 1). */
export function slotSpikeProbability(
  cores: readonly Pick<CoreImage, 'neuronCount'>[],
  pieces: readonly (readonly { readonly core: number; readonly first: number; readonly count: number }[])[],
  rates: readonly PopulationRate[],
  dtS: number,
): readonly Float64Array[] {
  const out = cores.map((c) => new Float64Array(c.neuronCount));
  pieces.forEach((list, p) => {
    const prob = Math.min(1, Math.max(0, rates[p].hz * dtS));
    for (const piece of list) out[piece.core].fill(prob, piece.first, piece.first + piece.count);
  });
  return out;
}

/**
 * Directed traffic between cores as compressed rows: packets per step from core
 * a to core b (a != b) for b in dest[start[a]..start[a+1]). Traffic a core sends
 * to itself travels no link and is left out.
 */
export interface CoreTraffic {
  readonly cores: number;
  readonly start: Uint32Array;
  readonly dest: Uint32Array;
  readonly packets: Float64Array;
  /** Packets per step in total, own core included (the denominator of hops per packet). */
  readonly totalPackets: number;
}

export function coreTraffic(cores: readonly Pick<CoreImage, 'routeStart' | 'routeCore' | 'neuronCount'>[], spikeProb: readonly Float64Array[]): CoreTraffic {
  const n = cores.length;
  const acc = new Float64Array(n);
  const mark = new Int32Array(n).fill(-1);
  // Two passes over the routes, so that a network of tens of millions of routes
  // builds its rows straight into typed arrays: first the distinct destinations
  // per core, then their packets.
  const start = new Uint32Array(n + 1);
  for (let a = 0; a < n; a++) {
    const { routeStart, routeCore, neuronCount } = cores[a];
    const prob = spikeProb[a];
    let distinct = 0;
    for (let i = 0; i < neuronCount; i++) {
      if (prob[i] === 0) continue;
      for (let r = routeStart[i]; r < routeStart[i + 1]; r++) {
        const b = routeCore[r];
        if (b === a || mark[b] === a) continue;
        mark[b] = a;
        distinct++;
      }
    }
    start[a + 1] = start[a] + distinct;
  }
  const dest = new Uint32Array(start[n]);
  const packets = new Float64Array(start[n]);
  let total = 0;
  for (let a = 0; a < n; a++) {
    const { routeStart, routeCore, neuronCount } = cores[a];
    const prob = spikeProb[a];
    let k = start[a];
    for (let i = 0; i < neuronCount; i++) {
      const p = prob[i];
      if (p === 0) continue;
      for (let r = routeStart[i]; r < routeStart[i + 1]; r++) {
        const b = routeCore[r];
        total += p;
        if (b === a) continue;
        if (acc[b] === 0) dest[k++] = b;
        acc[b] += p;
      }
    }
    const row = dest.subarray(start[a], k);
    // Rows in ascending destination order: a dense row (a core talking to a good part of
    // the board) by one scan of the cores, cheaper than sorting it; a sparse one sorted.
    if (row.length * 16 > n) {
      let j = 0;
      for (let b = 0; b < n; b++) if (acc[b] !== 0) row[j++] = b;
    } else row.sort();
    for (let j = 0; j < row.length; j++) {
      packets[start[a] + j] = acc[row[j]];
      acc[row[j]] = 0;
    }
  }
  return { cores: n, start, dest, packets, totalPackets: total };
}

/** What one chip-to-chip hop counts as, in on-chip hops: its energy over the mean on-chip hop energy (at least 1). */
export function chipHopWeight(profile: ChipProfile): number {
  const onChip = (profile.energyPj.hop_east_west + profile.energyPj.hop_north_south) / 2;
  if (profile.board.maxChips <= 1 || onChip <= 0) return 1;
  return Math.max(1, profile.board.chipHopEnergyPj / onChip);
}

/** Slot coordinates as typed arrays, for the placement's inner loops. */
export interface SlotGeometry {
  readonly slots: number;
  readonly x: Int32Array;
  readonly y: Int32Array;
  readonly chipX: Int32Array;
  readonly chipY: Int32Array;
  /** Extra cost of a chip-to-chip hop over an on-chip one (chipHopWeight - 1). */
  readonly chipExtra: number;
}

export function slotGeometry(profile: ChipProfile, slots: number): SlotGeometry {
  const g = { slots, x: new Int32Array(slots), y: new Int32Array(slots), chipX: new Int32Array(slots), chipY: new Int32Array(slots), chipExtra: chipHopWeight(profile) - 1 };
  for (let s = 0; s < slots; s++) {
    const p = corePosition(profile, s);
    g.x[s] = p.x;
    g.y[s] = p.y;
    g.chipX[s] = p.chipX;
    g.chipY[s] = p.chipY;
  }
  return g;
}

/** Weighted hops of the X-then-Y route between two slots (the cost of one packet). */
export function slotDistance(g: SlotGeometry, s: number, t: number): number {
  return (
    Math.abs(g.x[s] - g.x[t]) + Math.abs(g.y[s] - g.y[t]) + g.chipExtra * (Math.abs(g.chipX[s] - g.chipX[t]) + Math.abs(g.chipY[s] - g.chipY[t]))
  );
}

/** Σ over core pairs of packets per step × weighted hops, for cores sitting at `slotOf`. */
export function trafficCost(traffic: CoreTraffic, slotOf: ArrayLike<number>, g: SlotGeometry): number {
  // slotDistance with the sending core's coordinates read once per row (rows run to thousands of entries).
  const { x, y, chipX, chipY, chipExtra } = g;
  const { start, dest, packets } = traffic;
  let cost = 0;
  for (let a = 0; a < traffic.cores; a++) {
    const s = slotOf[a];
    const xs = x[s];
    const ys = y[s];
    const cxs = chipX[s];
    const cys = chipY[s];
    for (let k = start[a], end = start[a + 1]; k < end; k++) {
      const t = slotOf[dest[k]];
      cost += packets[k] * (Math.abs(xs - x[t]) + Math.abs(ys - y[t]) + chipExtra * (Math.abs(cxs - chipX[t]) + Math.abs(cys - chipY[t])));
    }
  }
  return cost;
}

export type LinkKind = 'east-west' | 'north-south' | 'chip-to-chip';

export interface LinkLoad {
  /** Global tile coordinates of the link's two ends, in the direction packets travel. */
  readonly from: { readonly x: number; readonly y: number };
  readonly to: { readonly x: number; readonly y: number };
  readonly kind: LinkKind;
  readonly packetsPerStep: number;
}

/**
 * Expected packets per step over every directed link of the board's mesh, each
 * packet following its X-then-Y route (all of x first, then y). A route's two
 * straight runs are added to difference arrays (one per row for the x run, one
 * per column for the y run, per direction), so the cost is one step per core
 * pair, not per hop: tens of millions of pairs on a board of 63 chips stay seconds.
 */
export function linkLoads(traffic: CoreTraffic, slotOf: ArrayLike<number>, profile: ChipProfile): readonly LinkLoad[] {
  const tilesX = profile.mesh.tilesX;
  const tilesY = profile.mesh.tilesY;
  const n = traffic.cores;
  const px = new Int32Array(n);
  const py = new Int32Array(n);
  let width = 1;
  let height = 1;
  for (let a = 0; a < n; a++) {
    const at = corePosition(profile, slotOf[a]);
    px[a] = at.x;
    py[a] = at.y;
    width = Math.max(width, at.x + 1);
    height = Math.max(height, at.y + 1);
  }
  // Direction d (0 east, 1 west, 2 south (+y), 3 north (-y)); entry [row or column][position]:
  // link from position i to i +- 1. Loads, and how many runs cover each link (so that a link no
  // route uses is not listed for a rounding residue).
  const load = [new Float64Array(height * (width + 1)), new Float64Array(height * (width + 1)), new Float64Array(width * (height + 1)), new Float64Array(width * (height + 1))];
  const used = [new Int32Array(height * (width + 1)), new Int32Array(height * (width + 1)), new Int32Array(width * (height + 1)), new Int32Array(width * (height + 1))];
  // A run over links lo..hi-1 (by their lower end) of line `line`, of `len` positions plus one.
  const run = (d: number, line: number, len: number, lo: number, hi: number, p: number): void => {
    const base = line * (len + 1);
    load[d][base + lo] += p;
    load[d][base + hi] -= p;
    used[d][base + lo]++;
    used[d][base + hi]--;
  };
  for (let a = 0; a < n; a++) {
    for (let k = traffic.start[a]; k < traffic.start[a + 1]; k++) {
      const b = traffic.dest[k];
      const p = traffic.packets[k];
      const x0 = px[a];
      const x1 = px[b];
      const y0 = py[a];
      const y1 = py[b];
      // East link at i joins (i, y) -> (i + 1, y); west link at i joins (i + 1, y) -> (i, y).
      if (x1 > x0) run(0, y0, width, x0, x1, p);
      else if (x1 < x0) run(1, y0, width, x1, x0, p);
      if (y1 > y0) run(2, x1, height, y0, y1, p);
      else if (y1 < y0) run(3, x1, height, y1, y0, p);
    }
  }
  const out: LinkLoad[] = [];
  const kindOf = (x: number, y: number, nx: number, ny: number): LinkKind =>
    Math.floor(x / tilesX) !== Math.floor(nx / tilesX) || Math.floor(y / tilesY) !== Math.floor(ny / tilesY) ? 'chip-to-chip' : y === ny ? 'east-west' : 'north-south';
  for (let d = 0; d < 4; d++) {
    const lines = d < 2 ? height : width;
    const len = d < 2 ? width : height;
    for (let line = 0; line < lines; line++) {
      let p = 0;
      let count = 0;
      for (let i = 0; i < len; i++) {
        p += load[d][line * (len + 1) + i];
        count += used[d][line * (len + 1) + i];
        if (count === 0) continue;
        const [x, y, nx, ny] =
          d === 0 ? [i, line, i + 1, line] : d === 1 ? [i + 1, line, i, line] : d === 2 ? [line, i, line, i + 1] : [line, i + 1, line, i];
        out.push({ from: { x, y }, to: { x: nx, y: ny }, kind: kindOf(x, y, nx, ny), packetsPerStep: p });
      }
    }
  }
  return out.sort((p, q) => q.packetsPerStep - p.packetsPerStep || p.from.y - q.from.y || p.from.x - q.from.x || p.to.y - q.to.y || p.to.x - q.to.x);
}
