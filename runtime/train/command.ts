// `meso train FILE.snn`: compile, then train and test epoch by epoch (loop.ts),
// checkpointing after each epoch; with --compare, the same seed with and without
// SBP, epoch by epoch, both runs at once on worker threads where there are two
// cores (--jobs), so both curves grow together.
import { Command, InvalidArgumentError, Option } from 'commander';
import { BACKEND_NAMES, type BackendName } from '../../emulator/index.js';
import { writeImage } from '../../isa/image/index.js';
import { isRateFactor } from '../../isa/learning/isa.js';
import type { ChipImage } from '../../isa/image/types.js';
import type { Dataset } from '../datasets/dataset.js';
import { takeSamples } from '../datasets/dataset.js';
import { loadMnist, MNIST_TEST, MNIST_TRAIN } from '../datasets/mnist.js';
import { UserError } from '../errors.js';
import { writeAtomic } from '../files.js';
import { parseTrainReport, renderTrainHtml } from '../html/train.js';
import { compileFile } from '../session.js';
import { readCheckpoint, writeCheckpoint, type Checkpoint, type RunState } from './checkpoint.js';
import { runEpoch, type EpochOutcome, type TrainOptions } from './loop.js';
import { straddledEpochs, trainableNetwork, withoutSbp, withSynapses, type TrainableNetwork } from './network.js';
import { defaultJobs, runEpochInWorker } from './parallel.js';
import { progressHook, sharedProgress } from './progress.js';
import { compareRuns, epochReport, formatComparison, formatRun, runReport, type CompareReport, type RunSettings, type TrainRunReport } from './report.js';

/** Datasets by name: a second one is a loader here, and the loop does not change. */
export const DATASETS: Readonly<Record<string, (seed?: number) => Dataset>> = { mnist: loadMnist };

/** How `meso train` presents a sample unless told otherwise (docs/results.md measured these for examples/mnist_sbp.snn). */
export const PRESENT_DEFAULTS = { stepsPerSample: 150, rest: 20, encoder: 'rate', maxRateHz: 100 } as const;

/** Unless told otherwise: `epochs` training epochs, every rule's learning rates multiplied by `lrDecay` after every `lrDecayEvery` of them (docs/results.md). */
export const TRAIN_DEFAULTS = { epochs: 5, lrDecay: 0.125, lrDecayEvery: 3 } as const;

export interface TrainRequest {
  readonly file: string;
  readonly dataset: string;
  readonly train: number;
  readonly test: number;
  readonly epochs: number;
  readonly seed: number;
  readonly sbp: boolean;
  readonly compare: boolean;
  readonly backend: BackendName;
  readonly stepsPerSample: number;
  readonly rest: number;
  readonly encoder: 'poisson' | 'rate';
  readonly maxRateHz: number;
  /** The rate schedule (loop.ts lrScale); defaults TRAIN_DEFAULTS. */
  readonly lrDecay?: number;
  readonly lrDecayEvery?: number;
  readonly save?: string;
  readonly checkpoint?: string;
  readonly resume?: string;
  readonly report?: string;
  readonly html?: string;
  readonly quiet?: boolean;
  /** Runs trained at once under --compare, each on a worker thread (1: in turn, on this thread). Default: one per core. */
  readonly jobs?: number;
}

export interface TrainOutcome {
  readonly report: TrainRunReport | CompareReport;
  /** Final weights of each run (with SBP first under --compare). */
  readonly synapses: readonly (readonly Uint32Array[])[];
  readonly image: ChipImage;
}

function defaultCheckpoint(file: string): string {
  return `${file.endsWith('.snn') ? file.slice(0, -4) : file}.ckpt.json`;
}

