// The CPU reference backend against hand computations. Every expected number
// below is worked out in the comments from the contract (emulator/cpu/cpu.ts,
// isa/fixed.ts), not read back from the emulator.
import { describe, expect, it } from 'vitest';
import { CpuEmulatorImpl, createCpuEmulator, createCpuEmulatorWithState, type CpuEmulator } from '../../../emulator/cpu/cpu.js';
import { compileSource } from '../../../compiler/index.js';
import { cubaSource } from '../../../bench/cases/cuba-network.js';
import { createThreadedCpuEmulator } from '../../../emulator/cpu/threaded.js';
import { routeHops, withChips } from '../../../isa/profile.js';
import { chipTimeS, energyOf } from '../../../emulator/energy.js';
import { packetRoom } from '../../../emulator/logs.js';
import { COUNTER_NAMES, type CounterName } from '../../../emulator/interface.js';
import { STATE_MAX, STATE_MIN, UNIT } from '../../../isa/fixed.js';
import { probabilityThreshold, random32, STREAM } from '../../../isa/random.js';
import { chipImage, lif, loihi, relativeDiff, spikeSteps, type CoreSpec } from '../build.js';

const profile = loihi();

/** Counters with every name present: unnamed ones must be 0. */
function counts(named: Partial<Record<CounterName, number>>): Record<CounterName, number> {
  const all = {} as Record<CounterName, number>;
  for (const name of COUNTER_NAMES) all[name] = named[name] ?? 0;
  return all;
}

async function stepwise(emulator: CpuEmulator, steps: number, core: number, slot: number): Promise<{ u: number[]; v: number[] }> {
  const u: number[] = [];
  const v: number[] = [];
  for (let t = 0; t < steps; t++) {
    await emulator.run(1);
    const state = emulator.neuronState(core);
    u.push(state.u[slot]);
    v.push(state.v[slot]);
  }
  return { u, v };
}

describe('loihi-like cycle costs used by the hand sums', () => {
  // 2 GHz clock: 3.5 ns -> 7, 8.4 -> 16.8 -> 17, 5.3 -> 10.6 -> 11, 2.1 -> 4.2 -> 4,
  // 4.1 -> 8.2 -> 8, 6.5 -> 13, barrier 113 ns -> 226 (1 tile) and 465 ns -> 930 (32 tiles).
  it('has the cycle counts the tests below assume', () => {
    expect(profile.cycles).toMatchObject({
      synaptic_op: 7,
      neuron_update_active: 17,
      neuron_update_inactive: 11,
      spike_in_tile: 4,
      hop_east_west: 8,
      hop_north_south: 13,
    });
    expect(profile.barrier).toEqual({ tiles: [1, 32], cycles: [226, 930] });
    expect(profile.tickCycles).toBe(0);
  });
});

