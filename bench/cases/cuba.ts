// CUBA (Vogels & Abbott 2005) side by side with Brian2 2.5 cpp_standalone (one
// thread, bench/brian2/cuba.py): the same network, dt and simulated time,
// alternating Meso and Brian2 runs, several repetitions, medians. Construction
// (Meso: compile + load, and the JIT compiles they leave queued, harness.ts
// settle; Brian2: synapse creation and initialisation inside the binary) is
// timed apart from simulation. Meso runs with 1 and with 2 threads
// (emulator/cpu/threaded.ts), Brian2 between them. Meso runs with full cycle and energy
// accounting (the CPU backend always keeps both). docs/performance.md has the figures.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSource, hasErrors, renderDiagnostic } from '../../compiler/index.js';
import { createEmulator } from '../../emulator/index.js';
import { chipTimeS, energyOf } from '../../emulator/energy.js';
import { cpuMemory } from '../../emulator/cpu/memory.js';
import { CpuEmulatorImpl } from '../../emulator/cpu/cpu.js';
import type { ChipImage } from '../../isa/image/types.js';
import { median, peakRssBytes, settle, timed, type BenchCase, type BenchContext } from '../harness.js';
import { CUBA, cubaSource } from './cuba-network.js';

const PYTHON = '/usr/bin/python3';
const BRIAN_SCRIPT = 'bench/brian2/cuba.py';

interface SideRun {
  readonly constructS: number;
  readonly simulateS: number;
  readonly spikes: number;
  readonly rateHz: number;
  readonly synapses: number;
}

interface MesoRun extends SideRun {
  readonly events: number;
  readonly updates: number;
  readonly bytesPerSynapse: number;
  readonly synapseTableBytesPerSynapse: number;
  readonly energyJ: number;
  readonly cores: number;
  readonly chips: number;
}

export interface CubaCase {
  readonly neurons: number;
  readonly dtMs: number;
  readonly durationS: number;
  readonly p: number;
}

