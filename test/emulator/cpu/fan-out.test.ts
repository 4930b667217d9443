// Delivery by source (emulator/cpu/fan-out.ts): which cores it takes, that its
// tables hold each route's synapses as the target's words have them, that the
// bytes counted are the bytes held, and that it gives what every core
// delivering its own inbox gives, to the bit, on one thread and on several.
import { describe, expect, it } from 'vitest';
import { cubaSource } from '../../../bench/cases/cuba-network.js';
import { compileSource } from '../../../compiler/index.js';
import { CpuEmulatorImpl } from '../../../emulator/cpu/cpu.js';
import { buildFanOuts, CROSSBAR_SLOTS, routeCores, ROUTE_SYNAPSES_MORE, ROW_SYNAPSES, WEIGHT_PER_SYNAPSE, WEIGHT_PER_SYNAPSE_NARROW, type FanOuts } from '../../../emulator/cpu/fan-out.js';
import { cpuMemory } from '../../../emulator/cpu/memory.js';
import { buildSynapseTable } from '../../../emulator/cpu/synapse-table.js';
import { createThreadedCpuEmulator } from '../../../emulator/cpu/threaded.js';
import type { Emulator } from '../../../emulator/interface.js';
import { synapseTarget, synapseWeight } from '../../../isa/synapse.js';
import type { ChipImage } from '../../../isa/image/types.js';
import { random32 } from '../../../isa/random.js';
import { chipImage, coreImage, lif, loihi, type AxonSpec, type CoreSpec } from '../build.js';

const LIF = { du: 400, duInh: 400, dv: 200, vth: 1 << 16, reset: 0, bias: 0, refractory: 1, thetaPlus: 0, dTheta: 0 };

function compiled(text: string): ChipImage {
  const r = compileSource(text, 'test.snn');
  if (r.image === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.image;
}

/** Two cores: core 0 (300 neurons) has `axons`; core 1's neuron 0 has one route to each of them, its neuron 1 one to the last. */
function pair(axons: readonly AxonSpec[]): ChipImage {
  const profile = loihi();
  const target = coreImage({ slot: 0, groups: [{ kind: 'neurons', count: 300, params: LIF }], axons });
  const source = coreImage({ slot: 1, groups: [{ kind: 'neurons', count: 2, params: LIF }], routes: { 0: axons.map((_, a) => ({ core: 0, axon: a })), 1: [{ core: 0, axon: axons.length - 1 }] } });
  return { profile, cores: [target, source], symbols: { populations: [], inputs: [], outputs: [] } } as unknown as ChipImage;
}

/**
 * Three cores of `neurons` neurons in a ring, each neuron driven to fire by
 * its bias: neuron i of core c has a route to axon i of core c + 1 and to axon
 * i + 1 of core c + 2; axon a holds five synapses to pseudo-random slots, with
 * one of `weights` distinct weights (the palette: axon a has the (a mod
 * weights)-th) or, on every seventh axon from `weights` on, a mantissa each;
 * with `wideAxon`, axon 0 holds 300 synapses (16-bit route counts); with
 * `perSlot`, no axon has its own mantissas and neuron i's second route goes to
 * axon i of core c + 2, so that each neuron's routes share one weight.
 */
function ring(neurons: number, weights: number, wideAxon = false, perSlot = false): ChipImage {
  const cores: CoreSpec[] = [0, 1, 2].map((c) => ({
    slot: c,
    groups: [{ kind: 'neurons', count: neurons, params: lif({ du: 600, dv: 300, bias: 6000 + 100 * c, refractory: 1 }) }],
    axons: Array.from({ length: neurons + 1 }, (_, a): AxonSpec => {
      const own = !perSlot && a >= weights && a % 7 === 6;
      const k = a % weights;
      return {
        exp: own ? 1 + (a % 3) : 2,
        synapses: Array.from({ length: wideAxon && a === 0 ? 300 : 5 }, (_, j) => ({
          target: random32(9, c, a, j) % neurons,
          weight: own ? (random32(10, c, a, j) % 200) - 100 : (k % 2 === 0 ? 1 : -1) * (1 + (k >> 1)),
          delay: 1,
        })),
      };
    }),
    routes: Object.fromEntries(Array.from({ length: neurons }, (_, i) => [i, [{ core: (c + 1) % 3, axon: i }, { core: (c + 2) % 3, axon: perSlot ? i : i + 1 }]])),
  }));
  const inputs: CoreSpec = {
    slot: 3,
    groups: [{ kind: 'input', count: 12, encoding: { kind: 'periodic', period: 7, phase: 2 } }],
    routes: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [i, [{ core: 0, axon: 0 }, { core: 1, axon: perSlot ? 0 : 1 }]])),
  };
  return chipImage([...cores, inputs]);
}

