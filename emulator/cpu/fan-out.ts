// Delivery by source. The chip keeps a core's synapses by axon on the target
// core, and the timing model still moves one packet per route (emulator/noc.ts);
// but what a packet does to its target's delay slots is a wrapping integer add
// per synapse, and those adds give the same sums in any order. So the CPU
// backend keeps each source core's routes' synapses in route order, as Brian2
// and NEST keep synapses by source, and delivers a step's spikes from the list
// of them (SentSpikes): a spike's synapses are read front to back instead of
// one target core's axon table after another (a cache miss each on random-1m,
// where a packet carries two synapses). The receiving thread delivers: each
// thread walks the whole list and adds only into the cores it owns, so no two
// threads write one accumulator. A target core whose synapses mix delays, or
// that learns (the learn phase rewrites its words and reads its arrivals),
// keeps an inbox of axons and delivers for itself (cpu.ts deliverCore).
// Widths are chosen per chip: a synapse's target takes 8 bits where every core
// delivered by source has at most 256 neurons (a chip whose fan-in limit keeps
// cores small, as on random-1m and CUBA at 40,000), and a route's weight 8 bits
// where the palette has at most 128 weights, and a route's synapse count 8 bits
// where every axon has fewer than 255 synapses; 16 bits otherwise. And where
// every source neuron's routes carry one weight code (CUBA: a neuron is
// excitatory or inhibitory), the code is kept once per slot, not per route.
// Where every core with synapses is delivered by source and has at most 8
// neurons, and no axon has its own mantissas or reaches one slot twice (CUBA
// at 40,000: 5 neurons a core, 1.04 synapses a route), a route's synapses are
// one byte, a crossbar row with a bit per target slot (as TrueNorth's cores
// hold theirs), in place of its count and its synapses' 8-bit targets.
import { synapseTarget, synapseWeight } from '../../isa/synapse.js';
import type { ChipImage, CoreImage } from '../../isa/image/types.js';
import { allocatePlain, axonSynapses, uniformDelay, type Allocate, type SynapseTable } from './synapse-table.js';

/**
 * routeWeight's mark for a route whose synapses have their own mantissas, the
 * axon's exponent in the bits below it, in 16-bit weights; in 8-bit weights
 * (a palette of at most WEIGHT_PER_SYNAPSE_NARROW entries) the mark is
 * WEIGHT_PER_SYNAPSE_NARROW. FanOuts.weightMark says which.
 */
export const WEIGHT_PER_SYNAPSE = 0x8000;
export const WEIGHT_PER_SYNAPSE_NARROW = 0x80;
/** The largest neuron count of a core whose slots fit 8-bit targets. */
const NARROW_TARGETS = 256;
/** The most neurons a core can have for its routes' synapses to be crossbar rows (one bit a slot in a byte). */
export const CROSSBAR_SLOTS = 8;
/** Per crossbar row: its synapses (the bits set). */
export const ROW_SYNAPSES = Uint8Array.from({ length: 1 << CROSSBAR_SLOTS }, (_, m) => {
  let count = 0;
  for (let x = m; x !== 0; x &= x - 1) count++;
  return count;
});
/** routeSynapses' largest count; a route to an inbox core with more reads its count from the target's table. */
export const ROUTE_SYNAPSES_MORE = 0xffff;

