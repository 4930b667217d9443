// The threaded CPU engine gives the one-thread result to the bit: spikes,
// counters, cycles, per-step counters, timing and neuron state, for any thread
// count. (Its worker runs from dist/, which `npm test` builds before vitest.)
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { cubaSource } from '../../../bench/cases/cuba-network.js';
import { syntheticImage } from '../../../bench/cases/webgpu.js';
import { compileSource } from '../../../compiler/index.js';
import { createEmulator } from '../../../emulator/index.js';
import { BALANCE_PARTS, BALANCE_STEPS, SHARE_CLEAR_FILL, SHARE_CLEAR_TIMING, SHARE_MAX_WORKER_BUSY, SHARE_MIN_REST_MS, WARMUP_PART_MS, CTL_GENERATION, CTL_LENGTH, CTL_SLEEPERS, balanceWindow, coreBalance, resetBalance, windowComplete, coreRanges, createThreadedCpuEmulator, idleWorkerCount, lendWorker, threadingObstacle, wake, type CoreBalance, type ThreadedCpu } from '../../../emulator/cpu/threaded.js';
import type { CpuEmulator, CpuEmulatorImpl } from '../../../emulator/cpu/cpu.js';
import type { ChipImage } from '../../../isa/image/types.js';
import { builtinProfile } from '../../../isa/profile.js';

