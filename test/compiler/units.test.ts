import { describe, expect, it } from 'vitest';
import { formatSeconds, formatSteps, unitInfo, unitsOf } from '../../compiler/units.js';

describe('units', () => {
  it('groups units by dimension in a fixed order', () => {
    expect(unitsOf('time')).toEqual(['us', 'ms', 's', 'steps']);
    expect(unitsOf('rate')).toEqual(['Hz', 'kHz']);
  });

  it('knows scales and no inherited names', () => {
    expect(unitInfo('kHz')).toEqual({ dimension: 'rate', scale: 1000 });
    expect(unitInfo('us')?.scale).toBe(1e-6);
    expect(unitInfo('toString')).toBeUndefined();
  });

  it('formats times and steps for messages', () => {
    expect(formatSeconds(0.062)).toBe('62 ms');
    expect(formatSeconds(0.0005)).toBe('500 us');
    expect(formatSeconds(2)).toBe('2 s');
    expect(formatSeconds(0.1 + 0.2)).toBe('300 ms');
    expect(formatSteps(3)).toBe('3');
    expect(formatSteps(2.49999999)).toBe('2.5');
  });
});
