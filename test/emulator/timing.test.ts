// Step timing of the CPU reference (emulator/cpu/cpu.ts step(), emulator/noc.ts)
// on the `tiny` profile, every number worked out by hand below.
// tiny: 1 GHz (1 cycle = 1 ns); synaptic op 2 cycles / 10 pJ; neuron update
// active 3 / 5 pJ, inactive 1 / 1 pJ; spike_in_tile 2 cycles / 2 pJ per packet;
// hop east-west 3 cycles / 3 pJ; north-south 5 / 4 pJ; barrier 10 cycles with
// 1 tile, 20 with 2, 30 with 3, 40 with 4; static 1 mW = 1 pJ per cycle.
// Slots 0, 1: tile (0,0); 2, 3: tile (1,0); 4, 5: tile (0,1); 6, 7: tile (1,1).
import { describe, expect, it } from 'vitest';
import { createCpuEmulatorWithState as createCpuEmulator } from '../../emulator/cpu/cpu.js';
import { chipTimeS, energyOf } from '../../emulator/energy.js';
import { barrierCycles, builtinProfile, type ChipProfile } from '../../isa/profile.js';
import { UNIT } from '../../isa/fixed.js';
import { chipImage, lif, relativeDiff, type CoreSpec } from './build.js';

function profile(name: string): ChipProfile {
  const p = builtinProfile(name);
  if (p === undefined) throw new Error(`the ${name} profile is missing`);
  return p;
}
const tiny = profile('tiny');

/** One input that spikes once, at step 0, routed to (core, axon). */
const sender = (slot: number, core: number, axon: number): CoreSpec => ({
  slot,
  groups: [{ kind: 'input', count: 1, encoding: { kind: 'periodic', period: 1000, phase: 0 } }],
  routes: { 0: [{ core, axon }] },
});
// du = dv = 4096: v is this step's input alone; vth = UNIT.
const memoryless = lif({ du: 4096, dv: 4096, vth: UNIT });

describe('the barrier model', () => {
  it('interpolates the profile table over the tiles in use', () => {
    expect([1, 2, 3, 4, 5].map((n) => barrierCycles(tiny, n))).toEqual([10, 20, 30, 40, 40]);
    // loihi-like: 113 ns (226 cycles) at 1 tile, 465 ns (930) at 32: 16 tiles -> 226 + 15/31 * 704 = 566.6 -> 567.
    const loihi = profile('loihi-like');
    expect([1, 16, 32, 64].map((n) => barrierCycles(loihi, n))).toEqual([226, 567, 930, 930]);
  });
});

