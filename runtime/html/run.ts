// The HTML report of a run (`meso run --html`, `meso report run.json --html`):
// a pure function from the meso.report/v1 JSON to one self-contained page.
import { ENERGY_CATEGORIES, type EnergyCategory } from '../../emulator/energy.js';
import type { RunReport } from '../report.js';
import { binnedLines, binnedStack, stackedBar, timeUnit, type TimeAxis } from './charts.js';
import type { CoreFigure, LinkFigure, MeshFigure, RasterPopulation } from './figures.js';
import { dataTable, figure, page, summary } from './page.js';
import { axes, esc, group, legend, linear, n1, OKABE_ITO, percent, plotWidth, seriesColour, si, siPrefix, svg, tickLabel, ticks, viridis, viridisText, type Frame } from './svg.js';

/** Category names and colours, fixed so that every figure and report agrees. Static is grey: it is no operation. */
export const CATEGORY_STYLE: Readonly<Record<EnergyCategory, { readonly label: string; readonly colour: string }>> = {
  synaptic: { label: 'synaptic ops', colour: OKABE_ITO.blue },
  neuron: { label: 'neuron updates', colour: OKABE_ITO.orange },
  routing: { label: 'spike routing', colour: OKABE_ITO.bluishGreen },
  learning: { label: 'learning', colour: OKABE_ITO.reddishPurple },
  sbp: { label: 'sbp', colour: OKABE_ITO.vermillion },
  static: { label: 'static power', colour: '#9a9a9a' },
};

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${s}`;
}

/** What the raster shows of one population, in words (the downsampling made explicit). */
export function rasterNote(p: RasterPopulation, axis: TimeAxis): string {
  const t = timeUnit(axis);
  const rows = Math.ceil(p.size / p.neuron_stride);
  const who = p.neuron_stride === 1 ? `all ${group(p.size)} neurons` : `every ${ordinal(p.neuron_stride)} neuron (${group(rows)} of ${group(p.size)})`;
  const when = p.until_step < axis.steps ? `, up to ${tickLabel(p.until_step * axis.dtS * t.scale)} ${t.unit}` : '';
  const drawn = p.steps.length === p.spikes ? `all ${group(p.spikes)} spikes` : `${group(p.steps.length)} of ${group(p.spikes)} spikes`;
  return `${p.name}: ${drawn}, ${who}${when}`;
}

/** The spike raster: one band per recorded population, one mark per drawn spike (data-population groups of <use>). */
export function rasterSvg(pops: readonly RasterPopulation[], axis: TimeAxis): string {
  const bandsH = pops.map((p) => Math.min(140, Math.max(48, 2 * Math.ceil(p.size / p.neuron_stride))));
  const gap = 12;
  const f: Frame = { width: 900, height: 12 + bandsH.reduce((a, b) => a + b + gap, 0) - gap + 40, left: 64, right: 16, top: 12, bottom: 40 };
  const t = timeUnit(axis);
  const w = plotWidth(f);
  const sx = linear(0, axis.steps, f.left, f.left + w);
  const markW = Math.min(3, Math.max(1, w / Math.max(1, axis.steps)));
  const defs: string[] = [];
  const parts: string[] = [axes(f, { label: `time (${t.unit})`, min: 0, max: axis.steps * axis.dtS * t.scale }, { label: 'neuron index', min: 0, max: 1, ticks: [] })];
  let top = f.top;
  pops.forEach((p, i) => {
    const h = bandsH[i];
    const rows = Math.ceil(p.size / p.neuron_stride);
    const markH = Math.min(3, Math.max(1, h / Math.max(1, rows)));
    const sy = linear(0, Math.max(1, p.size - 1), top + h - markH, top);
    const colour = seriesColour(i);
    defs.push(`<rect id="t${i}" width="${n1(markW)}" height="${n1(markH)}" fill="${colour}"/>`);
    if (i > 0) parts.push(`<line class="sep" x1="${f.left}" x2="${f.left + w}" y1="${n1(top - gap / 2)}" y2="${n1(top - gap / 2)}"/>`);
    parts.push(`<text x="${f.left - 24}" y="${n1(top + h / 2)}" text-anchor="end" dominant-baseline="middle" style="font-weight:600">${esc(p.name)}</text>`);
    parts.push(`<text x="${f.left - 4}" y="${n1(top + h - markH / 2)}" text-anchor="end" dominant-baseline="middle" class="idx">0</text>`);
    parts.push(`<text x="${f.left - 4}" y="${n1(top + markH / 2)}" text-anchor="end" dominant-baseline="middle" class="idx">${p.size - 1}</text>`);
    if (p.until_step < axis.steps) {
      const cx = n1(sx(p.until_step));
      parts.push(`<line x1="${cx}" x2="${cx}" y1="${top}" y2="${top + h}" stroke="${OKABE_ITO.vermillion}" stroke-dasharray="4 3"><title>raster cut here to stay small</title></line>`);
    }
    const marks: string[] = [];
    for (let e = 0; e < p.steps.length; e++) marks.push(`<use href="#t${i}" x="${n1(sx(p.steps[e]))}" y="${n1(sy(p.neurons[e]))}"/>`);
    parts.push(`<g data-population="${esc(p.name)}"><title>${esc(p.name)} spikes</title>${marks.join('')}</g>`);
    top += h + gap;
  });
  const names = pops.map((p) => p.name).join(', ');
  return svg(
    'raster',
    f.width,
    f.height,
    'Spike raster',
    `Spike times of the recorded populations (${names}); each mark is one spike, x is time in ${t.unit}, y the neuron index within its population.`,
    `<defs>${defs.join('')}</defs>${parts.join('')}`,
  );
}

function tileXY(tile: number, tilesX: number): { x: number; y: number } {
  return { x: tile % tilesX, y: Math.floor(tile / tilesX) };
}

interface PlanStyle {
  readonly figure: string;
  readonly tile: number;
  readonly gap: number;
  readonly links: boolean;
  /** Colour value of a core in [0, 1] and its text. */
  readonly value: (c: CoreFigure) => number;
  readonly describe: (c: CoreFigure) => string;
  readonly scaleLabel: string;
  readonly scaleTicks: readonly { readonly at: number; readonly label: string }[];
}

function linkLabel(l: LinkFigure): string {
  return `tile (${l.x},${l.y}) → (${l.to_x},${l.to_y})`;
}

/** The chip as a floor plan: tiles on the mesh, cores coloured by a value, links drawn with their packet load. */
export function floorPlanSvg(mesh: MeshFigure, style: PlanStyle, title: string, desc: string): string {
  const { tile: T, gap: G } = style;
  const cols = Math.ceil(Math.sqrt(mesh.cores_per_tile));
  const rowsPerTile = Math.ceil(mesh.cores_per_tile / cols);
  const cell = (T - 4) / Math.max(cols, rowsPerTile);
  const left = 26;
  const top = 22;
  const barW = 14;
  const gridW = mesh.tiles_x * T + (mesh.tiles_x - 1) * G;
  const gridH = mesh.tiles_y * T + (mesh.tiles_y - 1) * G;
  const width = left + gridW + 28 + barW + 90;
  const height = Math.max(top + gridH + 12, 150);
  const tx = (x: number): number => left + x * (T + G);
  const ty = (y: number): number => top + y * (T + G);
  const parts: string[] = [];
  for (let x = 0; x < mesh.tiles_x; x++) parts.push(`<text x="${n1(tx(x) + T / 2)}" y="${top - 8}" text-anchor="middle" class="idx">x ${x}</text>`);
  for (let y = 0; y < mesh.tiles_y; y++) parts.push(`<text x="${left - 4}" y="${n1(ty(y) + T / 2)}" text-anchor="end" dominant-baseline="middle" class="idx">y ${y}</text>`);
  // The mesh's links, idle ones faint; traffic is drawn over them.
  for (let y = 0; y < mesh.tiles_y; y++) {
    for (let x = 0; x < mesh.tiles_x; x++) {
      if (x + 1 < mesh.tiles_x) parts.push(`<line class="sep" x1="${tx(x) + T}" x2="${tx(x + 1)}" y1="${ty(y) + T / 2}" y2="${ty(y) + T / 2}"/>`);
      if (y + 1 < mesh.tiles_y) parts.push(`<line class="sep" x1="${tx(x) + T / 2}" x2="${tx(x) + T / 2}" y1="${ty(y) + T}" y2="${ty(y + 1)}"/>`);
    }
  }
  const used = new Map<number, CoreFigure>();
  for (const c of mesh.cores) used.set(c.slot, c);
  const tiles = mesh.tiles_x * mesh.tiles_y;
  for (let t = 0; t < tiles; t++) {
    const { x, y } = tileXY(t, mesh.tiles_x);
    parts.push(`<rect x="${tx(x)}" y="${ty(y)}" width="${T}" height="${T}" rx="3" fill="#f7f7f7" stroke="#bdbdbd"/>`);
    for (let k = 0; k < mesh.cores_per_tile; k++) {
      const slot = t * mesh.cores_per_tile + k;
      const cx = tx(x) + 2 + (k % cols) * cell;
      const cy = ty(y) + 2 + Math.floor(k / cols) * cell;
      const c = used.get(slot);
      if (!c) {
        parts.push(`<rect data-slot="${slot}" x="${n1(cx + 1)}" y="${n1(cy + 1)}" width="${n1(cell - 2)}" height="${n1(cell - 2)}" fill="#fff" stroke="#d9d9d9"><title>slot ${slot}: unused</title></rect>`);
        continue;
      }
      const v = style.value(c);
      parts.push(
        `<rect data-slot="${slot}" data-core="${c.core}" x="${n1(cx + 1)}" y="${n1(cy + 1)}" width="${n1(cell - 2)}" height="${n1(cell - 2)}" fill="${viridis(v)}" stroke="#333" stroke-width="0.6">` +
          `<title>${esc(style.describe(c))}</title></rect>`,
      );
      if (cell >= 22) parts.push(`<text x="${n1(cx + cell / 2)}" y="${n1(cy + cell / 2)}" text-anchor="middle" dominant-baseline="middle" style="fill:${viridisText(v)};font-size:10px" aria-hidden="true">${c.core}</text>`);
    }
  }
  if (style.links && mesh.links.length > 0) {
    const max = mesh.links[0].packets;
    mesh.links.forEach((l, i) => {
      const wdt = 1 + (3.5 * l.packets) / max;
      const colour = i === 0 ? OKABE_ITO.vermillion : '#333333';
      let x1: number, x2: number, y1: number, y2: number;
      if (l.to_y === l.y) {
        // East-west: eastbound above the centre line, westbound below.
        const east = l.to_x > l.x;
        const yy = ty(l.y) + T / 2 + (east ? -6 : 6);
        [x1, x2] = east ? [tx(l.x) + T + 1, tx(l.to_x) - 3] : [tx(l.x) - 1, tx(l.to_x) + T + 3];
        [y1, y2] = [yy, yy];
      } else {
        const south = l.to_y > l.y;
        const xx = tx(l.x) + T / 2 + (south ? 6 : -6);
        [y1, y2] = south ? [ty(l.y) + T + 1, ty(l.to_y) - 3] : [ty(l.y) - 1, ty(l.to_y) + T + 3];
        [x1, x2] = [xx, xx];
      }
      parts.push(
        `<line data-link="${i}" x1="${n1(x1)}" y1="${n1(y1)}" x2="${n1(x2)}" y2="${n1(y2)}" stroke="${colour}" stroke-width="${n1(wdt)}" marker-end="url(#${style.figure}-arrow${i === 0 ? '-hot' : ''})">` +
          `<title>${esc(`${linkLabel(l)}: ${group(l.packets)} packets`)}</title></line>`,
      );
    });
  }
  // Colour bar.
  const bx = left + gridW + 28;
  const bh = Math.max(100, gridH);
  const stops = Array.from({ length: 11 }, (_, i) => `<stop offset="${i * 10}%" stop-color="${viridis(1 - i / 10)}"/>`).join('');
  parts.push(`<rect x="${bx}" y="${top}" width="${barW}" height="${bh}" fill="url(#${style.figure}-scale)" stroke="#333" stroke-width="0.5"/>`);
  for (const s of style.scaleTicks) {
    const yy = n1(top + bh * (1 - s.at));
    parts.push(`<line x1="${bx + barW}" x2="${bx + barW + 4}" y1="${yy}" y2="${yy}" class="tick"/><text x="${bx + barW + 6}" y="${yy}" dominant-baseline="middle">${esc(s.label)}</text>`);
  }
  parts.push(`<text x="${bx}" y="${top - 8}" class="idx">${esc(style.scaleLabel)}</text>`);
  const defs =
    `<defs><linearGradient id="${style.figure}-scale" x1="0" x2="0" y1="0" y2="1">${stops}</linearGradient>` +
    `<marker id="${style.figure}-arrow" viewBox="0 0 6 6" refX="5" refY="3" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0 0L6 3L0 6Z" fill="#333"/></marker>` +
    `<marker id="${style.figure}-arrow-hot" viewBox="0 0 6 6" refX="5" refY="3" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0 0L6 3L0 6Z" fill="${OKABE_ITO.vermillion}"/></marker></defs>`;
  return svg(style.figure, width, height, title, desc, defs + parts.join(''));
}