describe('a single neuron driven by a periodic input (a)', () => {
  // Core 0 (slot 0, tile 0): slot 0 is a periodic input (period 3, phase 0: spikes
  // at 0, 3, 6, 9) routed to its own core's axon 0; axon 0 has one synapse to
  // slot 1, mantissa 64, exponent 10 (64 << 10 = 65536 = UNIT), delay 1.
  // Slot 1: du = 2048 (u halves each step), dv = 1024 (v keeps 3/4), vth = 2 UNIT
  // = 131072, reset 0, bias 0, no refractory period.
  const spec: CoreSpec = {
    slot: 0,
    groups: [
      { kind: 'input', count: 1, encoding: { kind: 'periodic', period: 3, phase: 0 } },
      { kind: 'neurons', count: 1, params: lif({ du: 2048, dv: 1024, vth: 2 * UNIT }) },
    ],
    axons: [{ exp: 10, synapses: [{ target: 1, weight: 64, delay: 1 }] }],
    routes: { 0: [{ core: 0, axon: 0 }] },
  };
  const image = chipImage([spec]);

  // A spike sent at t arrives at t + 1 and with delay 1 is this step's input.
  //  t  input  u = u/2 + input        v = 3v/4 + u
  //  0      0  0                      0                                (inactive)
  //  1  65536  65536                  65536
  //  2      0  32768                  49152 + 32768  = 81920
  //  3      0  16384                  61440 + 16384  = 77824
  //  4  65536   8192 + 65536 = 73728  58368 + 73728 = 132096 >= 131072: spike, v <- 0
  //  5      0  36864                      0 + 36864  = 36864
  //  6      0  18432                  27648 + 18432  = 46080
  //  7  65536   9216 + 65536 = 74752  34560 + 74752  = 109312
  //  8      0  37376                  81984 + 37376  = 119360
  //  9      0  18688                  89520 + 18688  = 108208
  // 10  65536   9344 + 65536 = 74880  81156 + 74880  = 156036 >= 131072: spike, v <- 0
  const expectedU = [0, 65536, 32768, 16384, 73728, 36864, 18432, 74752, 37376, 18688, 74880];
  const expectedV = [0, 65536, 81920, 77824, 0, 36864, 46080, 109312, 119360, 108208, 0];

  it('follows the hand-computed u and v step by step', async () => {
    const emulator = createCpuEmulatorWithState(image, { seed: 1 });
    const { u, v } = await stepwise(emulator, 11, 0, 1);
    expect(u).toEqual(expectedU);
    expect(v).toEqual(expectedV);
  });

  it('spikes at steps 4 and 10, with the inputs at 0, 3, 6 and 9', async () => {
    const emulator = await createCpuEmulator(image, { seed: 1, recordCores: [true] });
    await emulator.run(11);
    const events = emulator.spikeEvents();
    expect(Array.from(events.step)).toEqual([0, 3, 4, 6, 9, 10]);
    expect(Array.from(events.neuron)).toEqual([0, 0, 1, 0, 0, 1]);
    expect(Array.from(events.core)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(emulator.spikeCounts().map((c) => Array.from(c))).toEqual([[4, 2]]);
  });

  it('counts every operation', async () => {
    const emulator = await createCpuEmulator(image, { seed: 1 });
    await emulator.run(11);
    // 4 packets (sent 0, 3, 6, 9; all delivered by step 10), each one synapse;
    // slot 1 is inactive only at step 0 (all zero), active in steps 1..10.
    const expected = counts({ synaptic_ops: 4, neuron_updates_active: 10, neuron_updates_inactive: 1, spikes: 2, input_spikes: 4, packets: 4 });
    expect(emulator.counters().total).toEqual(expected);
    expect(emulator.counters().byCore).toEqual([expected]);
  });

  it('gives the hand-summed step cycles and energy', async () => {
    const emulator = await createCpuEmulator(image, { seed: 1 });
    await emulator.run(11);
    // One tile: barrier 226. The step's timeline (docs/chip-model.md): the core updates
    // slot 1 (11 inactive, 17 active); the input's packet is ready at the end of the
    // update, leaves the output port at once (latency 0), enters the core's own input
    // port and arrives spike_in_tile = 4 later; the core then delivers it (1 synaptic
    // op, 7) in the same step.
    //  input steps 0, 3, 6, 9: update 11 (step 0, inactive) or 17, + 4 + 7
    //  every other step: active update 17 (the delivery was timed in the sending step)
    const expected = [11 + 4 + 7, 17, 17, 17 + 11, 17, 17, 17 + 11, 17, 17, 17 + 11, 17].map((c) => c + 226);
    expect(Array.from(emulator.stepCycles())).toEqual(expected);
    const total = expected.reduce((a, b) => a + b, 0);
    expect(total).toBe(2711);

    // 2711 cycles at 2 GHz = 1.3555 us; static 0.029 W * 1.3555 us = 39.3095 nJ.
    // synaptic 4 * 23.6 = 94.4 pJ; neuron 10 * 81 + 1 * 52 = 862 pJ; routing 4 * 1.7 = 6.8 pJ.
    const time = chipTimeS(total, profile);
    expect(relativeDiff(time, 1.3555e-6)).toBeLessThan(1e-12);
    const energy = energyOf(emulator.counters().total, profile, time);
    expect(relativeDiff(energy.byCategoryJ.synaptic, 94.4e-12)).toBeLessThan(1e-12);
    expect(relativeDiff(energy.byCategoryJ.neuron, 862e-12)).toBeLessThan(1e-12);
    expect(relativeDiff(energy.byCategoryJ.routing, 6.8e-12)).toBeLessThan(1e-12);
    expect(energy.byCategoryJ.learning).toBe(0);
    expect(relativeDiff(energy.byCategoryJ.static, 39.3095e-9)).toBeLessThan(1e-12);
    expect(relativeDiff(energy.totalJ, 39.3095e-9 + 963.2e-12)).toBeLessThan(1e-12);
  });
});

describe('synaptic delays (b)', () => {
  // With du = dv = 4096 a neuron keeps nothing between steps: v = this step's
  // input, so with vth = UNIT it spikes exactly in the steps a UNIT weight lands.
  const memoryless = lif({ du: 4096, dv: 4096, vth: UNIT });

  it('lands a delay-3 spike 3 steps after it was sent, a delay-1 spike 1 step after', async () => {
    // Input slot 0 spikes once, at step 2. Axon 0: slot 1 with delay 3, slot 2 with delay 1.
    const image = chipImage([
      {
        slot: 0,
        groups: [
          { kind: 'input', count: 1, encoding: { kind: 'periodic', period: 1000, phase: 2 } },
          { kind: 'neurons', count: 2, params: memoryless },
        ],
        axons: [{ exp: 10, synapses: [{ target: 1, weight: 64, delay: 3 }, { target: 2, weight: 64, delay: 1 }] }],
        routes: { 0: [{ core: 0, axon: 0 }] },
      },
    ]);
    const emulator = await createCpuEmulator(image, { seed: 1, recordCores: [true] });
    await emulator.run(20);
    const events = emulator.spikeEvents();
    expect(spikeSteps(events, 0, 0)).toEqual([2]);
    expect(spikeSteps(events, 0, 1)).toEqual([5]);
    expect(spikeSteps(events, 0, 2)).toEqual([3]);
  });

  it('reuses the delay slots correctly over many steps, for a short and the longest delay', async () => {
    // Core 0 has delays 1 and 5 (6 slots), core 1 has delay 62 (63 slots). Inputs spike
    // at 1, 4, 7, ... (period 3, phase 1); each spike must land exactly d steps later.
    const periodic = { kind: 'input', count: 1, encoding: { kind: 'periodic', period: 3, phase: 1 } } as const;
    const image = chipImage([
      {
        slot: 0,
        groups: [periodic, { kind: 'neurons', count: 2, params: memoryless }],
        axons: [{ exp: 10, synapses: [{ target: 1, weight: 64, delay: 5 }, { target: 2, weight: 64, delay: 1 }] }],
        routes: { 0: [{ core: 0, axon: 0 }] },
      },
      {
        slot: 1,
        groups: [periodic, { kind: 'neurons', count: 1, params: memoryless }],
        axons: [{ exp: 10, synapses: [{ target: 1, weight: 64, delay: 62 }] }],
        routes: { 0: [{ core: 1, axon: 0 }] },
      },
    ]);
    const steps = 200;
    const emulator = await createCpuEmulator(image, { seed: 1, recordCores: [true, true] });
    await emulator.run(steps);
    const sent: number[] = [];
    for (let t = 1; t < steps; t += 3) sent.push(t);
    const landed = (d: number): number[] => sent.map((t) => t + d).filter((t) => t < steps);
    const events = emulator.spikeEvents();
    expect(spikeSteps(events, 0, 1)).toEqual(landed(5));
    expect(spikeSteps(events, 0, 2)).toEqual(landed(1));
    expect(spikeSteps(events, 1, 1)).toEqual(landed(62));
  });

  it('adds inputs with different delays that land in the same step', async () => {
    // Input A (slot 0) spikes at 0, input B (slot 1) at 1; each weighs UNIT / 2 (mantissa 64, exp 9).
    // Slot 2: A with delay 2 and B with delay 1 both land at 2: v = UNIT, spike.
    // Slot 3: A with delay 3 (lands at 3) and B with delay 1 (lands at 2): never reaches UNIT.
    const image = chipImage([
      {
        slot: 0,
        groups: [
          { kind: 'input', count: 1, encoding: { kind: 'periodic', period: 1000, phase: 0 } },
          { kind: 'input', count: 1, encoding: { kind: 'periodic', period: 1000, phase: 1 } },
          { kind: 'neurons', count: 2, params: memoryless },
        ],
        axons: [
          { exp: 9, synapses: [{ target: 2, weight: 64, delay: 2 }, { target: 3, weight: 64, delay: 3 }] },
          { exp: 9, synapses: [{ target: 2, weight: 64, delay: 1 }, { target: 3, weight: 64, delay: 1 }] },
        ],
        routes: { 0: [{ core: 0, axon: 0 }], 1: [{ core: 0, axon: 1 }] },
      },
    ]);
    const emulator = await createCpuEmulator(image, { seed: 1, recordCores: [true] });
    await emulator.run(10);
    expect(spikeSteps(emulator.spikeEvents(), 0, 2)).toEqual([2]);
    expect(spikeSteps(emulator.spikeEvents(), 0, 3)).toEqual([]);
  });
});

describe('two cores on different tiles (c)', () => {
  // Core 0 at slot 0: tile 0, (x, y) = (0, 0). Core 1 at slot 41: tile 41 / 4 = 10,
  // (10 % 8, 10 / 8) = (2, 1). Each way: |dx| = 2, |dy| = 1, latency
  // 4 + 2 * 8 + 1 * 13 = 33 cycles. Two tiles: barrier round(226 + (1/31) * 704) = 249.
  // Core 0's input (slot 0) spikes at step 0 to core 1; core 1's neuron spikes at
  // step 1 back to core 0's neuron (slot 1), which spikes at step 2 (no routes).
  const memoryless = lif({ du: 4096, dv: 4096, vth: UNIT });
  const image = chipImage([
    {
      slot: 0,
      groups: [
        { kind: 'input', count: 1, encoding: { kind: 'periodic', period: 1000, phase: 0 } },
        { kind: 'neurons', count: 1, params: memoryless },
      ],
      axons: [{ exp: 10, synapses: [{ target: 1, weight: 64, delay: 1 }] }],
      routes: { 0: [{ core: 1, axon: 0 }] },
    },
    {
      slot: 41,
      groups: [{ kind: 'neurons', count: 1, params: memoryless }],
      axons: [{ exp: 10, synapses: [{ target: 0, weight: 64, delay: 1 }] }],
      routes: { 0: [{ core: 0, axon: 0 }] },
    },
  ]);

  it('counts packets and hops on the sending core', async () => {
    const emulator = await createCpuEmulator(image, { seed: 1, recordCores: [true, true] });
    await emulator.run(3);
    const events = emulator.spikeEvents();
    expect(spikeSteps(events, 0, 0)).toEqual([0]);
    expect(spikeSteps(events, 1, 0)).toEqual([1]);
    expect(spikeSteps(events, 0, 1)).toEqual([2]);
    // Core 0's neuron: inactive at 0 and 1, active at 2. Core 1's: inactive at 0,
    // active at 1 (input) and 2 (u = UNIT from step 1 before it decays to 0).
    const core0 = counts({ synaptic_ops: 1, neuron_updates_active: 1, neuron_updates_inactive: 2, spikes: 1, input_spikes: 1, packets: 1, hops_east_west: 2, hops_north_south: 1 });
    const core1 = counts({ synaptic_ops: 1, neuron_updates_active: 2, neuron_updates_inactive: 1, spikes: 1, packets: 1, hops_east_west: 2, hops_north_south: 1 });
    const c = emulator.counters();
    expect(c.byCore).toEqual([core0, core1]);
    expect(c.total).toEqual(counts({ synaptic_ops: 2, neuron_updates_active: 3, neuron_updates_inactive: 3, spikes: 2, input_spikes: 1, packets: 2, hops_east_west: 4, hops_north_south: 2 }));
    // routing: 2 * 1.7 + 4 * 3.0 + 2 * 4.0 = 23.4 pJ
    expect(relativeDiff(energyOf(c.total, profile, 0).byCategoryJ.routing, 23.4e-12)).toBeLessThan(1e-12);
  });

  it('delivers each packet on its target core after it arrives, and ends the step with the last core', async () => {
    const emulator = createCpuEmulatorWithState(image, { seed: 1 });
    await emulator.run(3);
    // step 0: core 0 updates (inactive 11); its packet is ready at 11 and arrives at 11 + 33 = 44
    //   (out port 11 -> 11, east (0,0) 11 -> 19, east (1,0) 19 -> 27, south (2,0) 27 -> 40,
    //   in port 40 -> 44); core 1 (inactive 11) delivers it at max(44, 11) = 44 until 44 + 7 = 51.
    //   Step: 51 + 249 = 300.
    // step 1: core 0 inactive 11; core 1 active 17, its packet arrives at 17 + 33 = 50 (west, west,
    //   north); core 0 delivers it 50..57. Step: 57 + 249 = 306.
    // step 2: core 0 active 17 (its spike has no route), core 1 active 17, no packet: 17 + 249 = 266.
    expect(Array.from(emulator.stepCycles())).toEqual([300, 306, 266]);
    const timing = emulator.timing();
    // Per core: deliver 7 (one synaptic op), update 11 + 11 + 17 = 39 (core 0), 11 + 17 + 17 = 45 (core 1).
    expect(Array.from(timing.phaseCyclesByCore)).toEqual([7, 39, 0, 7, 45, 0]);
    expect(timing.noc.latencySumCycles).toBe(66);
    expect(timing.noc.latencyMaxCycles).toBe(33);
    expect(timing.noc.waitCycles).toBe(0);
  });
});

describe('the critical path across cores', () => {
  it('makes an idle core wait for a late packet before it delivers it', async () => {
    // Core 0 (slot 0, tile (0, 0)): 3 idle neurons, 3 * 11 = 33 cycles, sends nothing.
    // Core 1 (slot 127, tile 31 = (7, 3)): one input spiking at 0 to core 0. Input slots
    // have no update cost, so its packet is ready at 0 and takes 4 + 7 * 8 + 3 * 13 = 99.
    // Tiles 0 and 31 take part: barrier 249.
    // step 0: core 0 is free at 33 but the packet arrives at 99: delivery 99..106 -> 106 + 249 = 355
    // step 1: core 0 = one active 17 + two inactive 22 = 39 -> 39 + 249 = 288
    const image = chipImage([
      {
        slot: 0,
        groups: [{ kind: 'neurons', count: 3, params: lif({}) }],
        axons: [{ exp: 0, synapses: [{ target: 0, weight: 1, delay: 1 }] }],
      },
      {
        slot: 127,
        groups: [{ kind: 'input', count: 1, encoding: { kind: 'periodic', period: 1000, phase: 0 } }],
        routes: { 0: [{ core: 0, axon: 0 }] },
      },
    ]);
    const emulator = await createCpuEmulator(image, { seed: 1 });
    await emulator.run(2);
    expect(Array.from(emulator.stepCycles())).toEqual([355, 288]);
    expect(emulator.counters().byCore[1]).toEqual(counts({ input_spikes: 1, packets: 1, hops_east_west: 7, hops_north_south: 3 }));
  });
});

describe('periodic inputs', () => {
  it('start at their phase and never before it', async () => {
    // Period 2, phase 4: spikes at 4, 6, 8. Steps 0 and 2 are congruent to the phase but come before it.
    const image = chipImage([{ slot: 0, groups: [{ kind: 'input', count: 2, encoding: { kind: 'periodic', period: 2, phase: 4 } }] }]);
    const emulator = await createCpuEmulator(image, { seed: 1, recordCores: [true] });
    await emulator.run(10);
    expect(spikeSteps(emulator.spikeEvents(), 0, 0)).toEqual([4, 6, 8]);
    expect(spikeSteps(emulator.spikeEvents(), 0, 1)).toEqual([4, 6, 8]);
    expect(emulator.counters().total).toEqual(counts({ input_spikes: 6 }));
  });
});

describe('refractory period and reset (d)', () => {
  // No input; bias UNIT/4 = 16384 each step, dv = 0 (no leak), vth = UNIT, reset = -UNIT/2.
  // v: 16384, 32768, 49152, 65536 -> spike at 3, v <- -32768.
  // Refractory 1: step 4 computes -16384 but is held at -32768; then -16384 (5), 0 (6),
  // 16384 (7), 32768 (8), 49152 (9), 65536 (10): spikes every 7 steps, at 3, 10, 17, 24.
  // Without a refractory period, 4 is -16384 and the spikes come every 6 steps: 3, 9, 15, 21, 27.
  const neuron = (refractory: number): CoreSpec => ({
    slot: 0,
    groups: [{ kind: 'neurons', count: 1, params: lif({ bias: UNIT / 4, vth: UNIT, reset: -UNIT / 2, refractory }) }],
  });

  it('holds v at reset for the refractory steps', async () => {
    const emulator = createCpuEmulatorWithState(chipImage([neuron(1)]), { seed: 1, recordCores: [true] });
    const { v } = await stepwise(emulator, 6, 0, 0);
    expect(v).toEqual([16384, 32768, 49152, -32768, -32768, -16384]);
    await emulator.run(24);
    expect(spikeSteps(emulator.spikeEvents(), 0, 0)).toEqual([3, 10, 17, 24]);
    // bias is not zero, so every update is active
    expect(emulator.counters().total.neuron_updates_active).toBe(30);
  });

  it('fires again right away without a refractory period', async () => {
    const emulator = await createCpuEmulator(chipImage([neuron(0)]), { seed: 1, recordCores: [true] });
    await emulator.run(30);
    expect(spikeSteps(emulator.spikeEvents(), 0, 0)).toEqual([3, 9, 15, 21, 27]);
  });

  const driven = (period: number): CoreSpec => ({
    slot: 0,
    groups: [
      { kind: 'input', count: 1, encoding: { kind: 'periodic', period, phase: 0 } },
      { kind: 'neurons', count: 1, params: lif({ du: 4096, dv: 4096, vth: UNIT, refractory: 3 }) },
    ],
    axons: [{ exp: 10, synapses: [{ target: 1, weight: 64, delay: 1 }] }],
    routes: { 0: [{ core: 0, axon: 0 }] },
  });

  it('ignores input while refractory', async () => {
    // Inputs land at 1, 3, 5, 7, 9. Spike at 1 (refractory 3: steps 2, 3, 4 held), the
    // input at 3 is lost, spike at 5 (6, 7, 8 held), spike at 9.
    const emulator = await createCpuEmulator(chipImage([driven(2)]), { seed: 1, recordCores: [true] });
    await emulator.run(10);
    expect(spikeSteps(emulator.spikeEvents(), 0, 1)).toEqual([1, 5, 9]);
  });

  it('counts refractory updates as active even when u, v and input are zero', async () => {
    // One input lands at 1: spike. Step 2: u was UNIT (active). Steps 3, 4: u = v = 0 but
    // refractory steps remain (active). Steps 0, 5, 6: all zero and not refractory (inactive).
    const emulator = createCpuEmulatorWithState(chipImage([driven(1000)]), { seed: 1, recordCores: [true] });
    await emulator.run(3);
    expect(emulator.neuronState(0).refractory[1]).toBe(2);
    await emulator.run(4);
    expect(emulator.neuronState(0).refractory[1]).toBe(0);
    const total = emulator.counters().total;
    expect([total.neuron_updates_active, total.neuron_updates_inactive]).toEqual([4, 3]);
  });
});

describe('determinism and Poisson inputs (e)', () => {
  const p = 0.1;
  const threshold = probabilityThreshold(p);
  // Core 0: 100 Poisson inputs (global indices 0..99), all routed to core 1's axon 0.
  // Core 1: 100 Poisson inputs at global indices 100..199 plus a neuron fed by axon 0.
  // Core 2: 100 Poisson inputs that reuse global indices 0..99 (must copy core 0's trains).
  const image = chipImage([
    {
      slot: 0,
      groups: [{ kind: 'input', count: 100, encoding: { kind: 'poisson', threshold }, inputIndex: 0 }],
      routes: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [i, [{ core: 1, axon: 0 }]])),
    },
    {
      slot: 5,
      groups: [
        { kind: 'input', count: 100, encoding: { kind: 'poisson', threshold }, inputIndex: 100 },
        { kind: 'neurons', count: 1, params: lif({ du: 1024, dv: 512, vth: 4 * UNIT }) },
      ],
      axons: [{ exp: 10, synapses: [{ target: 100, weight: 64, delay: 2 }] }],
    },
    { slot: 2, groups: [{ kind: 'input', count: 100, encoding: { kind: 'poisson', threshold }, inputIndex: 0 }] },
  ]);
  const steps = 200;
  const record = [true, true, true];

  async function runWith(seed: number): Promise<Awaited<ReturnType<typeof createCpuEmulator>>> {
    const emulator = await createCpuEmulator(image, { seed, recordCores: record });
    await emulator.run(steps);
    return emulator;
  }

  it('draws each input from random32(seed, poisson, step, inputIndex + k)', async () => {
    const emulator = await runWith(7);
    const events = emulator.spikeEvents();
    const expected: number[] = [];
    const actual: number[] = [];
    for (let t = 0; t < steps; t++) for (let k = 0; k < 100; k++) if (random32(7, STREAM.poisson, t, k) < threshold) expected.push(t * 100 + k);
    for (let i = 0; i < events.step.length; i++) if (events.core[i] === 0) actual.push(events.step[i] * 100 + events.neuron[i]);
    expect(actual).toEqual(expected);
    // Core 2 reuses the same global indices, so the same trains; core 1's are others.
    const trains = (core: number): number[] => Array.from(emulator.spikeCounts()[core].subarray(0, 100));
    expect(trains(2)).toEqual(trains(0));
    expect(trains(1)).not.toEqual(trains(0));
  });

  it('repeats a run exactly with the same seed, also when run in pieces', async () => {
    const a = await runWith(7);
    const b = await createCpuEmulator(image, { seed: 7, recordCores: record });
    await b.run(1);
    await b.run(0);
    await b.run(steps / 2 - 1);
    await b.run(steps / 2);
    expect(b.stepsRun()).toBe(steps);
    expect(b.counters()).toEqual(a.counters());
    expect(b.spikeEvents()).toEqual(a.spikeEvents());
    expect(b.spikeCounts()).toEqual(a.spikeCounts());
    expect(b.stepCycles()).toEqual(a.stepCycles());
    expect(a.counters().total.synaptic_ops).toBeGreaterThan(0);
  });

  it('draws other spikes with another seed', async () => {
    const a = await runWith(7);
    const b = await runWith(8);
    expect(b.spikeEvents().step.length).toBeGreaterThan(0);
    expect(b.spikeEvents()).not.toEqual(a.spikeEvents());
    expect(b.spikeCounts()[0]).not.toEqual(a.spikeCounts()[0]);
  });

  it('fires at the requested rate', async () => {
    // 100 inputs * 200 steps = 20000 Bernoulli(0.1) draws per core: mean 2000, standard
    // deviation sqrt(20000 * 0.1 * 0.9) = 42.4. A window of 5 standard deviations (212)
    // fails a correct generator with probability below 1e-6 per seed, and the seeds are
    // fixed, so the test is deterministic; a wrong threshold (e.g. p = 0.09 or 0.11,
    // off by 200) or a stuck stream would still fall outside it.
    for (const seed of [1, 2, 3]) {
      const emulator = await runWith(seed);
      const inputSpikes = emulator.counters().byCore.map((c) => c.input_spikes);
      for (const n of inputSpikes) expect(Math.abs(n - 2000)).toBeLessThan(212);
      // core 0 sends one packet per input spike (one route each)
      expect(emulator.counters().byCore[0].packets).toBe(inputSpikes[0]);
    }
  });

  it('never fires at probability 0', async () => {
    const silent = chipImage([{ slot: 0, groups: [{ kind: 'input', count: 50, encoding: { kind: 'poisson', threshold: probabilityThreshold(0) } }] }]);
    const emulator = await createCpuEmulator(silent, { seed: 3 });
    await emulator.run(100);
    expect(emulator.counters().total.input_spikes).toBe(0);
  });
});

