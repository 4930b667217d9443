// `meso bench` and `npm run bench` (which runs it): its usage for --help, and an unknown
// argument refused before any case runs, by the CLI (runtime/main.ts) or by runBench itself.
import { describe, expect, it, vi } from 'vitest';
import { runBench } from '../../bench/run.js';
import { main } from '../../runtime/main.js';

/** Runs `run` with stdout and stderr captured; gives its exit status (main's, or process.exitCode) and restores process.exitCode. */
async function capture(run: () => Promise<number | undefined>): Promise<{ out: string; err: string; code: number | string | null | undefined }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  const before = process.exitCode;
  try {
    const status = await run();
    return { out, err, code: status ?? process.exitCode };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = before;
  }
}

describe('the benchmark command', () => {
  it('prints its usage for --help and runs nothing', async () => {
    const r = await capture(() => main(['bench', '--help']));
    expect(r.out).toMatch(/^Usage: meso bench /);
    expect(r.out).toContain('--only <case...>');
    expect(r.out).not.toMatch(/==/);
    expect(r.code).not.toBe(1);
  });

  it('refuses an unknown argument with exit status 1, naming it, before running any case', async () => {
    const r = await capture(() => main(['bench', '--only', 'cuba-4k-1ms', '--fast']));
    expect(r.code).toBe(1);
    expect(r.err).toContain("unknown option '--fast'");
    expect(r.err).toContain('--help');
    expect(r.out).toBe('');
  });

  it('refuses one in runBench itself too (its callers pass it arguments the CLI checked)', async () => {
    const r = await capture(async () => {
      await runBench(['--only', 'cuba-4k-1ms', '--fast']);
      return undefined;
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain('unknown argument "--fast"');
    expect(r.err).toContain('meso bench --help');
    expect(r.out).toBe('');
  });
});
