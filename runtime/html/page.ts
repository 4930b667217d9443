// The page around the figures: one self-contained HTML document with its CSS
// inline, no scripts and no external resources. The Content-Security-Policy
// forbids every fetch, so an opened report can never reach the network.
import { esc } from './svg.js';

const CSS = `
:root { color-scheme: light; --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; --grid: #ececec; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink);
  background: #fff; margin: 0 auto; padding: 24px 28px 48px; max-width: 1000px; }
h1 { font-size: 1.45rem; margin: 0 0 2px; }
h2 { font-size: 1.15rem; margin: 30px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
p.sub { color: var(--muted); margin: 0 0 14px; }
dl.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 10px 18px; margin: 12px 0; }
dl.summary div { border-left: 3px solid #0072B2; padding: 2px 0 2px 10px; }
dl.summary dt { color: var(--muted); font-size: 0.8rem; }
dl.summary dd { margin: 0; font-size: 1.05rem; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
figure { margin: 14px 0 22px; break-inside: avoid; page-break-inside: avoid; }
figcaption { color: var(--muted); font-size: 0.86rem; margin-top: 4px; max-width: 900px; }
svg { display: block; max-width: 100%; height: auto; font-size: 11px; overflow: visible; }
svg text { fill: var(--ink); }
svg .axis text { fill: #333; }
svg .axis .title { font-size: 12px; fill: var(--ink); }
svg .grid { stroke: var(--grid); stroke-width: 1; }
svg .frame, svg .tick { stroke: #333; stroke-width: 1; }
svg .sep { stroke: var(--rule); stroke-dasharray: 3 3; }
svg .idx { fill: var(--muted); font-size: 10px; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 0; margin: 4px 0; font-size: 0.86rem; }
ul.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 14px; height: 10px; background: var(--c); border: 1px solid #0003; }
.swatch.dashed { height: 0; border: 0; border-top: 2px dashed var(--c); width: 18px; background: none; }
details { margin: 6px 0 0; font-size: 0.86rem; }
details summary { cursor: pointer; color: #0072B2; }
table { border-collapse: collapse; margin: 6px 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--rule); padding: 2px 10px 2px 0; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { font-weight: 600; }
.row { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
.row figure { flex: 0 1 450px; }
.note { color: var(--muted); font-size: 0.86rem; }
footer { margin-top: 36px; color: var(--muted); font-size: 0.8rem; border-top: 1px solid var(--rule); padding-top: 8px; }
@media print {
  body { padding: 0; max-width: none; font-size: 11pt; }
  details summary { color: var(--ink); }
  h2 { break-after: avoid; page-break-after: avoid; }
}
`;

/** A complete document: the title, then the body's sections. */
export function page(title: string, body: string): string {
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="generator" content="meso">' +
    `<title>${esc(title)}</title><style>${CSS.trim()}</style></head>\n<body>\n${body}\n</body></html>\n`
  );
}

/** A data table: `header` cells are column titles; each row's first cell is its row header. */
export function table(caption: string, header: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = `<tr>${header.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('');
  return `<table><caption class="note">${esc(caption)}</caption><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

/** A table folded under a "numbers" disclosure, next to the figure it gives the data of. */
export function dataTable(caption: string, header: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<details><summary>Numbers: ${esc(caption)}</summary>${table(caption, header, rows)}</details>`;
}

/** A figure with its caption. */
export function figure(svgOrHtml: string, caption: string, extra = ''): string {
  return `<figure>${svgOrHtml}<figcaption>${caption}</figcaption>${extra}</figure>`;
}

/** The summary as a definition list of label/value pairs. */
export function summary(items: readonly (readonly [string, string])[]): string {
  return `<dl class="summary">${items.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`;
}
