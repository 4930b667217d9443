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
  const start = new Uint32Array(n + 1);
  const dests: number[] = [];
  const packets: number[] = [];
  let total = 0;
  for (let a = 0; a < n; a++) {
    const { routeStart, routeCore, neuronCount } = cores[a];
    const prob = spikeProb[a];
    const touched: number[] = [];
    for (let i = 0; i < neuronCount; i++) {
      const p = prob[i];
      if (p === 0) continue;
      for (let r = routeStart[i]; r < routeStart[i + 1]; r++) {
        const b = routeCore[r];
        total += p;
        if (b === a) continue;
        if (acc[b] === 0) touched.push(b);
        acc[b] += p;
      }
    }
    touched.sort((x, y) => x - y);
    for (const b of touched) {
      dests.push(b);
      packets.push(acc[b]);
      acc[b] = 0;
    }
    start[a + 1] = dests.length;
  }
  return { cores: n, start, dest: Uint32Array.from(dests), packets: Float64Array.from(packets), totalPackets: total };
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
  let cost = 0;
  for (let a = 0; a < traffic.cores; a++) {
    for (let k = traffic.start[a]; k < traffic.start[a + 1]; k++) cost += traffic.packets[k] * slotDistance(g, slotOf[a], slotOf[traffic.dest[k]]);
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
 * packet following its X-then-Y route (all of x first, then y).
 */
export function linkLoads(traffic: CoreTraffic, slotOf: ArrayLike<number>, profile: ChipProfile): readonly LinkLoad[] {
  const loads = new Map<string, { from: { x: number; y: number }; to: { x: number; y: number }; kind: LinkKind; packetsPerStep: number }>();
  const tilesX = profile.mesh.tilesX;
  const tilesY = profile.mesh.tilesY;
  const add = (x: number, y: number, nx: number, ny: number, p: number): void => {
    const key = `${x},${y}>${nx},${ny}`;
    const found = loads.get(key);
    if (found) found.packetsPerStep += p;
    else {
      const crosses = Math.floor(x / tilesX) !== Math.floor(nx / tilesX) || Math.floor(y / tilesY) !== Math.floor(ny / tilesY);
      const kind: LinkKind = crosses ? 'chip-to-chip' : y === ny ? 'east-west' : 'north-south';
      loads.set(key, { from: { x, y }, to: { x: nx, y: ny }, kind, packetsPerStep: p });
    }
  };
  for (let a = 0; a < traffic.cores; a++) {
    const from = corePosition(profile, slotOf[a]);
    for (let k = traffic.start[a]; k < traffic.start[a + 1]; k++) {
      const to = corePosition(profile, slotOf[traffic.dest[k]]);
      const p = traffic.packets[k];
      let x = from.x;
      let y = from.y;
      while (x !== to.x) {
        const nx = x + Math.sign(to.x - x);
        add(x, y, nx, y, p);
        x = nx;
      }
      while (y !== to.y) {
        const ny = y + Math.sign(to.y - y);
        add(x, y, x, ny, p);
        y = ny;
      }
    }
  }
  return [...loads.values()].sort((p, q) => q.packetsPerStep - p.packetsPerStep || p.from.y - q.from.y || p.from.x - q.from.x || p.to.y - q.to.y || p.to.x - q.to.x);
}
