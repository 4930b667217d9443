// The step loop allocates nothing on the JavaScript heap: a step's objects
// would cost a garbage collection every few thousand steps and time in every
// one (docs/performance.md). Measured as the growth of V8's young generation
// across a run of many steps, after a full collection, on one thread and on
// the threaded engine's main thread.
import { setFlagsFromString, getHeapSpaceStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { cubaSource } from '../../../bench/cases/cuba-network.js';
import { compileSource } from '../../../compiler/index.js';
import { createThreadedCpuEmulator } from '../../../emulator/cpu/threaded.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const youngBytes = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_used_size ?? NaN;

/** Median over `windows` runs of `steps` steps of the young generation's growth per step, each after a full collection. */
async function bytesPerStep(run: (steps: number) => Promise<void>, steps: number, windows: number): Promise<number> {
  const growth: number[] = [];
  for (let w = 0; w < windows; w++) {
    gc();
    const before = youngBytes();
    await run(steps);
    growth.push((youngBytes() - before) / steps);
  }
  return growth.sort((a, b) => a - b)[windows >> 1];
}

describe('the CPU step loop', () => {
  const image = compileSource(cubaSource(4000, 1), 'cuba.snn').image;
  if (image === undefined) throw new Error('CUBA does not compile');

  for (const threads of [1, 2]) {
    it(`allocates nothing per step on CUBA (${threads} thread${threads > 1 ? 's' : ''}): packets, NoC timing, delivery, update`, async () => {
      const e = await createThreadedCpuEmulator(image, { seed: 1 }, threads);
      try {
        await e.run(3000);
        // A run() call itself allocates a few kB (its promise, the log's growth): 500 steps make that under 16 bytes a step.
        // The NoC's chain passes used to allocate about 2.3 kB a step.
        expect(await bytesPerStep((n) => e.run(n), 500, 5)).toBeLessThan(16);
      } finally {
        e.dispose();
      }
    });
  }
});
