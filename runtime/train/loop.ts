// The training loop of `meso train`: epochs of presenting every training sample
// with the teaching signal on, then every test sample with teaching and
// plasticity off, classifying by the output population's spike counts.
//
// Determinism, which --resume relies on: an epoch is a pure function of
// (the weights at its start, the seed, the epoch number). Each epoch's training
// runs on a fresh emulator made from the image with those weights, seeded by
// (seed, epoch), in a sample order drawn from (seed, epoch), with input spikes
// drawn from (seed, epoch, position); testing runs on another fresh emulator with
// the epoch's final weights. So a run resumed from the weights after epoch e ends
// with the same weights as one that never stopped.
import { COUNTER_NAMES, type CounterName, type Emulator } from '../../emulator/interface.js';
import { createEmulator, type BackendName } from '../../emulator/index.js';
import { random32, STREAM } from '../../isa/random.js';
import type { ChipImage } from '../../isa/image/types.js';
import type { Dataset, SampleSet } from '../datasets/dataset.js';
import { sampleInputs } from '../datasets/dataset.js';
import { encodeStep, type EncoderSpec } from '../datasets/encoders.js';
import { seededPermutation } from '../datasets/mnist.js';
import { populationCounts, withRateScale, withSynapses, type TrainableNetwork } from './network.js';

export interface PresentOptions {
  /** Steps each sample is shown for. */
  readonly stepsPerSample: number;
  /** Steps of silence after each sample (no input, no teacher), letting state decay. */
  readonly restSteps: number;
  readonly encoder: EncoderSpec;
}

export interface TrainOptions extends PresentOptions {
  readonly seed: number;
  readonly backend: BackendName;
  /** Each epoch learns with every rule's rates times lrScale(lrDecay, lrDecayEvery, epoch) (network.ts withRateScale); a decay of 1 keeps them. */
  readonly lrDecay: number;
  readonly lrDecayEvery: number;
}

/** Counter totals and chip cycles of one phase (training or testing) of an epoch. */
export interface PhaseBooks {
  readonly counters: Readonly<Record<CounterName, number>>;
  readonly cycles: number;
  readonly steps: number;
  readonly samples: number;
  readonly correct: number;
  /** Host wall-clock seconds (speed of the emulator, not chip time). */
  readonly wallS: number;
}

export interface EpochOutcome {
  readonly epoch: number;
  readonly train: PhaseBooks;
  readonly test: PhaseBooks;
  /** Every core's synapse words after the epoch's training. */
  readonly synapses: readonly Uint32Array[];
}

/** Called after every sample (progress display). */
export type SampleHook = (phase: 'train' | 'test', done: number, total: number, correct: number, books: () => PhaseBooks) => void;

/** Keys of the counter-based draws: distinct for every epoch, phase and position. */
export const TEST_KEY_BASE = 0xf000_0000;
const ORDER_STREAM_OFFSET = 0x1_0000;

/** The order in which epoch `epoch` presents the training samples. */
export function trainOrder(count: number, seed: number, epoch: number): Uint32Array {
  return seededPermutation(count, random32(seed, STREAM.dataset, ORDER_STREAM_OFFSET + epoch, 0));
}

/** Seed of the chip's own generators (traces, rounding, teacher) in epoch `epoch`'s training. */
export function epochSeed(seed: number, epoch: number): number {
  return random32(seed, STREAM.dataset, ORDER_STREAM_OFFSET + epoch, 1);
}

/** The factor on every learning rate in epoch `epoch` (0-based): times `lrDecay` after every `lrDecayEvery` epochs. */
export function lrScale(lrDecay: number, lrDecayEvery: number, epoch: number): number {
  return lrDecay ** Math.floor(epoch / lrDecayEvery);
}

/** The predicted class: the output neuron with the most spikes, or -1 when none is strictly ahead. */
export function classify(counts: Float64Array): number {
  let best = -1;
  let top = 0;
  let tie = false;
  for (let k = 0; k < counts.length; k++) {
    if (counts[k] > top) {
      top = counts[k];
      best = k;
      tie = false;
    } else if (counts[k] === top && top > 0) tie = true;
  }
  return tie ? -1 : best;
}

/** Shows samples to an emulator as the loop does: encoded input, teacher, rest; `counts` holds the output's spike counts of the last one. */
export class Presenter {
  private readonly spikeSteps: Uint32Array;
  private readonly spikeNeurons: Uint32Array;
  private readonly buffer: Uint32Array;
  readonly counts: Float64Array;

  constructor(
    private readonly net: TrainableNetwork,
    private readonly options: PresentOptions,
    private readonly inputSize: number,
  ) {
    const most = options.stepsPerSample * inputSize;
    this.spikeSteps = new Uint32Array(most);
    this.spikeNeurons = new Uint32Array(most);
    this.buffer = new Uint32Array(inputSize);
    this.counts = new Float64Array(net.output.size);
  }

