// The run report: JSON (schema meso.report/v1) for tools, text for people.
// Every energy figure comes from emulator/energy.ts over the run's counters.
import { chipTimeS, ENERGY_CATEGORIES, energyOf, type EnergyCategory } from '../emulator/energy.js';
import { COUNTER_NAMES, type CounterName } from '../emulator/interface.js';
import { corePosition } from '../isa/profile.js';
import type { ChipImage } from '../isa/image/types.js';
import type { RunOutcome } from './session.js';

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
  readonly cycles: { readonly total: number };
  readonly chip_time_s: number;
  readonly energy_j: {
    readonly total: number;
    readonly by_category: Readonly<Record<EnergyCategory, number>>;
  };
  /** Raw operation counts: energy_j.total = Σ counters × the profile's per-operation energy + static. */
  readonly counters: Readonly<Record<CounterName, number>>;
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

export function tilesUsed(image: ChipImage): number {
  return new Set(image.cores.map((c) => corePosition(image.profile, c.slot).tile)).size;
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
    cycles: { total: totalCycles },
    chip_time_s: time,
    energy_j: { total: energy.totalJ, by_category: byCategory },
    counters,
  };
}

const CATEGORY_LABEL: Readonly<Record<EnergyCategory, string>> = {
  synaptic: 'synaptic ops',
  neuron: 'neuron updates',
  routing: 'spike routing',
  learning: 'learning',
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