describe('fixed-point arithmetic through the emulator (f)', () => {
  // One input spike at step 1 (phase 1), delay 1: lands at step 2.
  const once = { kind: 'input', count: 1, encoding: { kind: 'periodic', period: 1000, phase: 1 } } as const;
  const quiet = lif({ du: 2048, dv: 4096, vth: 0x7fffffff });

  it('rounds decay toward zero for both signs', async () => {
    // Slot 1 gets -3, slot 2 gets +3 (mantissa +-3, exponent 0). du = 2048 halves u:
    // -3 -> -1.5 -> -1 (toward zero; flooring would give -2) -> -0.5 -> 0 (flooring: -1).
    // dv = 4096: v keeps nothing, so v = u every step.
    const image = chipImage([
      {
        slot: 0,
        groups: [once, { kind: 'neurons', count: 2, params: quiet }],
        axons: [{ exp: 0, synapses: [{ target: 1, weight: -3, delay: 1 }, { target: 2, weight: 3, delay: 1 }] }],
        routes: { 0: [{ core: 0, axon: 0 }] },
      },
    ]);
    const negative = await stepwise(createCpuEmulatorWithState(image, { seed: 1 }), 5, 0, 1);
    expect(negative.u).toEqual([0, 0, -3, -1, 0]);
    expect(negative.v).toEqual([0, 0, -3, -1, 0]);
    const positive = await stepwise(createCpuEmulatorWithState(image, { seed: 1 }), 5, 0, 2);
    expect(positive.u).toEqual([0, 0, 3, 1, 0]);
  });

  it('saturates u and v at the 24-bit bounds, and wraps the 32-bit accumulator', async () => {
    // Largest weight: 127 << 16 = 8323072, just under STATE_MAX = 8388607.
    // Slot 1: two of them land together: 16646144 -> u = STATE_MAX; v = u -> STATE_MAX.
    //   With dv = 0 and du = 0, v = STATE_MAX + STATE_MAX saturates again next step.
    // Slot 2: -128 << 16 = -8388608, one below STATE_MIN = -8388607 -> u = STATE_MIN.
    // Slot 3: 300 * 8323072 = 2496921600 wraps in i32 to 2496921600 - 2^32 = -1798045696,
    //   so u saturates at STATE_MIN (a saturating accumulator would give STATE_MAX).
    const hold = lif({ du: 0, dv: 0, vth: 0x7fffffff });
    const wrap = Array.from({ length: 300 }, () => ({ target: 3, weight: 127, delay: 1 }));
    const image = chipImage([
      {
        slot: 0,
        groups: [once, { kind: 'neurons', count: 3, params: hold }],
        axons: [
          { exp: 16, synapses: [{ target: 1, weight: 127, delay: 1 }, { target: 1, weight: 127, delay: 1 }, { target: 2, weight: -128, delay: 1 }, ...wrap] },
        ],
        routes: { 0: [{ core: 0, axon: 0 }] },
      },
    ]);
    const emulator = createCpuEmulatorWithState(image, { seed: 1 });
    await emulator.run(3);
    let s = emulator.neuronState(0);
    expect([s.u[1], s.v[1]]).toEqual([STATE_MAX, STATE_MAX]);
    expect([s.u[2], s.v[2]]).toEqual([STATE_MIN, STATE_MIN]);
    expect([s.u[3], s.v[3]]).toEqual([STATE_MIN, STATE_MIN]);
    await emulator.run(1);
    s = emulator.neuronState(0);
    expect([s.u[1], s.v[1], s.u[2], s.v[2]]).toEqual([STATE_MAX, STATE_MAX, STATE_MIN, STATE_MIN]);
    expect(emulator.counters().total.synaptic_ops).toBe(303);
  });
});

