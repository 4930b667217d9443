// `meso inspect`: every rule's microcode under the source line it came from.
import { describe, expect, it } from 'vitest';
import { compileSource } from '../../compiler/index.js';
import { readImage, writeImage } from '../../isa/image/format.js';
import { formatLearning } from '../../runtime/inspect-learning.js';
import { formatInspect } from '../../runtime/inspect.js';
import { DESIGN_EXAMPLE } from '../compiler/programs.js';

describe('formatLearning', () => {
  it('lists each rule with its source lines and, under each, the instructions it became', () => {
    const image = readImage(writeImage(compileSource(DESIGN_EXAMPLE, 'mnist_sbp.snn').image!), 'm.chip');
    const lines = formatLearning(image);
    expect(lines[0]).toBe('learning');
    expect(lines[1]).toBe('  rule delta (line 17): learns on hidden -> digits (5000 plastic synapses on 1 core)');
    const at = lines.indexOf('      20 |   every epoch { w += 0.002 * x1 * (teach - y1) }');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 4).map((l) => l.replace(/\s+;.*$/, ''))).toEqual([
      '          10: event epoch products=2',
      '          11: product +16777*2^-23 teach x1',
      '          13: product -16777*2^-23 x1 y1',
    ]);
    expect(lines).toContain('  rule hidden_sbp (line 25): learns on pixels -> hidden (392000 plastic synapses on 13 cores)');
    expect(lines.some((l) => /^\s+5: sbp mode=gain normalize=layer polarity=change source=0 backward=13107 lateral_pre=13107 lateral_post=6554\s*; inherits delta/.test(l))).toBe(true);
    expect(lines[lines.length - 1]).toBe('  teach digits from labels: a teaching spike with p=0.2000 per step (200.0 Hz)');
    expect(formatInspect(image)).toContain(lines.join('\n'));
  });
});
