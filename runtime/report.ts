// The run report: JSON (schema meso.report/v1) for tools, text for people.
// Every energy figure comes from emulator/energy.ts over the run's counters.
import { chipTimeS, ENERGY_CATEGORIES, energyByCore, energyOf, type EnergyCategory } from '../emulator/energy.js';
import { COUNTER_NAMES, PHASE_NAMES, type CounterName, type PhaseName, type Timing } from '../emulator/interface.js';
import { tilesUsed } from '../isa/profile.js';
import type { ChipImage } from '../isa/image/types.js';
import type { RunOutcome } from './session.js';
import { buildFigures, type ReportFigures } from './html/figures.js';

export interface RunReport {
  readonly schema: 'meso.report/v1';
  readonly source: string;
  readonly chip: string;
  readonly backend: string;
  readonly seed: number;
  readonly steps: number;
  readonly dt_s: number;
  readonly cores_used: number;
  readonly tiles_used: number;
  readonly spikes: {
    readonly total: number;
    readonly by_population: Readonly<Record<string, number>>;
  };
  /** Mean firing rate per neuron, by population, over the simulated time. */
  readonly rates_hz: Readonly<Record<string, number>>;
  readonly cycles: {
    readonly total: number;
    /** Cycles of one step (what chip time is made of): mean and largest over the run. */
    readonly per_step: MeanMax;
    /**
     * deliver, update, learn: busy core-cycles summed over cores and steps (work,
     * which overlaps across cores); barrier: chip cycles spent in barriers;
     * tick_wait: chip cycles spent waiting for a fixed tick after the work.
     */
    readonly by_phase: Readonly<Record<PhaseName | 'barrier' | 'tick_wait', number>>;
    /** Busy cycles of each core (index into the image's cores) by phase. */
    readonly by_core: readonly CoreCycles[];
  };
  /** Time from a step's start to its last core done plus the barrier (before any tick floor), in seconds. */
  readonly latency_s: { readonly per_step: MeanMax };
  readonly chip_time_s: number;
  readonly energy_j: {
    readonly total: number;
    readonly by_category: Readonly<Record<EnergyCategory, number>>;
    /** Dynamic energy of each core (static power is the chip's): Σ by_core[].total + by_category.static = total. */
    readonly by_core: readonly CoreEnergy[];
  };
  /** The network-on-chip over the run (emulator/noc.ts). */
  readonly noc: NocReport;
  /** Raw operation counts: energy_j.total = Σ counters × the profile's per-operation energy + static. */
  readonly counters: Readonly<Record<CounterName, number>>;
  /** What the HTML report draws (raster, rates, energy per step, floor plan), bounded in size: runtime/html/figures.ts. */
  readonly figures: ReportFigures;
}

export interface MeanMax {
  readonly mean: number;
  readonly max: number;
}

export interface CoreCycles extends Readonly<Record<PhaseName, number>> {
  readonly core: number;
  readonly slot: number;
  readonly busy: number;
}

export interface CoreEnergy {
  readonly core: number;
  readonly slot: number;
  readonly total: number;
  readonly by_category: Readonly<Record<Exclude<EnergyCategory, 'static'>, number>>;
}

export interface NocReport {
  readonly packets: number;
  readonly hops: { readonly total: number; readonly east_west: number; readonly north_south: number; readonly chip_to_chip: number };
  /** From ready at the source core to arrival at the target core, contention included. */
  readonly packet_latency_cycles: MeanMax;
  readonly packet_latency_s: MeanMax;
  /** Cycles packets spent waiting for busy links and ports, summed over packets. */
  readonly contention_wait_cycles: number;
  /** The link or port that carried the most packets, and its load; null when no packet was sent. */
  readonly busiest_link: { readonly link: string; readonly packets: number; readonly packets_per_step: number } | null;
}

function meanMax(values: Float64Array): MeanMax {
  if (values.length === 0) return { mean: 0, max: 0 };
  let sum = 0;
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (values[i] > max) max = values[i];
  }
  return { mean: sum / values.length, max };
}

/** cycles.by_phase and cycles.by_core from the emulator's timing. */
function phaseCycles(run: RunOutcome, timing: Timing): { byPhase: Record<PhaseName | 'barrier' | 'tick_wait', number>; byCore: CoreCycles[] } {
  const phases = PHASE_NAMES.length;
  const byPhase = { deliver: 0, update: 0, learn: 0, barrier: timing.barrierCycles * run.stepCycles.length, tick_wait: 0 };
  for (let t = 0; t < run.stepCycles.length; t++) byPhase.tick_wait += run.stepCycles[t] - timing.stepLatencyCycles[t];
  const byCore = run.image.cores.map((core, c) => {
    const entry = { core: c, slot: core.slot, deliver: 0, update: 0, learn: 0, busy: 0 };
    PHASE_NAMES.forEach((name, k) => {
      entry[name] = timing.phaseCyclesByCore[c * phases + k];
      entry.busy += entry[name];
      byPhase[name] += entry[name];
    });
    return entry;
  });
  return { byPhase, byCore };
}

