// Delivery by source in WebAssembly (emulator/cpu/deliver-wasm.ts): the same
// delay-slot words as fan-out.ts deliverSent, to the bit, over every table width
// and weight kind, for any range of target cores, and used by the one-thread
// engine wherever the routes are not crossbar rows.
import { describe, expect, it } from 'vitest';
import { cpuChipLayout, cpuChipMemory, CpuEmulatorImpl, deliveryArenaPlan } from '../../../emulator/cpu/cpu.js';
import { deliverKernel, deliverPlan, placeDeliverArena } from '../../../emulator/cpu/deliver-wasm.js';
import { buildFanOuts, deliverSent, deliveryRows, routeTables } from '../../../emulator/cpu/fan-out.js';
import { createThreadedCpuEmulator } from '../../../emulator/cpu/threaded.js';
import { random32 } from '../../../isa/random.js';
import type { ChipImage } from '../../../isa/image/types.js';
import { chipImage, lif, type AxonSpec, type CoreSpec } from '../build.js';

/**
 * Three cores of `neurons` neurons; neuron i of core c routes to axon i of
 * core c + 1 and axon i + 1 of core c + 2 (so that routes go down as well as
 * up the core indices, `descending`: 16-bit route steps), and to axon 0 of a
 * fourth core whose synapses mix delays (it keeps an inbox; not with
 * `crossbar`). Axon a holds five synapses to pseudo-random slots (with
 * `crossbar`, to slots a to a + 4: on cores of at most 8 neurons the routes are
 * then crossbar rows) with one of `weights` weights, or with `own`, on every
 * seventh axon, a mantissa each; with `wideAxon`, axon 0 holds 300 (16-bit
 * counts); with `perSlot`, every neuron's routes share a weight.
 */
function network(neurons: number, weights: number, opts: { readonly wideAxon?: boolean; readonly perSlot?: boolean; readonly own?: boolean; readonly descending?: boolean; readonly crossbar?: boolean }): ChipImage {
  const { wideAxon = false, perSlot = false, own = false, descending = false, crossbar = false } = opts;
  const cores: CoreSpec[] = [0, 1, 2].map((c) => ({
    slot: c,
    groups: [{ kind: 'neurons', count: neurons, params: lif({ du: 600, dv: 300, bias: 6000, refractory: 1 }) }],
    axons: Array.from({ length: neurons + 1 }, (_, a): AxonSpec => {
      const mine = own && !perSlot && a % 7 === 6;
      const k = a % weights;
      return {
        exp: mine ? 1 + (a % 3) : 2,
        synapses: Array.from({ length: wideAxon && a === 0 ? 300 : 5 }, (_, j) => ({
          target: crossbar ? (a + j) % neurons : random32(9, c, a, j) % neurons,
          weight: mine ? (random32(10, c, a, j) % 200) - 100 : (k % 2 === 0 ? 1 : -1) * (1 + (k >> 1)),
          delay: 1 + (c % 2),
        })),
      };
    }),
    routes: Object.fromEntries(
      Array.from({ length: neurons }, (_, i) => {
        const next = [{ core: (c + 1) % 3, axon: i }, { core: (c + 2) % 3, axon: perSlot ? i : i + 1 }];
        return [i, [...(descending ? next.reverse() : next.sort((x, y) => x.core - y.core)), ...(crossbar ? [] : [{ core: 3, axon: 0 }])]];
      }),
    ),
  }));
  const inbox: CoreSpec = {
    slot: 3,
    groups: [{ kind: 'neurons', count: 4, params: lif({}) }],
    axons: [{ exp: 0, synapses: [{ target: 1, weight: 10, delay: 1 }, { target: 2, weight: 10, delay: 3 }] }],
  };
  return chipImage(crossbar ? cores : [...cores, inbox]);
}

