import { describe, expect, it } from 'vitest';
import { cpuChipLayout, cpuChipMemory, cpuCoreViews } from '../../../emulator/cpu/cpu.js';
import { chipMemoryPlan, coreGap, cpuMemory } from '../../../emulator/cpu/memory.js';
import { chipImage, lif } from '../build.js';

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

describe('cpuChipLayout: gaps after large cores', () => {
  // Cores of 255, 256, 400 and 5 neurons; the third has delays up to 2 (3 delay slots), the others 1 (2).
  const sizes = [255, 256, 400, 5];
  const image = chipImage(
    sizes.map((count, slot) => ({
      slot,
      groups: [{ kind: 'neurons' as const, count, params: lif({ du: 100 }) }],
      axons: [{ exp: 0, synapses: [{ target: 0, weight: 5, delay: slot === 2 ? 2 : 1 }] }],
      routes: { 0: [{ core: (slot + 1) % sizes.length, axon: 0 }] },
    })),
  );

  it('leaves coreGap(n) free slots after each core\'s part of the state and of the delay slots: 128 from 256 neurons, none below', () => {
    expect(sizes.map(coreGap)).toEqual([0, 128, 128, 0]);
    const layout = cpuChipLayout(image);
    expect(Array.from(layout.stateStart)).toEqual([0, 255, 255 + 384, 255 + 384 + 528, 255 + 384 + 528 + 5]);
    expect(Array.from(layout.accumStart)).toEqual([0, 510, 510 + 640, 510 + 640 + 1328, 510 + 640 + 1328 + 10]);
    const chip = cpuChipMemory(layout, false);
    sizes.forEach((n, c) => {
      const views = cpuCoreViews(chip, layout, c);
      expect(views.v.length).toBe(n);
      expect(views.accum.length).toBe(n * layout.slots[c]);
    });
  });

  it('counts the chip memory as laid out, gaps included (memory.ts cpuMemory)', () => {
    const layout = cpuChipLayout(image);
    const counted = cpuMemory(image).neuronBytes;
    const neurons = sizes.reduce((a, b) => a + b, 0);
    expect(counted).toBe(chipMemoryPlan(layout.neurons, layout.accums, sizes.length, sizes.length).pages * 65536 + 4 * neurons + 6 * layout.neurons);
    expect(cpuChipMemory(layout, false).memory.buffer.byteLength).toBe(chipMemoryPlan(layout.neurons, layout.accums, sizes.length, sizes.length).pages * 65536);
  });
});
