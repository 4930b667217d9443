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
  /** Hops over chip-to-chip links (a board of several chips); not counted in the two above. */
  'hops_chip_to_chip',
  /** SBP (emulator/cpu/learning.ts): packets carrying a neuron's (P_j, D_j) back to its core, and the presynaptic-lateral sums there and back. */
  'sbp_retrograde_packets',
  /** SBP: packets of the `layer` normalization's reduction over the cores of a layer (partial sums in, the total back out). */
  'sbp_reduction_packets',
  /** SBP: hops of both kinds of SBP packets, by kind, as for spikes. */
  'sbp_hops_east_west',
  'sbp_hops_north_south',
  'sbp_hops_chip_to_chip',
  /** SBP: adds of changes into per-neuron and per-layer sums. */
  'sbp_reduction_ops',
  /** SBP: input-synapse changes scaled by a gain (the extra synaptic updates). */
  'sbp_updates',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

/** The phases of a time step that keep a core busy (docs/chip-model.md); the barrier is the chip's, not a core's. */
export const PHASE_NAMES = ['deliver', 'update', 'learn'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** NoC totals over the run (emulator/noc.ts), in packets, hops and cycles. */
export interface NocStats {
  readonly packets: number;
  readonly hopsEastWest: number;
  readonly hopsNorthSouth: number;
  readonly hopsChipToChip: number;
  /** Σ over packets of (arrival at the target core - ready at the source core), and the largest. */
  readonly latencySumCycles: number;
  readonly latencyMaxCycles: number;
  /** Cycles packets spent waiting for a busy link or port (contention), summed. */
  readonly waitCycles: number;
  /** Packets that entered each link and port (MeshNoc.linkLabel names them). */
  readonly linkLoad: Float64Array;
  /** The link or port that carried the most packets (the lowest index on a tie); undefined when no packet was sent. */
  readonly busiestLink: { readonly index: number; readonly label: string; readonly packets: number } | undefined;
}

/** Where the cycles went, for the steps run so far. */
export interface Timing {
  /** Per step: the work (last core done) plus the barrier, before the tick floor that stepCycles() applies. */
  readonly stepLatencyCycles: Float64Array;
  /** The barrier of every step (fixed by the tiles in use). */
  readonly barrierCycles: number;
  /** The profile's tick in cycles (0: none): a step lasts max(latency, tick). */
  readonly tickCycles: number;
  /** Busy cycles per core and phase: element c * PHASE_NAMES.length + k is phase k on core c. */
  readonly phaseCyclesByCore: Float64Array;
  readonly noc: NocStats;
}

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
  /** CPU backend: threads to spread the cores over (default 1); the result is the same for any count (emulator/cpu/threaded.ts). */
  readonly threads?: number;
}

export interface Emulator {
  readonly backend: 'cpu' | 'webgpu';
  /** Advances the chip by `steps` time steps. */
  run(steps: number): Promise<void>;
  /** Steps run so far. */
  readonly stepsRun: () => number;
  counters(): Counters;
  /** Cycles of each step run so far: max(the last core done + the barrier, the tick) (docs/chip-model.md). */
  stepCycles(): Float64Array;
  /** Per-phase and per-core cycles, per-step latency and NoC statistics of the steps run so far. */
  timing(): Timing;
  /**
   * Every counter's chip-wide total in each step run so far, step-major:
   * element t * COUNTER_NAMES.length + k is counter k in step t (per-step energy traces).
   */
  stepCounters(): Float64Array;
  /** Spike count of every neuron slot, per core. */
  spikeCounts(): readonly Uint32Array[];
  /** Events of the recorded cores. */
  spikeEvents(): SpikeEvents;
  /**
   * Feeds an input population declared `encoding = external` (datasets, closed
   * loops): neuron neurons[i] (index within the population) spikes at step
   * steps[i], an absolute step number not yet run (>= stepsRun()). Replaces
   * every spike fed to that population before; pairs may come in any order and
   * a repeated (step, neuron) pair is one spike. A whole presentation can be fed
   * at once, then run. Throws for an unknown population, one that is not
   * external, a neuron outside it or a step already run. Optional: a backend
   * without it cannot run programs with external inputs (they stay silent).
   */
  setExternalInput?(population: string, steps: Uint32Array, neurons: Uint32Array): void;
  /**
   * The teaching signal of `teach POP from labels` (isa/learning, docs/isa.md):
   * from the next step on, neuron `label` (index within the population) of
   * `population` receives the teaching spike train that feeds the `teach`
   * trace of its rules; undefined turns it off (testing). Throws for a
   * population that is not taught or a label outside it. Optional: a backend
   * without it cannot train.
   */
  setTeacher?(population: string, label: number | undefined): void;
  /**
   * The current synapse words of every core (isa/synapse.ts), learned weights
   * included: copies, in the image's layout, so that the image with these
   * synapses is the trained program.
   */
  synapses?(): readonly Uint32Array[];
  /**
   * Weight learning on (the default) or off, e.g. while testing a trained
   * network: off, traces keep following spikes but no weight changes, and the
   * current epoch's partial changes are dropped. Optional, like setTeacher.
   */
  setPlasticity?(on: boolean): void;
  dispose(): void;
}

export type CreateEmulator = (image: ChipImage, options: RunOptions) => Promise<Emulator>;
