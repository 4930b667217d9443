// The learning engine at the scale of DESIGN.md's example (784-500-10, 392,000
// plastic synapses under SBP, 5,000 under the delta rule, 20-step epochs): steps
// per second with learning on and off, and the time of one epoch boundary.
import { compileSource } from '../../compiler/index.js';
import { createCpuEmulator } from '../../emulator/cpu/cpu.js';
import { DESIGN_EXAMPLE } from '../../test/compiler/programs.js';
import { median, timed, type BenchCase } from '../harness.js';

export const LEARNING_CASE: BenchCase = {
  name: 'learning',
  description: "DESIGN.md's 784-500-10 example with SBP: steps per second with learning on and off (cpu backend)",
  run: async (ctx) => {
    const image = compileSource(DESIGN_EXAMPLE, 'mnist_sbp.snn').image;
    if (image === undefined) throw new Error('the DESIGN.md example does not compile');
    const steps = 200;
    const rate = async (learn: boolean): Promise<number> => {
      const runs: number[] = [];
      for (let r = 0; r < 3; r++) {
        const em = await createCpuEmulator(learn ? image : { ...image, learning: undefined }, { seed: r + 1 });
        if (learn) em.setTeacher?.('digits', r);
        const { seconds } = await timed(() => em.run(steps));
        runs.push(steps / seconds);
        em.dispose();
      }
      return median(runs);
    };
    const on = await rate(true);
    const off = await rate(false);
    // Each 20-step epoch adds the epoch's products, SBP and the write-back over 397,000 synapses.
    const epochMs = ((1 / on - 1 / off) * 20) * 1e3;
    ctx.log(`steps/s with learning ${on.toFixed(1)}, without ${off.toFixed(1)}; learning costs ${epochMs.toFixed(1)} ms per 20-step epoch`);
    ctx.record('steps_per_second_learning', on, 'steps/s');
    ctx.record('steps_per_second_fixed', off, 'steps/s');
    ctx.record('learning_ms_per_epoch', epochMs, 'ms');
  },
};