/** Brian2 available from Debian's python3 (the yardstick), or why not. */
export function brian2Available(): true | string {
  const r = spawnSync(PYTHON, ['-c', 'import brian2'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found (${r.error.message})`;
  return r.status === 0 ? true : `${PYTHON} cannot import brian2: ${r.stderr.trim().split('\n').pop() ?? ''}`;
}

/** CUBA's image at this size, dt and connection probability (cuba-network.ts), or why it does not compile. */
export function compileCuba(neurons: number, dtMs: number, p: number): ChipImage {
  const text = cubaSource(neurons, dtMs, p);
  const r = compileSource(text, `cuba-${neurons}.snn`);
  if (hasErrors(r.diagnostics) || r.image === undefined) {
    throw new Error(`the CUBA network does not compile:\n${r.diagnostics.map((d) => renderDiagnostic(d, text)).join('\n')}`);
  }
  return r.image;
}

async function mesoOnce(c: CubaCase, seed: number, threads: number): Promise<MesoRun> {
  const built = await timed(async () => {
    const image = compileCuba(c.neurons, c.dtMs, c.p);
    const emulator = await createEmulator('cpu', image, { seed, threads });
    // The compiles construction left to V8's background threads are construction's (harness.ts settle).
    await settle();
    return { image, emulator };
  });
  const { image, emulator } = built.value;
  const steps = Math.round(c.durationS / (c.dtMs * 1e-3));
  const sim = await timed(async () => {
    await emulator.run(steps);
    // The energy report's work, counted with the simulation as a Meso user gets it.
    const counters = emulator.counters();
    let cycles = 0;
    for (const x of emulator.stepCycles()) cycles += x;
    return { counters, energy: energyOf(counters.total, image.profile, chipTimeS(cycles, image.profile)) };
  });
  const total = sim.value.counters.total;
  // The packet buffers grow when a step sends more than they hold: count them as they are.
  const memory = emulator instanceof CpuEmulatorImpl ? cpuMemory(image, emulator.fanOuts(), emulator.packetBufferBytes(), emulator.arenaOverheadBytes()) : cpuMemory(image);
  emulator.dispose();
  return {
    constructS: built.seconds,
    simulateS: sim.seconds,
    spikes: total.spikes,
    rateHz: total.spikes / c.neurons / c.durationS,
    synapses: memory.synapses,
    events: total.synaptic_ops,
    updates: total.neuron_updates_active + total.neuron_updates_inactive,
    bytesPerSynapse: memory.totalBytes / memory.synapses,
    synapseTableBytesPerSynapse: (memory.synapseBytes + memory.axonBytes) / memory.synapses,
    energyJ: sim.value.energy.totalJ,
    cores: image.cores.length,
    chips: image.profile.board.chips,
  };
}

function brianOnce(c: CubaCase, seed: number): SideRun {
  const dir = join(tmpdir(), 'meso-bench-brian2', `cuba-${c.neurons}-${c.dtMs}ms-p${c.p}`);
  mkdirSync(dir, { recursive: true });
  const args = [BRIAN_SCRIPT, '--neurons', String(c.neurons), '--dt-ms', String(c.dtMs), '--duration-s', String(c.durationS), '--seed', String(seed), '--p', String(c.p), '--build-dir', dir];
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const j = JSON.parse(line) as { construct_s: number; simulate_s: number; spikes: number; rate_hz: number; synapses: number };
  return { constructS: j.construct_s, simulateS: j.simulate_s, spikes: j.spikes, rateHz: j.rate_hz, synapses: j.synapses };
}

const fmt = (x: number, digits = 3): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mega = (x: number): string => `${fmt(x / 1e6, 2)} M`;

/** Runs one CUBA configuration: `reps` alternating repetitions of Meso and (when vs) Brian2, then medians. */
export async function runCuba(ctx: BenchContext, name: string, c: CubaCase, reps: number, vs: boolean): Promise<void> {
  const steps = Math.round(c.durationS / (c.dtMs * 1e-3));
  ctx.log(`${name}: ${c.neurons.toLocaleString('en-US')} neurons, p = ${c.p}, dt = ${c.dtMs} ms, ${c.durationS} s simulated (${steps.toLocaleString('en-US')} steps), ${reps} repetitions, medians`);
  const meso: MesoRun[] = [];
  const meso2: MesoRun[] = [];
  const brian: SideRun[] = [];
  for (let r = 0; r < reps; r++) {
    meso.push(await mesoOnce(c, r + 1, 1));
    if (vs) brian.push(brianOnce(c, r + 1));
    meso2.push(await mesoOnce(c, r + 1, 2));
  }
  // The threaded engine is deterministic: the same spikes as one thread, or the benchmark is wrong.
  for (let r = 0; r < reps; r++) {
    if (meso2[r].spikes !== meso[r].spikes || meso2[r].events !== meso[r].events) throw new Error(`${name}: 2 threads gave ${meso2[r].spikes} spikes, 1 thread ${meso[r].spikes}`);
  }
  const simulate2 = median(meso2.map((x) => x.simulateS));
  const m = (f: (x: MesoRun) => number): number => median(meso.map(f));
  const b = (f: (x: SideRun) => number): number => median(brian.map(f));
  const simulate = m((x) => x.simulateS);
  const first = meso[0];
  ctx.log(`  meso (cpu, 1 thread): ${first.synapses.toLocaleString('en-US')} synapses on ${first.cores} cores, ${first.chips} chip${first.chips === 1 ? '' : 's'}`);
  ctx.log(`    construct ${fmt(m((x) => x.constructS))} s   simulate ${fmt(simulate)} s   rate ${fmt(m((x) => x.rateHz), 2)} Hz`);
  ctx.log(`    ${fmt(steps / simulate, 0)} steps/s   ${mega(m((x) => x.events) / simulate)} synaptic events/s   ${mega(m((x) => x.updates) / simulate)} neuron updates/s`);
  ctx.log(`    ${fmt(first.bytesPerSynapse, 2)} bytes per synapse in emulator memory (synapse words and axon tables: ${fmt(first.synapseTableBytesPerSynapse, 2)}), peak RSS ${fmt(peakRssBytes() / 2 ** 20, 0)} MiB, chip energy ${fmt(first.energyJ * 1e3, 3)} mJ`);
  ctx.record(`${name}_meso_construct_s`, m((x) => x.constructS), 's');
  ctx.record(`${name}_meso_simulate_s`, simulate, 's');
  ctx.record(`${name}_meso_rate_hz`, m((x) => x.rateHz), 'Hz');
  ctx.record(`${name}_meso_steps_per_s`, steps / simulate, 'steps/s');
  ctx.record(`${name}_meso_events_per_s`, m((x) => x.events) / simulate, 'events/s');
  ctx.record(`${name}_meso_updates_per_s`, m((x) => x.updates) / simulate, 'updates/s');
  ctx.record(`${name}_meso_bytes_per_synapse`, first.bytesPerSynapse, 'B');
  ctx.record(`${name}_meso_synapse_table_bytes_per_synapse`, first.synapseTableBytesPerSynapse, 'B');
  ctx.record(`${name}_peak_rss`, peakRssBytes(), 'B');
  ctx.log(`  meso (cpu, 2 threads): simulate ${fmt(simulate2)} s   ${fmt(steps / simulate2, 0)} steps/s   (${fmt(simulate / simulate2, 2)}x one thread; same spikes)`);
  // Two threads keep a second timer's packet buffers where the first worker shares the timing (threaded.ts).
  ctx.log(`    ${fmt(meso2[0].bytesPerSynapse, 2)} bytes per synapse in emulator memory`);
  ctx.record(`${name}_meso2_simulate_s`, simulate2, 's');
  ctx.record(`${name}_meso2_bytes_per_synapse`, meso2[0].bytesPerSynapse, 'B');
  ctx.record(`${name}_meso2_steps_per_s`, steps / simulate2, 'steps/s');
  if (!vs) return;
  const bSim = b((x) => x.simulateS);
  const bRate = b((x) => x.rateHz);
  const mRate = m((x) => x.rateHz);
  ctx.log(`  brian2 2.5 cpp_standalone (1 thread): ${brian[0].synapses.toLocaleString('en-US')} synapses`);
  ctx.log(`    construct ${fmt(b((x) => x.constructS))} s   simulate ${fmt(bSim)} s   rate ${fmt(bRate, 2)} Hz   ${fmt(steps / bSim, 0)} steps/s`);
  ctx.log(`  meso / brian2 speed (simulate): ${fmt(bSim / simulate, 3)}x with 1 thread, ${fmt(bSim / simulate2, 3)}x with 2   rate difference ${fmt((100 * (mRate - bRate)) / bRate, 1)}%`);
  // Each repetition's own ratios (Brian2 runs between Meso's two): how much the machine moved during the case.
  const pairs = brian.map((x, r) => [x.simulateS / meso[r].simulateS, x.simulateS / meso2[r].simulateS]);
  const range = (k: number): string => `${fmt(Math.min(...pairs.map((q) => q[k])), 3)}-${fmt(Math.max(...pairs.map((q) => q[k])), 3)}x`;
  ctx.log(`    per repetition: ${range(0)} with 1 thread, ${range(1)} with 2`);
  ctx.record(`${name}_brian2_construct_s`, b((x) => x.constructS), 's');
  ctx.record(`${name}_brian2_simulate_s`, bSim, 's');
  ctx.record(`${name}_brian2_rate_hz`, bRate, 'Hz');
  ctx.record(`${name}_speed_vs_brian2`, bSim / simulate, 'x');
  ctx.record(`${name}_speed_vs_brian2_2_threads`, bSim / simulate2, 'x');
  ctx.record(`${name}_rate_difference`, (mRate - bRate) / bRate, 'fraction');
}

interface CaseRuns {
  readonly durationS: number;
  readonly reps: number;
}

/** A CUBA case: full-size unless --quick, which simulates `quick` (default: 1 s with 2 repetitions). */
function cubaCase(name: string, neurons: number, dtMs: number, p: number, description: string, full: CaseRuns, quick: CaseRuns = { durationS: 1, reps: 2 }): BenchCase {
  return {
    name,
    description,
    run: async (ctx) => {
      const vs = ctx.vs.includes('brian2');
      if (vs) {
        const ok = brian2Available();
        if (ok !== true) throw new Error(`--vs brian2: ${ok}; install Debian's python3-brian or run with --vs none`);
      }
      const durationS = ctx.quick ? Math.min(quick.durationS, full.durationS) : full.durationS;
      await runCuba(ctx, name, { neurons, dtMs, durationS, p }, ctx.quick ? quick.reps : full.reps, vs);
    },
  };
}

