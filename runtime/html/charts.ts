// Generic charts shared by the run and training reports: step lines over binned
// time, stacked step areas, a stacked bar and line/point charts. Each mark carries
// a data attribute (data-series, data-category, data-point, data-bar) so that tests
// and readers' tools can find and count it.
import { axes, esc, linear, n1, niceMax, plotHeight, plotWidth, siPrefix, svg, tickLabel, ticks, type Frame } from './svg.js';

export interface TimeAxis {
  /** Seconds per step. */
  readonly dtS: number;
  readonly steps: number;
}

/** The unit the time axis is labelled in: ms up to 10 s of simulated time, s beyond. */
export function timeUnit(axis: TimeAxis): { readonly scale: number; readonly unit: string } {
  return axis.steps * axis.dtS <= 10 ? { scale: 1e3, unit: 'ms' } : { scale: 1, unit: 's' };
}

export interface BinnedSeries {
  readonly name: string;
  readonly colour: string;
  /** One value per bin of `binSteps` steps; the last bin may be shorter. */
  readonly values: readonly number[];
}

/** The path of a binned series drawn as stairs (each bin's value held over the bin: no interpolation between bins). */
function stairs(values: readonly number[], binSteps: number, steps: number, sx: (step: number) => number, sy: (v: number) => number): string {
  const d: string[] = [];
  values.forEach((v, b) => {
    const x0 = sx(b * binSteps);
    const x1 = sx(Math.min(steps, (b + 1) * binSteps));
    d.push(`${b === 0 ? 'M' : 'L'}${n1(x0)} ${n1(sy(v))}H${n1(x1)}`);
  });
  return d.join('');
}

/** Binned series over time as stair lines (rates). */
export function binnedLines(
  figure: string, title: string, desc: string, yLabel: string, yUnit: string,
  series: readonly BinnedSeries[], binSteps: number, axis: TimeAxis,
): string {
  const f: Frame = { width: 900, height: 230, left: 64, right: 16, top: 12, bottom: 40 };
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const t = timeUnit(axis);
  const sx = linear(0, axis.steps, f.left, f.left + plotWidth(f));
  const sy = linear(0, max, f.top + plotHeight(f), f.top);
  const body = [
    axes(f, { label: `time (${t.unit})`, min: 0, max: axis.steps * axis.dtS * t.scale }, { label: `${yLabel} (${yUnit})`, min: 0, max }),
    ...series.map(
      (s) => `<path data-series="${esc(s.name)}" d="${stairs(s.values, binSteps, axis.steps, sx, sy)}" fill="none" stroke="${s.colour}" stroke-width="1.6"><title>${esc(s.name)}</title></path>`,
    ),
  ].join('');
  return svg(figure, f.width, f.height, title, desc, body);
}

/** Binned series over time stacked as areas (energy per step by category); empty series are not drawn. */
export function binnedStack(
  figure: string, title: string, desc: string, yLabel: string, unit: string,
  series: readonly BinnedSeries[], binSteps: number, axis: TimeAxis,
): string {
  const f: Frame = { width: 900, height: 240, left: 64, right: 16, top: 12, bottom: 40 };
  const bins = series.length > 0 ? series[0].values.length : 0;
  const totals = Array.from({ length: bins }, (_, b) => series.reduce((acc, s) => acc + s.values[b], 0));
  const rawMax = Math.max(0, ...totals);
  const { scale, prefix } = siPrefix(rawMax);
  const max = niceMax(rawMax / scale);
  const t = timeUnit(axis);
  const sx = linear(0, axis.steps, f.left, f.left + plotWidth(f));
  const sy = linear(0, max, f.top + plotHeight(f), f.top);
  const below = new Float64Array(bins);
  const paths: string[] = [];
  for (const s of series) {
    if (!s.values.some((v) => v > 0)) continue;
    const top = s.values.map((v, b) => (below[b] + v) / scale);
    const bottom = Array.from(below, (v) => v / scale);
    const upper = stairs(top, binSteps, axis.steps, sx, sy);
    // Back along the lower edge, right to left, to close the band.
    const lower: string[] = [];
    for (let b = bins - 1; b >= 0; b--) {
      lower.push(`L${n1(sx(Math.min(axis.steps, (b + 1) * binSteps)))} ${n1(sy(bottom[b]))}H${n1(sx(b * binSteps))}`);
    }
    paths.push(`<path data-series="${esc(s.name)}" d="${upper}${lower.join('')}Z" fill="${s.colour}" stroke="#fff" stroke-width="0.4"><title>${esc(s.name)}</title></path>`);
    s.values.forEach((v, b) => (below[b] += v));
  }
  const body = axes(f, { label: `time (${t.unit})`, min: 0, max: axis.steps * axis.dtS * t.scale }, { label: `${yLabel} (${prefix}${unit})`, min: 0, max }) + paths.join('');
  return svg(figure, f.width, f.height, title, desc, body);
}

export interface Segment {
  readonly name: string;
  readonly colour: string;
  readonly value: number;
}

