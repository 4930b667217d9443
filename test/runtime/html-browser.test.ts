// The HTML reports in a real browser: Debian's headless Chromium, driven by
// playwright-core. Renders the report of the default example and a training
// report, and checks that the page loads without console errors or network
// requests, that the figures have the expected number of marks, and that it prints.
// Without Chromium the suite is skipped with a message, except under CI=true,
// where a missing browser fails (.ci/run installs it).
// MESO_UPDATE_SCREENSHOTS=1 also refreshes the screenshots in docs/img/.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENERGY_CATEGORIES } from '../../emulator/energy.js';
import { builtinProfile } from '../../isa/profile.js';
import { TRAIN_COMPARE_FIXTURE } from './html-fixtures.js';

const root = new URL('../../', import.meta.url).pathname;
const bin = join(root, 'bin/meso.js');
const CHROMIUM = process.env.MESO_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true';

if (!haveChromium && !inCI) {
  process.stderr.write(
    `html-browser.test.ts: skipped, no Chromium at ${CHROMIUM}. Install Debian's with ` +
      '`sudo apt-get install -y --no-install-recommends chromium` (or set MESO_CHROMIUM to a Chromium binary).\n',
  );
}

function meso(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`meso ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r;
}

/**
 * A ring of `n` populations of `size` neurons, each driven by its own Poisson input
 * and fed by its two predecessors (1 and 9 back): on loihi-like it spans more than
 * one row of tiles, so the floor plan shows east-west and north-south traffic.
 */
export function ringNetwork(n: number, size: number): string {
  const lines = [
    '// A ring of populations driven by Poisson noise, spread over the mesh (test/runtime/html-browser.test.ts).',
    'target "loihi-like" { dt = 1 ms }',
    'neuron Lif { model = lif; tau_mem = 20 ms; tau_syn = 5 ms; threshold = 1.0; reset = 0.0; refractory = 2 ms }',
  ];
  for (let i = 0; i < n; i++) lines.push(`input n${i}[50] { encoding = poisson(max_rate = 40 Hz) }`);
  for (let i = 0; i < n; i++) lines.push(`population p${i}[${size}] : Lif`);
  for (let i = 0; i < n; i++) {
    lines.push(`connect n${i} -> p${i} { pattern = random(p = 0.3, seed = ${100 + i}); weight = uniform(0.004, 0.016) }`);
    lines.push(`connect p${(i + n - 1) % n} -> p${i} { pattern = random(p = 0.02, seed = ${i + 1}); weight = uniform(0.004, 0.014); delay = 2 ms }`);
    lines.push(`connect p${(i + n - 9) % n} -> p${i} { pattern = random(p = 0.01, seed = ${i + 301}); weight = uniform(0.004, 0.014); delay = 3 ms }`);
  }
  lines.push('probe p0 { spikes }', `probe p${Math.floor(n / 3)} { spikes }`, `probe p${Math.floor((2 * n) / 3)} { spikes }`);
  return `${lines.join('\n')}\n`;
}

/** What a page did while loading: console errors, uncaught exceptions, and any request for anything but the page itself. */
interface Visit {
  readonly page: Page;
  readonly errors: string[];
  readonly requests: string[];
}

describe.skipIf(!haveChromium && !inCI)('HTML reports in headless Chromium', () => {
  let browser: Browser;
  let dir = '';
  let runHtml = '';
  let trainHtml = '';
  let report: { counters: Record<string, number>; energy_j: { by_category: Record<string, number> }; cores_used: number; figures: { mesh: { links: unknown[] } } };
  let spikes: { populations: Record<string, { steps: number[] }> };

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI=true but no Chromium at ${CHROMIUM}: .ci/run must install it (apt-get install -y --no-install-recommends chromium)`);
    if (!existsSync(join(root, 'dist/runtime/main.js'))) throw new Error('dist/ is not built: run `npm test` (which runs tsc first) or `npm run build`');
    dir = mkdtempSync(join(tmpdir(), 'meso-browser-'));
    runHtml = join(dir, 'run.html');
    trainHtml = join(dir, 'train.html');
    meso('run', 'examples/synfire.snn', '--steps', '300', '--report', join(dir, 'run.json'), '--spikes', join(dir, 'spikes.json'), '--html', runHtml, '--quiet');
    writeFileSync(join(dir, 'train.json'), JSON.stringify(TRAIN_COMPARE_FIXTURE));
    meso('report', join(dir, 'train.json'), '--html', trainHtml);
    report = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    spikes = JSON.parse(readFileSync(join(dir, 'spikes.json'), 'utf8'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  async function visit(file: string): Promise<Visit> {
    const page = await browser.newPage({ viewport: { width: 1040, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    const self = pathToFileURL(file).href;
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== self) requests.push(r.url());
    });
    await page.goto(self, { waitUntil: 'load' });
    return { page, errors, requests };
  }

  /** Screenshots the whole page, or one element of it. */
  async function screenshot(page: Page, name: string, selector?: string): Promise<void> {
    const out = join(dir, name);
    if (selector) await page.locator(selector).screenshot({ path: out });
    else await page.screenshot({ path: out, fullPage: true });
    expect(statSync(out).size).toBeGreaterThan(20_000);
    if (process.env.MESO_UPDATE_SCREENSHOTS === '1') {
      mkdirSync(join(root, 'docs/img'), { recursive: true });
      copyFileSync(out, join(root, 'docs/img', name));
    }
  }

  it('renders the run report of examples/synfire.snn with the expected marks and no errors', async () => {
    const { page, errors, requests } = await visit(runHtml);
    try {
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      expect(await page.title()).toBe('Meso run: examples/synfire.snn');

      // Raster: one mark per spike of the probed g0 and g5 (300 steps fit the budget, so nothing is thinned).
      const expected = Object.fromEntries(Object.entries(spikes.populations).map(([name, p]) => [name, p.steps.length]));
      expect(Object.keys(expected)).toEqual(['g0', 'g5']);
      expect(expected.g0).toBe(300);
      for (const [name, n] of Object.entries(expected)) {
        expect(await page.locator(`svg[data-figure="raster"] g[data-population="${name}"] > use`).count()).toBe(n);
      }
      // Every mark is drawn inside the plot, and the wave reaches g5 after g0.
      const box = (await page.locator('svg[data-figure="raster"]').boundingBox())!;
      const read = (pop: string) =>
        page.locator(`svg[data-figure="raster"] g[data-population="${pop}"] > use`).evaluateAll((us) => us.map((u) => {
          const r = u.getBoundingClientRect();
          return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, w: r.width, h: r.height };
        }));
      const inside = (m: { left: number; right: number; top: number; bottom: number }) =>
        m.left >= box.x && m.right <= box.x + box.width && m.top >= box.y && m.bottom <= box.y + box.height;
      const xs = { g0: (await read('g0')).map((m) => ({ ...m, x: m.left, y: m.top, inside: inside(m) })), g5: (await read('g5')).map((m) => ({ ...m, x: m.left, y: m.top, inside: inside(m) })) };
      for (const m of [...xs.g0, ...xs.g5]) expect(m.inside && m.w > 0 && m.h > 0).toBe(true);
      expect(Math.min(...xs.g5.map((m) => m.x))).toBeGreaterThan(Math.min(...xs.g0.map((m) => m.x)));
      expect(Math.min(...xs.g5.map((m) => m.y))).toBeGreaterThan(Math.max(...xs.g0.map((m) => m.y)));

      // Energy bars: one segment per category with energy (synfire has no learning).
      const nonZero = ENERGY_CATEGORIES.filter((c) => report.energy_j.by_category[c] > 0).length;
      expect(nonZero).toBe(4);
      expect(await page.locator('svg[data-figure="energy-bar"] rect[data-category]').count()).toBe(nonZero);
      expect(await page.locator('svg[data-figure="energy-steps"] path[data-series]').count()).toBe(nonZero);
      const widths = await page.locator('svg[data-figure="energy-bar"] rect[data-category]').evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().width));
      expect(widths.reduce((a, b) => a + b, 0)).toBeGreaterThan(300);

      // Mesh: every core slot of the loihi-like mesh, the used ones marked, and no link (one core, one tile).
      const m = builtinProfile('loihi-like')!.mesh;
      const slots = m.tilesX * m.tilesY * m.coresPerTile;
      expect(await page.locator('svg[data-figure="mesh"] rect[data-slot]').count()).toBe(slots);
      expect(await page.locator('svg[data-figure="mesh"] rect[data-core]').count()).toBe(report.cores_used);
      expect(await page.locator('svg[data-figure="mesh-use"] rect[data-core]').count()).toBe(report.cores_used);
      expect(await page.locator('svg[data-figure="mesh"] line[data-link]').count()).toBe(report.figures.mesh.links.length);

      // Accessible names for every figure, and a table for each.
      const names = await page.locator('svg[role="img"]').evaluateAll((svgs) => svgs.map((s) => s.querySelector('title')?.textContent ?? ''));
      expect(names).toEqual(['Spike raster', 'Population rates over time', 'Energy by category', 'Energy per step over time', 'Floor plan by energy', 'Floor plan by utilisation']);
      expect(await page.locator('details table').count()).toBeGreaterThanOrEqual(6);

      await screenshot(page, 'run-report.png');
      // Printable: the page becomes a PDF with the figures in it.
      await page.emulateMedia({ media: 'print' });
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      expect(pdf.length).toBeGreaterThan(20_000);
      expect(await page.locator('svg[data-figure="raster"]').isVisible()).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('draws a run spread over the mesh with every loaded link and a thinned raster', async () => {
    const net = join(dir, 'ring.snn');
    writeFileSync(net, ringNetwork(36, 800));
    const html = join(dir, 'ring.html');
    meso('run', net, '--steps', '600', '--report', join(dir, 'ring.json'), '--html', html, '--quiet');
    const ring = JSON.parse(readFileSync(join(dir, 'ring.json'), 'utf8')) as {
      cores_used: number;
      figures: { raster: { max_marks: number; populations: { spikes: number; steps: number[] }[] }; mesh: { links: { y: number; to_y: number }[] } };
    };
    const links = ring.figures.mesh.links;
    expect(links.some((l) => l.y === l.to_y)).toBe(true);
    expect(links.some((l) => l.y !== l.to_y)).toBe(true);
    const { page, errors, requests } = await visit(html);
    try {
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      expect(await page.locator('svg[data-figure="mesh"] rect[data-core]').count()).toBe(ring.cores_used);
      expect(await page.locator('svg[data-figure="mesh"] line[data-link]').count()).toBe(links.length);
      const drawn = ring.figures.raster.populations.reduce((a, p) => a + p.steps.length, 0);
      const fired = ring.figures.raster.populations.reduce((a, p) => a + p.spikes, 0);
      expect(fired).toBeGreaterThan(ring.figures.raster.max_marks);
      expect(drawn).toBeLessThanOrEqual(ring.figures.raster.max_marks);
      expect(await page.locator('svg[data-figure="raster"] use').count()).toBe(drawn);
      await screenshot(page, 'run-report-mesh.png', 'figure:has(svg[data-figure="mesh"])');
    } finally {
      await page.close();
    }
  });

  it('renders a training comparison with both runs on each plot', async () => {
    const { page, errors, requests } = await visit(trainHtml);
    try {
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      // Accuracy: 2 runs x (test, train) x 5 epochs points; energy: 2 x 5 bars; accuracy against energy: 2 x 5 points.
      expect(await page.locator('svg[data-figure="accuracy"] circle[data-point]').count()).toBe(20);
      expect(await page.locator('svg[data-figure="epoch-energy"] rect[data-bar]').count()).toBe(10);
      expect(await page.locator('svg[data-figure="accuracy-energy"] circle[data-point]').count()).toBe(10);
      expect(await page.locator('svg[data-figure="accuracy"] g[data-series]').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-series')))).toEqual([
        'with SBP, test', 'with SBP, train', 'without SBP, test', 'without SBP, train',
      ]);
      // SBP's bars are lower after epoch 1 in the fixture: the drawn heights must say so.
      const heights = await page.locator('svg[data-figure="epoch-energy"] rect[data-bar]').evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().height));
      expect(heights[4]).toBeLessThan(heights[9]);
      await screenshot(page, 'train-report.png');
    } finally {
      await page.close();
    }
  });
});
