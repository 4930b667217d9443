import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from '../../compiler/suggest.js';

describe('spelling suggestions', () => {
  it('measures edit distance', () => {
    expect(editDistance('hidden', 'hiden')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests a close name, a case-only variant, or one that contains it', () => {
    expect(closestName('hiden', ['digits', 'hidden', 'pixels'])).toBe('hidden');
    expect(closestName('hz', ['Hz', 'kHz'])).toBe('Hz');
    expect(closestName('rate', ['max_rate'])).toBe('max_rate');
  });

  it('suggests nothing far away, and never the name itself', () => {
    expect(closestName('zzz', ['hidden', 'digits'])).toBeUndefined();
    expect(closestName('a', ['a'])).toBeUndefined();
  });
});
