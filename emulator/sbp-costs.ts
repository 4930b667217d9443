// What one SBP exchange costs, per core: retrograde and reduction packets, their
// hops and the reduction adds of one epoch of one SBP projection. They depend
// only on the mapping, so both backends compute them once here, at load, and add
// them at every epoch boundary. The update pass's sbp_updates depend on the
// epoch's traces (isa/learning/isa.ts sbpSkipsIdleRows): the backends count them.
import type { ChipImage } from '../isa/image/types.js';
import type { LearningImage } from '../isa/learning/image.js';
import { SBP_NORMALIZATIONS } from '../isa/learning/symbols.js';
import { routeHops } from '../isa/profile.js';

/** Columns of the per-core cost table: costs[core * SBP_COSTS + SBP_COST.x]. */
export const SBP_COST = { retro: 0, reductionPackets: 1, ew: 2, ns: 3, chip: 4, ops: 5 } as const;
export const SBP_COSTS = 6;

/** The parts of an SBP instruction the costs depend on. */
export interface SbpCostConfig {
  readonly lateralPre: number;
  readonly lateralPost: number;
  readonly normalize: number;
}

export interface SbpEpochCosts {
  readonly costs: Float64Array;
  /** Cycles the exchange adds to the learn phase of every core holding a set: packet latencies. */
  readonly latency: number;
}

/** The costs of one epoch of SBP projection `p` (an index into learning.projections). */
export function sbpEpochCosts(image: ChipImage, learning: LearningImage, p: number, config: SbpCostConfig): SbpEpochCosts {
  const profile = image.profile;
  const pops = image.symbols.populations;
  const proj = learning.projections[p];
  const coreOf = (population: number, index: number): number => {
    for (const piece of pops[population].pieces) if (index >= piece.offset && index < piece.offset + piece.count) return piece.core;
    throw new Error(`neuron ${index} of population ${population} is in no piece`);
  };
  const costs = new Float64Array(image.cores.length * SBP_COSTS);
  let retroLatency = 0;
  let reductionLatency = 0;
  const packet = (from: number, to: number, kind: number): void => {
    const h = routeHops(profile, image.cores[from].slot, image.cores[to].slot);
    const cycles =
      profile.cycles.spike_in_tile +
      h.eastWest * profile.cycles.hop_east_west +
      h.northSouth * profile.cycles.hop_north_south +
      h.chipToChip * profile.board.chipHopCycles;
    costs[from * SBP_COSTS + kind]++;
    costs[from * SBP_COSTS + SBP_COST.ew] += h.eastWest;
    costs[from * SBP_COSTS + SBP_COST.ns] += h.northSouth;
    costs[from * SBP_COSTS + SBP_COST.chip] += h.chipToChip;
    if (kind === SBP_COST.retro) retroLatency = Math.max(retroLatency, cycles);
    else reductionLatency = Math.max(reductionLatency, cycles);
  };
  learning.cores.forEach((sets, c) => {
    const core = image.cores[c];
    for (const set of sets) {
      const synapses = core.axonStart[set.axonFirst + set.axonCount] - core.axonStart[set.axonFirst];
      // (P_j, D_j): every source synapse adds into its neuron's partial sums; one retrograde packet per neuron and source core.
      if (proj.sources.includes(set.projection)) {
        costs[c * SBP_COSTS + SBP_COST.ops] += synapses;
        for (let a = 0; a < set.axonCount; a++) {
          const home = coreOf(proj.post, set.axonPre[a]);
          packet(c, home, SBP_COST.retro);
          costs[home * SBP_COSTS + SBP_COST.ops]++;
        }
      }
      if (set.projection !== p) continue;
      if (config.lateralPost > 0) costs[c * SBP_COSTS + SBP_COST.ops] += synapses;
      if (config.lateralPre > 0) {
        // Presynaptic-lateral: row sums go back to the presynaptic neuron's core and its share comes forward again.
        costs[c * SBP_COSTS + SBP_COST.ops] += synapses;
        for (let a = 0; a < set.axonCount; a++) {
          const home = coreOf(proj.pre, set.axonPre[a]);
          packet(c, home, SBP_COST.retro);
          packet(home, c, SBP_COST.retro);
          costs[home * SBP_COSTS + SBP_COST.ops]++;
        }
      }
    }
  });
  if (config.normalize === SBP_NORMALIZATIONS.layer) {
    // `layer`: one reduction per summed value over the cores holding the layer, to the core of its first piece and back.
    const reduce = (population: number, values: number): void => {
      const pop = pops[population];
      if (values === 0 || pop.pieces.length === 0) return;
      const root = pop.pieces[0].core;
      const held = new Map<number, number>();
      for (const piece of pop.pieces) held.set(piece.core, (held.get(piece.core) ?? 0) + piece.count);
      for (const [core, count] of held) {
        costs[core * SBP_COSTS + SBP_COST.ops] += count * values;
        if (core === root) continue;
        costs[root * SBP_COSTS + SBP_COST.ops] += values;
        for (let v = 0; v < values; v++) {
          packet(core, root, SBP_COST.reductionPackets);
          packet(root, core, SBP_COST.reductionPackets);
        }
      }
    };
    reduce(proj.post, 2 + (config.lateralPost > 0 ? 1 : 0));
    reduce(proj.pre, config.lateralPre > 0 ? 2 : 0);
  }
  return { costs, latency: retroLatency * (config.lateralPre > 0 ? 2 : 1) + 2 * reductionLatency };
}