describe('two cores sending to one target at once', () => {
  // Cores 0 (slot 0) and 1 (slot 1) share tile (0,0); each input spikes at step 0 to
  // core 2 (slot 2, tile (1,0)), axons 0 and 1, one synapse each (UNIT, delay 1) onto
  // core 2's only neuron. Two tiles in use: barrier 20.
  const image = chipImage(
    [
      sender(0, 2, 0),
      sender(1, 2, 1),
      {
        slot: 2,
        groups: [{ kind: 'neurons', count: 1, params: memoryless }],
        axons: [
          { exp: 10, synapses: [{ target: 0, weight: 64, delay: 1 }] },
          { exp: 10, synapses: [{ target: 0, weight: 64, delay: 1 }] },
        ],
      },
    ],
    tiny,
  );

  it('delays the second packet by exactly one cycle and delivers both in order of arrival', async () => {
    const emulator = createCpuEmulator(image, { seed: 1, recordCores: [false, false, true] });
    await emulator.run(2);
    // Step 0. Inputs cost no update, so both packets are ready at cycle 0; core 2 updates its
    // idle neuron (inactive, 1 cycle) and is free at 1.
    //  p0 (core 0): out port 0 -> 0; east link of tile (0,0) enters 0 (free again at 1), at tile
    //    (1,0) at 3; core 2's in port enters 3 -> arrives 5.
    //  p1 (core 1): out port 0 -> 0; the east link is busy in cycle 0: waits 1, enters 1, at (1,0)
    //    at 4; the in port is free again at 4: enters 4 -> arrives 6, one cycle after p0.
    //  Core 2 delivers p0 at max(5, 1) = 5 for 1 op x 2 = 2 cycles, until 7; p1 arrived at 6
    //  but the core is busy: 7..9. Last core done at 9: 9 + 20 = 29.
    // Step 1: core 2's neuron gets 2 UNIT, active (3 cycles) and spikes (no route): 3 + 20 = 23.
    expect(Array.from(emulator.stepCycles())).toEqual([29, 23]);
    const timing = emulator.timing();
    expect(Array.from(timing.stepLatencyCycles)).toEqual([29, 23]);
    expect(timing.barrierCycles).toBe(20);
    expect(timing.noc.packets).toBe(2);
    expect(timing.noc.waitCycles).toBe(1);
    expect(timing.noc.latencySumCycles).toBe(5 + 6);
    expect(timing.noc.latencyMaxCycles).toBe(6);
    expect([timing.noc.hopsEastWest, timing.noc.hopsNorthSouth]).toEqual([2, 0]);
    // The east link of tile (0,0) and core 2's in port both carried 2; the tie goes to the lower
    // index, and tile links come before ports.
    expect(timing.noc.busiestLink).toEqual({ index: 0, label: 'tile (0,0) east', packets: 2 });
    // Per core (deliver, update, learn): cores 0 and 1 did nothing; core 2 delivered 2 ops x 2 = 4
    // and updated 1 + 3 = 4.
    expect(Array.from(timing.phaseCyclesByCore)).toEqual([0, 0, 0, 0, 0, 0, 4, 4, 0]);
    expect(Array.from(emulator.spikeEvents().step)).toEqual([1]);
  });

  it('prices the run by hand: dynamic energy by category and by core, plus static power times chip time', async () => {
    const emulator = createCpuEmulator(image, { seed: 1 });
    await emulator.run(2);
    const c = emulator.counters();
    // synaptic 2 x 10 = 20 pJ; neuron 1 active x 5 + 1 inactive x 1 = 6 pJ;
    // routing 2 packets x 2 + 2 east-west hops x 3 = 10 pJ; static 1 mW x (29 + 23) ns = 52 pJ.
    const time = chipTimeS(29 + 23, tiny);
    const e = energyOf(c.total, tiny, time);
    const close = (a: number, b: number): void => expect(relativeDiff(a, b)).toBeLessThan(1e-12);
    close(e.byCategoryJ.synaptic, 20e-12);
    close(e.byCategoryJ.neuron, 6e-12);
    close(e.byCategoryJ.routing, 10e-12);
    close(e.byCategoryJ.static, 52e-12);
    close(e.totalJ, 88e-12);
    // By core: each sender paid its packet (2) and hop (3) = 5 pJ; core 2 its ops and updates, 26 pJ.
    close(energyOf(c.byCore[0], tiny, 0).totalJ, 5e-12);
    close(energyOf(c.byCore[1], tiny, 0).totalJ, 5e-12);
    close(energyOf(c.byCore[2], tiny, 0).totalJ, 26e-12);
  });
});

