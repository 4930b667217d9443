import { afterEach, describe, expect, it, vi } from 'vitest';
import { runBench } from '../../bench/run.js';

/** Runs runBench with stdout and stderr captured; restores process.exitCode. */
async function capture(argv: readonly string[]): Promise<{ out: string; err: string; code: typeof process.exitCode }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  const before = process.exitCode;
  try {
    await runBench(argv);
    return { out, err, code: process.exitCode };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = before;
  }
}

describe('runBench arguments', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints its usage for --help and runs nothing', async () => {
    const r = await capture(['--help']);
    expect(r.out).toMatch(/^usage: npm run bench -- /);
    expect(r.out).not.toMatch(/==/);
    expect(r.code).not.toBe(1);
  });

  it('refuses an unknown argument with exit status 1, naming it, before running any case', async () => {
    const r = await capture(['--only', 'cuba-4k-1ms', '--fast']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('unknown argument "--fast"');
    expect(r.err).toContain('usage:');
    expect(r.out).toBe('');
  });
});
