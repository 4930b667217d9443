// Energy is Σ count × cost: each category must use its own counters and costs.
import { describe, expect, it } from 'vitest';
import { chipTimeS, ENERGY_CATEGORIES, energyByCore, energyOf } from '../../emulator/energy.js';
import { COUNTER_NAMES, type CounterName, type Counters } from '../../emulator/interface.js';
import { loihi, relativeDiff } from './build.js';

const profile = loihi();

// Powers of ten per counter, so a cost applied to the wrong counter shows in the digits.
const counts: Record<CounterName, number> = {
  synaptic_ops: 1,
  synaptic_updates: 10,
  neuron_updates_active: 100,
  neuron_updates_inactive: 1000,
  spikes: 1e4,
  input_spikes: 1e5,
  packets: 1e6,
  hops_east_west: 1e7,
  hops_north_south: 1e8,
  hops_chip_to_chip: 1e9,
  sbp_retrograde_packets: 2,
  sbp_reduction_packets: 20,
  sbp_hops_east_west: 200,
  sbp_hops_north_south: 2000,
  sbp_hops_chip_to_chip: 2e4,
  sbp_reduction_ops: 2e5,
  sbp_updates: 2e6,
};

describe('energyOf', () => {
  it('prices each category with the loihi-like per-operation energies', () => {
    const e = energyOf(counts, profile, 2e-3);
    const close = (a: number, b: number): void => expect(relativeDiff(a, b)).toBeLessThan(1e-12);
    close(e.byCategoryJ.synaptic, 1 * 23.6e-12);
    close(e.byCategoryJ.learning, 10 * 120e-12);
    close(e.byCategoryJ.neuron, (100 * 81 + 1000 * 52) * 1e-12);
    // spikes and input_spikes cost nothing by themselves: their packets do
    // a chip-to-chip hop costs the board's link energy (30 pJ on loihi-like)
    close(e.byCategoryJ.routing, (1e6 * 1.7 + 1e7 * 3.0 + 1e8 * 4.0 + 1e9 * 30) * 1e-12);
    close(e.byCategoryJ.static, 0.029 * 2e-3);
    // SBP: its packets at the NoC's costs, its adds at sbp_reduction_op (23.6 pJ), its gain updates at sbp_update (120 pJ)
    close(e.byCategoryJ.sbp, ((2 + 20) * 1.7 + 200 * 3.0 + 2000 * 4.0 + 2e4 * 30 + 2e5 * 23.6 + 2e6 * 120) * 1e-12);
    const sum = ENERGY_CATEGORIES.reduce((s, c) => s + e.byCategoryJ[c], 0);
    expect(e.totalJ).toBe(sum);
  });

  it('is zero for no work and no time', () => {
    const zero = Object.fromEntries(COUNTER_NAMES.map((n) => [n, 0])) as Record<CounterName, number>;
    const e = energyOf(zero, profile, 0);
    expect(e.totalJ).toBe(0);
    expect(Object.keys(e.byCategoryJ)).toEqual([...ENERGY_CATEGORIES]);
  });
});

describe('chipTimeS', () => {
  it('divides cycles by the clock', () => {
    expect(chipTimeS(2e9, profile)).toBe(1);
    expect(chipTimeS(3, profile)).toBe(1.5e-9);
  });
});

describe('energyByCore', () => {
  it('gives dynamic energy per core, which with the chip static energy adds up to the total', () => {
    const half = Object.fromEntries(COUNTER_NAMES.map((n) => [n, counts[n] / 2])) as Record<CounterName, number>;
    const counters: Counters = { total: counts, byCore: [half, half] };
    const perCore = energyByCore(counters, profile);
    expect(perCore).toHaveLength(2);
    expect(perCore[0].byCategoryJ.static).toBe(0);
    const total = energyOf(counts, profile, 1e-3);
    const sum = perCore[0].totalJ + perCore[1].totalJ + total.byCategoryJ.static;
    expect(relativeDiff(sum, total.totalJ)).toBeLessThan(1e-12);
  });
});
