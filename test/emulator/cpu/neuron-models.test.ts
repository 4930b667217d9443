// The neuron models of isa/fixed.ts on the CPU reference: separate excitatory
// and inhibitory currents, the adaptive threshold (ALIF), initial voltages, and
// inputs from spike lists and from the host. Expected numbers are worked out
// in the comments from the contract, not read back from the emulator.
import { describe, expect, it } from 'vitest';
import { compileSource } from '../../../compiler/index.js';
import { createCpuEmulatorWithState } from '../../../emulator/cpu/cpu.js';
import { UNIT } from '../../../isa/fixed.js';
import { chipImage, lif, spikeSteps } from '../build.js';

const once = { kind: 'input', count: 1, encoding: { kind: 'periodic', period: 1000, phase: 0 } } as const;

describe('excitatory and inhibitory currents', () => {
  it('feeds positive weights to uExc and negative ones to uInh, each with its own decay', async () => {
    // The input spikes at step 0; delay 1 lands both weights in the update of step 1:
    // +64 << 10 = UNIT into uExc, -32 << 10 = -UNIT/2 into uInh.
    // du = 2048 halves uExc; duInh = 1024 keeps 3/4 of uInh; dv = 4096 makes v = uExc + uInh.
    //   step 1: uExc 65536, uInh -32768, v 32768
    //   step 2: uExc 32768, uInh -24576, v  8192
    //   step 3: uExc 16384, uInh -18432, v -2048
    const image = chipImage([
      {
        slot: 0,
        groups: [once, { kind: 'neurons', count: 1, params: lif({ du: 2048, duInh: 1024, dv: 4096, vth: 0x7fffffff }) }],
        axons: [{ exp: 10, synapses: [{ target: 1, weight: 64, delay: 1 }, { target: 1, weight: -32, delay: 1 }] }],
        routes: { 0: [{ core: 0, axon: 0 }] },
      },
    ]);
    const emulator = createCpuEmulatorWithState(image, { seed: 1 });
    const seen: number[][] = [];
    for (let t = 0; t < 4; t++) {
      await emulator.run(1);
      const s = emulator.neuronState(0);
      seen.push([s.uExc[1], s.uInh[1], s.u[1], s.v[1]]);
    }
    expect(seen).toEqual([
      [0, 0, 0, 0],
      [65536, -32768, 32768, 32768],
      [32768, -24576, 8192, 8192],
      [16384, -18432, -2048, -2048],
    ]);
  });
});

describe('adaptive threshold (alif)', () => {
  it('raises the threshold by thetaPlus at each spike and lets it decay', async () => {
    // dv = 4096 and bias = UNIT/2: v = 32768 every step; vth = UNIT/4 = 16384.
    // thetaPlus = UNIT/2 = 32768, dTheta = 2048 halves theta. Fire when v - theta >= vth:
    //   t0 theta 0     -> fire, theta 32768     t1 theta 32768 -> 0 < vth, theta 16384
    //   t2 theta 16384 -> fire, theta 40960     t3 theta 40960 -> no,      theta 20480
    //   t4 theta 20480 -> 12288 < vth, 10240    t5 theta 10240 -> fire,    theta 37888
    const params = lif({ dv: 4096, bias: UNIT / 2, vth: UNIT / 4, thetaPlus: UNIT / 2, dTheta: 2048 });
    const image = chipImage([{ slot: 0, groups: [{ kind: 'neurons', count: 1, params }] }]);
    const emulator = createCpuEmulatorWithState(image, { seed: 1, recordCores: [true] });
    const theta: number[] = [];
    for (let t = 0; t < 6; t++) {
      await emulator.run(1);
      theta.push(emulator.neuronState(0).theta[0]);
    }
    expect(spikeSteps(emulator.spikeEvents(), 0, 0)).toEqual([0, 2, 5]);
    expect(theta).toEqual([32768, 16384, 40960, 20480, 10240, 37888]);
    // Without adaptation the same neuron fires every step.
    const plain = createCpuEmulatorWithState(chipImage([{ slot: 0, groups: [{ kind: 'neurons', count: 1, params: { ...params, thetaPlus: 0 } }] }]), { seed: 1 });
    await plain.run(6);
    expect(plain.spikeCounts()[0][0]).toBe(6);
  });
});