/** One source core's routes as delivery by source reads them. */
export interface FanOut {
  /** Per slot (and one past the last): where its first route's synapses start in targets. */
  readonly slotStart: Uint32Array;
  /** Per slot: its first route's target core (0 for a slot without routes); routeStep gives the others. */
  readonly slotCore: Uint16Array;
  /**
   * Per route: its target core less the previous route's of its slot (the
   * first route's: less slotCore, so 0), modulo 2^16 (routeCores()). 8 bits where
   * every slot of the chip lists its routes' cores ascending by steps under 256
   * (the mapper's order on a random network of small cores, as CUBA at 40,000),
   * a byte a route less than the image's 16-bit cores.
   */
  readonly routeStep: Uint8Array | Uint16Array;
  /** Per route: the synapses of its target axon (the packet's synaptic ops), at most ROUTE_SYNAPSES_MORE (8 bits where every axon of the chip has fewer than 255); empty where the chip's routes are crossbar rows. */
  readonly routeSynapses: Uint8Array | Uint16Array;
  /** Per route, where the chip's routes are crossbar rows (FanOuts.crossbar): bit k set where a synapse of its axon targets slot k; empty otherwise. */
  readonly routeRow: Uint8Array;
  /**
   * Per route to a core delivered by source: an index into the chip's palette,
   * or weightMark | exponent (8 bits where the palette is small); empty where
   * the chip's weights are per slot (FanOuts.weightPerSlot).
   */
  readonly routeWeight: Uint8Array | Uint16Array;
  /** Per slot, where the chip's weights are per slot: the one weight code of all its routes to cores delivered by source; empty otherwise. */
  readonly slotWeight: Uint8Array | Uint16Array;
  /** The synapses of the routes to cores delivered by source, in route order: each one's target slot on its core (8 bits where every such core has at most 256 neurons); empty where the routes are crossbar rows. */
  readonly targets: Uint8Array | Uint16Array;
  /** Their mantissas (aligned with targets) where some route of the chip has per-synapse weights; empty otherwise. */
  readonly mantissas: Int8Array;
  /** Routes to cores that keep an inbox: only those read the route's axon (the image's routeAxon). */
  readonly inboxRoutes: number;
}

/**
 * Route r of a fan-out's synaptic ops on its target d (its packet's): its axon's synapses, from the route's count or
 * crossbar row, or from the target's table where too many for a route (only cores that keep an inbox have such axons).
 */
export function routeOps(out: FanOut, crossbar: boolean, delay: Int32Array, tables: readonly SynapseTable[], routeAxon: ArrayLike<number>, r: number, d: number): number {
  const ops = crossbar ? ROW_SYNAPSES[out.routeRow[r]] : out.routeSynapses[r];
  return ops === ROUTE_SYNAPSES_MORE && delay[d] === 0 ? axonSynapses(tables[d], routeAxon[r]) : ops;
}

/** Every source core's FanOut and what delivery by source needs of the target cores. */
export interface FanOuts {
  readonly cores: readonly FanOut[];
  /** Per core: the delay its synapses share when it is delivered by source, 0 when it keeps an inbox. */
  readonly delay: Int32Array;
  /** Weights (mantissa << exponent, as delivery adds them) that routes index. */
  readonly palette: Int32Array;
  /** A route weight at or above it marks per-synapse mantissas, with the exponent in the bits below: WEIGHT_PER_SYNAPSE or WEIGHT_PER_SYNAPSE_NARROW. */
  readonly weightMark: number;
  /**
   * Whether every slot's routes to cores delivered by source share one weight
   * code (a source neuron in one projection, or in several with one weight):
   * then the code is kept once per slot (slotWeight), not once per route.
   */
  readonly weightPerSlot: boolean;
  /** Whether a route's synapses are its routeRow (no route then has a count, targets or mantissas, and a route to an inbox has no synapses). */
  readonly crossbar: boolean;
  /** Whether any core is delivered by source (an image that learns has none: nothing to walk the sent list for). */
  readonly any: boolean;
  /** Whether any core keeps an inbox (delay 0): where none does, every inbox stays empty (cpu.ts fillInbox has nothing to pack). */
  readonly inboxes: boolean;
}

/** The delay of `core`'s synapses when it can be delivered by source (it does not learn, they share one, every axon's count fits a route's), else 0. */
function sourceDelay(core: CoreImage, learns: boolean): number {
  if (learns) return 0;
  const { axonStart } = core;
  for (let a = 0; a + 1 < axonStart.length; a++) if (axonStart[a + 1] - axonStart[a] > ROUTE_SYNAPSES_MORE) return 0;
  return uniformDelay(core.synapses);
}

/** Palette slots a route's weight can index (below WEIGHT_PER_SYNAPSE); an axon whose weight finds none keeps per-synapse mantissas. */
const PALETTE_MAX = WEIGHT_PER_SYNAPSE;

/**
 * The fan-out tables of `image`, in plain or shared memory (the threaded
 * engine's workers read them). `bySource` false leaves every core its inbox
 * (tests compare the two ways of delivering).
 */
