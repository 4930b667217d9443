import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES, createEmulator } from '../../emulator/index.js';
import { chipImage, lif } from './build.js';

describe('createEmulator', () => {
  it('dispatches to the named backend', async () => {
    expect(BACKEND_NAMES).toEqual(['cpu', 'webgpu']);
    const image = chipImage([{ slot: 0, groups: [{ kind: 'neurons', count: 1, params: lif({ bias: 1 << 16 }) }] }]);
    const emulator = await createEmulator('cpu', image, { seed: 0 });
    expect(emulator.backend).toBe('cpu');
    await emulator.run(2);
    expect(Array.from(emulator.spikeCounts()[0])).toEqual([2]);
  });
});
