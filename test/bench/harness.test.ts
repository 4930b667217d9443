// The benchmark harness's settle(): it waits while other threads of the process
// use the CPU (as V8's compiler threads do after a construction), and no longer
// than it is told. Only lower bounds on its wait under load and upper bounds on
// its cap are asserted: other work on the machine can only lengthen a wait.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { describeMachine, machine, settle } from '../../bench/harness.js';

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

describe('machine', () => {
  // Two processors of /proc/cpuinfo, abridged: the first one's fields name the CPU.
  const cpuinfo = ['processor\t: 0', 'vendor_id\t: AuthenticAMD', 'cpu family\t: 25', 'model\t\t: 1', 'model name\t: AMD EPYC', 'stepping\t: 1', 'cpu MHz\t\t: 2445.430', '',
    'processor\t: 1', 'vendor_id\t: AuthenticAMD', 'cpu family\t: 25', 'model\t\t: 17', 'model name\t: AMD EPYC 9R14', 'stepping\t: 2', ''].join('\n');

  it('names the CPU with its family, model and stepping, which its model name alone does not tell apart', () => {
    const m = machine(cpuinfo);
    expect(m.cpu).toBe('AMD EPYC (family 25, model 1, stepping 1)');
    expect(m.cpus).toBeGreaterThan(0);
    expect(m.memoryGiB).toBeGreaterThan(0);
    expect(m.node).toBe(process.version);
    expect(describeMachine(m)).toBe(`machine: AMD EPYC (family 25, model 1, stepping 1), ${m.cpus} CPUs, ${m.memoryGiB} GiB, ${m.platform}, Node ${process.version}`);
  });

  it('falls back on the model name Node gives where there is no /proc/cpuinfo', () => {
    const m = machine(null);
    expect(m.cpu).not.toMatch(/family/);
    expect(m.cpu.length).toBeGreaterThan(0);
  });
});
