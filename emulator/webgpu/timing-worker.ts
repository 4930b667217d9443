// A worker thread of the WebGPU backend's host-side timing (timing.ts): it
// times the batches of steps the main thread posts and answers each with the
// steps' latencies and the NoC totals it gathered.
import { parentPort, workerData } from 'node:worker_threads';
import { StepTimer, type TimingJob, type TimingTables } from './timing.js';

const timer = new StepTimer(workerData as TimingTables);
const port = parentPort;
if (port === null) throw new Error('timing-worker.ts runs as a worker thread');
port.on('message', (msg: { readonly id: number; readonly job: TimingJob }) => {
  const latency = new Float64Array(msg.job.steps);
  timer.timeJob(msg.job, latency);
  const delta = timer.takeDelta();
  port.postMessage({ id: msg.id, latency, delta }, [latency.buffer, delta.linkLoad.buffer as ArrayBuffer]);
});
