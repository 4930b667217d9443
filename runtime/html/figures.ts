// The data behind the report's pictures, kept in the JSON report (meso.report/v1,
// under `figures`) so that `meso report run.json --html` can redraw every figure
// without the run. Everything is bounded in size whatever the run's length:
// the raster keeps at most RASTER_MAX_MARKS spikes, the traces a fixed number of bins.
import { chipTimeS, ENERGY_CATEGORIES, energyByCore, energyOf, type EnergyCategory } from '../../emulator/energy.js';
import { COUNTER_NAMES, type CounterName } from '../../emulator/interface.js';
import { corePosition } from '../../isa/profile.js';
import { synapseMemoryBytes } from '../../isa/synapse.js';
import type { RunOutcome } from '../session.js';

/** Most spikes the raster keeps, over all populations (about 40 bytes of HTML and 12 of JSON each). */
export const RASTER_MAX_MARKS = 4000;
/** Fewest neuron rows a population's raster keeps before it is cut in time instead (see downsampleRaster). */
export const RASTER_MIN_ROWS = 20;
/** Bins of the population-rate trace and of the energy-per-step trace. */
export const RATE_BINS = 100;
export const ENERGY_BINS = 200;

export interface RasterPopulation {
  readonly name: string;
  readonly size: number;
  /** Every spike the population fired in the run (all of them, not only those drawn). */
  readonly spikes: number;
  /** Neurons drawn: those whose index is a multiple of neuron_stride. */
  readonly neuron_stride: number;
  /** Spikes are drawn for steps before this one (the run's step count when nothing was cut). */
  readonly until_step: number;
  /** The drawn spikes as parallel arrays, in step order. */
  readonly steps: readonly number[];
  readonly neurons: readonly number[];
}

export interface RateTrace {
  readonly bin_steps: number;
  /** Per population, its mean firing rate per neuron in each bin, in Hz, from every spike (not the downsampled raster). */
  readonly populations: readonly { readonly name: string; readonly hz: readonly number[] }[];
}

export interface EnergyTrace {
  readonly bin_steps: number;
  /** Per category, the mean energy per step over each bin's steps, in joules (energyOf over the bin's counters). */
  readonly by_category: Readonly<Record<EnergyCategory, readonly number[]>>;
}

export interface CoreFigure {
  /** Index into the image's cores (the numbering of `meso inspect`). */
  readonly core: number;
  readonly slot: number;
  readonly tile: number;
  readonly x: number;
  readonly y: number;
  readonly neurons: number;
  /** Fractions of the profile's per-core limits in use. */
  readonly neuron_use: number;
  readonly synapse_memory_use: number;
  /** Dynamic energy of the core in joules (static power belongs to the chip). */
  readonly energy_j: number;
  readonly spikes: number;
  readonly packets_sent: number;
}

/** A directed link between neighbouring tiles and the packets that crossed it. */
export interface LinkFigure {
  readonly x: number;
  readonly y: number;
  readonly to_x: number;
  readonly to_y: number;
  readonly packets: number;
}

export interface MeshFigure {
  readonly tiles_x: number;
  readonly tiles_y: number;
  readonly cores_per_tile: number;
  readonly cores: readonly CoreFigure[];
  /** Links that carried traffic, busiest first (ties by position); packets follow X-then-Y routes. */
  readonly links: readonly LinkFigure[];
  /** Packets whose source and destination cores share a tile (no link crossed). */
  readonly packets_in_tile: number;
}

export interface ReportFigures {
  readonly raster: { readonly max_marks: number; readonly populations: readonly RasterPopulation[] };
  readonly rates: RateTrace;
  readonly energy_per_step: EnergyTrace;
  readonly mesh: MeshFigure;
}

/** Steps per bin so that `steps` steps make at most `bins` bins. */
export function binSteps(steps: number, bins: number): number {
  return Math.max(1, Math.ceil(steps / bins));
}