export function buildFanOuts(image: ChipImage, allocate: Allocate = allocatePlain, bySource = true): FanOuts {
  const learns = image.learning !== undefined;
  const delay = allocate(Int32Array, image.cores.length, 4);
  image.cores.forEach((core, c) => {
    delay[c] = bySource ? sourceDelay(core, learns) : 0;
  });
  const palette: number[] = [];
  const paletteIndex = new Map<number, number>();
  let lastWeight = NaN;
  let lastIndex = 0;
  /** An axon's weight code: its one weight's palette index, or WEIGHT_PER_SYNAPSE | exponent. */
  const weightCode = (core: CoreImage, a: number): number => {
    const first = core.axonStart[a];
    const end = core.axonStart[a + 1];
    const exp = core.axonWeightExp[a];
    if (first === end) return 0;
    const m = synapseWeight(core.synapses[first]);
    for (let s = first + 1; s < end; s++) if (synapseWeight(core.synapses[s]) !== m) return WEIGHT_PER_SYNAPSE | exp;
    const w = m << exp;
    // Neighbouring axons mostly come from one projection, with one weight.
    if (w === lastWeight) return lastIndex;
    let k = paletteIndex.get(w);
    if (k === undefined) {
      if (palette.length === PALETTE_MAX) return WEIGHT_PER_SYNAPSE | exp;
      k = palette.length;
      palette.push(w);
      paletteIndex.set(w, k);
    }
    lastWeight = w;
    lastIndex = k;
    return k;
  };
  // Per axon of the chip (axonBase[d] + a): its synapse count (at most ROUTE_SYNAPSES_MORE) in the
  // high half and its weight code in the low half, found in one pass over each core's words in
  // order, so that a route, which reaches its target's axons in no order, reads one word.
  const axonBase = new Int32Array(image.cores.length + 1);
  image.cores.forEach((core, d) => {
    axonBase[d + 1] = axonBase[d] + core.axonStart.length - 1;
  });
  const axonInfo = new Uint32Array(axonBase[image.cores.length]);
  image.cores.forEach((core, d) => {
    const base = axonBase[d];
    for (let a = 0; a + 1 < core.axonStart.length; a++) {
      const count = Math.min(core.axonStart[a + 1] - core.axonStart[a], ROUTE_SYNAPSES_MORE);
      axonInfo[base + a] = count * 0x10000 + (delay[d] === 0 ? 0 : weightCode(core, a));
    }
  });
  // Crossbar rows where every core with synapses is delivered by source with at most CROSSBAR_SLOTS
  // neurons and no axon has its own mantissas or reaches one slot twice (a row's bit can say once).
  // A core without synapses (an input's) keeps an inbox that nothing reaches: a route to one has an empty row.
  let crossbar = image.cores.every((core, d) => core.synapses.length === 0 || (delay[d] !== 0 && core.neuronCount <= CROSSBAR_SLOTS));
  const axonRow = new Uint8Array(crossbar ? axonInfo.length : 0);
  for (let d = 0; crossbar && d < image.cores.length; d++) {
    const { axonStart, synapses } = image.cores[d];
    for (let a = 0; crossbar && a + 1 < axonStart.length; a++) {
      let row = 0;
      for (let s = axonStart[a]; s < axonStart[a + 1]; s++) {
        const bit = 1 << synapseTarget(synapses[s]);
        if ((row & bit) !== 0) crossbar = false;
        row |= bit;
      }
      if ((axonInfo[axonBase[d] + a] & 0xffff) >= WEIGHT_PER_SYNAPSE) crossbar = false;
      axonRow[axonBase[d] + a] = row;
    }
  }
  // Route counts in 8 bits where every axon has fewer than 255 synapses (none then reaches ROUTE_SYNAPSES_MORE).
  let maxCount = 0;
  for (let g = 0; g < axonInfo.length; g++) maxCount = Math.max(maxCount, axonInfo[g] >>> 16);
  const narrowCounts = maxCount < 0xff;
  // Route weights in 8 bits where the palette's indices and the exponents fit below the narrow mark.
  let maxExp = 0;
  for (const core of image.cores) for (let a = 0; a < core.axonWeightExp.length; a++) maxExp = Math.max(maxExp, core.axonWeightExp[a]);
  const weightMark = palette.length <= WEIGHT_PER_SYNAPSE_NARROW && maxExp < WEIGHT_PER_SYNAPSE_NARROW ? WEIGHT_PER_SYNAPSE_NARROW : WEIGHT_PER_SYNAPSE;
  // Weights per slot where no slot's routes to cores delivered by source differ in weight code.
  let weightPerSlot = true;
  for (const source of image.cores) {
    for (let i = 0; weightPerSlot && i + 1 < source.routeStart.length; i++) {
      let slotCode = -1;
      for (let r = source.routeStart[i]; r < source.routeStart[i + 1]; r++) {
        const d = source.routeCore[r];
        if (delay[d] === 0) continue;
        const code = axonInfo[axonBase[d] + source.routeAxon[r]] & 0xffff;
        if (slotCode >= 0 && code !== slotCode) weightPerSlot = false;
        slotCode = code;
      }
    }
  }
  /** A weight code as the tables hold it: the palette index, or the chip's mark | exponent. */
  const stored = (code: number): number => (code < WEIGHT_PER_SYNAPSE ? code : weightMark | (code - WEIGHT_PER_SYNAPSE));
  const weights = (length: number): Uint8Array | Uint16Array =>
    weightMark === WEIGHT_PER_SYNAPSE ? allocate(Uint16Array, length, 2) : allocate(Uint8Array, length, 1);
  // Route steps in 8 bits where every slot's routes go to ascending cores, at most 255 apart.
  let narrowSteps = true;
  for (const source of image.cores) {
    const { routeStart, routeCore } = source;
    for (let i = 0; narrowSteps && i + 1 < routeStart.length; i++) {
      for (let r = routeStart[i] + 1; r < routeStart[i + 1]; r++) {
        const step = routeCore[r] - routeCore[r - 1];
        if (step < 0 || step > 0xff) narrowSteps = false;
      }
    }
  }
  // Each source core's routes in route order: counts, weights, and where each route's synapses go
  // (firstRoute: the place of an axon's first route in one array for the whole chip, -1 for none;
  // further routes to one axon are listed in `more`).
  const firstRoute = new Int32Array(axonInfo.length).fill(-1);
  const more: number[] = [];
  const sourceStart = new Float64Array(image.cores.length + 1);
  let total = 0;
  let perSynapse = false;
  const perSource = image.cores.map((source, c) => {
    const routes = source.routeCore.length;
    const counts = crossbar ? 0 : routes;
    const routeSynapses = narrowCounts ? allocate(Uint8Array, counts, 1) : allocate(Uint16Array, counts, 2);
    const routeRow = allocate(Uint8Array, crossbar ? routes : 0, 1);
    const slots = source.routeStart.length - 1;
    const routeWeight = weights(weightPerSlot ? 0 : routes);
    const slotWeight = weights(weightPerSlot ? slots : 0);
    const slotStart = allocate(Uint32Array, slots + 1, 4);
    const slotCore = allocate(Uint16Array, slots, 2);
    const routeStep = narrowSteps ? allocate(Uint8Array, routes, 1) : allocate(Uint16Array, routes, 2);
    sourceStart[c] = total;
    let inboxRoutes = 0;
    for (let i = 0; i < slots; i++) {
      slotStart[i] = total - sourceStart[c];
      const first = source.routeStart[i];
      if (first < source.routeStart[i + 1]) slotCore[i] = source.routeCore[first];
      for (let r = first; r < source.routeStart[i + 1]; r++) {
        const d = source.routeCore[r];
        routeStep[r] = r === first ? 0 : (d - source.routeCore[r - 1]) & 0xffff;
        const g = axonBase[d] + source.routeAxon[r];
        const info = axonInfo[g];
        const count = info >>> 16;
        if (crossbar) routeRow[r] = axonRow[g];
        else routeSynapses[r] = count;
        if (delay[d] === 0) {
          inboxRoutes++;
          continue;
        }
        const code = info & 0xffff;
        if (code >= WEIGHT_PER_SYNAPSE) perSynapse = true;
        if (weightPerSlot) slotWeight[i] = stored(code);
        else routeWeight[r] = stored(code);
        if (crossbar) continue;
        if (firstRoute[g] < 0) firstRoute[g] = total;
        else more.push(total, d, source.routeAxon[r]);
        total += count;
      }
    }
    slotStart[slots] = total - sourceStart[c];
    return { slotStart, slotCore, routeStep, routeSynapses, routeRow, routeWeight, slotWeight, inboxRoutes };
  });
  sourceStart[image.cores.length] = total;
  // The synapses, read in target order (each core's words once, front to back) and written to their routes' places.
  const narrow = image.cores.every((core, d) => delay[d] === 0 || core.neuronCount <= NARROW_TARGETS);
  const allTargets = narrow ? allocate(Uint8Array, total, 1) : allocate(Uint16Array, total, 2);
  const allMantissas = allocate(Int8Array, perSynapse ? total : 0, 1);
  const copy = (core: CoreImage, a: number, to: number): void => {
    const { axonStart, synapses } = core;
    for (let s = axonStart[a], at = to; s < axonStart[a + 1]; s++, at++) {
      allTargets[at] = synapseTarget(synapses[s]);
      if (perSynapse) allMantissas[at] = synapseWeight(synapses[s]);
    }
  };
  image.cores.forEach((core, d) => {
    if (delay[d] === 0) return;
    const base = axonBase[d];
    for (let a = 0; a + 1 < core.axonStart.length; a++) if (firstRoute[base + a] >= 0) copy(core, a, firstRoute[base + a]);
  });
  for (let k = 0; k < more.length; k += 3) copy(image.cores[more[k + 1]], more[k + 2], more[k]);
  // Every field written out, in one order: one object shape for the delivery loop.
  const cores = perSource.map(
    (t, c): FanOut => ({
      slotStart: t.slotStart,
      slotCore: t.slotCore,
      routeStep: t.routeStep,
      routeSynapses: t.routeSynapses,
      routeRow: t.routeRow,
      routeWeight: t.routeWeight,
      slotWeight: t.slotWeight,
      targets: allTargets.subarray(sourceStart[c], sourceStart[c + 1]),
      mantissas: perSynapse ? allMantissas.subarray(sourceStart[c], sourceStart[c + 1]) : allMantissas,
      inboxRoutes: t.inboxRoutes,
    }),
  );
  const paletteWeights = allocate(Int32Array, palette.length, 4);
  paletteWeights.set(palette);
  return { cores, delay, palette: paletteWeights, weightMark, weightPerSlot, crossbar, any: delay.some((d) => d !== 0), inboxes: delay.some((d) => d === 0) };
}

