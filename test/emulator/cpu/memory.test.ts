import { describe, expect, it } from 'vitest';
import { cpuChipMemory } from '../../../emulator/cpu/cpu.js';
import { chipMemoryPlan } from '../../../emulator/cpu/memory.js';

describe('chipMemoryPlan', () => {
  it('places the eight state arrays, the tables of cores and groups and the step counts on 16-byte boundaries, without overlap, inside whole 64 KiB pages', () => {
    for (const [neurons, accums, cores, groups] of [[1, 2, 1, 1], [4000, 24000, 10, 11], [4001, 12003, 0, 0], [40000, 1040000, 8000, 8000]]) {
      const { starts, lengths, pages } = chipMemoryPlan(neurons, accums, cores, groups);
      expect(lengths).toEqual([neurons, neurons, neurons, neurons, neurons, accums, accums, neurons, 8 * cores, 16 * groups, 4 * cores]);
      for (let k = 0; k < 11; k++) {
        expect(starts[k] % 16).toBe(0);
        if (k > 0) expect(starts[k]).toBeGreaterThanOrEqual(starts[k - 1] + 4 * lengths[k - 1]);
      }
      const end = starts[10] + 4 * lengths[10];
      expect(pages * 65536).toBeGreaterThanOrEqual(end);
      expect((pages - 1) * 65536).toBeLessThan(end);
    }
  });
});

describe('cpuChipMemory', () => {
  it('refuses neuron state beyond one WebAssembly memory (4 GiB), saying why', () => {
    const neurons = 1 << 20;
    const accums = 1 << 29;
    expect(chipMemoryPlan(neurons, accums).pages).toBeGreaterThan(65536);
    expect(() => cpuChipMemory({ stateStart: Int32Array.of(0, neurons), accumStart: Int32Array.of(0, accums), n: Int32Array.of(neurons), slots: Int32Array.of(512), groupStart: Int32Array.of(0, 1), neurons, accums }, false)).toThrow(/at most 65536 \(4 GiB\)/);
  });
});