describe('initial voltages', () => {
  it('starts v where the image says, and only there', async () => {
    const image = chipImage([{ slot: 0, groups: [{ kind: 'neurons', count: 2, params: lif({ vth: UNIT }) }] }]);
    const withInit = { ...image, cores: [{ ...image.cores[0], groups: [{ ...image.cores[0].groups[0], initV: Int32Array.from([2 * UNIT, UNIT / 2]) }] }] };
    const emulator = createCpuEmulatorWithState(withInit, { seed: 1, recordCores: [true] });
    expect(Array.from(emulator.neuronState(0).v)).toEqual([2 * UNIT, UNIT / 2]);
    await emulator.run(3);
    // dv = 0: slot 0 starts above threshold and fires at step 0; slot 1 keeps UNIT/2 and never fires.
    expect(spikeSteps(emulator.spikeEvents(), 0, 0)).toEqual([0]);
    expect(spikeSteps(emulator.spikeEvents(), 0, 1)).toEqual([]);
    expect(emulator.neuronState(0).v[1]).toBe(UNIT / 2);
  });
});

describe('inputs from lists', () => {
  it('sends the spikes of a file at their steps', async () => {
    const encoding = { kind: 'spikes', steps: Uint32Array.from([1, 1, 4]), neurons: Uint32Array.from([0, 2, 1]) } as const;
    const image = chipImage([{ slot: 0, groups: [{ kind: 'input', count: 3, encoding }] }]);
    const emulator = createCpuEmulatorWithState(image, { seed: 1, recordCores: [true] });
    await emulator.run(6);
    const events = emulator.spikeEvents();
    expect([0, 1, 2].map((n) => spikeSteps(events, 0, n))).toEqual([[1], [4], [1]]);
    expect(emulator.counters().total.input_spikes).toBe(3);
  });

  it('takes spikes from the host for an external input, by population name', async () => {
    const program = 'input x[4] { encoding = external }\nneuron N { model = lif }\npopulation y[2] : N\nconnect x -> y { weight = 0.5 }\nprobe x';
    const { image } = compileSource(program, 'ext.snn');
    if (image === undefined) throw new Error('no image');
    const emulator = createCpuEmulatorWithState(image, { seed: 1, recordCores: image.cores.map(() => true) });
    emulator.setExternalInput('x', Uint32Array.from([5, 2, 2, 2]), Uint32Array.from([1, 3, 0, 3]));
    await emulator.run(3);
    // Fed again: what was not yet sent is replaced (the step-5 spike is dropped).
    emulator.setExternalInput('x', Uint32Array.from([4]), Uint32Array.from([2]));
    await emulator.run(4);
    const x = image.symbols.populations.find((p) => p.name === 'x')!.pieces[0];
    const events = emulator.spikeEvents();
    expect([0, 1, 2, 3].map((n) => spikeSteps(events, x.core, x.first + n))).toEqual([[2], [], [4], [2]]);
    expect(emulator.counters().total.input_spikes).toBe(3);
    expect(() => emulator.setExternalInput('y', Uint32Array.from([9]), Uint32Array.from([0]))).toThrow(/not an input with encoding = external/);
    expect(() => emulator.setExternalInput('nope', new Uint32Array(0), new Uint32Array(0))).toThrow(/no population/);
    expect(() => emulator.setExternalInput('x', Uint32Array.from([1]), Uint32Array.from([0]))).toThrow(/already run/);
    expect(() => emulator.setExternalInput('x', Uint32Array.from([9]), Uint32Array.from([4]))).toThrow(/outside/);
  });
});
