// The HTML report of training (`meso train --html`, `meso report train.json --html`):
// accuracy and energy per epoch, with and without SBP on the same plots when
// `--compare` ran. Reads the meso.train/v1 report of issue 7, whose entries
// `epochs[i].train_accuracy`, `test_accuracy` (fractions) and `energy_j` (as in the
// run report: {total, by_category}, or a bare number of joules) are all it needs.
//
// Hook for `meso train --html FILE`: `writeAtomic(FILE, renderTrainHtml(parseTrainReport(report, FILE)))`.
import { groupedBars, lineChart } from './charts.js';
import { dataTable, figure, page, summary } from './page.js';
import { esc, group, legend, OKABE_ITO, percent, si, siPrefix, tickLabel, ticks } from './svg.js';

export interface TrainEpoch {
  readonly epoch: number;
  readonly train_accuracy: number;
  readonly test_accuracy: number;
  /** Energy of the epoch in joules. */
  readonly energy_j: number;
}

export interface TrainRun {
  /** "with SBP" or "without SBP" when the report says which; else the run's label or "run N". */
  readonly label: string;
  readonly sbp: boolean | undefined;
  readonly epochs: readonly TrainEpoch[];
  /** Optional per-run figures, shown in the summary when present. */
  readonly energy_per_sample_j?: number;
  readonly energy_per_inference_j?: number;
}

export interface TrainView {
  readonly source: string;
  readonly chip: string;
  readonly runs: readonly TrainRun[];
}