describe('the emulator object', () => {
  const image = chipImage([{ slot: 0, groups: [{ kind: 'neurons', count: 2, params: lif({}) }] }]);

  it('reports no events for cores that are not recorded, and all-inactive idle neurons', async () => {
    const emulator = await createCpuEmulator(image, { seed: 1 });
    await emulator.run(5);
    expect(emulator.backend).toBe('cpu');
    expect(emulator.stepsRun()).toBe(5);
    expect(emulator.spikeEvents().step.length).toBe(0);
    expect(emulator.counters().total).toEqual(counts({ neuron_updates_inactive: 10 }));
    // 2 inactive updates of 11 cycles, no packets, one-tile barrier 226
    expect(Array.from(emulator.stepCycles())).toEqual([248, 248, 248, 248, 248]);
  });

  it('keeps logging past the initial buffer sizes', async () => {
    const busy = chipImage([{ slot: 0, groups: [{ kind: 'input', count: 3, encoding: { kind: 'periodic', period: 1, phase: 0 } }] }]);
    const emulator = await createCpuEmulator(busy, { seed: 1, recordCores: [true] });
    await emulator.run(1500);
    const events = emulator.spikeEvents();
    expect(events.step.length).toBe(4500);
    expect(events.step[4499]).toBe(1499);
    expect(events.neuron[4499]).toBe(2);
    expect(emulator.stepCycles().length).toBe(1500);
  });

  it('rejects bad step counts and use after dispose', async () => {
    const emulator = await createCpuEmulator(image, { seed: 1 });
    await expect(emulator.run(-1)).rejects.toThrow(RangeError);
    await expect(emulator.run(1.5)).rejects.toThrow(RangeError);
    emulator.dispose();
    await expect(emulator.run(1)).rejects.toThrow(/disposed/);
  });

  it('rejects an image whose routes or synapses point outside it', async () => {
    const badRoute = chipImage([{ slot: 0, groups: [{ kind: 'neurons', count: 1, params: lif({}) }], routes: { 0: [{ core: 3, axon: 0 }] } }]);
    await expect(createCpuEmulator(badRoute, { seed: 1 })).rejects.toThrow(/route 0 goes to core 3/);
    const badTarget = chipImage([{ slot: 0, groups: [{ kind: 'neurons', count: 1, params: lif({}) }], axons: [{ exp: 0, synapses: [{ target: 4, weight: 1, delay: 1 }] }] }]);
    await expect(createCpuEmulator(badTarget, { seed: 1 })).rejects.toThrow(/targets slot 4/);
    const zeroDelay = chipImage([{ slot: 0, groups: [{ kind: 'neurons', count: 1, params: lif({}) }], axons: [{ exp: 0, synapses: [{ target: 0, weight: 1, delay: 0 }] }] }]);
    await expect(createCpuEmulator(zeroDelay, { seed: 1 })).rejects.toThrow(/delay 0/);
  });
});