/** Routes of the chip to cores that keep an inbox: the most packets a step's inboxes hold. */
export function inboxRouteCount(fan: FanOuts): number {
  let routes = 0;
  for (const out of fan.cores) routes += out.inboxRoutes;
  return routes;
}

/** A step's spikes in the order they were sent: source core and slot (every slot of the chip fits). */
export interface SentSpikes {
  readonly core: Uint16Array;
  readonly slot: Uint32Array;
}

export function sentSpikes(slots: number, allocate: Allocate = allocatePlain): SentSpikes {
  return { core: allocate(Uint16Array, slots, 2), slot: allocate(Uint32Array, slots, 4) };
}

/** Each source core's routes, as delivery by source and the step timing read them: the image's routeStart and routeAxon (their cores are in the fan-out: routeStep). */
export interface RouteTables {
  readonly routeStart: readonly Uint32Array[];
  readonly routeAxon: readonly Uint16Array[];
}

export function routeTables(image: ChipImage): RouteTables {
  return {
    routeStart: image.cores.map((core) => core.routeStart),
    routeAxon: image.cores.map((core) => core.routeAxon),
  };
}

/** The target cores of slot i's routes of a source core, from its fan-out (the loops that read routes decode them inline, the same way). */
export function routeCores(out: FanOut, routeStart: Uint32Array, i: number): number[] {
  const cores: number[] = [];
  let d = out.slotCore[i];
  for (let r = routeStart[i]; r < routeStart[i + 1]; r++) {
    d = (d + out.routeStep[r]) & 0xffff;
    cores.push(d);
  }
  return cores;
}

