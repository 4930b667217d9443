// End to end: the built `meso` command (bin/meso.js over dist/), as a user runs it.
// `npm test` builds dist/ with tsc before vitest starts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { builtinProfile } from '../../isa/profile.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'bin/meso.js');
const synfire = join(root, 'examples/synfire.snn');

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
  dir = mkdtempSync(join(tmpdir(), 'meso-cli-'));
});

describe('meso run', () => {
  it('runs the default example and prints spikes per population, cycles and energy by category', () => {
    const r = meso('run', synfire, '--steps', '300');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const word of ['g0', 'g5', 'cycles', 'chip time', 'energy', 'synaptic ops', 'neuron updates', 'spike routing', 'learning', 'static']) {
      expect(r.stdout).toContain(word);
    }
  });

  it('says when --threads cannot spread an image over several threads, and runs it on one with the same results', () => {
    const one = meso('run', synfire, '--steps', '100');
    const two = meso('run', synfire, '--steps', '100', '--threads', '2');
    expect(two.status).toBe(0);
    expect(two.stderr).toBe(`warning: --threads 2: ${synfire} runs on one thread: it has one core (cores are the unit of work)\n`);
    expect(two.stdout).toBe(one.stdout);
    expect(one.stderr).toBe('');
  });

  it('writes a report whose energy is exactly the counters times the profile costs', () => {
    const out = join(dir, 'run.json');
    const r = meso('run', synfire, '--steps', '300', '--report', out);
    expect(r.status).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.schema).toBe('meso.report/v1');
    expect(report.steps).toBe(300);
    const e = builtinProfile('loihi-like')!.energyPj;
    const c = report.counters;
    const dynamicPj =
      c.synaptic_ops * e.synaptic_op +
      c.synaptic_updates * e.synaptic_update +
      c.neuron_updates_active * e.neuron_update_active +
      c.neuron_updates_inactive * e.neuron_update_inactive +
      c.packets * e.spike_in_tile +
      c.hops_east_west * e.hop_east_west +
      c.hops_north_south * e.hop_north_south;
    const staticJ = 0.029 * report.chip_time_s;
    expect(report.energy_j.total).toBeCloseTo(dynamicPj * 1e-12 + staticJ, 15);
    expect(report.energy_j.by_category.static).toBeCloseTo(staticJ, 18);
    expect(report.chip_time_s).toBeCloseTo(report.cycles.total / 2e9, 15);
    // The wave travels the whole chain: every group fires.
    for (const g of ['g0', 'g1', 'g2', 'g3', 'g4', 'g5']) expect(report.spikes.by_population[g]).toBeGreaterThan(0);
    expect(report.spikes.total).toBe(Object.values(report.spikes.by_population as Record<string, number>).reduce((a, b) => a + b, 0));
  });

  it('gives the same spikes and counters on every run, and a compiled image runs like the source', () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    const chip = join(dir, 'synfire.chip');
    expect(meso('run', synfire, '--steps', '200', '--seed', '5', '--report', a, '--spikes', join(dir, 'sa.json')).status).toBe(0);
    expect(meso('compile', synfire, '-o', chip).status).toBe(0);
    expect(meso('run', chip, '--steps', '200', '--seed', '5', '--report', b, '--spikes', join(dir, 'sb.json')).status).toBe(0);
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8').replace(/"source": "[^"]*"/, `"source": "${JSON.parse(readFileSync(b, 'utf8')).source}"`));
    expect(readFileSync(join(dir, 'sb.json'), 'utf8').replace(/"source":"[^"]*"/, '')).toBe(readFileSync(join(dir, 'sa.json'), 'utf8').replace(/"source":"[^"]*"/, ''));
    const spikes = JSON.parse(readFileSync(join(dir, 'sa.json'), 'utf8'));
    expect(spikes.schema).toBe('meso.spikes/v1');
    expect(Object.keys(spikes.populations)).toEqual(['g0', 'g5']);
    // The kick comes at step 0; g5 fires after g0, five 2-step links later.
    expect(Math.min(...spikes.populations.g5.steps)).toBeGreaterThan(Math.min(...spikes.populations.g0.steps) + 5);
  });

  it('changes Poisson inputs with the seed, and only with the seed', () => {
    const net = join(dir, 'poisson.snn');
    writeFileSync(net, 'neuron N { model = lif }\ninput x[50] { encoding = poisson(max_rate = 50 Hz) }\npopulation y[10] : N\nconnect x -> y { pattern = all_to_all; weight = 0.1 }\n');
    const run = (seed: string) => {
      const out = join(dir, `p${seed}.json`);
      expect(meso('run', net, '--steps', '400', '--seed', seed, '--report', out, '--quiet').status).toBe(0);
      return JSON.parse(readFileSync(out, 'utf8'));
    };
    const one = run('1');
    expect(run('1').counters).toEqual(one.counters);
    expect(run('2').counters.input_spikes).not.toBe(one.counters.input_spikes);
    // 50 inputs x 400 steps x 0.05 = 1000 expected input spikes; sd = sqrt(20000 * 0.05 * 0.95) = 30.8.
    expect(Math.abs(one.counters.input_spikes - 1000)).toBeLessThan(4 * 31);
  });
});

describe('meso check, compile and inspect', () => {
  it('reports a malformed program as file:line:col with the line and a caret, exit 1, no stack trace', () => {
    const bad = join(dir, 'bad.snn');
    writeFileSync(bad, 'neuron N { model = lif }\npopulation a[10] : N\nconnect a -> b { pattern = all_to_all; weight = 0.1 }\n');
    const r = meso('check', bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:14: error: `, 'm'));
    expect(r.stderr).toContain('connect a -> b');
    expect(r.stderr).toMatch(/\n\s*\|\s+\^/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('compiles to an image that inspect describes, and writes nothing when compilation fails', () => {
    const chip = join(dir, 'out.chip');
    const r = meso('compile', synfire, '-o', chip);
    expect(r.status).toBe(0);
    const bytes = readFileSync(chip);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('MESOCHIP');
    const i = meso('inspect', chip);
    expect(i.status).toBe(0);
    expect(i.stdout).toContain('g0[100]');
    expect(i.stdout).toContain('synapse memory');

    const bad = join(dir, 'bad2.snn');
    writeFileSync(bad, 'population a[10] : Nope\n');
    const keep = join(dir, 'keep.chip');
    copyFileSync(chip, keep);
    const f = meso('compile', bad, '-o', keep);
    expect(f.status).toBe(1);
    expect(readFileSync(keep)).toEqual(bytes);
  });

  it('refuses a truncated or altered image with a message saying what is wrong, exit 1', () => {
    const chip = join(dir, 'ok.chip');
    expect(meso('compile', synfire, '-o', chip).status).toBe(0);
    const bytes = readFileSync(chip);
    const truncated = join(dir, 'truncated.chip');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const t = meso('run', truncated, '--steps', '10');
    expect(t.status).toBe(1);
    expect(t.stderr).toMatch(/truncated/);
    expect(t.stderr).not.toMatch(/\n\s+at /);

    const altered = Buffer.from(bytes);
    altered[altered.length - 9] ^= 0x10;
    const a = join(dir, 'altered.chip');
    writeFileSync(a, altered);
    const r = meso('inspect', a);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/checksum/);
  });

  it('names a missing file, exit 1', () => {
    const r = meso('run', join(dir, 'nope.snn'), '--steps', '5');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('nope.snn: no such file');
  });

  it('rejects a bad option value with exit 1', () => {
    expect(meso('run', synfire, '--steps', 'ten').status).toBe(1);
    expect(meso('run', synfire).status).toBe(1);
  });
});
