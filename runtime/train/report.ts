// The training report (schema meso.train/v1): per epoch, train and test accuracy,
// the chip's energy split by category (emulator/energy.ts, the only place energy
// is computed), chip time, energy per training sample and per inference; and for
// `--compare`, the energy each run needed to first reach five accuracy thresholds
// shared by both curves, with the authors' own cost measure (../shared/SBP.md).
import { chipTimeS, ENERGY_CATEGORIES, energyOf, type EnergyCategory } from '../../emulator/energy.js';
import { COUNTER_NAMES, type CounterName } from '../../emulator/interface.js';
import type { ChipImage } from '../../isa/image/types.js';
import { si } from '../report.js';
import type { PhaseBooks } from './loop.js';

export interface EnergyJ {
  readonly total: number;
  readonly by_category: Readonly<Record<EnergyCategory, number>>;
}

export interface EpochReport {
  /** 1-based. */
  readonly epoch: number;
  /** Fractions of the samples whose output neuron with the most spikes was the label (ties and silence count as wrong). */
  readonly train_accuracy: number;
  readonly test_accuracy: number;
  /** The epoch's energy: training and testing together. */
  readonly energy_j: EnergyJ;
  readonly train_energy_j: EnergyJ;
  readonly test_energy_j: EnergyJ;
  /** Chip time (cycles over the clock) of training and testing together. */
  readonly chip_time_s: number;
  readonly energy_per_training_sample_j: number;
  readonly energy_per_inference_j: number;
  readonly train_samples: number;
  readonly test_samples: number;
  readonly steps: number;
  readonly counters: Readonly<Record<CounterName, number>>;
  /** Host speed, for planning runs: emulated samples per wall-clock second. */
  readonly samples_per_s: number;
  readonly wall_s: number;
}

export interface RunSettings {
  readonly source: string;
  readonly chip: string;
  readonly backend: string;
  readonly dataset: { readonly name: string; readonly source: string; readonly train: number; readonly test: number };
  readonly seed: number;
  readonly steps_per_sample: number;
  readonly rest_steps: number;
  /** --lr-decay and --lr-decay-every: the rate schedule of runtime/train/loop.ts lrScale. */
  readonly lr_decay: number;
  readonly lr_decay_every: number;
  readonly encoder: { readonly kind: string; readonly max_rate_hz: number };
}

export interface TrainRunReport extends RunSettings {
  readonly schema: 'meso.train/v1';
  readonly sbp: boolean;
  readonly epochs: readonly EpochReport[];
  readonly best_test_accuracy: number;
  /** Mean over epochs of the training energy per sample, and the last epoch's energy per test inference. */
  readonly energy_per_sample_j: number;
  readonly energy_per_inference_j: number;
  /** Cumulative training energy at the end of each epoch (what reaching an accuracy cost). */
  readonly training_energy_cumulative_j: readonly number[];
  /** The authors' operations per epoch (SBP.md): Σ pre x post over plastic projections + Σ neurons receiving SBP. */
  readonly authors_ops_per_epoch: number;
}

function energyJ(counters: Readonly<Record<CounterName, number>>, cycles: number, image: ChipImage): EnergyJ {
  const e = energyOf(counters, image.profile, chipTimeS(cycles, image.profile));
  const by = {} as Record<EnergyCategory, number>;
  for (const c of ENERGY_CATEGORIES) by[c] = e.byCategoryJ[c];
  return { total: e.totalJ, by_category: by };
}

export function epochReport(epoch: number, train: PhaseBooks, test: PhaseBooks, image: ChipImage): EpochReport {
  const counters = {} as Record<CounterName, number>;
  for (const name of COUNTER_NAMES) counters[name] = train.counters[name] + test.counters[name];
  const cycles = train.cycles + test.cycles;
  const trainE = energyJ(train.counters, train.cycles, image);
  const testE = energyJ(test.counters, test.cycles, image);
  const wall = train.wallS + test.wallS;
  return {
    epoch,
    train_accuracy: train.samples > 0 ? train.correct / train.samples : 0,
    test_accuracy: test.samples > 0 ? test.correct / test.samples : 0,
    energy_j: energyJ(counters, cycles, image),
    train_energy_j: trainE,
    test_energy_j: testE,
    chip_time_s: chipTimeS(cycles, image.profile),
    energy_per_training_sample_j: train.samples > 0 ? trainE.total / train.samples : 0,
    energy_per_inference_j: test.samples > 0 ? testE.total / test.samples : 0,
    train_samples: train.samples,
    test_samples: test.samples,
    steps: train.steps + test.steps,
    counters,
    samples_per_s: wall > 0 ? (train.samples + test.samples) / wall : 0,
    wall_s: wall,
  };
}

