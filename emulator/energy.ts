// Energy and chip time from counters: the only place either is computed, so that
// every figure in a report is `Σ count × cost` over the profile's numbers.
import type { ChipProfile } from '../isa/profile.js';
import type { CounterName, Counters } from './interface.js';

/** Joules; branded so that an energy cannot be passed where a time is meant. */
export type Joules = number & { readonly __unit: 'J' };
/** Seconds of chip time (cycles over the clock), not wall-clock time. */
export type Seconds = number & { readonly __unit: 's' };

export const ENERGY_CATEGORIES = ['synaptic', 'neuron', 'routing', 'learning', 'sbp', 'static'] as const;
export type EnergyCategory = (typeof ENERGY_CATEGORIES)[number];

export interface EnergyBreakdown {
  readonly totalJ: Joules;
  readonly byCategoryJ: Readonly<Record<EnergyCategory, Joules>>;
}

const PJ = 1e-12;

/** Chip time of `totalCycles` cycles of the profile's nominal clock. */
export function chipTimeS(totalCycles: number, profile: ChipProfile): Seconds {
  return (totalCycles / profile.clockHz) as Seconds;
}

/**
 * Energy of a run: each dynamic category is (Σ count × pJ per operation) × 1e-12,
 * static is staticPowerW × chip time. totalJ is the sum of the five categories.
 */
export function energyOf(counts: Readonly<Record<CounterName, number>>, profile: ChipProfile, chipTimeS: number): EnergyBreakdown {
  const e = profile.energyPj;
  const byCategoryJ: Record<EnergyCategory, Joules> = {
    synaptic: (counts.synaptic_ops * e.synaptic_op * PJ) as Joules,
    neuron: ((counts.neuron_updates_active * e.neuron_update_active + counts.neuron_updates_inactive * e.neuron_update_inactive) * PJ) as Joules,
    routing: ((counts.packets * e.spike_in_tile + counts.hops_east_west * e.hop_east_west + counts.hops_north_south * e.hop_north_south + counts.hops_chip_to_chip * profile.board.chipHopEnergyPj) * PJ) as Joules,
    learning: (counts.synaptic_updates * e.synaptic_update * PJ) as Joules,
    // SBP's own books: its packets cost what spikes cost on the NoC, its adds and gain updates their profile costs.
    sbp: ((
      (counts.sbp_retrograde_packets + counts.sbp_reduction_packets) * e.spike_in_tile +
      counts.sbp_hops_east_west * e.hop_east_west +
      counts.sbp_hops_north_south * e.hop_north_south +
      counts.sbp_hops_chip_to_chip * profile.board.chipHopEnergyPj +
      counts.sbp_reduction_ops * e.sbp_reduction_op +
      counts.sbp_updates * e.sbp_update) * PJ) as Joules,
    static: (profile.staticPowerW * chipTimeS) as Joules,
  };
  let total = 0;
  for (const category of ENERGY_CATEGORIES) total += byCategoryJ[category];
  return { totalJ: total as Joules, byCategoryJ };
}

/**
 * Dynamic energy of each core (index into ChipImage.cores). Static power belongs
 * to the chip, not to a core, so every core's `static` is 0: the chip's total is
 * Σ over cores of totalJ plus energyOf(total, ...).byCategoryJ.static.
 */
export function energyByCore(counters: Counters, profile: ChipProfile): readonly EnergyBreakdown[] {
  return counters.byCore.map((counts) => energyOf(counts, profile, 0));
}