/** One population's recorded spikes, population-local: parallel arrays in step order. */
export interface PopulationSpikes {
  readonly name: string;
  readonly size: number;
  readonly steps: readonly number[];
  readonly neurons: readonly number[];
}

/**
 * Downsamples spike rasters honestly: every mark drawn is a real spike, and a
 * neuron that is drawn is drawn with all its spikes. Populations share the budget
 * (the smaller ones first, the leftover passing on). Within its share a population
 * keeps every k-th neuron for the smallest k that fits, as long as that leaves at
 * least RASTER_MIN_ROWS rows; if it still does not fit, it keeps those rows and cuts
 * the raster at a step boundary (until_step). The figure's caption states k and the cut.
 */
export function downsampleRaster(pops: readonly PopulationSpikes[], steps: number, maxMarks = RASTER_MAX_MARKS): RasterPopulation[] {
  const order = pops.map((_, i) => i).sort((a, b) => pops[a].steps.length - pops[b].steps.length || a - b);
  const out: RasterPopulation[] = new Array(pops.length);
  let left = maxMarks;
  order.forEach((p, rank) => {
    const pop = pops[p];
    const budget = Math.floor(left / (pops.length - rank));
    const result = downsampleOne(pop, steps, budget);
    left -= result.steps.length;
    out[p] = result;
  });
  return out;
}

function downsampleOne(pop: PopulationSpikes, steps: number, budget: number): RasterPopulation {
  const total = pop.steps.length;
  const base = { name: pop.name, size: pop.size, spikes: total };
  if (total <= budget) return { ...base, neuron_stride: 1, until_step: steps, steps: [...pop.steps], neurons: [...pop.neurons] };
  const perNeuron = new Float64Array(Math.max(1, pop.size));
  for (const n of pop.neurons) perNeuron[n]++;
  const minRows = Math.min(pop.size, RASTER_MIN_ROWS);
  let stride = 1;
  let fits = false;
  for (let k = 1; Math.ceil(pop.size / k) >= minRows; k++) {
    stride = k;
    let kept = 0;
    for (let i = 0; i < pop.size; i += k) kept += perNeuron[i];
    if (kept <= budget) {
      fits = true;
      break;
    }
  }
  const steps_: number[] = [];
  const neurons: number[] = [];
  let until = steps;
  if (!fits) {
    // Cut before the step of the first kept spike beyond the budget, so that no step is drawn in part.
    let seen = 0;
    for (let e = 0; e < total; e++) {
      if (pop.neurons[e] % stride !== 0) continue;
      if (++seen > budget) {
        until = pop.steps[e];
        break;
      }
    }
  }
  for (let e = 0; e < total; e++) {
    if (pop.steps[e] >= until) break;
    if (pop.neurons[e] % stride === 0) {
      steps_.push(pop.steps[e]);
      neurons.push(pop.neurons[e]);
    }
  }
  return { ...base, neuron_stride: stride, until_step: until, steps: steps_, neurons };
}

/** Binned population rates (Hz per neuron) from every recorded spike. */
export function rateTrace(pops: readonly PopulationSpikes[], steps: number, dtS: number, bins = RATE_BINS): RateTrace {
  const width = binSteps(steps, bins);
  const count = Math.ceil(steps / width);
  return {
    bin_steps: width,
    populations: pops.map((pop) => {
      const spikes = new Float64Array(count);
      for (const t of pop.steps) if (t < steps) spikes[Math.floor(t / width)]++;
      const hz: number[] = [];
      for (let b = 0; b < count; b++) {
        const binS = (Math.min(steps, (b + 1) * width) - b * width) * dtS;
        hz.push(pop.size > 0 && binS > 0 ? spikes[b] / pop.size / binS : 0);
      }
      return { name: pop.name, hz };
    }),
  };
}

/**
 * Mean energy per step in each bin, by category: energyOf over the bin's summed
 * counters and its chip time, divided by the bin's steps. energyOf is linear, so
 * Σ over bins of (mean × steps in bin) is the run's energy exactly (up to rounding).
 */