/** Trains as `meso train` does, writing what the request asks for; returns the report. */
export async function train(req: TrainRequest, progress?: NodeJS.WriteStream): Promise<TrainOutcome> {
  const { image: compiled, warnings } = compileFile(req.file);
  for (const w of warnings) process.stderr.write(`${w}\n`);
  const net = trainableNetwork(compiled, req.file);
  const load = DATASETS[req.dataset];
  if (load === undefined) throw new UserError(`--dataset ${req.dataset}: no such dataset; the datasets are ${Object.keys(DATASETS).join(', ')}`);
  const full = load();
  if (full.inputSize !== net.input.size) {
    throw new UserError(`${req.file}: input \`${net.input.name}\` has ${net.input.size} neurons but ${full.name} samples have ${full.inputSize} values; declare \`input ${net.input.name}[${full.inputSize}] { encoding = external }\``);
  }
  if (full.classes > net.output.size) {
    throw new UserError(`${req.file}: the taught population \`${net.output.name}\` has ${net.output.size} neurons but ${full.name} has ${full.classes} classes; give it at least ${full.classes}`);
  }
  const lrDecay = req.lrDecay ?? TRAIN_DEFAULTS.lrDecay;
  const lrDecayEvery = req.lrDecayEvery ?? TRAIN_DEFAULTS.lrDecayEvery;
  if (!isRateFactor(lrDecay)) throw new UserError(`--lr-decay ${lrDecay}: the factor on the learning rates must be above 0 and at most 1 (1 keeps them)`);
  if (!(Number.isInteger(lrDecayEvery) && lrDecayEvery > 0)) throw new UserError(`--lr-decay-every ${lrDecayEvery}: give a whole number of epochs, 1 or more`);
  if (req.train > full.train.count) throw new UserError(`--train ${req.train}: ${full.name} has ${full.train.count} training samples`);
  if (req.test > full.test.count) throw new UserError(`--test ${req.test}: ${full.name} has ${full.test.count} test samples`);
  if (req.compare && !net.hasSbp) {
    throw new UserError(`${req.file}: --compare runs with and without SBP, but no rule of the program is \`rule NAME : sbp\``);
  }
  if (!req.quiet) for (const w of straddledEpochs(net.image, req.stepsPerSample + req.rest)) process.stderr.write(`${req.file}: warning: ${w}\n`);
  const dataset = { inputSize: full.inputSize, train: takeSamples(full.train, full.inputSize, req.train), test: takeSamples(full.test, full.inputSize, req.test) };
  const settings: RunSettings = {
    source: req.file,
    chip: compiled.profile.name,
    backend: req.backend,
    dataset: { name: full.name, source: full.source, train: dataset.train.count, test: dataset.test.count },
    seed: req.seed,
    steps_per_sample: req.stepsPerSample,
    rest_steps: req.rest,
    lr_decay: lrDecay,
    lr_decay_every: lrDecayEvery,
    encoder: { kind: req.encoder, max_rate_hz: req.maxRateHz },
  };
  const options: TrainOptions = { seed: req.seed, backend: req.backend, stepsPerSample: req.stepsPerSample, restSteps: req.rest, lrDecay, lrDecayEvery, encoder: { kind: req.encoder, maxRateHz: req.maxRateHz } };
  const sbpRuns = req.compare ? [true, false] : [req.sbp && net.hasSbp];
  const nets: TrainableNetwork[] = sbpRuns.map((on) => (on ? net : { ...net, image: withoutSbp(net.image), hasSbp: false }));
  const checkpointPath = req.checkpoint ?? (req.resume ?? defaultCheckpoint(req.file));
  let runs: RunState[];
  if (req.resume !== undefined) {
    const cp = readCheckpoint(req.resume, settings, sbpRuns, compiled.cores.map((c) => c.synapses.length));
    runs = [...cp.runs];
  } else {
    runs = sbpRuns.map((sbp) => ({ sbp, epochs: [], synapses: compiled.cores.map((c) => c.synapses) }));
  }
  const jobs = Math.min(runs.length, req.jobs ?? defaultJobs(runs.length));
  const shared = progress === undefined || req.quiet || jobs === 1 ? undefined : sharedProgress(net.image, progress);
  for (let e = 0; e < req.epochs; e++) {
    const pending = runs.map((run, r) => ({ run, r })).filter(({ run }) => run.epochs.length <= e);
    const label = (sbp: boolean): string => `${runs.length > 1 ? (sbp ? 'sbp    ' : 'no-sbp ') : ''}epoch ${e + 1}/${req.epochs}`;
    const record = ({ run, r }: (typeof pending)[number], out: EpochOutcome): void => {
      runs[r] = { sbp: run.sbp, epochs: [...run.epochs, epochReport(e + 1, out.train, out.test, net.image)], synapses: out.synapses };
    };
    if (jobs > 1) {
      // Each run's epoch on its own thread: the same results as in turn, in about half the time on two cores.
      const outs = await Promise.all(pending.map(({ run, r }) =>
        runEpochInWorker({ net: nets[r], dataset, synapses: run.synapses, epoch: e, options }, shared?.(label(run.sbp)))));
      pending.forEach((p, k) => record(p, outs[k]));
    } else {
      for (const p of pending) {
        const hook = progress === undefined || req.quiet ? undefined : progressHook(label(p.run.sbp), net.image, progress);
        record(p, await runEpoch(nets[p.r], dataset, p.run.synapses, e, options, hook));
      }
    }
    const cp: Checkpoint = { settings, runs };
    writeCheckpoint(checkpointPath, cp);
  }
  const reports = runs.map((run, r) => runReport(settings, run.sbp, run.epochs, nets[r].image));
  const report: TrainRunReport | CompareReport = req.compare
    ? { schema: 'meso.train/v1', ...settings, runs: reports, comparison: compareRuns(reports[0], reports[1]) }
    : reports[0];
  if (req.save !== undefined) writeAtomic(req.save, writeImage(withSynapses(compiled, runs[0].synapses)));
  if (req.report !== undefined) writeAtomic(req.report, `${JSON.stringify(report, null, 2)}\n`);
  if (req.html !== undefined) writeAtomic(req.html, renderTrainHtml(parseTrainReport(JSON.parse(JSON.stringify(report)), req.report ?? req.file)));
  if (!req.quiet) process.stdout.write(`${'runs' in report ? formatComparison(report) : formatRun(report)}\n`);
  return { report, synapses: runs.map((r) => r.synapses), image: compiled };
}

