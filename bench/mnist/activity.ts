// How a trained MNIST image reads out: the held-out digits presented as
// `meso train` tests them (runtime/train/loop.ts Presenter: the same encoding,
// keys and rest), with what the accuracy alone does not say: digits lost to a
// tie or to a silent output, the output's spike counts, and how much of each
// other population fires (per digit, and which neurons never do).
//
//   node dist/bench/mnist/activity.js trained.chip [--test N] [--steps-per-sample N] [--rest N] [--seed S]
//
// (the presentation defaults are `meso train`'s; the encoder is its default, regular trains)
//
// Its accuracy is the report's test accuracy for the same image and options.
import { pathToFileURL } from 'node:url';
import { createEmulator } from '../../emulator/index.js';
import type { ChipImage } from '../../isa/image/types.js';
import { takeSamples, sampleInputs } from '../../runtime/datasets/dataset.js';
import { loadMnist, MNIST_TEST } from '../../runtime/datasets/mnist.js';
import { readImageFile } from '../../runtime/session.js';
import { PRESENT_DEFAULTS } from '../../runtime/train/command.js';
import { Presenter, TEST_KEY_BASE } from '../../runtime/train/loop.js';
import { populationCounts, trainableNetwork } from '../../runtime/train/network.js';

function option(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const v = Number(argv[at + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} ${argv[at + 1]}: give a whole number`);
  return v;
}

/** What one population other than the input and the output did over the digits. */
export interface PopulationActivity {
  readonly name: string;
  readonly size: number;
  /** Mean number of its neurons that fire for a digit, and mean spikes per digit (the rest steps included). */
  readonly activePerDigit: number;
  readonly spikesPerDigit: number;
  /** Neurons that fire for no digit, and for fewer than 1% of them. */
  readonly never: number;
  readonly rare: number;
}

export interface ReadoutActivity {
  readonly digits: number;
  readonly correct: number;
  /** Digits whose most active outputs tie, and digits with every output silent (both count as wrong). */
  readonly ties: number;
  readonly silent: number;
  /** Mean spikes of the most and of the second most active output. */
  readonly topSpikes: number;
  readonly secondSpikes: number;
  readonly populations: readonly PopulationActivity[];
}

export interface ActivityOptions {
  readonly test: number;
  readonly seed: number;
  readonly stepsPerSample: number;
  readonly restSteps: number;
}

/** Presents the first `options.test` held-out digits to `image` as `meso train` tests them, counting as it goes. */
export async function readoutActivity(image: ChipImage, file: string, options: ActivityOptions): Promise<ReadoutActivity> {
  const net = trainableNetwork(image, file);
  const mnist = loadMnist();
  const test = takeSamples(mnist.test, mnist.inputSize, options.test);
  const encoder = { kind: PRESENT_DEFAULTS.encoder, maxRateHz: PRESENT_DEFAULTS.maxRateHz };
  const presenter = new Presenter(net, { stepsPerSample: options.stepsPerSample, restSteps: options.restSteps, encoder }, mnist.inputSize);
  const others = image.symbols.populations.filter((p) => p.kind !== 'input' && p !== net.output);
  const counts = others.map((p) => new Float64Array(p.size));
  const firedFor = others.map((p) => new Float64Array(p.size));
  const spikes = others.map(() => 0);
  const active = others.map(() => 0);
  const em = await createEmulator('cpu', image, { seed: options.seed });
  let correct = 0;
  let ties = 0;
  let silent = 0;
  let top = 0;
  let second = 0;
  try {
    em.setPlasticity?.(false);
    em.setTeacher?.(net.output.name, undefined);
    for (let i = 0; i < test.count; i++) {
      others.forEach((p, k) => {
        counts[k].fill(0);
        populationCounts(p, em.spikeCounts(), counts[k], -1);
      });
      const predicted = await presenter.present(em, sampleInputs(test, mnist.inputSize, i), undefined, options.seed, TEST_KEY_BASE + i);
      if (predicted === test.labels[i]) correct++;
      const sorted = Array.from(presenter.counts).sort((a, b) => b - a);
      top += sorted[0];
      second += sorted[1] ?? 0;
      if (sorted[0] === 0) silent++;
      else if (predicted < 0) ties++;
      others.forEach((p, k) => {
        populationCounts(p, em.spikeCounts(), counts[k], 1);
        for (let j = 0; j < p.size; j++) {
          spikes[k] += counts[k][j];
          if (counts[k][j] > 0) {
            active[k]++;
            firedFor[k][j]++;
          }
        }
      });
    }
  } finally {
    em.dispose();
  }
  const n = test.count;
  return {
    digits: n,
    correct,
    ties,
    silent,
    topSpikes: top / n,
    secondSpikes: second / n,
    populations: others.map((p, k) => ({
      name: p.name,
      size: p.size,
      activePerDigit: active[k] / n,
      spikesPerDigit: spikes[k] / n,
      never: firedFor[k].filter((x) => x === 0).length,
      rare: firedFor[k].filter((x) => x < 0.01 * n).length,
    })),
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const file = argv[0];
  if (file === undefined || file.startsWith('--')) throw new Error('usage: activity.js FILE.chip [--test N] [--steps-per-sample N] [--rest N] [--seed S]');
  const image = readImageFile(file);
  const a = await readoutActivity(image, file, {
    test: option(argv, '--test', MNIST_TEST),
    seed: option(argv, '--seed', 1),
    stepsPerSample: option(argv, '--steps-per-sample', PRESENT_DEFAULTS.stepsPerSample),
    restSteps: option(argv, '--rest', PRESENT_DEFAULTS.rest),
  });
  const pct = (x: number): string => `${((100 * x) / a.digits).toFixed(2)}%`;
  process.stdout.write(`${file}: ${a.digits} held-out digits: accuracy ${pct(a.correct)}, ties ${pct(a.ties)}, silent output ${pct(a.silent)}\n`);
  process.stdout.write(`  output: mean spikes of the most active neuron ${a.topSpikes.toFixed(2)}, of the second ${a.secondSpikes.toFixed(2)}\n`);
  for (const p of a.populations) {
    process.stdout.write(`  \`${p.name}\` (${p.size} neurons, the rest steps included): ${p.activePerDigit.toFixed(1)} fire per digit, ${p.spikesPerDigit.toFixed(1)} spikes per digit; ${p.never} never fire, ${p.rare} for fewer than 1% of the digits\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
