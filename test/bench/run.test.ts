// `meso bench` and `npm run bench` (which runs it): its usage for --help, and an unknown
// argument or case name refused before any case runs (the CLI, runtime/main.ts, parses the
// arguments; runBench gets them as options).
import { describe, expect, it, vi } from 'vitest';
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

  it('refuses a case name that matches no case with exit status 1, listing the cases, before running any', async () => {
    const r = await capture(() => main(['bench', '--only', 'cuba-4k-2ms']));
    expect(r.code).toBe(1);
    expect(r.err).toContain('no benchmark case matches');
    expect(r.err).toContain('cuba-4k-1ms');
    expect(r.out).not.toMatch(/==/);
  });
});