/**
 * Three cores of `neurons` neurons in a ring as ring() has them, each axon's
 * three synapses on distinct slots (a, a + 2 and a + 5, modulo `neurons`),
 * with one of three weights each (excitatory and inhibitory); `twice` gives
 * axon 1 a second synapse on its first slot, `own` gives axon 2 a mantissa a
 * synapse. A fourth core holds 12 periodic inputs (no synapses of its own),
 * routed to axon 0 of core 0 and axon 1 of core 1.
 */
function smallRing(neurons: number, perSlot: boolean, twice = false, own = false): ChipImage {
  const cores: CoreSpec[] = [0, 1, 2].map((c) => ({
    slot: c,
    groups: [{ kind: 'neurons', count: neurons, params: lif({ du: 600, dv: 300, bias: 8000 + 150 * c, refractory: 1 }) }],
    axons: Array.from({ length: neurons + 1 }, (_, a): AxonSpec => {
      const slots = [a % neurons, (a + 2) % neurons, (a + 5) % neurons, ...(twice && a === 1 ? [a % neurons] : [])];
      const weight = [900, -700, 1300][a % 3];
      return { exp: 2, synapses: slots.map((target, j) => ({ target, weight: own && a === 2 ? weight + j : weight, delay: 1 })) };
    }),
    routes: Object.fromEntries(Array.from({ length: neurons }, (_, i) => [i, [{ core: (c + 1) % 3, axon: i }, { core: (c + 2) % 3, axon: perSlot ? i : i + 1 }]])),
  }));
  return chipImage(cores);
}

const perAxon: readonly AxonSpec[] = [
  { exp: 3, synapses: [{ target: 5, weight: 40, delay: 1 }, { target: 299, weight: 40, delay: 1 }] },
  { exp: 0, synapses: [] },
  { exp: 2, synapses: [{ target: 7, weight: -90, delay: 1 }, { target: 8, weight: -90, delay: 1 }, { target: 7, weight: -90, delay: 1 }] },
  { exp: 3, synapses: [{ target: 0, weight: 40, delay: 1 }] },
];
const perSynapse: readonly AxonSpec[] = [
  { exp: 1, synapses: [{ target: 5, weight: 40, delay: 2 }, { target: 6, weight: -3, delay: 2 }] },
  { exp: 4, synapses: [{ target: 9, weight: 127, delay: 2 }, { target: 9, weight: -128, delay: 2 }] },
];
const mixedDelays: readonly AxonSpec[] = [{ exp: 0, synapses: [{ target: 1, weight: 10, delay: 1 }, { target: 2, weight: 10, delay: 3 }] }];