/** Operations per epoch in the authors' cost (SBP.md: m·n + n·k + n for 784-500-10). */
export function authorsOpsPerEpoch(image: ChipImage): number {
  const learning = image.learning;
  if (learning === undefined) return 0;
  const pops = image.symbols.populations;
  let ops = 0;
  for (const p of learning.projections) ops += pops[p.pre].size * pops[p.post].size;
  // n: the neurons that receive the propagated changes (the post side of SBP projections, i.e. the pre side of their sources).
  const receivers = new Set<number>();
  for (const p of learning.projections) for (const s of p.sources) receivers.add(learning.projections[s].pre);
  for (const r of receivers) ops += pops[r].size;
  return ops;
}

export function runReport(settings: RunSettings, sbp: boolean, epochs: readonly EpochReport[], image: ChipImage): TrainRunReport {
  let cum = 0;
  const cumulative = epochs.map((e) => (cum += e.train_energy_j.total));
  const last = epochs.at(-1);
  return {
    schema: 'meso.train/v1',
    ...settings,
    sbp,
    epochs,
    best_test_accuracy: epochs.reduce((m, e) => Math.max(m, e.test_accuracy), 0),
    energy_per_sample_j: epochs.length > 0 ? epochs.reduce((s, e) => s + e.energy_per_training_sample_j, 0) / epochs.length : 0,
    energy_per_inference_j: last?.energy_per_inference_j ?? 0,
    training_energy_cumulative_j: cumulative,
    authors_ops_per_epoch: authorsOpsPerEpoch(image),
  };
}

export interface ThresholdRow {
  readonly threshold: number;
  /** 1-based epoch at which each run's test accuracy first reached the threshold. */
  readonly sbp_epoch: number;
  readonly no_sbp_epoch: number;
  /** Training energy spent up to the end of that epoch. */
  readonly sbp_energy_j: number;
  readonly no_sbp_energy_j: number;
  readonly energy_ratio: number;
}

export interface Comparison {
  /** How the thresholds were chosen. */
  readonly method: string;
  readonly thresholds: readonly ThresholdRow[];
  /** Mean over the thresholds of energy(SBP) / energy(no SBP): below 1, SBP reached them with less energy. */
  readonly mean_energy_ratio: number;
  /** The authors' measure: mean first epoch x operations per epoch, and its ratio (SBP.md reports 45.9% for MNIST). */
  readonly authors_cost: { readonly sbp: number; readonly no_sbp: number; readonly ratio: number };
  /** Training energy of SBP to reach the no-SBP run's best test accuracy, over what the no-SBP run spent to reach it. */
  readonly energy_to_no_sbp_best_ratio: number | null;
}

function firstReach(run: TrainRunReport, threshold: number): number {
  return run.epochs.findIndex((e) => e.test_accuracy >= threshold - 1e-12);
}

/**
 * Five thresholds shared by both curves: evenly spaced above the higher of the two
 * first-epoch accuracies up to the lower of the two best accuracies (so both
 * curves reach every one); when that range is empty (e.g. one epoch), five steps
 * of 5% below the lower best accuracy, which both runs reach too.
 */
export function sharedThresholds(a: TrainRunReport, b: TrainRunReport): { readonly values: readonly number[]; readonly method: string } {
  const hi = Math.min(a.best_test_accuracy, b.best_test_accuracy);
  const lo = Math.max(a.epochs[0]?.test_accuracy ?? 0, b.epochs[0]?.test_accuracy ?? 0);
  if (hi > lo) {
    return { values: [1, 2, 3, 4, 5].map((k) => lo + ((hi - lo) * k) / 5), method: 'five thresholds evenly spaced from the higher first-epoch test accuracy (excluded) to the lower best test accuracy (included)' };
  }
  return { values: [0.8, 0.85, 0.9, 0.95, 1].map((f) => hi * f), method: 'the curves share no range above their first epochs: 80, 85, 90, 95 and 100% of the lower best test accuracy' };
}

export function compareRuns(sbp: TrainRunReport, noSbp: TrainRunReport): Comparison {
  const { values, method } = sharedThresholds(sbp, noSbp);
  const rows = values.map((threshold): ThresholdRow => {
    const i = firstReach(sbp, threshold);
    const j = firstReach(noSbp, threshold);
    const es = sbp.training_energy_cumulative_j[i];
    const en = noSbp.training_energy_cumulative_j[j];
    return { threshold, sbp_epoch: i + 1, no_sbp_epoch: j + 1, sbp_energy_j: es, no_sbp_energy_j: en, energy_ratio: es / en };
  });
  const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  const costS = mean(rows.map((r) => r.sbp_epoch)) * sbp.authors_ops_per_epoch;
  const costN = mean(rows.map((r) => r.no_sbp_epoch)) * noSbp.authors_ops_per_epoch;
  const bestN = noSbp.best_test_accuracy;
  const i = firstReach(sbp, bestN);
  const j = firstReach(noSbp, bestN);
  return {
    method,
    thresholds: rows,
    mean_energy_ratio: mean(rows.map((r) => r.energy_ratio)),
    authors_cost: { sbp: costS, no_sbp: costN, ratio: costS / costN },
    energy_to_no_sbp_best_ratio: i < 0 || j < 0 ? null : sbp.training_energy_cumulative_j[i] / noSbp.training_energy_cumulative_j[j],
  };
}