  /** Shows one sample (teacher on `label`, or off when undefined) and returns the predicted class. */
  async present(em: Emulator, x: Float32Array, label: number | undefined, seed: number, key: number): Promise<number> {
    const { stepsPerSample, restSteps, encoder } = this.options;
    const base = em.stepsRun();
    let n = 0;
    for (let t = 0; t < stepsPerSample; t++) {
      const k = encodeStep(encoder, x, this.net.image.dtS, seed, key, t, this.buffer);
      for (let i = 0; i < k; i++) {
        this.spikeSteps[n] = base + t;
        this.spikeNeurons[n++] = this.buffer[i];
      }
    }
    em.setExternalInput?.(this.net.input.name, this.spikeSteps.subarray(0, n), this.spikeNeurons.subarray(0, n));
    em.setTeacher?.(this.net.output.name, label);
    this.counts.fill(0);
    populationCounts(this.net.output, em.spikeCounts(), this.counts, -1);
    await em.run(stepsPerSample);
    populationCounts(this.net.output, em.spikeCounts(), this.counts, 1);
    if (restSteps > 0) {
      em.setTeacher?.(this.net.output.name, undefined);
      await em.run(restSteps);
    }
    return classify(this.counts);
  }
}

function books(em: Emulator, samples: number, correct: number, started: number): PhaseBooks {
  const total = em.counters().total;
  const counters = {} as Record<CounterName, number>;
  for (const name of COUNTER_NAMES) counters[name] = total[name];
  const stepCycles = em.stepCycles();
  let cycles = 0;
  for (let t = 0; t < stepCycles.length; t++) cycles += stepCycles[t];
  return { counters, cycles, steps: em.stepsRun(), samples, correct, wallS: (performance.now() - started) / 1000 };
}

async function emulatorFor(image: ChipImage, options: TrainOptions, seed: number): Promise<Emulator> {
  const em = await createEmulator(options.backend, image, { seed });
  if (em.setExternalInput === undefined || em.setTeacher === undefined || em.setPlasticity === undefined || em.synapses === undefined) {
    em.dispose();
    throw new Error(`the ${options.backend} backend cannot train (it lacks external inputs, teaching or plasticity control)`);
  }
  return em;
}

/** Tests the image's current weights on `set`: teaching and plasticity off. */
export async function testPhase(net: TrainableNetwork, image: ChipImage, set: SampleSet, inputSize: number, options: TrainOptions, hook?: SampleHook): Promise<PhaseBooks> {
  const em = await emulatorFor(image, options, options.seed);
  try {
    em.setPlasticity?.(false);
    em.setTeacher?.(net.output.name, undefined);
    const presenter = new Presenter(net, options, inputSize);
    const started = performance.now();
    let correct = 0;
    for (let i = 0; i < set.count; i++) {
      // The same spikes for a test digit in every epoch: accuracy changes with the weights only.
      if ((await presenter.present(em, sampleInputs(set, inputSize, i), undefined, options.seed, TEST_KEY_BASE + i)) === set.labels[i]) correct++;
      hook?.('test', i + 1, set.count, correct, () => books(em, i + 1, correct, started));
    }
    return books(em, set.count, correct, started);
  } finally {
    em.dispose();
  }
}

/** Epoch `epoch` (0-based) from `synapses`: training, then testing the weights it ends with. */
export async function runEpoch(
  net: TrainableNetwork,
  dataset: Pick<Dataset, 'inputSize'> & { readonly train: SampleSet; readonly test: SampleSet },
  synapses: readonly Uint32Array[],
  epoch: number,
  options: TrainOptions,
  hook?: SampleHook,
): Promise<EpochOutcome> {
  const { inputSize } = dataset;
  const set = dataset.train;
  const em = await emulatorFor(withRateScale(withSynapses(net.image, synapses), lrScale(options.lrDecay, options.lrDecayEvery, epoch)), options, epochSeed(options.seed, epoch));
  let train: PhaseBooks;
  let learned: readonly Uint32Array[];
  try {
    const presenter = new Presenter(net, options, inputSize);
    const order = trainOrder(set.count, options.seed, epoch);
    const started = performance.now();
    let correct = 0;
    for (let n = 0; n < set.count; n++) {
      const i = order[n];
      const label = set.labels[i];
      const key = epoch * set.count + n;
      if ((await presenter.present(em, sampleInputs(set, inputSize, i), label, options.seed, key)) === label) correct++;
      hook?.('train', n + 1, set.count, correct, () => books(em, n + 1, correct, started));
    }
    train = books(em, set.count, correct, started);
    learned = (em.synapses as () => readonly Uint32Array[])();
  } finally {
    em.dispose();
  }
  const test = await testPhase(net, withSynapses(net.image, learned), dataset.test, inputSize, options, hook);
  return { epoch, train, test, synapses: learned };
}
