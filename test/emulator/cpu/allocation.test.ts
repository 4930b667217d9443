// The step loop allocates nothing on the JavaScript heap: a step's objects
// would cost a garbage collection every few thousand steps and time in every
// one (docs/performance-log.md). Measured as the growth of V8's young generation
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

/**
 * The young generation's growth per step, without what a run() call costs
 * whatever its length (its promise, the logs' growth, and the step timing of
 * its last step, which runs outside the optimised step loop): the median over
 * `windows` pairs of runs, each after a full collection, of the growth of a
 * long run less that of a short one, over the difference in steps.
 */
async function bytesPerStep(run: (steps: number) => Promise<void>, short: number, long: number, windows: number): Promise<number> {
  const growth = async (steps: number): Promise<number> => {
    gc();
    const before = youngBytes();
    await run(steps);
    return youngBytes() - before;
  };
  const slopes: number[] = [];
  for (let w = 0; w < windows; w++) {
    const a = await growth(short);
    const b = await growth(long);
    slopes.push((b - a) / (long - short));
  }
  return slopes.sort((x, y) => x - y)[windows >> 1];
}

describe('the CPU step loop', () => {
  const image = compileSource(cubaSource(4000, 1), 'cuba.snn').image;
  if (image === undefined) throw new Error('CUBA does not compile');

  for (const threads of [1, 2]) {
    it(`allocates nothing per step on CUBA (${threads} thread${threads > 1 ? 's' : ''}): packets, NoC timing, delivery, update`, async () => {
      const e = await createThreadedCpuEmulator(image, { seed: 1 }, threads);
      try {
        // Past the balance's survey (its first 5,000 or so steps here): a split that hands the main thread a core
        // whose path it has not run yet deoptimises that code, and V8 allocates in bursts of 10-100 kB meanwhile
        // (docs/performance-log.md): measured from step 3,000 on, a clean clone's run once failed at a median of 9.7.
        await e.run(10000);
        // The NoC's chain passes used to allocate about 2.3 kB a step; one heap number a step would be 16 bytes.
        expect(await bytesPerStep((n) => e.run(n), 500, 2000, 7)).toBeLessThan(8);
      } finally {
        e.dispose();
      }
    });
  }
});
