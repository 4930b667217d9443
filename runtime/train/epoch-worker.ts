// A worker thread that runs one training epoch (loop.ts runEpoch) for
// `meso train --compare`: the runs with and without SBP are independent, so
// each gets a thread of its own. The epoch is the same pure function of its
// inputs as in the main thread, so the result does not depend on where it ran.
// Progress goes back as messages, at most every PROGRESS_MS and at each phase's end.
import { parentPort, workerData } from 'node:worker_threads';
import { runEpoch } from './loop.js';
import type { EpochJob, EpochMessage } from './parallel.js';

/** How often a worker reports progress (ms): the main thread redraws no faster anyway. */
const PROGRESS_MS = 200;

const job = workerData as EpochJob;
let last = 0;
const post = (message: EpochMessage): void => parentPort?.postMessage(message);

runEpoch(job.net, job.dataset, job.synapses, job.epoch, job.options, (phase, done, total, correct, books) => {
  const now = performance.now();
  if (done !== total && now - last < PROGRESS_MS) return;
  last = now;
  post({ kind: 'progress', phase, done, total, correct, books: books() });
}).then(
  (outcome) => post({ kind: 'done', outcome }),
  (error: unknown) => post({ kind: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
);