describe('hops across chips, from the two cores\' positions (no per-route table)', () => {
  // A 2 x 2 board of loihi-like chips (8 x 4 tiles each). Core 0 at slot 0: tile (0,0) of chip 0.
  // Core 1 at slot 3 * 128 + 41: chip 3 at chip (1,1), its tile 10 = (2,1), global (10,5).
  // X: 10 tiles, one crossing chip 0 -> 1: 9 east-west hops and 1 chip hop; Y: 5 tiles,
  // one crossing: 4 north-south hops and 1 chip hop. The same back.
  const board = withChips(loihi(), 4);
  const far = 3 * 128 + 41;
  const memoryless = lif({ du: 4096, dv: 4096, vth: UNIT });
  const image = chipImage(
    [
      {
        slot: 0,
        groups: [
          { kind: 'input', count: 1, encoding: { kind: 'periodic', period: 1000, phase: 0 } },
          { kind: 'neurons', count: 1, params: memoryless },
        ],
        axons: [{ exp: 10, synapses: [{ target: 1, weight: 64, delay: 1 }] }],
        routes: { 0: [{ core: 1, axon: 0 }] },
      },
      {
        slot: far,
        groups: [{ kind: 'neurons', count: 1, params: memoryless }],
        axons: [{ exp: 10, synapses: [{ target: 0, weight: 64, delay: 1 }] }],
        routes: { 0: [{ core: 0, axon: 0 }] },
      },
    ],
    board,
  );

  it('counts east-west, north-south and chip-to-chip hops as isa/profile.ts routeHops gives them', async () => {
    const hops = routeHops(board, 0, far);
    expect(hops).toEqual({ eastWest: 9, northSouth: 4, chipToChip: 2 });
    const emulator = await createCpuEmulator(image, { seed: 1 });
    await emulator.run(3);
    const c = emulator.counters();
    for (const core of c.byCore) {
      expect(core.packets).toBe(1);
      expect(core.hops_east_west).toBe(9);
      expect(core.hops_north_south).toBe(4);
      expect(core.hops_chip_to_chip).toBe(2);
    }
    expect(emulator.timing().noc.hopsChipToChip).toBe(4);
  });
});