describe('contention on a shared link', () => {
  it('lengthens the step by exactly the cycle one packet waits', async () => {
    // Cores 0 and 1 (tile (0,0)) send at step 0 to cores 2 and 3 (tile (1,0)), one packet each,
    // both over the east link of tile (0,0). Targets: one idle neuron each (1 cycle), one synapse.
    // p0 -> core 2: arrives 0 + 3 + 2 = 5, delivered 5..7.
    // p1 -> core 3: waits 1 cycle for the east link, enters 1, arrives 6, delivered 6..8.
    // Last core done at 8: 8 + 20 = 28. Without core 0's packet p1 arrives at 5: 7 + 20 = 27.
    const target = (slot: number): CoreSpec => ({
      slot,
      groups: [{ kind: 'neurons', count: 1, params: memoryless }],
      axons: [{ exp: 10, synapses: [{ target: 0, weight: 64, delay: 1 }] }],
    });
    const both = createCpuEmulator(chipImage([sender(0, 2, 0), sender(1, 3, 0), target(2), target(3)], tiny), { seed: 1 });
    await both.run(1);
    expect(Array.from(both.stepCycles())).toEqual([28]);
    expect(both.timing().noc.waitCycles).toBe(1);
    // Core 0's input silent (phase past the run): no contention.
    const silent: CoreSpec = { ...sender(0, 2, 0), groups: [{ kind: 'input', count: 1, encoding: { kind: 'periodic', period: 1000, phase: 500 } }] };
    const alone = createCpuEmulator(chipImage([silent, sender(1, 3, 0), target(2), target(3)], tiny), { seed: 1 });
    await alone.run(1);
    expect(Array.from(alone.stepCycles())).toEqual([27]);
    expect(alone.timing().noc.waitCycles).toBe(0);
  });

  it('serialises a core\'s packets behind its update', async () => {
    // Core 0 (slot 0): 2 neurons with bias UNIT (spike every step; active, 3 cycles each: the
    // update ends at 6), each routed to core 6 (slot 6, tile (1,1)), axon 0 or 1, one synapse each.
    // Core 6: one idle neuron reached by the synapses with weight 0 (so it stays inactive, 1 cycle).
    // Step 0: both packets ready at 6. p0 leaves the out port at 6, p1 at 7 (serialised).
    //  p0: east (0,0) 6 -> 9, south (1,0) 9 -> 14, in port 14 -> 16; delivered 16..18.
    //  p1: east 7 -> 10, south 10 -> 15, in port 15 -> 17; delivered at max(17, 18) = 18..20.
    // Tiles 0 and 3 in use: barrier 20. Step: 20 + 20 = 40.
    const image = chipImage(
      [
        {
          slot: 0,
          groups: [{ kind: 'neurons', count: 2, params: lif({ bias: UNIT, vth: UNIT }) }],
          routes: { 0: [{ core: 1, axon: 0 }], 1: [{ core: 1, axon: 1 }] },
        },
        {
          slot: 6,
          groups: [{ kind: 'neurons', count: 1, params: lif({}) }],
          axons: [
            { exp: 0, synapses: [{ target: 0, weight: 0, delay: 1 }] },
            { exp: 0, synapses: [{ target: 0, weight: 0, delay: 1 }] },
          ],
        },
      ],
      tiny,
    );
    const emulator = createCpuEmulator(image, { seed: 1 });
    await emulator.run(1);
    expect(Array.from(emulator.stepCycles())).toEqual([40]);
    const noc = emulator.timing().noc;
    expect(noc.waitCycles).toBe(1);
    expect([noc.latencySumCycles, noc.latencyMaxCycles]).toEqual([(16 - 6) + (17 - 6), 11]);
    expect([noc.hopsEastWest, noc.hopsNorthSouth]).toEqual([2, 2]);
  });
});

describe('a chip with a fixed tick (truenorth-like)', () => {
  it('lasts the 1 ms tick when the work is shorter, and reports the work as the latency', async () => {
    const tn = profile('truenorth-like');
    // 1 GHz: the tick is 1e6 cycles. One idle neuron: inactive 5.3 ns -> 5 cycles; no barrier.
    expect(tn.tickCycles).toBe(1_000_000);
    const emulator = createCpuEmulator(chipImage([{ slot: 0, groups: [{ kind: 'neurons', count: 1, params: lif({}) }] }], tn), { seed: 1 });
    await emulator.run(3);
    expect(Array.from(emulator.stepCycles())).toEqual([1e6, 1e6, 1e6]);
    expect(Array.from(emulator.timing().stepLatencyCycles)).toEqual([5, 5, 5]);
  });
});