/** Per core of [from, to) delivered by source: the delay slot row (its first accumulator) that step t's deliveries land in, the one of step t - 1 + d. */
export function deliveryRows(
  fan: FanOuts,
  from: number,
  to: number,
  t: number,
  layout: { readonly accumStart: Int32Array; readonly n: Int32Array; readonly slots: Int32Array },
  rows: Int32Array,
): void {
  const { delay } = fan;
  const { accumStart, n, slots } = layout;
  for (let c = from; c < to; c++) if (delay[c] !== 0) rows[c] = accumStart[c] + ((t - 1 + delay[c]) % slots[c]) * n[c];
}

/**
 * Phase 1 by source for the cores [from, to) (both engines run the same loops
 * in WebAssembly wherever the tables fit the chip memory: deliver-wasm.ts,
 * cpu.ts deliveryArenaPlan): the synapses of every spike in
 * sent[0..count), sent in step t - 1, that reach one of those cores, into the
 * delay slot each one lands in (the one of step t - 1 + d, as deliverCore
 * finds it). `rows` is scratch, one entry per core.
 */
export function deliverSent(
  fan: FanOuts,
  routes: RouteTables,
  sent: SentSpikes,
  count: number,
  from: number,
  to: number,
  t: number,
  layout: { readonly accumStart: Int32Array; readonly n: Int32Array; readonly slots: Int32Array },
  accum: Int32Array,
  accumInh: Int32Array,
  rows: Int32Array,
): void {
  const { delay, palette, weightMark, weightPerSlot } = fan;
  deliveryRows(fan, from, to, t, layout, rows);
  if (fan.crossbar) {
    deliverRows(fan, routes, sent, count, from, to, accum, accumInh, rows);
    return;
  }
  for (let k = 0; k < count; k++) {
    const c = sent.core[k];
    const i = sent.slot[k];
    const { slotStart, slotCore, routeStep, routeSynapses, routeWeight, slotWeight, targets, mantissas } = fan.cores[c];
    const end = routes.routeStart[c][i + 1];
    const slotCode = weightPerSlot ? slotWeight[i] : 0;
    let f = slotStart[i];
    let d = slotCore[i];
    for (let r = routes.routeStart[c][i]; r < end; r++) {
      d = (d + routeStep[r]) & 0xffff;
      if (delay[d] === 0) continue;
      const last = f + routeSynapses[r];
      if (d < from || d >= to) {
        f = last;
        continue;
      }
      const row = rows[d];
      const code = weightPerSlot ? slotCode : routeWeight[r];
      if (code < weightMark) {
        // One weight: its sign picks the current it feeds (isa/fixed.ts), once per route.
        const w = palette[code];
        if (w >= 0) {
          for (; f < last; f++) {
            const at = row + targets[f];
            accum[at] = (accum[at] + w) | 0;
          }
        } else {
          for (; f < last; f++) {
            const at = row + targets[f];
            accumInh[at] = (accumInh[at] + w) | 0;
          }
        }
      } else {
        const exp = code - weightMark;
        for (; f < last; f++) {
          const at = row + targets[f];
          const w = mantissas[f] << exp;
          if (w >= 0) accum[at] = (accum[at] + w) | 0;
          else accumInh[at] = (accumInh[at] + w) | 0;
        }
      }
    }
  }
}