function scaleTicks(max: number, unit: string): { at: number; label: string }[] {
  if (!(max > 0)) return [{ at: 0, label: `0 ${unit}` }];
  const { scale, prefix } = siPrefix(max);
  return ticks(0, max / scale, 4)
    .filter((v) => v * scale <= max * (1 + 1e-9))
    .map((v) => ({ at: (v * scale) / max, label: `${tickLabel(v)} ${prefix}${unit}` }));
}

/** Renders the report of a run as one self-contained HTML page. */
export function renderRunHtml(r: RunReport): string {
  const fig = r.figures;
  const axis: TimeAxis = { dtS: r.dt_s, steps: r.steps };
  const t = timeUnit(axis);
  const simulated = r.steps * r.dt_s;
  const synOps = r.counters.synaptic_ops;
  const sections: string[] = [];

  sections.push(`<header><h1>Meso run report: ${esc(r.source)}</h1><p class="sub">${esc(`${r.chip} chip, ${r.backend} backend, seed ${r.seed}`)}</p></header>`);
  sections.push('<section aria-labelledby="s-summary"><h2 id="s-summary">Summary</h2>');
  sections.push(
    summary([
      ['network', r.source],
      ['chip profile', r.chip],
      ['steps', `${group(r.steps)} × ${si(r.dt_s, 's')} = ${si(simulated, 's')} simulated`],
      ['cores / tiles used', `${r.cores_used} / ${r.tiles_used}`],
      ['spikes', group(r.spikes.total)],
      ['chip time', `${si(r.chip_time_s, 's')} (${si(r.chip_time_s / Math.max(1, r.steps), 's')} per step)`],
      ['total energy', si(r.energy_j.total, 'J')],
      ['energy per synaptic op', synOps > 0 ? si(r.energy_j.total / synOps, 'J') : 'no synaptic ops'],
      ['mean power', r.chip_time_s > 0 ? si(r.energy_j.total / r.chip_time_s, 'W') : 'n/a'],
      ['energy per inference', 'n/a for a free run'],
    ]),
  );
  sections.push(
    dataTable(
      'spikes and mean rate per population',
      ['population', 'spikes', 'mean rate (Hz)'],
      Object.keys(r.spikes.by_population).map((name) => [name, group(r.spikes.by_population[name]), r.rates_hz[name].toFixed(2)]),
    ),
  );
  sections.push('</section>');

  // Spikes.
  sections.push('<section aria-labelledby="s-spikes"><h2 id="s-spikes">Spikes</h2>');
  const raster = fig.raster.populations;
  if (raster.length === 0) {
    sections.push('<p class="note">No population was recorded: add <code>probe NAME { spikes }</code> to the program to see its raster.</p>');
  } else {
    const notes = raster.map((p) => esc(rasterNote(p, axis))).join('; ');
    sections.push(
      figure(
        rasterSvg(raster, axis),
        `Spike raster of the recorded populations. ${notes}. Large runs are thinned to at most ${group(fig.raster.max_marks)} marks by keeping every k-th neuron with all its spikes (and, if that is not enough, cutting at a step); every mark is a real spike.`,
        dataTable(
          'raster contents',
          ['population', 'neurons', 'spikes fired', 'spikes drawn', 'neurons drawn', 'drawn until'],
          raster.map((p) => [p.name, group(p.size), group(p.spikes), group(p.steps.length), group(Math.ceil(p.size / p.neuron_stride)), `${tickLabel(p.until_step * r.dt_s * t.scale)} ${t.unit}`]),
        ),
      ),
    );
    const rates = fig.rates;
    const binS = rates.bin_steps * r.dt_s;
    sections.push(
      figure(
        legend(rates.populations.map((p, i) => ({ label: p.name, colour: seriesColour(i) }))) +
          binnedLines('rates', 'Population rates over time', `Mean firing rate per neuron of each recorded population in bins of ${si(binS, 's')}.`, 'rate per neuron', 'Hz',
            rates.populations.map((p, i) => ({ name: p.name, colour: seriesColour(i), values: p.hz })), rates.bin_steps, axis),
        `Population rates: spikes per neuron per second in bins of ${rates.bin_steps} step${rates.bin_steps === 1 ? '' : 's'} (${si(binS, 's')}), from every spike (not only those the raster draws). Each bin's value is held across the bin.`,
        dataTable(
          'rates per bin (Hz)',
          [`bin start (${t.unit})`, ...rates.populations.map((p) => p.name)],
          (rates.populations[0]?.hz ?? []).map((_, b) => [tickLabel(b * binS * t.scale), ...rates.populations.map((p) => p.hz[b].toFixed(1))]),
        ),
      ),
    );
  }
  sections.push('</section>');

  // Energy.
  sections.push('<section aria-labelledby="s-energy"><h2 id="s-energy">Energy</h2>');
  const cats = ENERGY_CATEGORIES.map((c) => ({ name: CATEGORY_STYLE[c].label, colour: CATEGORY_STYLE[c].colour, value: r.energy_j.by_category[c] }));
  const catLegend = legend(ENERGY_CATEGORIES.map((c) => ({ label: CATEGORY_STYLE[c].label, colour: CATEGORY_STYLE[c].colour })));
  sections.push(
    figure(
      catLegend + stackedBar('energy-bar', 'Energy by category', `Total energy ${si(r.energy_j.total, 'J')} split into its categories.`, 'energy', 'J', cats),
      `Energy by category, total ${esc(si(r.energy_j.total, 'J'))}: each operation count times the profile's energy per operation, plus static power times chip time. Categories with no energy are not drawn.`,
      dataTable('energy by category', ['category', 'energy', 'share'], ENERGY_CATEGORIES.map((c) => [
        CATEGORY_STYLE[c].label, si(r.energy_j.by_category[c], 'J'), percent(r.energy_j.total > 0 ? r.energy_j.by_category[c] / r.energy_j.total : 0),
      ])),
    ),
  );
  const trace = fig.energy_per_step;
  const traceBinS = trace.bin_steps * r.dt_s;
  sections.push(
    figure(
      binnedStack('energy-steps', 'Energy per step over time', 'Mean energy per time step, stacked by category.', 'energy per step', 'J',
        ENERGY_CATEGORIES.map((c) => ({ name: CATEGORY_STYLE[c].label, colour: CATEGORY_STYLE[c].colour, values: trace.by_category[c] })), trace.bin_steps, axis),
      `Energy per time step, stacked by category: the mean over bins of ${trace.bin_steps} step${trace.bin_steps === 1 ? '' : 's'} (${esc(si(traceBinS, 's'))}). Static energy follows each step's chip time, so it rises with busy steps too.`,
      dataTable(
        'mean energy per step in each bin',
        [`bin start (${t.unit})`, ...ENERGY_CATEGORIES.map((c) => CATEGORY_STYLE[c].label), 'total'],
        (trace.by_category.static ?? []).map((_, b) => [
          tickLabel(b * traceBinS * t.scale),
          ...ENERGY_CATEGORIES.map((c) => si(trace.by_category[c][b], 'J')),
          si(ENERGY_CATEGORIES.reduce((a, c) => a + trace.by_category[c][b], 0), 'J'),
        ]),
      ),
    ),
  );
  sections.push('</section>');

  // Floor plan.
  const mesh = fig.mesh;
  sections.push('<section aria-labelledby="s-mesh"><h2 id="s-mesh">The chip floor plan</h2>');
  const maxE = Math.max(0, ...mesh.cores.map((c) => c.energy_j));
  const describe = (c: CoreFigure): string =>
    `core ${c.core} (slot ${c.slot}, tile ${c.tile} at x=${c.x} y=${c.y}): ${si(c.energy_j, 'J')} dynamic, ${group(c.neurons)} neurons (${percent(c.neuron_use)}), synapse memory ${percent(c.synapse_memory_use)}, ${group(c.spikes)} spikes, ${group(c.packets_sent)} packets sent`;
  const busiest = mesh.links[0];
  const linkText = busiest
    ? `Arrows are mesh links drawn with width by packets carried (X-then-Y routes); the busiest, ${esc(linkLabel(busiest))} with ${group(busiest.packets)} packets, is in vermillion.`
    : `No packet left its tile (${group(mesh.packets_in_tile)} packets stayed inside tiles), so no mesh link carried traffic.`;
  sections.push(
    figure(
      floorPlanSvg(mesh, {
        figure: 'mesh', tile: 60, gap: 32, links: true,
        value: (c) => (maxE > 0 ? c.energy_j / maxE : 0), describe,
        scaleLabel: 'dynamic energy', scaleTicks: scaleTicks(maxE, 'J'),
      }, 'Floor plan by energy', `The ${mesh.tiles_x} by ${mesh.tiles_y} tile mesh with ${mesh.cores_per_tile} cores per tile; used cores coloured by dynamic energy, links by traffic.`),
      `Floor plan of the ${esc(r.chip)} mesh (${mesh.tiles_x} × ${mesh.tiles_y} tiles, ${mesh.cores_per_tile} cores each; the number in a core is its index in <code>meso inspect</code>). Cores are coloured by dynamic energy on the viridis scale; white cores are unused; static power belongs to the whole chip and is not split by core. ${linkText}`,
      dataTable('cores', ['core', 'slot', 'tile (x, y)', 'neurons', 'neuron use', 'synapse memory use', 'spikes', 'packets sent', 'dynamic energy'],
        mesh.cores.map((c) => [String(c.core), String(c.slot), `${c.tile} (${c.x}, ${c.y})`, group(c.neurons), percent(c.neuron_use), percent(c.synapse_memory_use), group(c.spikes), group(c.packets_sent), si(c.energy_j, 'J')])) +
        (mesh.links.length > 0 ? dataTable('link traffic, busiest first', ['link', 'packets'], mesh.links.map((l) => [linkLabel(l), group(l.packets)])) : ''),
    ),
  );
  sections.push(
    figure(
      floorPlanSvg(mesh, {
        figure: 'mesh-use', tile: 36, gap: 10, links: false,
        value: (c) => c.neuron_use, describe,
        scaleLabel: 'neuron slots used', scaleTicks: [0, 0.25, 0.5, 0.75, 1].map((at) => ({ at, label: percent(at, 0) })),
      }, 'Floor plan by utilisation', 'Used cores coloured by the share of their neuron slots in use.'),
      'The same floor plan coloured by utilisation: the share of each core\'s neuron slots in use (0 to 100%).',
    ),
  );
  sections.push('</section>');

  sections.push(
    `<footer>Written by meso from a meso.report/v1 report. Colours: the Okabe-Ito palette for categories and series and viridis for the floor plans, both readable with colour-vision deficiencies; every figure's numbers are in the tables under it. ` +
      `Energy and time are the emulator's model of the ${esc(r.chip)} profile, not measurements of silicon.</footer>`,
  );
  return page(`Meso run: ${r.source}`, sections.join('\n'));
}
