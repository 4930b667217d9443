// The HTML report without a browser: the data behind the figures (downsampling,
// rate and energy traces, link loads) checked against independent totals, the
// page's self-containment, and the `meso report` command's handling of bad input.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, afterAll } from 'vitest';
import { compileSource, hasErrors } from '../../compiler/index.js';
import { COUNTER_NAMES } from '../../emulator/interface.js';
import { ENERGY_CATEGORIES, energyOf, chipTimeS } from '../../emulator/energy.js';
import { builtinProfile, corePosition, parseProfile, type ChipProfile } from '../../isa/profile.js';
import { buildRunReport, type RunReport } from '../../runtime/report.js';
import { runImage } from '../../runtime/session.js';
import { downsampleRaster, RASTER_MAX_MARKS, type PopulationSpikes } from '../../runtime/html/figures.js';
import { renderRunHtml, reportHtmlFromJson, ReportHtmlError, parseTrainReport, renderTrainHtml, TrainReportError } from '../../runtime/html/index.js';
import { niceMax, ticks, viridis } from '../../runtime/html/svg.js';
import { TRAIN_COMPARE_FIXTURE } from './html-fixtures.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'bin/meso.js');

function meso(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A population where neuron i fires at the given steps. */
function population(name: string, size: number, spikesOf: (neuron: number) => readonly number[]): PopulationSpikes {
  const events: [number, number][] = [];
  for (let i = 0; i < size; i++) for (const t of spikesOf(i)) events.push([t, i]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { name, size, steps: events.map((e) => e[0]), neurons: events.map((e) => e[1]) };
}

describe('raster downsampling', () => {
  it('keeps every spike when they fit', () => {
    const p = population('a', 10, (i) => [i, i + 20]);
    const [r] = downsampleRaster([p], 100, 50);
    expect(r).toMatchObject({ neuron_stride: 1, until_step: 100, spikes: 20 });
    expect(r.steps).toEqual(p.steps);
    expect(r.neurons).toEqual(p.neurons);
  });

  it('keeps every k-th neuron, with all its spikes, for the smallest k that fits', () => {
    // 100 neurons x 10 spikes; budget 300: k = 3 keeps 34 neurons (340 spikes, too many), k = 4 keeps 25 (250).
    const p = population('a', 100, (i) => Array.from({ length: 10 }, (_, k) => k * 10 + (i % 7)));
    const [r] = downsampleRaster([p], 100, 300);
    expect(r.neuron_stride).toBe(4);
    expect(r.until_step).toBe(100);
    expect(r.steps.length).toBe(250);
    expect(r.spikes).toBe(1000);
    expect(r.neurons.every((n) => n % 4 === 0)).toBe(true);
    // Every drawn mark is a real spike: the kept neurons' spikes exactly.
    const real = new Set(p.steps.map((t, e) => `${t}:${p.neurons[e]}`));
    r.steps.forEach((t, e) => expect(real.has(`${t}:${r.neurons[e]}`)).toBe(true));
  });

  it('cuts at a step boundary when even the thinnest allowed raster does not fit', () => {
    // 50 neurons firing every step for 1000 steps; at least 20 rows means k <= 2 (25 rows);
    // 25 spikes per step with a budget of 100 keeps steps 0..3 and cuts at step 4.
    const p = population('a', 50, () => Array.from({ length: 1000 }, (_, t) => t));
    const [r] = downsampleRaster([p], 1000, 100);
    expect(r.neuron_stride).toBe(2);
    expect(r.until_step).toBe(4);
    expect(r.steps.length).toBe(100);
    expect(Math.max(...r.steps)).toBe(3);
  });

  it('shares the budget, passing what a small population leaves to the others', () => {
    const small = population('small', 5, () => [1]);
    const big = population('big', 100, (i) => [i % 50, 60 + (i % 30)]);
    const rs = downsampleRaster([big, small], 100, 100);
    expect(rs.map((r) => r.name)).toEqual(['big', 'small']);
    expect(rs[1].steps.length).toBe(5);
    // big gets 95 marks of budget: k = 3 keeps 34 neurons x 2 = 68 spikes (k = 2 would be 100).
    expect(rs[0].neuron_stride).toBe(3);
    expect(rs[0].steps.length).toBe(68);
    expect(rs.reduce((a, r) => a + r.steps.length, 0)).toBeLessThanOrEqual(100);
  });
});

describe('figure helpers', () => {
  it('picks round axis ends and ticks, and the viridis end points', () => {
    expect(niceMax(69.5)).toBe(80);
    expect(niceMax(0.00123)).toBeCloseTo(0.0015, 12);
    expect(ticks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(viridis(0)).toBe('#440154');
    expect(viridis(1)).toBe('#fde725');
  });
});

/** loihi-like with one core per tile and 100 neurons per core, so that a small network spreads over the mesh. */
function spreadProfile(): ChipProfile {
  const base = builtinProfile('loihi-like')!.source;
  const mesh = { ...base.mesh, cores_per_tile: { ...base.mesh.cores_per_tile, value: 1 } };
  const limits = { ...base.limits, neurons_per_core: { ...base.limits.neurons_per_core, value: 100 } };
  return parseProfile({ ...base, mesh, limits }, 'test profile');
}

const SPREAD_NET = `
target "loihi-like" { dt = 1 ms }
neuron Lif { model = lif; tau_mem = 10 ms; tau_syn = 2 ms; threshold = 1.0; reset = 0.0; refractory = 3 ms }
input drive[50] { encoding = poisson(max_rate = 80 Hz) }
population a[150] : Lif
population b[150] : Lif
population c[150] : Lif
connect drive -> a { pattern = random(p = 0.4, seed = 1); weight = uniform(0.1, 0.3) }
connect a -> b     { pattern = random(p = 0.1, seed = 2); weight = uniform(0.1, 0.3); delay = 2 ms }
connect b -> c     { pattern = random(p = 0.1, seed = 3); weight = uniform(0.1, 0.3); delay = 2 ms }
connect c -> a     { pattern = random(p = 0.05, seed = 4); weight = uniform(0.05, 0.1) }
probe a { spikes }
probe c { spikes }
`;

describe('the figures of a run agree with its counters', () => {
  let report: RunReport;
  let stepCounters: Float64Array;
  let run: Awaited<ReturnType<typeof runImage>>;
  beforeAll(async () => {
    const compiled = compileSource(SPREAD_NET, 'spread.snn', { profile: spreadProfile() });
    expect(hasErrors(compiled.diagnostics)).toBe(false);
    run = await runImage(compiled.image!, { steps: 400, seed: 3, backend: 'cpu' });
    stepCounters = run.stepCounters;
    report = buildRunReport(run);
  });

  it('logs per-step counters that sum to the run totals', () => {
    const K = COUNTER_NAMES.length;
    expect(stepCounters.length).toBe(400 * K);
    COUNTER_NAMES.forEach((name, k) => {
      let s = 0;
      for (let t = 0; t < 400; t++) s += stepCounters[t * K + k];
      expect(s).toBe(report.counters[name]);
    });
  });

  it('spreads over several tiles, and its link loads add up to the hops the emulator counted', () => {
    const mesh = report.figures.mesh;
    expect(report.cores_used).toBeGreaterThan(4);
    expect(new Set(mesh.cores.map((c) => c.tile)).size).toBe(report.cores_used);
    expect(mesh.links.length).toBeGreaterThan(0);
    const hops = mesh.links.reduce((a, l) => a + l.packets, 0);
    expect(hops).toBe(report.counters.hops_east_west + report.counters.hops_north_south);
    const ew = mesh.links.filter((l) => l.y === l.to_y).reduce((a, l) => a + l.packets, 0);
    expect(ew).toBe(report.counters.hops_east_west);
    for (let i = 1; i < mesh.links.length; i++) expect(mesh.links[i].packets).toBeLessThanOrEqual(mesh.links[i - 1].packets);
    expect(mesh.cores.reduce((a, c) => a + c.packets_sent, 0)).toBe(report.counters.packets);
    // Every link's load equals a hop-by-hop walk of every packet's X-then-Y route.
    const profile = spreadProfile();
    const walked = new Map<string, number>();
    run.image.cores.forEach((core, c) => {
      const from = corePosition(profile, core.slot);
      for (let i = 0; i < core.neuronCount; i++) {
        for (let r = core.routeStart[i]; r < core.routeStart[i + 1]; r++) {
          const to = corePosition(profile, run.image.cores[core.routeCore[r]].slot);
          let [x, y] = [from.x, from.y];
          while (x !== to.x || y !== to.y) {
            const [nx, ny] = x !== to.x ? [x + Math.sign(to.x - x), y] : [x, y + Math.sign(to.y - y)];
            const key = `${x},${y},${nx},${ny}`;
            walked.set(key, (walked.get(key) ?? 0) + run.spikeCounts[c][i]);
            [x, y] = [nx, ny];
          }
        }
      }
    });
    expect(new Map(mesh.links.map((l) => [`${l.x},${l.y},${l.to_x},${l.to_y}`, l.packets]))).toEqual(new Map([...walked].filter(([, k]) => k > 0)));
    // Per-core dynamic energy plus the chip's static energy is the total.
    const dynamic = mesh.cores.reduce((a, c) => a + c.energy_j, 0);
    expect(dynamic + report.energy_j.by_category.static).toBeCloseTo(report.energy_j.total, 15);
  });

  it('has an energy trace whose bins add up to the run energy, by category', () => {
    const trace = report.figures.energy_per_step;
    expect(trace.bin_steps).toBe(2);
    for (const c of ENERGY_CATEGORIES) {
      const sum = trace.by_category[c].reduce((a, v) => a + v * trace.bin_steps, 0);
      expect(sum).toBeCloseTo(report.energy_j.by_category[c], 15);
    }
    // And energyOf over the totals is what the report says (one place computes energy).
    const profile = spreadProfile();
    expect(energyOf(report.counters, profile, chipTimeS(report.cycles.total, profile)).totalJ).toBeCloseTo(report.energy_j.total, 18);
  });

  it('has rate traces that count every spike of the probed populations', () => {
    const rates = report.figures.rates;
    expect(rates.populations.map((p) => p.name)).toEqual(['a', 'c']);
    for (const p of rates.populations) {
      const spikes = p.hz.reduce((acc, hz, b) => acc + hz * 150 * Math.min(rates.bin_steps, 400 - b * rates.bin_steps) * report.dt_s, 0);
      expect(Math.round(spikes)).toBe(report.spikes.by_population[p.name]);
    }
    const raster = report.figures.raster.populations;
    expect(raster.map((p) => p.spikes)).toEqual([report.spikes.by_population.a, report.spikes.by_population.c]);
  });

  it('renders a self-contained page with one mark per drawn spike and one link per loaded link', () => {
    const html = renderRunHtml(JSON.parse(JSON.stringify(report)));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|https?:\/\/|url\((?!#)/i);
    expect(html).toContain("default-src 'none'");
    const marks = report.figures.raster.populations.reduce((a, p) => a + p.steps.length, 0);
    expect((html.match(/<use href="#t\d+"/g) ?? []).length).toBe(marks);
    expect((html.match(/<line data-link=/g) ?? []).length).toBe(report.figures.mesh.links.length);
    for (const id of ['raster', 'rates', 'energy-bar', 'energy-steps', 'mesh', 'mesh-use']) {
      expect(html).toMatch(new RegExp(`<svg data-figure="${id}"[^>]*role="img"[^>]*><title id="fig-${id}-t">[^<]+</title><desc`));
    }
    expect(html).toContain('time (ms)');
    expect(html).toContain('energy per step (');
    expect(html).toContain('rate per neuron (Hz)');
    expect(html).toContain('<table>');
  });
});

describe('large runs stay small', () => {
  it('keeps a dense 2,000-step run of 2,000 Poisson neurons under 300 kB of HTML', async () => {
    const net = 'input x[2000] { encoding = poisson(max_rate = 200 Hz) }\nprobe x { spikes }\n';
    const compiled = compileSource(net, 'dense.snn');
    expect(hasErrors(compiled.diagnostics)).toBe(false);
    const run = await runImage(compiled.image!, { steps: 2000, seed: 1, backend: 'cpu' });
    const report = buildRunReport(run);
    const [x] = report.figures.raster.populations;
    expect(x.spikes).toBeGreaterThan(700_000);
    expect(x.steps.length).toBeLessThanOrEqual(RASTER_MAX_MARKS);
    const html = renderRunHtml(report);
    expect(html.length).toBeLessThan(300_000);
    expect(JSON.stringify(report).length).toBeLessThan(150_000);
    expect(html).toMatch(/every \d+(st|nd|rd|th) neuron \(\d+ of 2,000\)/);
  });
});

describe('training reports', () => {
  it('reads the comparison fixture, with SBP first, and draws both runs on each plot', () => {
    const view = parseTrainReport(TRAIN_COMPARE_FIXTURE, 'train.json');
    expect(view.runs.map((r) => r.label)).toEqual(['with SBP', 'without SBP']);
    expect(view.runs[1].epochs[0].energy_j).toBe(1.93);
    expect(view.runs[0].epochs[2].energy_j).toBe(0.93);
    const html = renderTrainHtml(view);
    expect((html.match(/<circle data-point/g) ?? []).length).toBe(2 * 5 * 2 + 2 * 5);
    expect((html.match(/<rect data-bar/g) ?? []).length).toBe(10);
    expect(html).toContain('accuracy (%)');
    expect(html).toContain('energy spent (J)');
    expect(html).toContain('93.10%');
    expect(html).not.toMatch(/<script|https?:\/\//i);
  });

  it('reads a single run with epochs at the top', () => {
    const view = parseTrainReport({ schema: 'meso.train/v1', source: 'n.snn', epochs: [{ train_accuracy: 0.5, test_accuracy: 0.4, energy_j: 1e-3 }] }, 'one.json');
    expect(view.runs).toHaveLength(1);
    expect(view.runs[0].epochs[0].epoch).toBe(1);
    expect(renderTrainHtml(view)).toContain('40.00%');
  });

  it('names every malformed number and where it is', () => {
    const bad = { schema: 'meso.train/v1', epochs: [{ train_accuracy: 93.1, test_accuracy: 0.9, energy_j: 'lots' }] };
    expect(() => parseTrainReport(bad, 'bad.json')).toThrow(TrainReportError);
    try {
      parseTrainReport(bad, 'bad.json');
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toContain('bad.json');
      expect(msg).toContain('epochs[0].train_accuracy must be a fraction from 0 to 1, found 93.1');
      expect(msg).toContain('epochs[0].energy_j must be joules');
    }
  });

  it('refuses unknown schemas and reports without figures, saying what to do', () => {
    expect(() => reportHtmlFromJson('{"schema":"other/v1"}', 'x.json')).toThrow(/x\.json: unknown report schema "other\/v1"/);
    expect(() => reportHtmlFromJson('{"schema":"meso.report/v1","steps":3}', 'old.json')).toThrow(ReportHtmlError);
    expect(() => reportHtmlFromJson('{"schema":"meso.report/v1","steps":3}', 'old.json')).toThrow(/old\.json: .*no "figures".*meso run/);
    expect(() => reportHtmlFromJson('{oops', 'broken.json')).toThrow(/broken\.json: not valid JSON/);
  });
});

describe('meso report and meso run --html', () => {
  let dir = '';
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });
  beforeAll(() => {
    if (!existsSync(join(root, 'dist/runtime/main.js'))) throw new Error('dist/ is not built: run `npm test` (which runs tsc first) or `npm run build`');
    dir = mkdtempSync(join(tmpdir(), 'meso-html-'));
  });

  it('writes the same page from a run and from its saved report', () => {
    const json = join(dir, 'run.json');
    const a = join(dir, 'a.html');
    const b = join(dir, 'b.html');
    const r = meso('run', join(root, 'examples/synfire.snn'), '--steps', '200', '--report', json, '--html', a, '--quiet');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(meso('report', json, '--html', b).status).toBe(0);
    expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
    expect(readFileSync(a, 'utf8')).toContain('Meso run report: ');
  });

  it('draws a training report', () => {
    const json = join(dir, 'train.json');
    writeFileSync(json, JSON.stringify(TRAIN_COMPARE_FIXTURE));
    const r = meso('report', json, '--html', join(dir, 'train.html'));
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'train.html'), 'utf8')).toContain('with SBP vs without SBP');
  });

  it('exits 1 naming the file for a missing, broken or foreign report, and writes nothing', () => {
    const out = join(dir, 'never.html');
    const missing = meso('report', join(dir, 'nope.json'), '--html', out);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('nope.json: no such file');
    writeFileSync(join(dir, 'broken.json'), '{"schema": "meso.report/v1", ');
    const broken = meso('report', join(dir, 'broken.json'), '--html', out);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/broken\.json: not valid JSON/);
    writeFileSync(join(dir, 'spikes.json'), '{"schema": "meso.spikes/v1"}');
    const foreign = meso('report', join(dir, 'spikes.json'), '--html', out);
    expect(foreign.status).toBe(1);
    expect(foreign.stderr).toContain('unknown report schema "meso.spikes/v1"');
    expect(existsSync(out)).toBe(false);
    const noHtml = meso('report', join(dir, 'spikes.json'));
    expect(noHtml.status).toBe(1);
    expect(noHtml.stderr).toContain("required option '--html <file>'");
  });
});