function compiled(text: string, profile?: string): ChipImage {
  const r = compileSource(text, 'test.snn', profile === undefined ? {} : { profile: builtinProfile(profile) });
  if (r.image === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.image;
}

/** Everything a run shows, as one comparable value. */
function observe(e: CpuEmulator, cores: number): unknown {
  const timing = e.timing();
  return {
    counters: e.counters(),
    cycles: Array.from(e.stepCycles()),
    perStep: Array.from(e.stepCounters()),
    spikeCounts: e.spikeCounts().map((a) => Array.from(a)),
    events: Object.values(e.spikeEvents()).map((a: Uint32Array | Uint16Array) => Array.from(a)),
    timing: { ...timing, stepLatencyCycles: Array.from(timing.stepLatencyCycles), phaseCyclesByCore: Array.from(timing.phaseCyclesByCore), noc: { ...timing.noc, linkLoad: Array.from(timing.noc.linkLoad) } },
    state: Array.from({ length: cores }, (_, c) => Object.values(e.neuronState(c)).map((a: Int32Array) => Array.from(a))),
  };
}

/** `share`: the first worker times every other step (from the start; the balance would choose it only after its survey). */
async function runWith(image: ChipImage, threads: number, chunks: readonly number[], share = false): Promise<unknown> {
  const e = await createThreadedCpuEmulator(image, { seed: 3, recordCores: image.cores.map(() => true) }, threads);
  if (share) (e as ThreadedCpu).setTimingShared(true);
  try {
    // Several run() calls: the deferred timing of the last step must be flushed at each.
    for (const steps of chunks) await e.run(steps);
    return observe(e, image.cores.length);
  } finally {
    e.dispose();
  }
}

const MIXED = `
neuron Lif { model = lif; tau_mem = 10 ms; tau_syn_exc = 2 ms; tau_syn_inh = 4 ms; refractory = 2 ms; bias = 0.01 }
neuron Adaptive { model = alif; tau_mem = 20 ms; theta_plus = 0.3; tau_adapt = 50 ms }
input noise[40] { encoding = poisson(max_rate = 150 Hz) }
input clock[4] { encoding = periodic(period = 7 ms, phase = 2 ms) }
population a[1500] : Lif { init v = uniform(0, 1) }
population b[600] : Adaptive
connect noise -> a { pattern = random(p = 0.1, seed = 1); weight = uniform(0.05, 0.4) }
connect clock -> b { weight = 0.3 }
connect a -> b { pattern = random(p = 0.01, seed = 2); weight = normal(0.2, 0.05); delay = 3 ms }
connect b -> a { pattern = random(p = 0.01, seed = 3); weight = -0.2; delay = 2 ms }
connect a -> a { pattern = random(p = 0.002, seed = 4); weight = uniform(-0.1, 0.3) }
`;

describe('threaded CPU engine', () => {
  it('gives the same spikes, counters, cycles, timing and state with 1, 2 and 3 threads, the timing shared or not (LIF, ALIF, Poisson, periodic, delays)', async () => {
    const image = compiled(MIXED);
    expect(image.cores.length).toBeGreaterThanOrEqual(3);
    expect(threadingObstacle(image)).toBeUndefined();
    const one = await runWith(image, 1, [120, 1, 79]);
    const spikes = (one as { counters: { total: { spikes: number } } }).counters.total.spikes;
    expect(spikes).toBeGreaterThan(50);
    expect(await runWith(image, 2, [120, 1, 79])).toEqual(one);
    expect(await runWith(image, 2, [120, 1, 79], true)).toEqual(one);
    expect(await runWith(image, 3, [200])).toEqual(one);
    expect(await runWith(image, 3, [77, 123], true)).toEqual(one);
  });

  it('agrees on CUBA over 10 cores and on a synthetic 16-core image', async () => {
    const cuba = compiled(cubaSource(4000, 1));
    expect(cuba.cores.length).toBeGreaterThan(2);
    const one = await runWith(cuba, 1, [150]);
    expect(await runWith(cuba, 2, [150])).toEqual(one);
    expect(await runWith(cuba, 2, [150], true)).toEqual(one);
    const synthetic = syntheticImage(1 << 19);
    expect(await runWith(synthetic, 2, [60], true)).toEqual(await runWith(synthetic, 1, [60]));
  });

  it('times odd steps on the first worker: its NoC totals count once however often the timing is read, and its buffers count in memory', async () => {
    const image = compiled(cubaSource(4000, 1));
    const plain = (await createThreadedCpuEmulator(image, { seed: 2 }, 1)) as CpuEmulatorImpl;
    const threaded = (await createThreadedCpuEmulator(image, { seed: 2 }, 2)) as ThreadedCpu & CpuEmulatorImpl;
    threaded.setTimingShared(true);
    try {
      // Odd and even chunks, the timing read after each: the worker hands over only the steps since the last read.
      for (const steps of [31, 2, 40, 1]) {
        await plain.run(steps);
        await threaded.run(steps);
        expect(threaded.timingShared()).toBe(true);
        const noc = threaded.timing().noc;
        expect({ ...noc, linkLoad: Array.from(noc.linkLoad) }).toEqual({ ...plain.timing().noc, linkLoad: Array.from(plain.timing().noc.linkLoad) });
        expect(Array.from(threaded.timing().stepLatencyCycles)).toEqual(Array.from(plain.timing().stepLatencyCycles));
      }
      expect(plain.timing().noc.packets).toBeGreaterThan(1000);
      // Two timers, each with its own batch and NoC buffers (CUBA keeps no inboxes: the timer's are nearly all of them).
      expect(threaded.packetBufferBytes()).toBeGreaterThan(1.5 * plain.packetBufferBytes());
    } finally {
      plain.dispose();
      threaded.dispose();
    }
  });

  it('gives the same result while cores move between the main thread and the first worker and the timing is shared or not (spike lists included)', async () => {
    // The periodic clock becomes a spike list: its position in the list is the
    // one piece of per-core state kept outside shared memory, per thread.
    const base = compiled(MIXED);
    let listed = 0;
    const image: ChipImage = {
      ...base,
      cores: base.cores.map((core) => ({
        ...core,
        groups: core.groups.map((g) => {
          if (g.kind !== 'input' || g.encoding.kind !== 'periodic') return g;
          const steps: number[] = [];
          const neurons: number[] = [];
          for (let t = 3; t < 200; t += 5) for (let k = 0; k < g.count; k += 1 + (t % 2)) (steps.push(t), neurons.push(k));
          listed += steps.length;
          return { ...g, encoding: { kind: 'spikes' as const, steps: Uint32Array.from(steps), neurons: Uint32Array.from(neurons) } };
        }),
      })),
    };
    expect(listed).toBeGreaterThan(0);
    const one = await runWith(image, 1, [200]);
    const e = (await createThreadedCpuEmulator(image, { seed: 3, recordCores: image.cores.map(() => true) }, 2)) as ThreadedCpu;
    try {
      const end = e.coreSplit() + 1;
      // Every boundary, back and forth, a few steps each (shorter than the balance's windows), the timing shared at every other.
      const splits = [0, end - 1, 1, 0, end - 1, 2 % end, 0];
      let done = 0;
      for (const [k, split] of splits.entries()) {
        e.setCoreSplit(split);
        e.setTimingShared(k % 2 === 1);
        expect(e.coreSplit()).toBe(split);
        expect(e.timingShared()).toBe(k % 2 === 1);
        const steps = k === splits.length - 1 ? 200 - done : 23;
        await e.run(steps);
        done += steps;
      }
      expect(observe(e, image.cores.length)).toEqual(one);
      expect(() => e.setCoreSplit(image.cores.length)).toThrow(/split must be in/);
    } finally {
      e.dispose();
    }
  });

  it('moves the boundary to the split with the fastest steps, shares the timing where that is faster, and probes less and less often', () => {
    /**
     * Runs `windows` windows with step time cost(split, share) and the timing's share of a step `fraction`
     * (unknown by default); returns the settings the windows ran at, as the split with an 's' when shared.
     */
    const drive = (b: CoreBalance, cost: (split: number, share: boolean) => number, windows: number, fraction = NaN): string[] => {
      const seen: string[] = [];
      for (let w = 0; w < windows; w++) {
        seen.push(`${b.split}${b.share ? 's' : ''}`);
        // Costs in microseconds a step, as the engine's CUBA steps take: the warm-up's length depends on it.
        balanceWindow(b, cost(b.split, b.share) / 1000, fraction);
        expect(b.split).toBeGreaterThanOrEqual(0);
        expect(b.split).toBeLessThan(b.end);
      }
      return seen;
    };
    /** Sharing the timing a fifth slower, as where the timing is a small part of a step. */
    const unshared = (f: (split: number) => number) => (split: number, share: boolean) => f(split) * (share ? 1.2 : 1);
    // Two windows of warm-up, then a survey: the setting it starts at, split 0 shared (twice: the first shared window is
    // not judged), then 0, 1, 2, 4 ... and the last; then again, in the reverse order, the unshared ones within
    // SURVEY_CUTOFF of the fastest; then the fastest by the mean of its two windows.
    const down = coreBalance(3, 8);
    const falling = drive(down, unshared((split) => 30 + 2 * split), 400);
    expect(falling.slice(0, 15)).toEqual(['3', '3', '3', '0s', '0s', '0', '1', '2', '4', '7', '2', '1', '0', '3', '0']);
    // A window that ran fast while the network settled (the survey's first, at the split it starts at) does not decide:
    // its second window counts as much. Split 3 is a local best that probes of 1 and 2 cores do not leave.
    const dip = [20, 30, 30, 24, 30, 30, 30, 30];
    let windows = 0;
    // Windows 0 and 1 are the warm-up; window 2 is the survey's first.
    const lucky = drive(coreBalance(3, 8), unshared((split) => (windows++ === 2 ? 18 : dip[split])), 200, SHARE_MAX_WORKER_BUSY * 2);
    expect(lucky.slice(0, 3)).toEqual(['3', '3', '3']);
    expect(lucky.slice(50).filter((x) => x === '0').length).toBeGreaterThan(150 * 0.9);
    // The first worker's timing code is cold in the first shared window (10x a step here): sharing, faster once warm, is still chosen.
    let sharedWindows = 0;
    const cold = drive(coreBalance(3, 8), (split, share) => (share ? (sharedWindows++ === 0 ? 200 : 10) : 20 + split), 12);
    expect(cold.slice(0, 6)).toEqual(['3', '3', '3', '0s', '0s', '0s']);
    // A caller's choice of sharing holds from the start.
    expect(drive(coreBalance(3, 8, false), unshared(() => 1), 3)).toEqual(['3', '3', '3']);
    expect(drive(coreBalance(3, 8, true), unshared(() => 1), 3)).toEqual(['3s', '3s', '3s']);
    // A window is BALANCE_PARTS parts; in the survey, one part a quarter slower than the best setting so far ends it.
    const surveying = coreBalance(3, 8);
    expect(windowComplete(surveying, 1, 0.1)).toBe(false);
    balanceWindow(surveying, 0.001);
    balanceWindow(surveying, 0.001);
    expect(windowComplete(surveying, 1, 0.1)).toBe(false);
    // (The worker too busy to share: the next setting surveyed is split 0 without sharing.)
    balanceWindow(surveying, 0.01, SHARE_MAX_WORKER_BUSY * 2);
    expect({ split: surveying.split, share: surveying.share }).toEqual({ split: 0, share: false });
    expect(windowComplete(surveying, 1, 0.012)).toBe(false);
    expect(windowComplete(surveying, 1, 0.0126)).toBe(true);
    expect(windowComplete(surveying, BALANCE_PARTS - 1, 0.01)).toBe(false);
    expect(windowComplete(surveying, BALANCE_PARTS, 0.01)).toBe(true);
    expect(windowComplete(down, 1, 1)).toBe(false);
    // A shared setting in the survey runs its whole window, however slow a part (it is judged by the time a packet).
    const sharing = coreBalance(3, 8);
    balanceWindow(sharing, 0.001);
    balanceWindow(sharing, 0.001);
    balanceWindow(sharing, 0.01);
    expect(sharing.share).toBe(true);
    expect(windowComplete(sharing, 1, 1)).toBe(false);
    expect(windowComplete(sharing, BALANCE_PARTS, 1)).toBe(true);
    // Long steps (CUBA 40,000 at 1 ms: 15 ms): one part of WARMUP_PART_MS ends the warm-up, and the survey starts at once.
    const slow = coreBalance(3, 8);
    expect(windowComplete(slow, 1, WARMUP_PART_MS / BALANCE_STEPS / 2)).toBe(false);
    expect(windowComplete(slow, 1, WARMUP_PART_MS / BALANCE_STEPS)).toBe(true);
    balanceWindow(slow, 15);
    expect(slow.warmup).toBe(0);
    balanceWindow(slow, 15);
    expect(slow.split).toBe(0);
    expect(slow.share).toBe(true);
    // The first shared window is not judged; then, shared faster than every split without sharing so far: the survey's
    // splits without sharing are passed over.
    balanceWindow(slow, 30);
    expect({ split: slow.split, share: slow.share, surveyNext: slow.surveyNext }).toEqual({ split: 0, share: true, surveyNext: 2 });
    balanceWindow(slow, 3);
    expect({ split: slow.split, share: slow.share, surveyNext: slow.surveyNext }).toEqual({ split: 0, share: true, surveyNext: slow.survey.length + 1 });
    // Probes (a core either way, then a switch of sharing) come less and less often.
    expect(falling.slice(100).filter((x) => x !== '0').length).toBeLessThan(300 / 12);
    // A plateau between the start and the best split (as CUBA at 1 ms had): a local search from 3 would stay.
    const plateau = coreBalance(3, 8);
    expect(drive(plateau, unshared((split) => (split === 0 ? 30 : 36 + split / 100)), 200).slice(10).filter((x) => x === '0').length).toBeGreaterThan(190 * 0.9);
    // Fastest in the middle, from either end: the survey lands near it, the probes walk the rest.
    for (const start of [0, 7]) {
      const b = coreBalance(start, 8);
      const seen = drive(b, unshared((split) => 20 + Math.abs(split - 3)), 400);
      expect(seen.slice(100).filter((x) => x === '3').length).toBeGreaterThan(300 * 0.9);
    }
    // A slower split beside the one it is at (CUBA 4,000 at 0.1 ms, us a step by split): probes of two cores get over it,
    // one at a time walk on to the best. From split 0, as a survey in a slow stretch of the machine left it.
    const bumpy = [6.22, 6.53, 5.91, 5.63, 5.21, 5.41, 5.89, 6.39, 6.94, 7.5];
    const trapped = Object.assign(coreBalance(0, 10), { warmup: 0 });
    trapped.surveyNext = trapped.survey.length + 1;
    expect(drive(trapped, unshared((split) => bumpy[split]), 200).slice(100).filter((x) => x === '4').length).toBeGreaterThan(100 * 0.9);
    // Sharing faster (the timing most of a step), best with 2 cores on the main thread: the survey shares at split 0, the probes walk to 2.
    const shared = drive(coreBalance(5, 8), (split, share) => (share ? 10 + Math.abs(split - 2) : 20 + split), 400);
    expect(shared[3]).toBe('0s');
    expect(shared.slice(100).filter((x) => x === '2s').length).toBeGreaterThan(300 * 0.9);
    // The network changes (it starts to fire in bursts): a switch of sharing, probed after a fruitless round, finds it.
    const changing = coreBalance(1, 8);
    let bursts = false;
    const regime = drive(changing, (split, share) => (bursts === share ? 10 : 15) + split / 100, 400);
    expect(regime.slice(50, 100).filter((x) => x.endsWith('s')).length).toBeLessThan(50 / 10);
    bursts = true;
    expect(drive(changing, (split, share) => (bursts === share ? 10 : 15) + split / 100, 200).slice(100).filter((x) => x.endsWith('s')).length).toBeGreaterThan(100 * 0.9);
    // Where the first worker is busy for more than SHARE_MAX_WORKER_BUSY of a step, sharing is neither surveyed nor probed, even were it faster.
    const busy = SHARE_MAX_WORKER_BUSY * 1.2;
    const small = drive(coreBalance(3, 8), (split, share) => (share ? 10 : 30 + 2 * split), 400, busy);
    expect(small.slice(0, 13)).toEqual(['3', '3', '3', '0', '1', '2', '4', '7', '2', '1', '0', '3', '0']);
    expect(small.some((x) => x.endsWith('s'))).toBe(false);
    expect(drive(coreBalance(0, 1), (_, share) => (share ? 4 : 5), 20, busy).every((x) => x === '0')).toBe(true);
    // At the threshold it is.
    expect(drive(coreBalance(3, 8), (split, share) => (share ? 10 : 30 + 2 * split), 20, SHARE_MAX_WORKER_BUSY).slice(10)).toContain('0s');
    // Nor where the run has less than SHARE_MIN_REST_MS left: a first trial's cold steps would not pay (CUBA 4,000 at 1 ms).
    // Once it has shared (its timing code compiled), a switch is probed however little is left.
    const runOf = (b: CoreBalance, restMs: number, sharedCost: number): string[] => {
      const seen: string[] = [];
      for (let w = 0; w < 60; w++) {
        seen.push(`${b.split}${b.share ? 's' : ''}`);
        balanceWindow(b, (b.share ? sharedCost : 30 + 2 * b.split) / 1000, 0.1, NaN, restMs);
      }
      return seen;
    };
    expect(runOf(coreBalance(3, 8), SHARE_MIN_REST_MS * 0.99, 10).some((x) => x.endsWith('s'))).toBe(false);
    expect(runOf(coreBalance(3, 8), SHARE_MIN_REST_MS, 10).slice(0, 6)).toEqual(['3', '3', '3', '0s', '0s', '0s']);
    const tried = coreBalance(3, 8);
    expect(runOf(tried, SHARE_MIN_REST_MS, 100).slice(3, 6)).toEqual(['0s', '0s', '0']);
    expect(runOf(tried, 1, 10).slice(30).filter((x) => x.endsWith('s')).length).toBeGreaterThan(30 * 0.9);
    // The survey shares at split 0, where the first worker holds every core: its busy share there is the one measured at
    // the split it starts at, scaled by the cores' work. Busy 45% at split 3 with 5 of 8 equal cores is 72% at split 0:
    // the survey passes sharing over, as CUBA 4,000 at 1 ms needs (there sharing only cost its first cold steps).
    const cheap = (split: number, share: boolean): number => (share ? 10 : 30 + 2 * split);
    expect(drive(coreBalance(3, 8), cheap, 9, 0.45).slice(0, 9)).toEqual(['3', '3', '3', '0', '1', '2', '4', '7', '2']);
    // Where the cores the worker gives up for split 0 carry almost no work, 45% stays 45% there: it surveys sharing.
    const light = [0.01, 0.01, 0.01, 1, 1, 1, 1, 1];
    expect(drive(coreBalance(3, 8, false, light), cheap, 5, 0.45).slice(3, 5)).toEqual(['0s', '0s']);
    // And a caller's reset keeps the weights.
    const kept = coreBalance(3, 8, false, light);
    resetBalance(kept, 3, false);
    expect(Array.from(kept.work)).toEqual(Array.from(coreBalance(3, 8, false, light).work));
    // A bursting network: its step time moves by 2.2x with its activity every few windows, its time a packet does not.
    // Sharing, 40% cheaper a packet, is judged by the time a packet: kept from the survey on, and taken back by no probe.
    for (const phase of [0, 3]) {
      const drifting = coreBalance(3, 8);
      const settings: string[] = [];
      for (let w = 0; w < 200; w++) {
        settings.push(`${drifting.split}${drifting.share ? 's' : ''}`);
        const packets = Math.floor((w + phase) / 3) % 2 === 0 ? 1000 : 2200;
        const perPacket = drifting.share ? 0.006 : 0.01;
        balanceWindow(drifting, perPacket * packets, 0.1, perPacket);
      }
      expect(settings.slice(20).filter((x) => x.endsWith('s')).length).toBeGreaterThan(180 * 0.9);
    }
    // After the survey, differences under the margin (2%) move nothing for good.
    const flat = coreBalance(2, 8);
    const level = drive(flat, unshared((split) => 10 + 0.01 * (split - 2) ** 2), 200);
    // (The survey's second pass runs every split again here, all within SURVEY_CUTOFF: it ends after window 13.)
    expect(level[14]).toBe('2');
    expect(level.slice(15).filter((x) => x !== '2').length).toBeLessThan(185 / 6);
    // A first worker with one core: the split stays, sharing is still surveyed.
    const single = coreBalance(0, 1);
    const alone = drive(single, (_, share) => (share ? 4 : 5), 20);
    expect(alone.every((x) => x.startsWith('0'))).toBe(true);
    expect(alone.slice(5).filter((x) => x === '0s').length).toBeGreaterThan(15 * 0.7);
  });

  it('shares the timing without a trial where the main thread times for most of a step and the first worker idles', () => {
    // Two windows of warm-up, then the survey's first window, at split 3 of 8 equal cores, unshared.
    const surveyed = (workerBusy: number, timing: number, restMs = Infinity): CoreBalance => {
      const b = coreBalance(3, 8);
      balanceWindow(b, 0.001);
      balanceWindow(b, 0.001);
      balanceWindow(b, 0.01, workerBusy, NaN, restMs, timing);
      return b;
    };
    // CUBA 40,000 at 1 ms: timing 90% of a step, the worker busy 10% (16% at split 0): shared at split 0, survey over.
    const clear = surveyed(0.1, 0.9);
    expect({ split: clear.split, share: clear.share, done: clear.surveyNext > clear.survey.length }).toEqual({ split: 0, share: true, done: true });
    // The first shared window is not judged, and the next ones hold sharing, however slow, until a probe tries without.
    balanceWindow(clear, 0.05, 1, NaN, Infinity, 0.45);
    balanceWindow(clear, 0.05, 1, NaN, Infinity, 0.45);
    expect(clear.share).toBe(true);
    // Otherwise the survey goes on as before, to split 0 shared as a trial: the timing under SHARE_CLEAR_TIMING of a
    // step; not measured; half of it not fitting the worker's idle time (busy 50% at split 3 is 80% at split 0, as
    // CUBA 4,000 at 1 ms); or too little of the run left for a first trial.
    for (const b of [surveyed(0.1, SHARE_CLEAR_TIMING * 0.99), surveyed(0.1, NaN), surveyed(NaN, 0.9)]) {
      expect({ split: b.split, share: b.share, surveyNext: b.surveyNext }).toEqual({ split: 0, share: true, surveyNext: 2 });
    }
    // Busy w at split 3 is 1.6w at split 0, and a timing share above 1 counts as 1 (half of it: 0.5).
    const full = surveyed((SHARE_CLEAR_FILL / 2 / 1.6) * 1.1, 1.2);
    expect({ split: full.split, share: full.share, surveyNext: full.surveyNext }).toEqual({ split: 0, share: true, surveyNext: 2 });
    const fits = surveyed((SHARE_CLEAR_FILL / 2 / 1.6) * 0.9, 1.2);
    expect(fits.surveyNext).toBe(fits.survey.length + 1);
    // CUBA 40,000 at 0.1 ms: the worker busy half a step at split 0 and the timing 0.54 (the survey's window at split
    // 1), where unshared steps were faster. Its cores take more than half the timing: no sharing without a trial.
    const even = surveyed(0.49 / 1.6, 0.54);
    expect({ split: even.split, share: even.share }).toEqual({ split: 0, share: true });
    expect(even.surveyNext).toBe(2);
    const late = surveyed(0.1, 0.9, SHARE_MIN_REST_MS / 2);
    expect({ split: late.split, share: late.share }).toEqual({ split: 0, share: false });
    // After the survey, unshared and no probe under way: sharing is switched on at the split it is at.
    const after = coreBalance(3, 8, false);
    after.warmup = 0;
    after.surveyNext = after.survey.length + 1;
    after.sharedBefore = true;
    balanceWindow(after, 0.01, 0.1, NaN, Infinity, 0.9);
    expect({ split: after.split, share: after.share }).toEqual({ split: 3, share: true });
  });

  it('gives the same result while the balance moves the split by itself', async () => {
    const cuba = compiled(cubaSource(4000, 1));
    const one = await runWith(cuba, 1, [6000]);
    const e = (await createThreadedCpuEmulator(cuba, { seed: 3, recordCores: cuba.cores.map(() => true) }, 2)) as ThreadedCpu;
    try {
      // Its survey visits several splits after 1,024 steps of warm-up: one run of 6,000 steps, looked at every 500.
      const seen = new Set<number>();
      for (let k = 0; k < 12; k++) {
        await e.run(500);
        seen.add(e.coreSplit());
      }
      expect(seen.size).toBeGreaterThan(1);
      expect(observe(e, cuba.cores.length)).toEqual(one);
    } finally {
      e.dispose();
    }
  });

  it('says so when a worker fails, instead of waiting for it forever', async () => {
    const image = compiled(MIXED);
    const e = (await createThreadedCpuEmulator(image, { seed: 3 }, 2)) as ThreadedCpu;
    await e.run(10);
    // White-box: a split outside the first worker's cores, which setCoreSplit would refuse.
    (e as unknown as { balance: { split: number } }).balance.split = -1;
    const idle = idleWorkerCount();
    await expect(e.run(5)).rejects.toThrow(/a worker thread of the CPU backend failed: RangeError: the main thread handed this worker cores -1\.\./);
    // Its worker is not lent to another engine.
    expect(idleWorkerCount()).toBe(idle);
  });

  it("lends a disposed engine's workers to the next engine, whatever its image, with the same results", async () => {
    const mixed = compiled(MIXED);
    const cuba = compiled(cubaSource(4000, 1));
    const mixedOne = await runWith(mixed, 1, [90]);
    const cubaOne = await runWith(cuba, 1, [90]);
    const idle = idleWorkerCount();
    // Each engine takes what is idle and gives it all back: three threads take the two-thread engine's worker and one more.
    for (const [image, threads, one, share] of [[mixed, 2, mixedOne, true], [cuba, 3, cubaOne, false], [mixed, 3, mixedOne, false], [cuba, 2, cubaOne, true]] as const) {
      const before = idleWorkerCount();
      const e = await createThreadedCpuEmulator(image, { seed: 3, recordCores: image.cores.map(() => true) }, threads);
      expect(idleWorkerCount()).toBe(Math.max(0, before - (threads - 1)));
      if (share) (e as ThreadedCpu).setTimingShared(true);
      await e.run(90);
      expect(observe(e, image.cores.length)).toEqual(one);
      e.dispose();
      expect(idleWorkerCount()).toBe(Math.max(before, threads - 1));
    }
    expect(idleWorkerCount()).toBeGreaterThanOrEqual(Math.max(idle, 2));
  });

  it('lets a worker that fails outside a step end without throwing in the main thread', async () => {
    const worker = lendWorker();
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    // A setup it cannot build from: the worker throws outside any step, and its error event has no engine to hear it.
    worker.postMessage(null);
    expect(await exited).not.toBe(0);
  });

  it('stays on its range when a caller moves the split in the middle of a probe', async () => {
    const e = (await createThreadedCpuEmulator(compiled(cubaSource(4000, 1)), { seed: 1 }, 2)) as ThreadedCpu;
    try {
      // Windows of 128 steps: each run of 300 ends with the balance halfway through something; moving the split then must not leave it off the range.
      for (let k = 0; k < 12; k++) {
        e.setCoreSplit(k % 2 === 0 ? 0 : e.coreSplit());
        await e.run(300);
        expect(e.coreSplit()).toBeGreaterThanOrEqual(0);
      }
    } finally {
      e.dispose();
    }
  });

  it('is what the cpu backend gives for options.threads', async () => {
    const image = compiled(MIXED);
    const plain = await createEmulator('cpu', image, { seed: 3 });
    const threaded = await createEmulator('cpu', image, { seed: 3, threads: 2 });
    await plain.run(100);
    await threaded.run(100);
    expect(threaded.counters()).toEqual(plain.counters());
    expect(Array.from(threaded.stepCycles())).toEqual(Array.from(plain.stepCycles()));
    plain.dispose();
    threaded.dispose();
  });

  it('splits cores into contiguous, non-empty ranges and runs learning images on one thread', () => {
    const image = compiled(MIXED);
    for (const threads of [2, 3]) {
      const ranges = coreRanges(image, threads);
      expect(ranges).toHaveLength(threads);
      expect(ranges[0][0]).toBe(0);
      expect(ranges[threads - 1][1]).toBe(image.cores.length);
      for (let k = 0; k < threads; k++) {
        expect(ranges[k][1]).toBeGreaterThan(ranges[k][0]);
        if (k > 0) expect(ranges[k][0]).toBe(ranges[k - 1][1]);
      }
    }
    expect(threadingObstacle({ ...image, learning: {} as ChipImage['learning'] })).toMatch(/learns/);
  });

  it('waits for the step generation to change, not merely for a wake-up, and counts itself asleep for wake()', async () => {
    // A worker waits in waitForChange (from dist/, as the engine's workers run) on the
    // generation; a notify without a change must not release it, a change must.
    const control = new Int32Array(new SharedArrayBuffer(4 * CTL_LENGTH));
    const url = new URL('../../../dist/emulator/cpu/threaded.js', import.meta.url).href;
    const source = `const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.url).then((m) => parentPort.postMessage(m.waitForChange(workerData.control, ${CTL_GENERATION}, 0, 0)));`;
    const worker = new Worker(source, { eval: true, workerData: { control, url } });
    const results: number[] = [];
    const got = new Promise<void>((resolve) => worker.on('message', (v: number) => (results.push(v), resolve())));
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    // Once it is parked in Atomics.wait, notify wakes it (and says so) without changing the word.
    let woken = 0;
    for (let i = 0; i < 300 && woken === 0; i++) {
      await sleep(10);
      woken = Atomics.notify(control, CTL_GENERATION);
    }
    expect(woken).toBe(1);
    await sleep(100);
    expect(results).toEqual([]);
    // Asleep, it is counted: a change without a notify leaves it asleep, and wake() (which notifies only where a
    // thread is counted asleep) releases it.
    for (let i = 0; i < 300 && Atomics.load(control, CTL_SLEEPERS) === 0; i++) await sleep(10);
    expect(Atomics.load(control, CTL_SLEEPERS)).toBe(1);
    Atomics.store(control, CTL_GENERATION, 7);
    await sleep(100);
    expect(results).toEqual([]);
    wake(control, CTL_GENERATION);
    await got;
    expect(results).toEqual([7]);
    expect(Atomics.load(control, CTL_SLEEPERS)).toBe(0);
    await worker.terminate();
  });
});
