// Building blocks of the HTML report's figures: escaping, number formats, linear
// scales with round ticks, axes, and the colour-blind-safe palettes. Pure
// functions returning strings; nothing here touches the file system or a DOM.

/**
 * Okabe-Ito colour-blind-safe palette (Okabe & Ito, "Color Universal Design: how to
 * make figures and presentations that are friendly to colorblind people", 2008,
 * https://jfly.uni-koeln.de/color/), ordered for series: yellow comes last because
 * it is hard to see as a thin line on white.
 */
export const OKABE_ITO = {
  blue: '#0072B2',
  orange: '#E69F00',
  bluishGreen: '#009E73',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
  skyBlue: '#56B4E9',
  black: '#000000',
  yellow: '#F0E442',
} as const;

/** Series colours in order; series i uses SERIES[i % SERIES.length]. */
export const SERIES: readonly string[] = [
  OKABE_ITO.blue,
  OKABE_ITO.orange,
  OKABE_ITO.bluishGreen,
  OKABE_ITO.vermillion,
  OKABE_ITO.reddishPurple,
  OKABE_ITO.skyBlue,
  OKABE_ITO.black,
  OKABE_ITO.yellow,
];

export function seriesColour(i: number): string {
  return SERIES[i % SERIES.length];
}

/**
 * Viridis, the perceptually uniform colour-blind-safe map of matplotlib
 * (van der Walt & Smith, https://bids.github.io/colormap/), sampled at nine
 * evenly spaced points and interpolated linearly in sRGB between them.
 */
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [0x44, 0x01, 0x54], [0x47, 0x2d, 0x7b], [0x3b, 0x52, 0x8b], [0x2c, 0x72, 0x8e], [0x21, 0x91, 0x8c],
  [0x28, 0xae, 0x80], [0x5e, 0xc9, 0x62], [0xad, 0xdc, 0x30], [0xfd, 0xe7, 0x25],
];

/** The viridis colour of f in [0, 1] (clamped), as #rrggbb. */
export function viridis(f: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(f) ? f : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const t = x - i;
  const hex = (k: number): string => Math.round(VIRIDIS[i][k] + t * (VIRIDIS[i + 1][k] - VIRIDIS[i][k])).toString(16).padStart(2, '0');
  return `#${hex(0)}${hex(1)}${hex(2)}`;
}

/** Text on a viridis fill: white on the dark lower half, black on the light upper half. */
export function viridisText(f: number): string {
  return f < 0.55 ? '#ffffff' : '#000000';
}

/** Escapes text for HTML and SVG content and attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** A coordinate with one decimal, without a trailing ".0" (keeps large figures small). */
export function n1(x: number): string {
  const r = Math.round(x * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

/** A whole number with thousands separators. */
export function group(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

const PREFIXES: readonly (readonly [number, string])[] = [
  [1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, ''], [1e-3, 'm'], [1e-6, 'µ'], [1e-9, 'n'], [1e-12, 'p'], [1e-15, 'f'],
];

/** The SI prefix (scale and symbol) that puts `magnitude` in [1, 1000). */
export function siPrefix(magnitude: number): { readonly scale: number; readonly prefix: string } {
  const abs = Math.abs(magnitude);
  if (!(abs > 0) || !Number.isFinite(abs)) return { scale: 1, prefix: '' };
  const found = PREFIXES.find(([s]) => abs >= s) ?? PREFIXES[PREFIXES.length - 1];
  return { scale: found[0], prefix: found[1] };
}

/** An SI-prefixed quantity with four significant digits: 69.54 µJ. */
export function si(value: number, unit: string): string {
  if (value === 0) return `0 ${unit}`;
  const { scale, prefix } = siPrefix(value);
  return `${(value / scale).toPrecision(4)} ${prefix}${unit}`;
}

export function percent(fraction: number, digits = 1): string {
  return `${(100 * fraction).toFixed(digits)}%`;
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten, about `count` of them. */
export function ticks(lo: number, hi: number, count = 5): readonly number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9) * step;
  for (let v = first; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** The smallest round number >= x (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten), for an axis maximum. */
export function niceMax(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const power = 10 ** Math.floor(Math.log10(x));
  return ([1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * power).find((s) => s >= x * (1 - 1e-12)) ?? 10 * power);
}

/** A tick label: short, without float noise. */
export function tickLabel(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** A linear map from [d0, d1] to [r0, r1]. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** The plotting area of a chart inside its SVG. */
export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export function plotWidth(f: Frame): number {
  return f.width - f.left - f.right;
}

export function plotHeight(f: Frame): number {
  return f.height - f.top - f.bottom;
}

export interface AxisSpec {
  /** Axis title with its unit in brackets, e.g. "time (ms)". */
  readonly label: string;
  readonly min: number;
  readonly max: number;
  /** Tick values (default: round ticks over [min, max]). */
  readonly ticks?: readonly number[];
  readonly format?: (v: number) => string;
}

/** The x axis (bottom) and y axis (left) of a frame, with ticks, grid lines and titles. */
export function axes(f: Frame, x: AxisSpec, y: AxisSpec): string {
  const w = plotWidth(f);
  const h = plotHeight(f);
  const sx = linear(x.min, x.max, f.left, f.left + w);
  const sy = linear(y.min, y.max, f.top + h, f.top);
  const fx = x.format ?? tickLabel;
  const fy = y.format ?? tickLabel;
  const parts: string[] = ['<g class="axis" aria-hidden="true">'];
  for (const v of y.ticks ?? ticks(y.min, y.max)) {
    const py = n1(sy(v));
    parts.push(`<line class="grid" x1="${f.left}" x2="${f.left + w}" y1="${py}" y2="${py}"/>`);
    parts.push(`<text x="${f.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${esc(fy(v))}</text>`);
  }
  for (const v of x.ticks ?? ticks(x.min, x.max)) {
    const px = n1(sx(v));
    parts.push(`<line class="tick" x1="${px}" x2="${px}" y1="${f.top + h}" y2="${f.top + h + 4}"/>`);
    parts.push(`<text x="${px}" y="${f.top + h + 16}" text-anchor="middle">${esc(fx(v))}</text>`);
  }
  parts.push(`<line class="frame" x1="${f.left}" x2="${f.left + w}" y1="${f.top + h}" y2="${f.top + h}"/>`);
  parts.push(`<line class="frame" x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.top + h}"/>`);
  parts.push(`<text class="title" x="${n1(f.left + w / 2)}" y="${f.height - 4}" text-anchor="middle">${esc(x.label)}</text>`);
  parts.push(`<text class="title" transform="translate(12 ${n1(f.top + h / 2)}) rotate(-90)" text-anchor="middle">${esc(y.label)}</text>`);
  parts.push('</g>');
  return parts.join('');
}

/** An <svg> with an accessible name (its <title>) and description (<desc>). */
export function svg(figure: string, width: number, height: number, title: string, desc: string, body: string): string {
  const id = `fig-${figure}`;
  return (
    `<svg data-figure="${esc(figure)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-labelledby="${id}-t ${id}-d">` +
    `<title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(desc)}</desc>${body}</svg>`
  );
}

/** A legend as an HTML list of colour swatches (text, so it reads and prints at any size). */
export function legend(items: readonly { readonly label: string; readonly colour: string; readonly dashed?: boolean }[]): string {
  const li = items.map(
    (it) => `<li><span class="swatch${it.dashed ? ' dashed' : ''}" style="--c:${it.colour}" aria-hidden="true"></span>${esc(it.label)}</li>`,
  );
  return `<ul class="legend">${li.join('')}</ul>`;
}