describe('delivery by source in WebAssembly', () => {
  it('adds what deliverSent adds, over every width and weight kind and any range of target cores', () => {
    const cases = [
      network(200, 3, {}),
      network(257, 129, { wideAxon: true }),
      network(60, 5, { own: true, descending: true }),
      network(100, 3, { perSlot: true, descending: true }),
      network(6, 3, { crossbar: true, descending: true }),
      network(8, 3, { crossbar: true, perSlot: true }),
    ];
    for (const image of cases) {
      const fan = buildFanOuts(image);
      const routes = routeTables(image);
      const layout = cpuChipLayout(image);
      expect(fan.any).toBe(true);
      // Two sent lists, as the threaded engine keeps, and a second instance of the kernel, as its workers make.
      const plan = deliverPlan(fan, routes, layout.neurons, 2);
      const chip = cpuChipMemory(layout, false, plan.bytes);
      const arena = placeDeliverArena(plan, fan, routes, chip.memory, chip.arenaStart, chip.accum, chip.accumInh);
      const kernels = [arena.kernel, deliverKernel(plan, chip.memory, chip.arenaStart, chip.accum, chip.accumInh)];
      // The same sums from the tables as built, into arrays of their own.
      const accum = new Int32Array(chip.accum.length);
      const accumInh = new Int32Array(chip.accumInh.length);
      const rows = new Int32Array(image.cores.length);
      let sums = 0;
      for (let trial = 0; trial < 40; trial++) {
        // A step sends each slot at most once: the sent list holds every slot of the chip.
        const count = random32(1, trial, 0, 0) % Math.min(40, layout.neurons + 1);
        const sent = arena.sentLists[trial % 2];
        const kernel = kernels[(trial >> 1) % 2];
        expect(kernel.reads(sent)).toBe(true);
        for (let k = 0; k < count; k++) {
          const c = random32(2, trial, k, 0) % 3;
          sent.core[k] = c;
          sent.slot[k] = random32(3, trial, k, 0) % image.cores[c].neuronCount;
        }
        const cores = image.cores.length;
        const from = random32(4, trial, 0, 0) % cores;
        const to = from + 1 + (random32(5, trial, 0, 0) % (cores - from));
        const t = 1 + (random32(6, trial, 0, 0) % 50);
        deliveryRows(arena.fan, from, to, t, layout, kernel.rows);
        expect(kernel.rows.buffer).toBe(chip.memory.buffer);
        kernel.run(sent, count, from, to);
        deliverSent(fan, routes, sent, count, from, to, t, layout, accum, accumInh, rows);
        sums += count;
      }
      expect(sums).toBeGreaterThan(200);
      expect(chip.accum.some((x) => x !== 0)).toBe(true);
      expect(Array.from(chip.accum)).toEqual(Array.from(accum));
      expect(Array.from(chip.accumInh)).toEqual(Array.from(accumInh));
      expect(accum.some((x) => x !== 0) && accumInh.some((x) => x !== 0)).toBe(true);
      // The placed tables hold what the built ones hold.
      expect(arena.fan.cores.map((out) => Array.from(out.targets))).toEqual(fan.cores.map((out) => Array.from(out.targets)));
      expect(arena.routes.routeStart.map((a) => Array.from(a))).toEqual(routes.routeStart.map((a) => Array.from(a)));
    }
    // The widths the cases were built to cover.
    const [narrow, wide, own, perSlot, crossbar, crossbarPerSlot] = cases.map((image) => buildFanOuts(image));
    expect([crossbar.crossbar, crossbarPerSlot.crossbar, crossbarPerSlot.weightPerSlot, narrow.crossbar]).toEqual([true, true, true, false]);
    expect([narrow.cores[0].targets, wide.cores[0].targets, wide.cores[0].routeSynapses, wide.cores[0].routeWeight].map((a) => a.BYTES_PER_ELEMENT)).toEqual([1, 2, 2, 2]);
    expect([narrow.cores[0].routeStep.BYTES_PER_ELEMENT, own.cores[0].routeStep.BYTES_PER_ELEMENT]).toEqual([1, 2]);
    expect(own.cores[0].mantissas.length).toBeGreaterThan(0);
    expect(perSlot.weightPerSlot).toBe(true);
  });

  it('finds each sent list in its memory once, and still delivers from a third list and from the first again', () => {
    // The kernel remembers the two latest sent lists it found in its memory (their views' buffer and byteOffset are
    // slow getters); a third list and the first one again must still deliver from their own places.
    const image = network(200, 3, {});
    const fan = buildFanOuts(image);
    const routes = routeTables(image);
    const layout = cpuChipLayout(image);
    const plan = deliverPlan(fan, routes, layout.neurons, 3);
    const chip = cpuChipMemory(layout, false, plan.bytes);
    const arena = placeDeliverArena(plan, fan, routes, chip.memory, chip.arenaStart, chip.accum, chip.accumInh);
    const accum = new Int32Array(chip.accum.length);
    const accumInh = new Int32Array(chip.accumInh.length);
    const rows = new Int32Array(image.cores.length);
    const cores = image.cores.length;
    for (const [trial, list] of [0, 1, 2, 0, 2, 1].entries()) {
      const sent = arena.sentLists[list];
      expect(arena.kernel.reads(sent)).toBe(true);
      // Each list holds other spikes, so that a kernel reading the wrong list's place adds the wrong sums.
      const count = 10 + list;
      for (let k = 0; k < count; k++) {
        const c = random32(7, trial, k, list) % cores;
        sent.core[k] = c;
        sent.slot[k] = random32(8, trial, k, list) % image.cores[c].neuronCount;
      }
      deliveryRows(arena.fan, 0, cores, trial + 1, layout, arena.kernel.rows);
      arena.kernel.run(sent, count, 0, cores);
      deliverSent(fan, routes, sent, count, 0, cores, trial + 1, layout, accum, accumInh, rows);
      expect(Array.from(chip.accum)).toEqual(Array.from(accum));
      expect(Array.from(chip.accumInh)).toEqual(Array.from(accumInh));
    }
    expect(chip.accum.some((x) => x !== 0)).toBe(true);
    // A list outside the memory is not the kernel's to read.
    const outside = { core: new Uint16Array(4), slot: new Uint32Array(4) };
    expect(arena.kernel.reads(outside)).toBe(false);
    expect(() => arena.kernel.run(outside, 1, 0, cores)).toThrow(/does not lie in the kernel's memory/);
  });

  it('runs in both engines, whose fan-out tables then live in the chip memory', async () => {
    // The threaded engine's tables are in its shared chip memory, whole pages, with the sent lists its workers read.
    const threaded = await createThreadedCpuEmulator(network(60, 5, { own: true }), { seed: 1 }, 2);
    const shared = (threaded as CpuEmulatorImpl).fanOuts().cores[0].targets.buffer;
    expect(shared instanceof SharedArrayBuffer && shared.byteLength % 65536 === 0).toBe(true);
    expect((threaded as CpuEmulatorImpl).arenaOverheadBytes()).toBeGreaterThan(0);
    threaded.dispose();
    const e = new CpuEmulatorImpl(network(60, 5, { own: true }), { seed: 1 });
    const out = e.fanOuts().cores[0];
    // A WebAssembly memory is whole 64-KiB pages; the built tables are arrays of their own size.
    expect(out.targets.buffer.byteLength % 65536).toBe(0);
    expect(out.targets.buffer).toBe(out.slotStart.buffer);
    // The arena's own bytes (directory, rows, alignment, the last page's rest) count in the memory the benchmark reports.
    expect(e.arenaOverheadBytes()).toBeGreaterThan(0);
    expect(e.arenaOverheadBytes()).toBeLessThan(65536 + 64 * 4);
    e.dispose();
  });

  it('is left to JavaScript where its arena would not fit the chip memory beside the state', () => {
    const image = network(60, 5, {});
    const layout = cpuChipLayout(image);
    const fan = buildFanOuts(image);
    const plan = deliveryArenaPlan(layout, fan, routeTables(image), 1);
    expect(plan).toBeDefined();
    const state = cpuChipMemory(layout, false).memory.buffer.byteLength / 65536;
    const arenaPages = Math.ceil(plan!.bytes / 65536);
    expect(deliveryArenaPlan(layout, fan, routeTables(image), 1, state + arenaPages)).toBeDefined();
    expect(deliveryArenaPlan(layout, fan, routeTables(image), 1, state + arenaPages - 1)).toBeUndefined();
  });
});