export interface CompareReport extends RunSettings {
  readonly schema: 'meso.train/v1';
  readonly runs: readonly TrainRunReport[];
  readonly comparison: Comparison;
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/** One run as text: a line per epoch. */
export function formatRun(r: TrainRunReport): string {
  const lines = [`${r.source} on ${r.chip}, ${r.sbp ? 'with' : 'without'} SBP: ${r.dataset.train} training / ${r.dataset.test} test ${r.dataset.name} samples, ${r.steps_per_sample} steps each${decayNote(r)}`];
  lines.push('epoch  train acc  test acc   energy      per train sample  per inference  sbp energy  chip time');
  for (const e of r.epochs) {
    lines.push(
      `${String(e.epoch).padStart(5)}  ${pct(e.train_accuracy).padStart(9)}  ${pct(e.test_accuracy).padStart(8)}   ${si(e.energy_j.total, 'J').padEnd(10)}  ${si(e.energy_per_training_sample_j, 'J').padEnd(16)}  ${si(e.energy_per_inference_j, 'J').padEnd(13)}  ${si(e.energy_j.by_category.sbp, 'J').padEnd(10)}  ${si(e.chip_time_s, 's')}`,
    );
  }
  lines.push(`best test accuracy ${pct(r.best_test_accuracy)}; energy per training sample ${si(r.energy_per_sample_j, 'J')}, per inference ${si(r.energy_per_inference_j, 'J')}`);
  return lines.join('\n');
}

function decayNote(s: RunSettings): string {
  if (s.lr_decay === 1) return '';
  return `, learning rates x${s.lr_decay} ${s.lr_decay_every === 1 ? 'each epoch' : `every ${s.lr_decay_every} epochs`}`;
}

/** Both runs side by side and the energy ratios. */
export function formatComparison(c: CompareReport): string {
  const [a, b] = c.runs;
  const lines = [`${c.source} on ${c.chip}: ${c.dataset.train} training / ${c.dataset.test} test ${c.dataset.name} samples, seed ${c.seed}, ${c.steps_per_sample} steps per sample${decayNote(c)}`];
  lines.push('epoch | with SBP: train   test     energy     | without SBP: train   test     energy');
  const n = Math.max(a.epochs.length, b.epochs.length);
  for (let k = 0; k < n; k++) {
    const x = a.epochs[k];
    const y = b.epochs[k];
    const cell = (e: EpochReport | undefined): string => (e === undefined ? ''.padEnd(30) : `${pct(e.train_accuracy).padStart(7)}  ${pct(e.test_accuracy).padStart(7)}  ${si(e.energy_j.total, 'J').padEnd(10)}`);
    lines.push(`${String(k + 1).padStart(5)} |          ${cell(x)} |             ${cell(y)}`);
  }
  lines.push(`best test accuracy: with SBP ${pct(a.best_test_accuracy)}, without ${pct(b.best_test_accuracy)}`);
  lines.push(`energy per training sample: with SBP ${si(a.energy_per_sample_j, 'J')}, without ${si(b.energy_per_sample_j, 'J')}; per inference ${si(a.energy_per_inference_j, 'J')} / ${si(b.energy_per_inference_j, 'J')}`);
  lines.push(`training energy to first reach each threshold (${c.comparison.method}):`);
  for (const r of c.comparison.thresholds) {
    lines.push(`  ${pct(r.threshold).padStart(7)}: with SBP epoch ${r.sbp_epoch}, ${si(r.sbp_energy_j, 'J')}; without epoch ${r.no_sbp_epoch}, ${si(r.no_sbp_energy_j, 'J')}; ratio ${r.energy_ratio.toFixed(3)}`);
  }
  lines.push(`mean energy ratio (with / without SBP): ${c.comparison.mean_energy_ratio.toFixed(3)}`);
  const best = c.comparison.energy_to_no_sbp_best_ratio;
  lines.push(`energy to reach the no-SBP best accuracy, with / without SBP: ${best === null ? 'SBP did not reach it' : best.toFixed(3)}`);
  lines.push(`authors' cost measure (mean first epoch x ${a.authors_ops_per_epoch} operations per epoch), with / without SBP: ${(100 * c.comparison.authors_cost.ratio).toFixed(1)}% (the paper: 45.9%)`);
  return lines.join('\n');
}
