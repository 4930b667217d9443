// What a backend is: the process model of Lava kept apart from how it runs.
// Both backends (emulator/cpu, emulator/webgpu) implement Emulator and must
// agree to the bit on spikes, counters and cycles.
import type { ChipImage } from '../isa/image/types.js';

/** Operation counts: the only thing energy and time are computed from. */
export const COUNTER_NAMES = [
  'synaptic_ops',
  'synaptic_updates',
  'neuron_updates_active',
  'neuron_updates_inactive',
  'spikes',
  'input_spikes',
  'packets',
  'hops_east_west',
  'hops_north_south',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

/** Totals over the run, per core (index into ChipImage.cores) and summed. */
export interface Counters {
  readonly total: Readonly<Record<CounterName, number>>;
  readonly byCore: readonly Readonly<Record<CounterName, number>>[];
}

/** Spikes of the recorded neurons, in step order: event i is (step[i], core[i], neuron[i]). */
export interface SpikeEvents {
  readonly step: Uint32Array;
  readonly core: Uint16Array;
  readonly neuron: Uint16Array;
}

export interface RunOptions {
  /** Seed of the counter-based generators (Poisson inputs). */
  readonly seed: number;
  /** Which cores' spikes to keep as events: per core index, true to record every spike of that core. */
  readonly recordCores?: readonly boolean[];
}

export interface Emulator {
  readonly backend: 'cpu' | 'webgpu';
  /** Advances the chip by `steps` time steps. */
  run(steps: number): Promise<void>;
  /** Steps run so far. */
  readonly stepsRun: () => number;
  counters(): Counters;
  /** Cycles of each step run so far (the step's critical path plus its barrier). */
  stepCycles(): Float64Array;
  /** Spike count of every neuron slot, per core. */
  spikeCounts(): readonly Uint32Array[];
  /** Events of the recorded cores. */
  spikeEvents(): SpikeEvents;
  dispose(): void;
}

export type CreateEmulator = (image: ChipImage, options: RunOptions) => Promise<Emulator>;