/** A meso.train/v1 report that cannot be drawn: `problems` says what and where. */
export class TrainReportError extends Error {
  constructor(readonly origin: string, readonly problems: readonly string[]) {
    super(`${origin}: cannot draw this training report:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function parseRun(json: Record<string, unknown>, where: string, index: number, problems: string[]): TrainRun | undefined {
  const epochs = json.epochs;
  if (!Array.isArray(epochs) || epochs.length === 0) {
    problems.push(`${where}"epochs" must be a non-empty array of {train_accuracy, test_accuracy, energy_j}`);
    return undefined;
  }
  const out: TrainEpoch[] = [];
  epochs.forEach((e: unknown, i) => {
    const at = `${where}epochs[${i}]`;
    if (!isRecord(e)) return void problems.push(`${at} must be an object`);
    const frac = (key: string): number => {
      const v = e[key];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        problems.push(`${at}.${key} must be a fraction from 0 to 1, found ${JSON.stringify(v)}`);
        return NaN;
      }
      return v;
    };
    const energy = isRecord(e.energy_j) ? e.energy_j.total : e.energy_j;
    if (typeof energy !== 'number' || !(energy >= 0) || !Number.isFinite(energy)) {
      problems.push(`${at}.energy_j must be joules (a number, or {"total": joules, ...}), found ${JSON.stringify(e.energy_j)}`);
    }
    out.push({
      epoch: typeof e.epoch === 'number' ? e.epoch : i + 1,
      train_accuracy: frac('train_accuracy'),
      test_accuracy: frac('test_accuracy'),
      energy_j: typeof energy === 'number' ? energy : NaN,
    });
  });
  const sbp = typeof json.sbp === 'boolean' ? json.sbp : undefined;
  const label = sbp === true ? 'with SBP' : sbp === false ? 'without SBP' : typeof json.label === 'string' ? json.label : `run ${index + 1}`;
  const num = (k: string): number | undefined => (typeof json[k] === 'number' ? (json[k] as number) : undefined);
  return { label, sbp, epochs: out, energy_per_sample_j: num('energy_per_sample_j'), energy_per_inference_j: num('energy_per_inference_j') };
}

/**
 * Reads a meso.train/v1 report: either one run (`epochs` at the top, `sbp` saying
 * whether SBP was on) or a comparison (`runs`: an array of such runs, as
 * `meso train --compare` writes them), and checks every number it will draw.
 */
export function parseTrainReport(json: unknown, origin: string): TrainView {
  if (!isRecord(json)) throw new TrainReportError(origin, ['the file is not a JSON object']);
  const problems: string[] = [];
  if (json.schema !== 'meso.train/v1') problems.push(`"schema" must be "meso.train/v1", found ${JSON.stringify(json.schema)}`);
  const runs: TrainRun[] = [];
  if (Array.isArray(json.runs)) {
    json.runs.forEach((r: unknown, i) => {
      if (!isRecord(r)) return void problems.push(`runs[${i}] must be an object`);
      const run = parseRun(r, `runs[${i}].`, i, problems);
      if (run) runs.push(run);
    });
    if (json.runs.length === 0) problems.push('"runs" is empty');
  } else {
    const run = parseRun(json, '', 0, problems);
    if (run) runs.push(run);
  }
  if (problems.length > 0) throw new TrainReportError(origin, problems);
  // With and without SBP get fixed colours (blue and orange) so that every report reads the same way.
  runs.sort((a, b) => Number(b.sbp === true) - Number(a.sbp === true));
  return { source: typeof json.source === 'string' ? json.source : origin, chip: typeof json.chip === 'string' ? json.chip : 'unknown chip', runs };
}

const RUN_COLOURS = [OKABE_ITO.blue, OKABE_ITO.orange, OKABE_ITO.bluishGreen, OKABE_ITO.vermillion, OKABE_ITO.reddishPurple, OKABE_ITO.skyBlue];

function runColour(i: number): string {
  return RUN_COLOURS[i % RUN_COLOURS.length];
}

/** Running sums of each epoch's energy: the energy spent by the end of each epoch. */
function cumulative(run: TrainRun): number[] {
  let s = 0;
  return run.epochs.map((e) => (s += e.energy_j));
}

/** Renders a training report (one run, or the with/without SBP comparison) as one self-contained HTML page. */
export function renderTrainHtml(view: TrainView): string {
  const { runs } = view;
  const sections: string[] = [];
  const title = runs.length > 1 ? `Meso training report: ${view.source} (${runs.map((r) => r.label).join(' vs ')})` : `Meso training report: ${view.source}`;
  sections.push(`<header><h1>${esc(title)}</h1><p class="sub">${esc(view.chip)} chip</p></header>`);

  sections.push('<section aria-labelledby="s-summary"><h2 id="s-summary">Summary</h2>');
  const items: [string, string][] = [['network', view.source], ['chip profile', view.chip], ['epochs', runs.map((r) => `${r.epochs.length}`).join(' / ')]];
  for (const r of runs) {
    const last = r.epochs[r.epochs.length - 1];
    const best = Math.max(...r.epochs.map((e) => e.test_accuracy));
    const total = cumulative(r).at(-1) ?? 0;
    items.push([`${r.label}: final test accuracy`, `${percent(last.test_accuracy, 2)} (best ${percent(best, 2)})`]);
    items.push([`${r.label}: energy`, si(total, 'J')]);
    if (r.energy_per_sample_j !== undefined) items.push([`${r.label}: per training sample`, si(r.energy_per_sample_j, 'J')]);
    if (r.energy_per_inference_j !== undefined) items.push([`${r.label}: per inference`, si(r.energy_per_inference_j, 'J')]);
  }
  sections.push(summary(items));
  sections.push('</section>');

  const epochs = Math.max(...runs.map((r) => r.epochs.length));
  const maxEpoch = Math.max(...runs.flatMap((r) => r.epochs.map((e) => e.epoch)));
  const minEpoch = Math.min(...runs.flatMap((r) => r.epochs.map((e) => e.epoch)));
  const accs = runs.flatMap((r) => r.epochs.flatMap((e) => [e.train_accuracy, e.test_accuracy]));
  // The accuracy axis starts at a round 10% below the lowest point (never below 0) and always ends at 100%.
  const accMin = Math.max(0, Math.floor(Math.min(...accs) * 10 - 0.5) * 10);
  const accAxis = { label: 'accuracy (%)', min: accMin, max: 100, format: (v: number) => tickLabel(v) };
  const epochTicks = ticks(minEpoch, maxEpoch, Math.min(10, maxEpoch - minEpoch + 1)).filter((v) => Number.isInteger(v));
  const epochAxis = { label: 'epoch', min: minEpoch - 0.25, max: maxEpoch + 0.25, ticks: epochTicks };
  const lineLegend = legend(runs.flatMap((r, i) => [
    { label: `${r.label}, test`, colour: runColour(i) },
    { label: `${r.label}, train`, colour: runColour(i), dashed: true },
  ]));

  sections.push('<section aria-labelledby="s-curves"><h2 id="s-curves">Learning curves</h2>');
  sections.push(lineLegend);
  sections.push('<div class="row">');
  sections.push(
    figure(
      lineChart('accuracy', 'Accuracy per epoch', 'Train (dashed) and held-out test (solid) accuracy after each epoch.', epochAxis, accAxis,
        runs.flatMap((r, i) => [
          { name: `${r.label}, test`, colour: runColour(i), points: r.epochs.map((e) => [e.epoch, 100 * e.test_accuracy] as const) },
          { name: `${r.label}, train`, colour: runColour(i), dashed: true, points: r.epochs.map((e) => [e.epoch, 100 * e.train_accuracy] as const) },
        ])),
      `Accuracy after each epoch: held-out test digits solid, training digits dashed. The axis starts at ${accMin}%.`,
    ),
  );
  const epochLabels = Array.from({ length: epochs }, (_, i) => String(runs[0].epochs[i]?.epoch ?? i + 1));
  sections.push(
    figure(
      groupedBars('epoch-energy', 'Energy per epoch', 'Chip energy spent in each epoch (training and testing).', 'epoch', 'energy', 'J', epochLabels,
        runs.map((r, i) => ({ name: r.label, colour: runColour(i), values: epochLabels.map((_, k) => r.epochs[k]?.energy_j) }))),
      'Energy per epoch on the chip\'s books (all categories, including learning and static power).',
    ),
  );
  const cum = runs.map(cumulative);
  const maxCum = Math.max(...cum.flatMap((c) => c));
  const { scale, prefix } = siPrefix(maxCum);
  sections.push(
    figure(
      lineChart('accuracy-energy', 'Test accuracy against energy spent', 'Held-out accuracy after each epoch against the energy spent so far.',
        { label: `energy spent (${prefix}J)`, min: 0, max: (maxCum / scale) * 1.05, format: (v) => tickLabel(v) }, accAxis,
        runs.map((r, i) => ({ name: r.label, colour: runColour(i), points: r.epochs.map((e, k) => [cum[i][k] / scale, 100 * e.test_accuracy] as const) }))),
      'Test accuracy against cumulative energy: the curve further up and to the left reaches an accuracy with less energy (the comparison SBP.md describes, in joules).',
    ),
  );
  sections.push('</div>');
  sections.push(
    dataTable('per epoch', ['run', 'epoch', 'train accuracy', 'test accuracy', 'energy', 'energy so far'],
      runs.flatMap((r, i) => r.epochs.map((e, k) => [r.label, String(e.epoch), percent(e.train_accuracy, 2), percent(e.test_accuracy, 2), si(e.energy_j, 'J'), si(cum[i][k], 'J')]))),
  );
  sections.push('</section>');
  sections.push(
    `<footer>Written by meso from a meso.train/v1 report (${group(runs.length)} run${runs.length === 1 ? '' : 's'}). Colours from the Okabe-Ito palette, readable with colour-vision deficiencies. ` +
      `Energy is the emulator's model of the ${esc(view.chip)} profile, not a measurement of silicon.</footer>`,
  );
  return page(title, sections.join('\n'));
}