/** Route r of core `source`'s synapses as the fan-out holds them: (target, weight) pairs. */
function routeSynapses(fan: FanOuts, image: ChipImage, source: number, slot: number): [number, number][][] {
  const out = fan.cores[source];
  const core = image.cores[source];
  const routes: [number, number][][] = [];
  let f = out.slotStart[slot];
  for (let r = core.routeStart[slot]; r < core.routeStart[slot + 1]; r++) {
    if (fan.delay[core.routeCore[r]] === 0) continue;
    const code = fan.weightPerSlot ? out.slotWeight[slot] : out.routeWeight[r];
    const route: [number, number][] = [];
    for (let k = 0; k < out.routeSynapses[r]; k++, f++) route.push([out.targets[f], code < fan.weightMark ? fan.palette[code] : out.mantissas[f] << (code - fan.weightMark)]);
    routes.push(route);
  }
  return routes;
}

describe('delivery by source', () => {
  it('takes the cores whose synapses share a delay, unless the image learns or an axon has more synapses than a route can count', () => {
    expect(buildFanOuts(pair(perAxon)).delay[0]).toBe(1);
    expect(buildFanOuts(pair(perSynapse)).delay[0]).toBe(2);
    expect(buildFanOuts(pair(mixedDelays)).delay[0]).toBe(0);
    expect(buildFanOuts({ ...pair(perAxon), learning: {} } as unknown as ChipImage).delay[0]).toBe(0);
    expect(buildFanOuts(pair(perAxon), undefined, false).delay[0]).toBe(0);
    expect(buildFanOuts(pair(perAxon)).any).toBe(true);
    expect(buildFanOuts(pair(mixedDelays)).any).toBe(false);
    const wide = (n: number): AxonSpec[] => [{ exp: 0, synapses: Array.from({ length: n }, (_, k) => ({ target: k % 300, weight: 1, delay: 1 })) }];
    expect(buildFanOuts(pair(wide(ROUTE_SYNAPSES_MORE))).delay[0]).toBe(1);
    expect(buildFanOuts(pair(wide(ROUTE_SYNAPSES_MORE + 1))).delay[0]).toBe(0);
    // Route counts take 8 bits while every axon has fewer than 255 synapses.
    expect(buildFanOuts(pair(wide(254))).cores[1].routeSynapses instanceof Uint8Array).toBe(true);
    expect(buildFanOuts(pair(wide(255))).cores[1].routeSynapses instanceof Uint16Array).toBe(true);
    expect(Array.from(buildFanOuts(pair(wide(255))).cores[1].routeSynapses)).toEqual([255, 255]);
    expect(Array.from(buildFanOuts(pair(wide(ROUTE_SYNAPSES_MORE + 1))).cores[1].routeSynapses)).toEqual([ROUTE_SYNAPSES_MORE, ROUTE_SYNAPSES_MORE]);
  });

  it("holds each route's synapses in route order as the target's words have them: one weight per axon in the palette, else a mantissa each", () => {
    for (const axons of [perAxon, perSynapse]) {
      const image = pair(axons);
      const fan = buildFanOuts(image);
      // The spec's weight is the word's mantissa (build.ts packs it); delivery adds mantissa << exponent.
      const expected = axons.map((a) => a.synapses.map((s) => [s.target, s.weight << a.exp]));
      expect(routeSynapses(fan, image, 1, 0)).toEqual(expected);
      // A second route to one axon holds its synapses again.
      expect(routeSynapses(fan, image, 1, 1)).toEqual([expected[expected.length - 1]]);
      const words = image.cores[0].synapses;
      expect(routeSynapses(fan, image, 1, 0).flat().map(([target]) => target)).toEqual(Array.from(words, synapseTarget));
      expect(routeSynapses(fan, image, 1, 0).flat().every(([, w], k) => Math.sign(w) === Math.sign(synapseWeight(words[k])))).toBe(true);
      expect(Array.from(fan.cores[1].routeSynapses)).toEqual([...axons, axons[axons.length - 1]].map((a) => a.synapses.length));
      expect(fan.cores[1].routeSynapses instanceof Uint8Array).toBe(true);
      expect(fan.cores[1].mantissas.length > 0).toBe(axons === perSynapse);
      expect(fan.cores[1].inboxRoutes).toBe(0);
    }
    expect(Array.from(buildFanOuts(pair(perAxon)).palette).sort((a, b) => a - b)).toEqual([-90 << 2, 40 << 3]);
    expect(buildFanOuts(pair(mixedDelays)).cores[1]).toMatchObject({ inboxRoutes: 2, targets: new Uint8Array(0) });
  });

  it('holds targets in 8 bits where every core delivered by source has at most 256 neurons, and route weights in 8 bits where the palette has at most 128', () => {
    for (const [neurons, weights] of [[256, 3], [257, 3], [200, 129], [200, 128]] as const) {
      const image = ring(neurons, weights);
      const fan = buildFanOuts(image);
      expect(fan.cores[0].targets instanceof Uint8Array).toBe(neurons <= 256);
      expect(fan.cores[0].targets instanceof Uint16Array).toBe(neurons > 256);
      expect(fan.palette.length).toBe(weights);
      expect(fan.weightMark).toBe(weights <= 128 ? WEIGHT_PER_SYNAPSE_NARROW : WEIGHT_PER_SYNAPSE);
      expect(fan.weightPerSlot).toBe(false);
      expect(fan.cores[0].routeWeight instanceof Uint8Array).toBe(weights <= 128);
      // The same synapses and weights whatever the widths: as the target core's words have them.
      const words = image.cores[1].synapses;
      const held = routeSynapses(fan, image, 0, 3);
      const axon = image.cores[1].axonStart;
      expect(held[0].map(([target]) => target)).toEqual(Array.from(words.subarray(axon[3], axon[4]), synapseTarget));
      expect(held.flat().every(([, w]) => w !== 0)).toBe(true);
      expect(cpuMemory(image, fan).synapseBytes).toBe(fan.cores.reduce((sum, out) => sum + out.targets.byteLength + out.mantissas.byteLength, 0));
    }
    // A per-synapse route's exponent survives the narrow mark.
    const fan = buildFanOuts(pair(perSynapse));
    expect(fan.weightMark).toBe(WEIGHT_PER_SYNAPSE_NARROW);
    expect(Array.from(fan.cores[1].routeWeight)).toEqual([WEIGHT_PER_SYNAPSE_NARROW | 1, WEIGHT_PER_SYNAPSE_NARROW | 4, WEIGHT_PER_SYNAPSE_NARROW | 4]);
  });

  it("keeps each route's target core as a step from the previous route's, in 8 bits where every slot's cores ascend by steps under 256", () => {
    /** Whether every route's core, decoded from the steps, is the image's. */
    const decodes = (image: ChipImage, fan: FanOuts): boolean =>
      image.cores.every((core, c) => Array.from({ length: core.routeStart.length - 1 }, (_, i) => i).every((i) => routeCores(fan.cores[c], core.routeStart, i).join() === Array.from(core.routeCore.subarray(core.routeStart[i], core.routeStart[i + 1])).join()));
    // The ring's core 1 sends to cores 2 then 0: a step down, so 16 bits, which wrap.
    const ring16 = ring(20, 3);
    const fan16 = buildFanOuts(ring16);
    expect(fan16.cores.every((out) => out.routeStep instanceof Uint16Array)).toBe(true);
    expect(Array.from(fan16.cores[1].routeStep.subarray(0, 2))).toEqual([0, 0x10000 - 2]);
    expect(decodes(ring16, fan16)).toBe(true);
    // The mapper lists a neuron's routes by ascending core: CUBA's steps take a byte.
    const cuba = compiled(cubaSource(4000, 1, 0.02));
    const fan8 = buildFanOuts(cuba);
    expect(fan8.cores.every((out) => out.routeStep instanceof Uint8Array)).toBe(true);
    expect(decodes(cuba, fan8)).toBe(true);
    // A step of 255 takes a byte, one of 256 does not (core 0's neuron routes to core 1, then core `last`).
    const stepTo = (last: number): ChipImage =>
      chipImage(Array.from({ length: last + 1 }, (_, c): CoreSpec => ({ slot: c, groups: [{ kind: 'neurons', count: 1, params: LIF }], axons: [{ exp: 0, synapses: [{ target: 0, weight: 1, delay: 1 }] }], routes: c === 0 ? { 0: [{ core: 1, axon: 0 }, { core: last, axon: 0 }] } : {} })));
    expect(buildFanOuts(stepTo(256)).cores[0].routeStep instanceof Uint8Array).toBe(true);
    const wide = stepTo(257);
    const fanWide = buildFanOuts(wide);
    expect(fanWide.cores[0].routeStep instanceof Uint16Array).toBe(true);
    expect(routeCores(fanWide.cores[0], wide.cores[0].routeStart, 0)).toEqual([1, 257]);
    expect(decodes(wide, fanWide)).toBe(true);
  });

  it('holds a route to a core of at most 8 neurons as a crossbar row: a bit a target slot, in place of its count and targets', () => {
    expect(Array.from(ROW_SYNAPSES.subarray(0, 8))).toEqual([0, 1, 1, 2, 1, 2, 2, 3]);
    expect(ROW_SYNAPSES[0xff]).toBe(8);
    const image = smallRing(CROSSBAR_SLOTS, false);
    const fan = buildFanOuts(image);
    expect(fan.crossbar).toBe(true);
    for (const [c, out] of fan.cores.entries()) {
      const core = image.cores[c];
      expect(out.routeSynapses.length + out.targets.length + out.mantissas.length).toBe(0);
      expect(out.routeRow.length).toBe(core.routeCore.length);
      for (let r = 0; r < core.routeCore.length; r++) {
        const target = image.cores[core.routeCore[r]];
        const a = core.routeAxon[r];
        const slots = Array.from(target.synapses.subarray(target.axonStart[a], target.axonStart[a + 1]), synapseTarget);
        expect(out.routeRow[r]).toBe(slots.reduce((row, k) => row | (1 << k), 0));
        expect(ROW_SYNAPSES[out.routeRow[r]]).toBe(slots.length);
      }
    }
    const memory = cpuMemory(image, fan);
    expect(memory.synapseBytes).toBe(image.cores.reduce((sum, core) => sum + core.routeCore.length, 0));
    // Not where a core has 9 neurons, an axon reaches one slot twice or has a mantissa a synapse, or a core keeps an inbox.
    for (const other of [smallRing(CROSSBAR_SLOTS + 1, false), smallRing(CROSSBAR_SLOTS, false, true), smallRing(CROSSBAR_SLOTS, false, false, true), pair(mixedDelays)]) {
      const wide = buildFanOuts(other);
      expect(wide.crossbar).toBe(false);
      expect(wide.cores.every((out) => out.routeRow.length === 0)).toBe(true);
      expect(wide.cores.some((out) => out.routeSynapses.length > 0)).toBe(true);
    }
  });

  it('delivers the same from crossbar rows, per route and per slot, as every core delivering its own inbox, on 1 and 2 threads', async () => {
    for (const perSlot of [false, true]) {
      const image = smallRing(CROSSBAR_SLOTS, perSlot);
      const fan = buildFanOuts(image);
      expect(fan.crossbar).toBe(true);
      expect(fan.weightPerSlot).toBe(perSlot);
      const observe = async (e: Emulator): Promise<unknown> => {
        await e.run(200);
        const seen = { counters: e.counters(), cycles: Array.from(e.stepCycles()), spikes: e.spikeCounts().map((a) => Array.from(a)), timing: e.timing() };
        e.dispose();
        return seen;
      };
      const rowsRun = await observe(new CpuEmulatorImpl(image, { seed: 4 }));
      const words = image.cores.map((c) => buildSynapseTable(c, false, 0));
      expect(rowsRun).toEqual(await observe(new CpuEmulatorImpl(image, { seed: 4 }, undefined, undefined, words, buildFanOuts(image, undefined, false))));
      // Both currents are fed, and the network is neither silent nor saturated.
      const total = (rowsRun as { counters: { total: { synaptic_ops: number; spikes: number } } }).counters.total;
      expect(total.synaptic_ops).toBeGreaterThan(1_000);
      expect(total.spikes).toBeLessThan(200 * 3 * CROSSBAR_SLOTS);
      expect(await observe(await createThreadedCpuEmulator(image, { seed: 4 }, 2))).toEqual(rowsRun);
    }
  });

  it('holds CUBA at 4,000 neurons in 2 bytes a synapse, under 4 bytes a synapse in all, with one weight code a neuron', async () => {
    const image = compiled(cubaSource(4000, 1, 0.02));
    const fan = buildFanOuts(image);
    expect(Array.from(fan.delay).every((d) => d === 1)).toBe(true);
    // A CUBA neuron is excitatory or inhibitory: its routes share one weight, kept once per slot.
    expect(fan.weightPerSlot).toBe(true);
    expect(fan.cores.every((out) => out.routeWeight.length === 0 && out.slotWeight.length === out.slotStart.length - 1)).toBe(true);
    expect(new Set(fan.cores.flatMap((out) => Array.from(out.slotWeight))).size).toBe(2);
    // Delivered that way, the same as every core delivering its own inbox.
    const observe = async (e: Emulator): Promise<unknown> => {
      await e.run(40);
      const state = e instanceof CpuEmulatorImpl ? image.cores.map((_, c) => Object.values(e.neuronState(c)).map((a: Int32Array) => Array.from(a))) : 'no state';
      const seen = { counters: e.counters(), cycles: Array.from(e.stepCycles()), spikes: e.spikeCounts().map((a) => Array.from(a)), state };
      e.dispose();
      return seen;
    };
    const words = image.cores.map((c) => buildSynapseTable(c, false, 0));
    expect(await observe(new CpuEmulatorImpl(image, { seed: 3 }))).toEqual(await observe(new CpuEmulatorImpl(image, { seed: 3 }, undefined, undefined, words, buildFanOuts(image, undefined, false))));
    // No core keeps an inbox, so neither engine holds one: the threaded engine's shared inboxes hold only routes to inboxes.
    const one = new CpuEmulatorImpl(image, { seed: 3 });
    const two = await createThreadedCpuEmulator(image, { seed: 3 }, 2);
    await one.run(5);
    await two.run(5);
    if (!(two instanceof CpuEmulatorImpl)) throw new Error('the threaded engine is a CpuEmulatorImpl');
    expect(two.packetBufferBytes()).toBe(one.packetBufferBytes());
    one.dispose();
    two.dispose();
    const memory = cpuMemory(image, fan);
    const held = fan.cores.reduce((sum, out) => sum + out.targets.byteLength + out.mantissas.byteLength, 0);
    expect(memory.synapseBytes).toBe(held);
    expect(memory.synapseBytes).toBe(2 * memory.synapses);
    expect(memory.totalBytes / memory.synapses).toBeLessThan(4);
  });

  it('delivers the same with 8-bit and 16-bit targets and weights, per route and per slot, as every core delivering its own inbox, on 1 and 2 threads', async () => {
    for (const [neurons, weights, wideAxon, perSlot] of [[256, 3, false, false], [257, 129, true, false], [200, 3, false, true]] as const) {
      const image = ring(neurons, weights, wideAxon, perSlot);
      expect(buildFanOuts(image).cores[0].routeSynapses instanceof Uint16Array).toBe(wideAxon);
      expect(buildFanOuts(image).weightPerSlot).toBe(perSlot);
      const observe = async (e: Emulator): Promise<unknown> => {
        await e.run(60);
        const seen = { counters: e.counters(), cycles: Array.from(e.stepCycles()), spikes: e.spikeCounts().map((a) => Array.from(a)) };
        e.dispose();
        return seen;
      };
      const bySourceRun = await observe(new CpuEmulatorImpl(image, { seed: 2 }));
      const inboxes = buildFanOuts(image, undefined, false);
      const words = image.cores.map((c) => buildSynapseTable(c, false, 0));
      expect(bySourceRun).toEqual(await observe(new CpuEmulatorImpl(image, { seed: 2 }, undefined, undefined, words, inboxes)));
      expect((bySourceRun as { counters: { total: { synaptic_ops: number; spikes: number } } }).counters.total.synaptic_ops).toBeGreaterThan(5_000);
      expect(await observe(await createThreadedCpuEmulator(image, { seed: 2 }, 2))).toEqual(bySourceRun);
    }
  });

  it('delivers what every core delivering its own inbox delivers: spikes, counters, cycles, neuron state and synapses to the bit', async () => {
    // noise and a fill one core, delivered by source (noise -> a with a weight per synapse); b and c share
    // the other, whose synapses mix delays: it keeps an inbox.
    const text = `
neuron Lif { model = lif; tau_mem = 10 ms; tau_syn_exc = 2 ms; tau_syn_inh = 4 ms; refractory = 2 ms; bias = 0.01 }
input noise[24] { encoding = poisson(max_rate = 150 Hz) }
population a[1000] : Lif { init v = uniform(0, 1) }
population b[400] : Lif
population c[300] : Lif
connect noise -> a { pattern = random(p = 0.2, seed = 1); weight = uniform(0.05, 0.4); delay = 3 ms }
connect a -> b { pattern = random(p = 0.02, seed = 2); weight = 0.2; delay = 3 ms }
connect a -> c { pattern = random(p = 0.01, seed = 5); weight = 0.3; delay = 1 ms }
connect b -> a { pattern = random(p = 0.02, seed = 3); weight = -0.3; delay = 3 ms }
connect a -> a { pattern = random(p = 0.005, seed = 4); weight = uniform(-0.1, 0.3); delay = 3 ms }
`;
    const image = compiled(text);
    const fan = buildFanOuts(image);
    const bySource = new Set(Array.from(fan.delay, (d) => d !== 0));
    expect([...bySource].sort()).toEqual([false, true]);
    expect(fan.cores.some((out) => out.mantissas.length > 0)).toBe(true);
    const observe = async (e: Emulator): Promise<unknown> => {
      await e.run(300);
      const seen = {
        counters: e.counters(),
        cycles: Array.from(e.stepCycles()),
        spikes: e.spikeCounts().map((a) => Array.from(a)),
        state: e instanceof CpuEmulatorImpl ? image.cores.map((_, c) => Object.values(e.neuronState(c)).map((a: Int32Array) => Array.from(a))) : 'no state',
        synapses: e.synapses?.().map((a) => Array.from(a)),
      };
      e.dispose();
      return seen;
    };
    const bySourceRun = await observe(new CpuEmulatorImpl(image, { seed: 5 }));
    // Every core delivering its own inbox from the words: the reference path.
    const inboxes = buildFanOuts(image, undefined, false);
    const words = image.cores.map((c) => buildSynapseTable(c, false, 0));
    const inboxRun = await observe(new CpuEmulatorImpl(image, { seed: 5 }, undefined, undefined, words, inboxes));
    expect(bySourceRun).toEqual(inboxRun);
    expect((bySourceRun as { counters: { total: { synaptic_ops: number } } }).counters.total.synaptic_ops).toBeGreaterThan(10_000);
    expect((bySourceRun as { synapses: number[][] }).synapses).toEqual(image.cores.map((c) => Array.from(c.synapses)));
    // Several threads: each delivers the sent list into its own cores.
    for (const threads of [2, 3]) {
      expect(await observe(await createThreadedCpuEmulator(image, { seed: 5 }, threads))).toEqual(bySourceRun);
    }
  });
});
