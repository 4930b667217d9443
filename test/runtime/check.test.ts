// `meso check` end to end: rendered diagnostics from the program, its includes
// and its data files; exit 1 only on errors (or warnings under --strict); --json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, afterAll } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'bin/meso.js');

function meso(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir = '';
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});
beforeAll(() => {
  if (!existsSync(join(root, 'dist/runtime/main.js'))) throw new Error('dist/ is not built: run `npm test` (which runs tsc first) or `npm run build`');
  dir = mkdtempSync(join(tmpdir(), 'meso-check-'));
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib/types.snn'), 'neuron Lif { model = lif; tau_mem = 20 Hz }\n');
  writeFileSync(join(dir, 'bad.snn'), 'include "lib/types.snn"\ninput x[2] { encoding = from_file("lib/spikes.csv") }\n');
  writeFileSync(join(dir, 'lib/spikes.csv'), 'step,neuron\n0,1\n3,5\n');
  writeFileSync(join(dir, 'warn.snn'), 'neuron I { model = if; tau_mem = 10 ms }\npopulation p[2] : I\n');
});

describe('meso check', () => {
  it('renders errors in included and data files with their own lines, and exits 1', () => {
    const r = meso('check', join(dir, 'bad.snn'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'lib/types.snn')}:1:40: error: \`tau_mem\` expects a time`);
    expect(r.stderr).toContain('1 | neuron Lif { model = lif; tau_mem = 20 Hz }');
    expect(r.stderr).toContain(`${join(dir, 'lib/spikes.csv')}:3:3: error: neuron 5 is outside \`x\`, which has 2 neurons (0 to 1)`);
    expect(r.stderr).toContain('3 | 3,5');
    expect(r.stderr).not.toContain('internal error');
  });

  it('passes warnings unless --strict, and prints JSON for editors', () => {
    const warn = join(dir, 'warn.snn');
    const plain = meso('check', warn);
    expect(plain.status).toBe(0);
    expect(plain.stderr).toContain('warning: `tau_mem` has no effect on `I`');
    expect(plain.stdout).toContain('ok (1 warning)');
    expect(meso('check', '--strict', warn).status).toBe(1);
    const json = meso('check', '--json', warn);
    expect(json.status).toBe(0);
    const parsed = JSON.parse(json.stdout) as { severity: string; code: number; span: { line: number; col: number } }[];
    expect(parsed).toMatchObject([{ severity: 'warning', code: 2122, span: { line: 1, col: 24 } }]);
    const bad = JSON.parse(meso('check', '--json', join(dir, 'bad.snn')).stdout) as unknown[];
    expect(bad).toHaveLength(2);
  });
});