export function energyTrace(run: Pick<RunOutcome, 'image' | 'stepCounters' | 'stepCycles'>, bins = ENERGY_BINS): EnergyTrace {
  const steps = run.stepCycles.length;
  const width = binSteps(steps, bins);
  const count = Math.ceil(steps / width);
  const K = COUNTER_NAMES.length;
  const byCategory = {} as Record<EnergyCategory, number[]>;
  for (const c of ENERGY_CATEGORIES) byCategory[c] = [];
  for (let b = 0; b < count; b++) {
    const from = b * width;
    const to = Math.min(steps, from + width);
    const sums = {} as Record<CounterName, number>;
    COUNTER_NAMES.forEach((name, k) => {
      let s = 0;
      for (let t = from; t < to; t++) s += run.stepCounters[t * K + k];
      sums[name] = s;
    });
    let cycles = 0;
    for (let t = from; t < to; t++) cycles += run.stepCycles[t];
    const e = energyOf(sums, run.image.profile, chipTimeS(cycles, run.image.profile));
    for (const c of ENERGY_CATEGORIES) byCategory[c].push(e.byCategoryJ[c] / (to - from));
  }
  return { bin_steps: width, by_category: byCategory };
}

// The four directions of meshFigure's difference arrays.
const LINK_EAST = 0;
const LINK_WEST = 1;
const LINK_SOUTH = 2;
const LINK_NORTH = 3;

/**
 * The loaded links from meshFigure's difference arrays: east and west by row
 * (index y * width + x), south and north by column (index x * height + y). A
 * route from a to b adds +k at a and -k at b; link a -> a+1 then carries the
 * prefix sum up to a (east, south), link a -> a-1 the suffix sum from a (west, north).
 */
function linkLoads(diff: readonly Float64Array[], width: number, height: number): LinkFigure[] {
  const links: LinkFigure[] = [];
  for (let y = 0; y < height; y++) {
    let east = 0;
    let west = 0;
    for (let x = 0; x < width; x++) {
      east += diff[LINK_EAST][y * width + x];
      if (east !== 0) links.push({ x, y, to_x: x + 1, to_y: y, packets: east });
      const xr = width - 1 - x;
      west += diff[LINK_WEST][y * width + xr];
      if (west !== 0) links.push({ x: xr, y, to_x: xr - 1, to_y: y, packets: west });
    }
  }
  for (let x = 0; x < width; x++) {
    let south = 0;
    let north = 0;
    for (let y = 0; y < height; y++) {
      south += diff[LINK_SOUTH][x * height + y];
      if (south !== 0) links.push({ x, y, to_x: x, to_y: y + 1, packets: south });
      const yr = height - 1 - y;
      north += diff[LINK_NORTH][x * height + yr];
      if (north !== 0) links.push({ x, y: yr, to_x: x, to_y: yr - 1, packets: north });
    }
  }
  return links;
}

/**
 * The floor plan: each core's energy, use of its limits and traffic, and the load
 * of every mesh link. A spike sends one packet per route of its neuron, so a route
 * carries exactly its neuron's spike count; each packet crosses the links of its
 * X-then-Y route. Σ links.packets is therefore the run's hop count (both axes).
 */