function nocReport(timing: Timing, steps: number, clockHz: number): NocReport {
  const n = timing.noc;
  const mean = n.packets > 0 ? n.latencySumCycles / n.packets : 0;
  const busiest = n.busiestLink;
  return {
    packets: n.packets,
    hops: { total: n.hopsEastWest + n.hopsNorthSouth + n.hopsChipToChip, east_west: n.hopsEastWest, north_south: n.hopsNorthSouth, chip_to_chip: n.hopsChipToChip },
    packet_latency_cycles: { mean, max: n.latencyMaxCycles },
    packet_latency_s: { mean: mean / clockHz, max: n.latencyMaxCycles / clockHz },
    contention_wait_cycles: n.waitCycles,
    busiest_link: busiest === undefined ? null : { link: busiest.label, packets: busiest.packets, packets_per_step: steps > 0 ? busiest.packets / steps : 0 },
  };
}

/** Spike count of each population, summed over its pieces. */
export function spikesByPopulation(image: ChipImage, spikeCounts: readonly Uint32Array[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pop of image.symbols.populations) {
    let n = 0;
    for (const piece of pop.pieces) {
      const counts = spikeCounts[piece.core];
      for (let i = piece.first; i < piece.first + piece.count; i++) n += counts[i];
    }
    out[pop.name] = n;
  }
  return out;
}

export function buildRunReport(run: RunOutcome): RunReport {
  const { image } = run;
  let totalCycles = 0;
  for (let t = 0; t < run.stepCycles.length; t++) totalCycles += run.stepCycles[t];
  const time = chipTimeS(totalCycles, image.profile);
  const energy = energyOf(run.counters.total, image.profile, time);
  const byPopulation = spikesByPopulation(image, run.spikeCounts);
  const simulatedS = run.request.steps * image.dtS;
  const rates: Record<string, number> = {};
  for (const pop of image.symbols.populations) rates[pop.name] = simulatedS > 0 ? byPopulation[pop.name] / pop.size / simulatedS : 0;
  const counters = {} as Record<CounterName, number>;
  for (const name of COUNTER_NAMES) counters[name] = run.counters.total[name];
  const byCategory = {} as Record<EnergyCategory, number>;
  for (const c of ENERGY_CATEGORIES) byCategory[c] = energy.byCategoryJ[c];
  const byCoreEnergy = energyByCore(run.counters, image.profile).map((e, c): CoreEnergy => {
    const { static: _static, ...dynamic } = e.byCategoryJ;
    return { core: c, slot: image.cores[c].slot, total: e.totalJ, by_category: dynamic };
  });
  const timing = run.timing;
  const phases = phaseCycles(run, timing);
  const latency = meanMax(timing.stepLatencyCycles);
  return {
    schema: 'meso.report/v1',
    source: image.symbols.source,
    chip: image.profile.name,
    backend: run.request.backend,
    seed: run.request.seed,
    steps: run.request.steps,
    dt_s: image.dtS,
    cores_used: image.cores.length,
    tiles_used: tilesUsed(image),
    spikes: { total: Object.values(byPopulation).reduce((a, b) => a + b, 0), by_population: byPopulation },
    rates_hz: rates,
    cycles: {
      total: totalCycles,
      per_step: meanMax(run.stepCycles),
      by_phase: phases.byPhase,
      by_core: phases.byCore,
    },
    latency_s: { per_step: { mean: latency.mean / image.profile.clockHz, max: latency.max / image.profile.clockHz } },
    chip_time_s: time,
    energy_j: { total: energy.totalJ, by_category: byCategory, by_core: byCoreEnergy },
    noc: nocReport(timing, run.stepCycles.length, image.profile.clockHz),
    counters,
    figures: buildFigures(run),
  };
}

const CATEGORY_LABEL: Readonly<Record<EnergyCategory, string>> = {
  synaptic: 'synaptic ops',
  neuron: 'neuron updates',
  routing: 'spike routing',
  learning: 'learning',
  sbp: 'sbp',
  static: 'static',
};

/** An SI-prefixed quantity: 1.234 uJ, 617.3 us. */
export function si(value: number, unit: string): string {
  if (value === 0) return `0 ${unit}`;
  const prefixes: readonly [number, string][] = [[1, ''], [1e-3, 'm'], [1e-6, 'u'], [1e-9, 'n'], [1e-12, 'p']];
  const abs = Math.abs(value);
  const [scale, prefix] = prefixes.find(([s]) => abs >= s) ?? prefixes[prefixes.length - 1];
  return `${(value / scale).toPrecision(4)} ${prefix}${unit}`;
}

