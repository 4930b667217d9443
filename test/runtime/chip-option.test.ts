// `--chip FILE.json` (a user's own profile) and the timing fields of the run
// report, through the built `meso` command (npm test builds dist/ first).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
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
let net = '';
const tinyText = readFileSync(join(root, 'isa/profiles/tiny.json'), 'utf8');

beforeAll(() => {
  if (!existsSync(join(root, 'dist/runtime/main.js'))) throw new Error('dist/ is not built: run `npm test` (which runs tsc first) or `npm run build`');
  dir = mkdtempSync(join(tmpdir(), 'meso-chip-'));
  net = join(dir, 'small.snn');
  // 4 inputs firing every 5 steps into 4 neurons, one to one: fits one core of `tiny` (16 neurons).
  writeFileSync(
    net,
    'target "loihi-like" { dt = 1 ms }\nneuron N { model = lif; tau_mem = 10 ms; threshold = 1.0 }\ninput x[4] { encoding = periodic(period = 5 ms) }\npopulation y[4] : N\nconnect x -> y { pattern = one_to_one; weight = 1.5 }\n',
  );
});

describe('meso run --chip FILE.json', () => {
  it('runs on a user profile and reports cycles by phase and core, latency per step, energy by core and the NoC', () => {
    const profile = join(dir, 'my-chip.json');
    writeFileSync(profile, tinyText.replace('"name": "tiny"', '"name": "my-chip"'));
    const out = join(dir, 'run.json');
    const r = meso('run', net, '--steps', '20', '--chip', profile, '--report', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('on my-chip');
    expect(r.stdout).toMatch(/\nnoc +\d+ packets/);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.chip).toBe('my-chip');
    // Inputs spike at 0, 5, 10, 15: 4 steps x 4 packets, all inside one core.
    expect(report.noc.packets).toBe(16);
    expect(report.noc.hops.total).toBe(0);
    expect(report.noc.busiest_link).toEqual({ link: 'core 0 out', packets: 16, packets_per_step: 0.8 });
    // The 4 packets of a step leave one per cycle: waits 0 + 1 + 2 + 3 = 6 per sending step.
    expect(report.noc.contention_wait_cycles).toBe(24);
    expect(Object.keys(report.cycles.by_phase)).toEqual(['deliver', 'update', 'learn', 'barrier', 'tick_wait']);
    // One tile: barrier 10 cycles a step; deliver: 16 packets x 1 synapse x 2 cycles.
    expect(report.cycles.by_phase.barrier).toBe(200);
    expect(report.cycles.by_phase.deliver).toBe(32);
    expect(report.cycles.by_core).toHaveLength(1);
    expect(report.cycles.by_core[0].busy).toBe(report.cycles.by_phase.deliver + report.cycles.by_phase.update);
    expect(report.cycles.per_step.mean).toBeCloseTo(report.cycles.total / 20, 12);
    // 1 GHz: a cycle is 1 ns, and no tick, so latency is the step time.
    expect(report.latency_s.per_step.max).toBeCloseTo(report.cycles.per_step.max * 1e-9, 18);
    const dynamic = report.energy_j.by_core.reduce((s: number, c: { total: number }) => s + c.total, 0);
    expect(dynamic + report.energy_j.by_category.static).toBeCloseTo(report.energy_j.total, 18);
  });

  it('names the file, the line and the column of malformed JSON, exit 1', () => {
    const bad = join(dir, 'broken.json');
    writeFileSync(bad, '{\n  "schema": "meso.profile/v1",\n  "name": "x",\n}\n');
    const r = meso('run', net, '--steps', '5', '--chip', bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}:4:1: not valid JSON`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the file and every bad field of a profile, exit 1', () => {
    const bad = join(dir, 'bad-fields.json');
    const json = JSON.parse(tinyText);
    json.time_ns.hop_east_west.value = -1;
    delete json.static_power_w;
    writeFileSync(bad, JSON.stringify(json));
    const r = meso('compile', net, '-o', join(dir, 'x.chip'), '--chip', bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}: "time_ns.hop_east_west.value" must be a positive time in ns, found -1`);
    expect(r.stderr).toContain(`${bad}: missing "static_power_w"`);
    expect(r.stderr).toContain(`error: ${bad}: invalid chip profile (2 problems)`);
    expect(existsSync(join(dir, 'x.chip'))).toBe(false);
  });

  it('says when the profile file does not exist', () => {
    const r = meso('run', net, '--steps', '5', '--chip', join(dir, 'nope.json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('nope.json: no such file');
  });
});