/** One horizontal bar split into segments (energy by category); zero segments are not drawn. */
export function stackedBar(figure: string, title: string, desc: string, label: string, unit: string, segments: readonly Segment[]): string {
  const f: Frame = { width: 900, height: 96, left: 64, right: 24, top: 14, bottom: 40 };
  const total = segments.reduce((a, s) => a + s.value, 0);
  const { scale, prefix } = siPrefix(total);
  const max = niceMax(total / scale);
  const sx = linear(0, max, f.left, f.left + plotWidth(f));
  const h = plotHeight(f);
  let at = 0;
  const rects: string[] = [];
  for (const s of segments) {
    if (!(s.value > 0)) continue;
    const x0 = sx(at / scale);
    at += s.value;
    const x1 = sx(at / scale);
    const share = total > 0 ? (100 * s.value) / total : 0;
    rects.push(
      `<rect data-category="${esc(s.name)}" x="${n1(x0)}" y="${f.top}" width="${n1(Math.max(0.5, x1 - x0))}" height="${h}" fill="${s.colour}" stroke="#fff" stroke-width="0.5">` +
        `<title>${esc(`${s.name}: ${(s.value / scale).toPrecision(4)} ${prefix}${unit} (${share.toFixed(1)}%)`)}</title></rect>`,
    );
    if (x1 - x0 > 70) {
      rects.push(`<text x="${n1((x0 + x1) / 2)}" y="${n1(f.top + h / 2)}" text-anchor="middle" dominant-baseline="middle" class="on-bar" style="fill:${barText(s.colour)}">${share.toFixed(1)}%</text>`);
    }
  }
  const body = axes(f, { label: `${label} (${prefix}${unit})`, min: 0, max }, { label: '', min: 0, max: 1, ticks: [] }) + rects.join('');
  return svg(figure, f.width, f.height, title, desc, body);
}

/** Black or white text, whichever reads better on a fill colour (relative luminance, WCAG 2). */
export function barText(hex: string): string {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  const lum = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  return lum > 0.2 ? '#000000' : '#ffffff';
}

export interface XYSeries {
  readonly name: string;
  readonly colour: string;
  readonly dashed?: boolean;
  readonly points: readonly (readonly [number, number])[];
}

export interface XYAxis {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly ticks?: readonly number[];
  readonly format?: (v: number) => string;
}

/** Lines through points with a marker at each point (data-point), e.g. accuracy per epoch. */
export function lineChart(figure: string, title: string, desc: string, x: XYAxis, y: XYAxis, series: readonly XYSeries[], width = 440, height = 280): string {
  const f: Frame = { width, height, left: 60, right: 16, top: 12, bottom: 42 };
  const sx = linear(x.min, x.max, f.left, f.left + plotWidth(f));
  const sy = linear(y.min, y.max, f.top + plotHeight(f), f.top);
  const parts = [axes(f, x, y)];
  series.forEach((s) => {
    const d = s.points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${n1(sx(px))} ${n1(sy(py))}`).join('');
    parts.push(`<g data-series="${esc(s.name)}"><path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const [px, py] of s.points) {
      const fx = x.format ?? tickLabel;
      const fy = y.format ?? tickLabel;
      parts.push(
        `<circle data-point="" cx="${n1(sx(px))}" cy="${n1(sy(py))}" r="3.2" fill="${s.dashed ? '#fff' : s.colour}" stroke="${s.colour}" stroke-width="1.5"><title>${esc(`${s.name}: ${fx(px)}, ${fy(py)}`)}</title></circle>`,
      );
    }
    parts.push('</g>');
  });
  return svg(figure, f.width, f.height, title, desc, parts.join(''));
}

/** Bars grouped by category on the x axis (one bar per series in each group), e.g. energy per epoch. */
export function groupedBars(
  figure: string, title: string, desc: string, xLabel: string, yLabel: string, unit: string,
  groups: readonly string[], series: readonly { readonly name: string; readonly colour: string; readonly values: readonly (number | undefined)[] }[],
  width = 440, height = 280,
): string {
  const f: Frame = { width, height, left: 60, right: 16, top: 12, bottom: 42 };
  const raw = Math.max(0, ...series.flatMap((s) => s.values.map((v) => v ?? 0)));
  const { scale, prefix } = siPrefix(raw);
  const max = niceMax(raw / scale);
  const sy = linear(0, max, f.top + plotHeight(f), f.top);
  const groupW = plotWidth(f) / Math.max(1, groups.length);
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  const xTicks = groups.map((_, i) => i);
  const parts = [
    axes(
      { ...f },
      { label: xLabel, min: -0.5, max: groups.length - 0.5, ticks: xTicks, format: (v) => groups[Math.round(v)] ?? '' },
      { label: `${yLabel} (${prefix}${unit})`, min: 0, max, ticks: ticks(0, max) },
    ),
  ];
  series.forEach((s, k) => {
    s.values.forEach((v, g) => {
      if (v === undefined) return;
      const x = f.left + g * groupW + groupW * 0.1 + k * barW;
      const y = sy(v / scale);
      parts.push(
        `<rect data-bar="" x="${n1(x)}" y="${n1(y)}" width="${n1(barW)}" height="${n1(f.top + plotHeight(f) - y)}" fill="${s.colour}">` +
          `<title>${esc(`${s.name}, ${xLabel} ${groups[g]}: ${(v / scale).toPrecision(4)} ${prefix}${unit}`)}</title></rect>`,
      );
    });
  });
  return svg(figure, f.width, f.height, title, desc, parts.join(''));
}