function group(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** The short energy report `meso run` prints. */
export function formatRunReport(r: RunReport): string {
  const lines: string[] = [];
  lines.push(`${r.source} on ${r.chip} (${r.backend} backend): ${r.steps} steps of ${si(r.dt_s, 's')}, seed ${r.seed}, ${r.cores_used} core${r.cores_used === 1 ? '' : 's'} in ${r.tiles_used} tile${r.tiles_used === 1 ? '' : 's'}`);
  lines.push('');
  const names = Object.keys(r.spikes.by_population);
  const width = Math.max(10, ...names.map((n) => n.length));
  lines.push(`${'spikes'.padEnd(width + 2)}${'count'.padStart(10)}${'rate'.padStart(12)}`);
  for (const name of names) {
    lines.push(`  ${name.padEnd(width)}${group(r.spikes.by_population[name]).padStart(10)}${`${r.rates_hz[name].toFixed(1)} Hz`.padStart(12)}`);
  }
  lines.push(`  ${'total'.padEnd(width)}${group(r.spikes.total).padStart(10)}`);
  lines.push('');
  lines.push(`cycles      ${group(r.cycles.total)}   (chip time ${si(r.chip_time_s, 's')}, ${si(r.chip_time_s / Math.max(1, r.steps), 's')} per step)`);
  lines.push(`  per step  mean ${group(r.cycles.per_step.mean)}, max ${group(r.cycles.per_step.max)}   (latency mean ${si(r.latency_s.per_step.mean, 's')}, max ${si(r.latency_s.per_step.max, 's')})`);
  const phase = r.cycles.by_phase;
  const tick = phase.tick_wait > 0 ? `, waiting for the tick ${group(phase.tick_wait)}` : '';
  lines.push(`  busy core-cycles: update ${group(phase.update)}, deliver ${group(phase.deliver)}, learn ${group(phase.learn)}; barrier ${group(phase.barrier)}${tick}`);
  if (r.noc.packets > 0) {
    const n = r.noc;
    const busiest = n.busiest_link === null ? '' : `; busiest link ${n.busiest_link.link} (${group(n.busiest_link.packets)} packets)`;
    lines.push(`noc         ${group(n.packets)} packets, ${group(n.hops.total)} hops, latency mean ${si(n.packet_latency_s.mean, 's')}, max ${si(n.packet_latency_s.max, 's')}, contention ${group(n.contention_wait_cycles)} cycles${busiest}`);
  }
  lines.push(`energy      ${si(r.energy_j.total, 'J')}   (${si(r.energy_j.total / Math.max(1, r.counters.synaptic_ops), 'J')} per synaptic op)`);
  for (const c of ENERGY_CATEGORIES) {
    const j = r.energy_j.by_category[c];
    const share = r.energy_j.total > 0 ? (100 * j) / r.energy_j.total : 0;
    lines.push(`  ${CATEGORY_LABEL[c].padEnd(16)}${si(j, 'J').padStart(12)}${`${share.toFixed(1)}%`.padStart(8)}`);
  }
  return lines.join('\n');
}

export interface SpikeFile {
  readonly schema: 'meso.spikes/v1';
  readonly source: string;
  readonly dt_s: number;
  readonly steps: number;
  /** Per recorded population: parallel arrays of spike step and population-local neuron index, in step order. */
  readonly populations: Readonly<Record<string, { readonly size: number; readonly steps: readonly number[]; readonly neurons: readonly number[] }>>;
}

/** The recorded spike events, translated from (core, slot) to the user's (population, index). */
export function buildSpikeFile(run: RunOutcome): SpikeFile {
  const { image, events } = run;
  const populations: Record<string, { size: number; steps: number[]; neurons: number[] }> = {};
  // (core, slot) -> (population, index) for the recorded populations.
  const owner = image.cores.map((c) => new Int32Array(c.neuronCount).fill(-1));
  const index = image.cores.map((c) => new Int32Array(c.neuronCount));
  const recorded = image.symbols.populations.filter((p) => run.recorded.includes(p.name));
  recorded.forEach((pop, p) => {
    populations[pop.name] = { size: pop.size, steps: [], neurons: [] };
    for (const piece of pop.pieces) {
      for (let i = 0; i < piece.count; i++) {
        owner[piece.core][piece.first + i] = p;
        index[piece.core][piece.first + i] = piece.offset + i;
      }
    }
  });
  for (let e = 0; e < events.step.length; e++) {
    const p = owner[events.core[e]][events.neuron[e]];
    if (p < 0) continue;
    const entry = populations[recorded[p].name];
    entry.steps.push(events.step[e]);
    entry.neurons.push(index[events.core[e]][events.neuron[e]]);
  }
  return { schema: 'meso.spikes/v1', source: image.symbols.source, dt_s: image.dtS, steps: run.request.steps, populations };
}

