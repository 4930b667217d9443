// A run report of a learning program: the `sbp` energy category is non-zero
// and is exactly its counters times the profile's per-operation costs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../../compiler/index.js';
import { buildRunReport } from '../../runtime/report.js';
import { runImage } from '../../runtime/session.js';
import { DESIGN_EXAMPLE } from '../compiler/programs.js';

describe('the run report of a program that learns with SBP', () => {
  for (const [name, text] of [
    ['examples/sbp_xor.snn', readFileSync(new URL('../../examples/sbp_xor.snn', import.meta.url), 'utf8')],
    ['the DESIGN.md example (15 cores)', DESIGN_EXAMPLE],
  ] as const) {
    it(`prices SBP from its counters: ${name}`, async () => {
      const image = compileSource(text, 'x.snn').image!;
      const report = buildRunReport(await runImage(image, { steps: name.startsWith('examples') ? 100 : 40, seed: 1, backend: 'cpu' }));
      const c = report.counters;
      const e = image.profile.energyPj;
      const expected =
        ((c.sbp_retrograde_packets + c.sbp_reduction_packets) * e.spike_in_tile +
          c.sbp_hops_east_west * e.hop_east_west +
          c.sbp_hops_north_south * e.hop_north_south +
          c.sbp_hops_chip_to_chip * image.profile.board.chipHopEnergyPj +
          c.sbp_reduction_ops * e.sbp_reduction_op +
          c.sbp_updates * e.sbp_update) * 1e-12;
      expect(report.energy_j.by_category.sbp).toBeGreaterThan(0);
      expect(Math.abs(report.energy_j.by_category.sbp - expected) / expected).toBeLessThan(1e-12);
      expect(c.sbp_retrograde_packets).toBeGreaterThan(0);
      if (name.startsWith('examples')) {
        // `meso run` feeds sbp_xor's external input nothing: every input trace stays 0, so SBP's update pass has no row to visit.
        expect(c.sbp_updates).toBe(0);
      } else expect(c.sbp_updates).toBeGreaterThan(0);
    });
  }
});