function positiveInt(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive whole number, found "${value}"`);
    return n;
  };
}

function wholeNumber(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${what} must be a whole number (0 or more), found "${value}"`);
    return n;
  };
}

function seedValue(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError(`the seed must be a whole number from 0 to 4294967295, found "${value}"`);
  return n;
}

function decay(value: string): number {
  const n = Number(value);
  if (!isRateFactor(n)) throw new InvalidArgumentError(`--lr-decay must be a factor above 0 and at most 1 (1 keeps the rates), found "${value}"`);
  return n;
}

function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`--max-rate must be a positive rate in Hz, found "${value}"`);
  return n;
}

interface CliOptions {
  dataset: string;
  train: number;
  test: number;
  epochs: number;
  seed: number;
  sbp: boolean;
  compare?: boolean;
  backend: BackendName;
  stepsPerSample: number;
  rest: number;
  encoder: 'poisson' | 'rate';
  maxRate: number;
  lrDecay: number;
  lrDecayEvery: number;
  save?: string;
  checkpoint?: string;
  resume?: string;
  report?: string;
  html?: string;
  quiet?: boolean;
  jobs?: number;
}

/** Adds `meso train` to the CLI. */
export function addTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a .snn network on a dataset on the emulated chip (teaching on while training, off while testing) and report accuracy and energy per epoch')
    .argument('<file>', 'the .snn program: one `encoding = external` input and one taught population (see examples/mnist_sbp.snn)')
    .addOption(new Option('--dataset <name>', 'the dataset').choices(Object.keys(DATASETS)).default('mnist'))
    .option('--train <n>', `training samples per epoch (at most ${MNIST_TRAIN} for mnist)`, positiveInt('--train'), MNIST_TRAIN)
    .option('--test <n>', `held-out test samples (at most ${MNIST_TEST} for mnist)`, positiveInt('--test'), MNIST_TEST)
    .option('--epochs <n>', 'epochs', positiveInt('--epochs'), TRAIN_DEFAULTS.epochs)
    .option('--seed <s>', 'seed of sample order, input spikes and the chip\'s generators', seedValue, 1)
    .option('--no-sbp', 'train without SBP: the rules\' own changes only')
    .option('--compare', 'run with and without SBP on the same seed and compare accuracy and energy')
    .addOption(new Option('--backend <name>', 'emulator backend').choices([...BACKEND_NAMES]).default('cpu'))
    .option('--steps-per-sample <n>', 'time steps each sample is shown for', positiveInt('--steps-per-sample'), PRESENT_DEFAULTS.stepsPerSample)
    .option('--rest <n>', 'silent steps after each sample (no input, no teacher): the traces and currents of one sample decay before the next', wholeNumber('--rest'), PRESENT_DEFAULTS.rest)
    .addOption(new Option('--encoder <kind>', 'how intensities become spikes').choices(['poisson', 'rate']).default(PRESENT_DEFAULTS.encoder))
    .option('--max-rate <hz>', 'spike rate of a pixel of intensity 1', rate, PRESENT_DEFAULTS.maxRateHz)
    .option('--lr-decay <f>', 'multiply every learning rule\'s rates (its coefficients, and an additive SBP rule\'s fraction) by f after every --lr-decay-every epochs; 1 keeps them', decay, TRAIN_DEFAULTS.lrDecay)
    .option('--lr-decay-every <n>', 'epochs between two steps of --lr-decay', positiveInt('--lr-decay-every'), TRAIN_DEFAULTS.lrDecayEvery)
    .option('--save <file>', 'write the chip image with the learned weights (with SBP under --compare)')
    .option('--checkpoint <file>', 'where to write the checkpoint after every epoch (default: FILE.ckpt.json)')
    .option('--resume <file>', 'continue from a checkpoint (same options); it is then updated in place')
    .option('--report <file>', 'write the training report as JSON (schema meso.train/v1)')
    .option('--html <file>', 'write the training report as one self-contained HTML page')
    .option('--quiet', 'print nothing but errors')
    .option('--jobs <n>', 'under --compare, how many runs train at once, each on a worker thread (default: one per core, at most 2; 1 trains them in turn)', positiveInt('--jobs'))
    .action(async (file: string, o: CliOptions) => {
      if (o.compare && !o.sbp) throw new UserError('--compare runs both with and without SBP; drop --no-sbp');
      await train(
        {
          file,
          dataset: o.dataset,
          train: o.train,
          test: o.test,
          epochs: o.epochs,
          seed: o.seed,
          sbp: o.sbp,
          compare: o.compare === true,
          backend: o.backend,
          stepsPerSample: o.stepsPerSample,
          rest: o.rest,
          encoder: o.encoder,
          maxRateHz: o.maxRate,
          lrDecay: o.lrDecay,
          lrDecayEvery: o.lrDecayEvery,
          save: o.save,
          checkpoint: o.checkpoint,
          resume: o.resume,
          report: o.report,
          html: o.html,
          quiet: o.quiet,
          jobs: o.jobs,
        },
        process.stderr,
      );
    });
}