describe('per-step counters', () => {
  it('add up over the steps to the run totals, counter by counter, on one and two threads', async () => {
    const r = compileSource(cubaSource(4000, 1, 0.02), 'cuba.snn');
    const image = r.image;
    if (image === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    for (const emulator of [await createCpuEmulator(image, { seed: 4 }), await createThreadedCpuEmulator(image, { seed: 4 }, 2)]) {
      await emulator.run(150);
      await emulator.run(50);
      const perStep = emulator.stepCounters();
      const total = emulator.counters().total;
      COUNTER_NAMES.forEach((name, k) => {
        let sum = 0;
        for (let t = 0; t < 200; t++) sum += perStep[t * COUNTER_NAMES.length + k];
        expect(sum, name).toBe(total[name]);
      });
      expect(total.packets).toBeGreaterThan(1000);
      expect(total.hops_east_west + total.hops_north_south).toBeGreaterThan(0);
      emulator.dispose();
    }
  });
});

describe('packet buffers that grow within a step', () => {
  // Every slot of a 300-neuron input spikes at step 0 and every 5 steps, each to
  // both cores of a population: 600 packets in one step. Buffers that start
  // with room for 1 packet grow many times within that step; the result must be
  // the one of buffers with room for every route from the start.
  const text = `
neuron Lif { model = lif; tau_mem = 10 ms; tau_syn_exc = 2 ms; refractory = 1 ms; bias = 0.02 }
input clock[300] { encoding = periodic(period = 5 ms, phase = 0 ms) }
input noise[50] { encoding = poisson(max_rate = 200 Hz) }
population a[1500] : Lif { init v = uniform(0, 1) }
connect clock -> a { pattern = random(p = 0.05, seed = 1); weight = uniform(0.01, 0.2) }
connect noise -> a { pattern = random(p = 0.1, seed = 2); weight = 0.3; delay = 2 ms }
connect a -> a { pattern = random(p = 0.01, seed = 3); weight = uniform(-0.3, 0.3) }
`;
  const observe = (e: CpuEmulator): unknown => {
    const timing = e.timing();
    return {
      counters: e.counters(),
      cycles: Array.from(e.stepCycles()),
      perStep: Array.from(e.stepCounters()),
      events: Object.values(e.spikeEvents()).map((a: Uint32Array | Uint16Array) => Array.from(a)),
      latency: Array.from(timing.stepLatencyCycles),
      phases: Array.from(timing.phaseCyclesByCore),
      noc: { ...timing.noc, linkLoad: Array.from(timing.noc.linkLoad) },
    };
  };

  it('gives the same spikes, counters, cycles and NoC totals as buffers sized for every route', async () => {
    const r = compileSource(text, 'grow.snn');
    const image = r.image;
    if (image === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    expect(image.cores.length).toBeGreaterThan(1);
    const routes = image.cores.reduce((s, c) => s + c.routeCore.length, 0);
    const options = { seed: 5, recordCores: image.cores.map(() => true) };
    const small = new CpuEmulatorImpl(image, options, undefined, 1);
    const full = new CpuEmulatorImpl(image, options, undefined, routes);
    await small.run(40);
    await full.run(40);
    expect(small.packetCapacity()).toBeGreaterThanOrEqual(600);
    expect(full.packetCapacity()).toBe(routes);
    // Grown to a step's packets and an eighth more, not doubled: at most an eighth over the largest step.
    const perStep = small.stepCounters();
    const at = COUNTER_NAMES.indexOf('packets');
    let largest = 0;
    for (let t = 0; t < 40; t++) largest = Math.max(largest, perStep[t * COUNTER_NAMES.length + at]);
    expect(small.packetCapacity()).toBeGreaterThanOrEqual(largest);
    expect(small.packetCapacity()).toBeLessThanOrEqual(packetRoom(largest));
    expect(observe(small)).toEqual(observe(full));
    expect(small.counters().total.packets).toBeGreaterThan(0);
  });
});

describe('synaptic ops of axons of every size', () => {
  // The backend keeps each route's synapse count in a byte and looks up counts of
  // 255 or more in the target's axon table: one packet into each of axons of 254,
  // 255 and 300 synapses must count and time exactly those ops.
  const sizes = [254, 255, 300];
  const image = chipImage([
    {
      slot: 0,
      groups: [{ kind: 'input', count: 1, encoding: { kind: 'periodic', period: 1000, phase: 0 } }],
      routes: { 0: sizes.map((_, axon) => ({ core: 1, axon })) },
    },
    {
      slot: 41,
      groups: [{ kind: 'neurons', count: 2, params: lif({ du: 4096, dv: 4096, vth: UNIT }) }],
      axons: sizes.map((size) => ({ exp: 0, synapses: Array.from({ length: size }, (_, s) => ({ target: s & 1, weight: 1, delay: 1 })) })),
    },
  ]);

  it('counts and times every synapse of each packet on its target core', async () => {
    const emulator = await createCpuEmulator(image, { seed: 1 });
    await emulator.run(2);
    const ops = 254 + 255 + 300;
    expect(emulator.counters().byCore[1].synaptic_ops).toBe(ops);
    const phases = emulator.timing().phaseCyclesByCore;
    expect(phases[3]).toBe(ops * image.profile.cycles.synaptic_op);
  });
});