export const CUBA_CASES: readonly BenchCase[] = [
  // Seven repetitions at 4,000 neurons (a few seconds each): this machine's speed moves by up to 1.5x between runs.
  cubaCase('cuba-4k-1ms', 4000, 1, CUBA.p, 'CUBA, 4,000 neurons, dt = 1 ms, 10 s, vs Brian2', { durationS: 10, reps: 7 }),
  cubaCase('cuba-4k-0.1ms', 4000, 0.1, CUBA.p, 'CUBA, 4,000 neurons, dt = 0.1 ms, 10 s, vs Brian2', { durationS: 10, reps: 7 }),
  // 40,000 neurons: 32 M synapses on about 8,000 loihi-like cores over 63 chips (the fan-in limit of
  // 4,096 axons per core leaves room for 5 CUBA neurons a core). --quick simulates 0.1 s once.
  cubaCase('cuba-40k-1ms', 40000, 1, CUBA.p, 'CUBA, 40,000 neurons, dt = 1 ms, 10 s, vs Brian2', { durationS: 10, reps: 3 }, { durationS: 0.1, reps: 1 }),
  cubaCase('cuba-40k-0.1ms', 40000, 0.1, CUBA.p, 'CUBA, 40,000 neurons, dt = 0.1 ms, 10 s, vs Brian2', { durationS: 10, reps: 3 }, { durationS: 0.1, reps: 1 }),
  // 1,000,000 synapses: 5,000 neurons at p = 0.04 (CUBA's weights and neurons, twice its connectivity).
  cubaCase('random-1m', 5000, 1, 0.04, 'random network of 1 M synapses (CUBA neurons, 5,000 at p = 0.04), dt = 1 ms, 10 s, vs Brian2', { durationS: 10, reps: 3 }),
];