/** deliverSent where the routes are crossbar rows (FanOuts.crossbar): every route with synapses goes to a core delivered by source, with one weight. */
function deliverRows(fan: FanOuts, routes: RouteTables, sent: SentSpikes, count: number, from: number, to: number, accum: Int32Array, accumInh: Int32Array, rows: Int32Array): void {
  const { palette, weightPerSlot } = fan;
  for (let k = 0; k < count; k++) {
    const c = sent.core[k];
    const i = sent.slot[k];
    const { slotCore, routeStep, routeRow, routeWeight, slotWeight } = fan.cores[c];
    const end = routes.routeStart[c][i + 1];
    const slotW = weightPerSlot ? palette[slotWeight[i]] : 0;
    let d = slotCore[i];
    for (let r = routes.routeStart[c][i]; r < end; r++) {
      d = (d + routeStep[r]) & 0xffff;
      if (d < from || d >= to) continue;
      const row = rows[d];
      const w = weightPerSlot ? slotW : palette[routeWeight[r]];
      // The row's bits from the lowest: its synapses' target slots.
      const into = w >= 0 ? accum : accumInh;
      for (let m = routeRow[r]; m !== 0; m &= m - 1) {
        const at = row + 31 - Math.clz32(m & -m);
        into[at] = (into[at] + w) | 0;
      }
    }
  }
}
