// The benchmark harness's settle(): it waits while other threads of the process
// use the CPU (as V8's compiler threads do after a construction), and no longer
// than it is told. Only lower bounds on its wait under load and upper bounds on
// its cap are asserted: other work on the machine can only lengthen a wait.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { settle } from '../../bench/harness.js';

/** A thread that keeps one CPU busy for `ms`, started once it runs. */
async function burn(ms: number): Promise<Worker> {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.postMessage('running');
     const end = Date.now() + ${ms};
     let x = 0;
     while (Date.now() < end) x += Math.sqrt(x + 1);
     parentPort.postMessage(x);`,
    { eval: true },
  );
  await new Promise((resolve) => worker.once('message', resolve));
  return worker;
}

describe('settle', () => {
  it('waits while another thread of the process keeps a CPU busy', async () => {
    const worker = await burn(400);
    try {
      const waited = await settle(5000);
      expect(waited).toBeGreaterThan(0.3);
    } finally {
      await worker.terminate();
    }
  });

  it('waits no longer than its cap', async () => {
    const worker = await burn(3000);
    try {
      const waited = await settle(100);
      expect(waited).toBeGreaterThanOrEqual(0.1);
      expect(waited).toBeLessThan(1.5);
    } finally {
      await worker.terminate();
    }
  });
});
