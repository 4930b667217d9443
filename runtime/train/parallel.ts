// Runs training epochs in worker threads (epoch-worker.ts), so that the runs of
// `meso train --compare` (with and without SBP) use a core each. An epoch is a
// pure function of (weights, seed, epoch number), so a run's results are the
// same to the bit whether its epochs ran here or in a worker.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SampleSet } from '../datasets/dataset.js';
import type { EpochOutcome, PhaseBooks, SampleHook, TrainOptions } from './loop.js';
import type { TrainableNetwork } from './network.js';

/** What a worker needs for one epoch: plain data, copied by structured clone. */
export interface EpochJob {
  readonly net: TrainableNetwork;
  readonly dataset: { readonly inputSize: number; readonly train: SampleSet; readonly test: SampleSet };
  readonly synapses: readonly Uint32Array[];
  readonly epoch: number;
  readonly options: TrainOptions;
}

export type EpochMessage =
  | { readonly kind: 'progress'; readonly phase: 'train' | 'test'; readonly done: number; readonly total: number; readonly correct: number; readonly books: PhaseBooks }
  | { readonly kind: 'done'; readonly outcome: EpochOutcome }
  | { readonly kind: 'failed'; readonly message: string };

/** The worker's module: the built copy when running from TypeScript source (vitest; npm test builds dist/ first). */
const WORKER_URL = import.meta.url.endsWith('.ts') ? new URL('../../dist/runtime/train/epoch-worker.js', import.meta.url) : new URL('./epoch-worker.js', import.meta.url);

/** How many runs to train at once by default: one per core, at most `runs`. */
export function defaultJobs(runs: number): number {
  return Math.max(1, Math.min(runs, availableParallelism()));
}

/** runEpoch in a worker thread; `hook` hears the worker's progress (throttled). */
export function runEpochInWorker(job: EpochJob, hook?: SampleHook): Promise<EpochOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: job });
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.on('message', (m: EpochMessage) => {
      if (m.kind === 'progress') hook?.(m.phase, m.done, m.total, m.correct, () => m.books);
      else if (m.kind === 'done') finish(() => resolve(m.outcome));
      else finish(() => reject(new Error(`training epoch ${job.epoch + 1} failed in its worker thread: ${m.message}`)));
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) => finish(() => reject(new Error(`the worker of training epoch ${job.epoch + 1} stopped (exit code ${code}) before it finished`))));
  });
}