export function meshFigure(run: Pick<RunOutcome, 'image' | 'counters' | 'spikeCounts'>): MeshFigure {
  const { image } = run;
  const profile = image.profile;
  const energy = energyByCore(run.counters, profile);
  const positions = image.cores.map((c) => corePosition(profile, c.slot));
  // Packets per (source core, destination core) pair, then the link loads from
  // difference arrays along each route's row and column (X then Y), so the work
  // is per pair and per link, not per hop.
  const width = Math.max(1, ...positions.map((p) => p.x + 1));
  const height = Math.max(1, ...positions.map((p) => p.y + 1));
  const diff = Array.from({ length: 4 }, () => new Float64Array(width * height + 1));
  const perTarget = new Float64Array(image.cores.length);
  const targets: number[] = [];
  let inTile = 0;
  const cores: CoreFigure[] = image.cores.map((core, c) => {
    const from = positions[c];
    const counts = run.spikeCounts[c];
    let spikes = 0;
    let sent = 0;
    for (let i = 0; i < core.neuronCount; i++) {
      const k = counts[i];
      spikes += k;
      if (k === 0) continue;
      for (let r = core.routeStart[i]; r < core.routeStart[i + 1]; r++) {
        sent += k;
        const d = core.routeCore[r];
        if (perTarget[d] === 0) targets.push(d);
        perTarget[d] += k;
      }
    }
    for (const d of targets) {
      const k = perTarget[d];
      perTarget[d] = 0;
      const to = positions[d];
      if (to.tile === from.tile) inTile += k;
      // Row from.y between from.x and to.x; column to.x between from.y and to.y.
      const row = diff[to.x > from.x ? LINK_EAST : LINK_WEST];
      row[from.y * width + from.x] += k;
      row[from.y * width + to.x] -= k;
      const column = diff[to.y > from.y ? LINK_SOUTH : LINK_NORTH];
      column[to.x * height + from.y] += k;
      column[to.x * height + to.y] -= k;
    }
    targets.length = 0;
    return {
      core: c,
      slot: core.slot,
      tile: from.tile,
      x: from.x,
      y: from.y,
      neurons: core.neuronCount,
      neuron_use: core.neuronCount / profile.limits.neuronsPerCore,
      synapse_memory_use: synapseMemoryBytes(core.synapses.length) / profile.limits.synapseMemoryBytes,
      energy_j: energy[c].totalJ,
      spikes,
      packets_sent: sent,
    };
  });
  const links = linkLoads(diff, width, height).sort((a, b) => b.packets - a.packets || a.y - b.y || a.x - b.x || a.to_y - b.to_y || a.to_x - b.to_x);
  return {
    tiles_x: profile.mesh.tilesX,
    tiles_y: profile.mesh.tilesY,
    cores_per_tile: profile.mesh.coresPerTile,
    cores,
    links,
    packets_in_tile: inTile,
  };
}

/** Spikes of the recorded populations, population-local, in step order (as buildSpikeFile translates them). */
export function recordedSpikes(run: Pick<RunOutcome, 'image' | 'events' | 'recorded'>): PopulationSpikes[] {
  const { image, events } = run;
  const recorded = image.symbols.populations.filter((p) => run.recorded.includes(p.name));
  const owner = image.cores.map((c) => new Int32Array(c.neuronCount).fill(-1));
  const index = image.cores.map((c) => new Int32Array(c.neuronCount));
  recorded.forEach((pop, p) => {
    for (const piece of pop.pieces) {
      for (let i = 0; i < piece.count; i++) {
        owner[piece.core][piece.first + i] = p;
        index[piece.core][piece.first + i] = piece.offset + i;
      }
    }
  });
  const out = recorded.map((pop) => ({ name: pop.name, size: pop.size, steps: [] as number[], neurons: [] as number[] }));
  for (let e = 0; e < events.step.length; e++) {
    const p = owner[events.core[e]][events.neuron[e]];
    if (p < 0) continue;
    out[p].steps.push(events.step[e]);
    out[p].neurons.push(index[events.core[e]][events.neuron[e]]);
  }
  return out;
}

export function buildFigures(run: RunOutcome): ReportFigures {
  const spikes = recordedSpikes(run);
  return {
    raster: { max_marks: RASTER_MAX_MARKS, populations: downsampleRaster(spikes, run.request.steps) },
    rates: rateTrace(spikes, run.request.steps, run.image.dtS),
    energy_per_step: energyTrace(run),
    mesh: meshFigure(run),
  };
}
