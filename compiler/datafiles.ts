// Data files a program names: spike lists for `from_file` inputs (step, neuron)
// and edge lists for `from_file` connections (pre, post, weight[, delay]).
// Comma-separated, one record per line; blank lines, lines starting with `#`
// and a first line of column names are skipped. Every problem is a diagnostic
// that points at the file, line and column of the data, never a throw.
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { diag, quotedList } from './diagnostics/messages.js';
import type { EdgeFileIR, SourceSpan, SpikeListIR } from './ir.js';
import { formatSeconds, formatSteps, STEPS_UNIT, unitInfo, unitsOf } from './units.js';

/** Errors reported per file before the reader stops: a wrong file should not bury the screen. */
const MAX_ERRORS_PER_FILE = 20;
/** Largest step a spike may name (steps are stored in 32 bits). */
const MAX_STEP = 0xffffffff;

interface Field {
  readonly text: string;
  readonly span: SourceSpan;
}

interface CsvRecord {
  readonly line: number;
  readonly fields: readonly Field[];
  readonly span: SourceSpan;
}

/** Splits CSV text into records of trimmed fields with their spans; skips blanks, comments and a header line. */
function records(text: string, path: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  const lines = text.split(/\r?\n/);
  let seenData = false;
  for (let l = 0; l < lines.length; l++) {
    const raw = lines[l];
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const fields: Field[] = [];
    let start = 0;
    for (const part of raw.split(',')) {
      const lead = part.length - part.trimStart().length;
      const value = part.trim();
      fields.push({ text: value, span: { file: path, line: l + 1, col: start + lead + 1, length: Math.max(1, value.length) } });
      start += part.length + 1;
    }
    // A first line whose first field is not a number names the columns.
    if (!seenData && !/^[+-]?(\d|\.\d)/.test(fields[0].text)) {
      seenData = true;
      continue;
    }
    seenData = true;
    out.push({ line: l + 1, fields, span: { file: path, line: l + 1, col: 1, length: Math.max(1, raw.length) } });
  }
  return out;
}

class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  private errors = 0;
  report(d: Diagnostic): void {
    if (d.severity === 'error') this.errors++;
    if (this.errors <= MAX_ERRORS_PER_FILE || d.severity !== 'error') this.diagnostics.push(d);
  }
  get full(): boolean {
    return this.errors >= MAX_ERRORS_PER_FILE;
  }
  get failed(): boolean {
    return this.errors > 0;
  }
}

const COUNT_WORD = 'a whole number of 0 or more';

/** A whole number in 0..max, or a report at the field. */
function wholeNumber(field: Field, column: number, name: string, max: number, r: Reporter): number | undefined {
  const x = /^\+?\d+$/.test(field.text) ? Number(field.text) : Number.NaN;
  if (Number.isSafeInteger(x) && x <= max) return x;
  r.report(diag('csvBadNumber', field.span, [column, name, COUNT_WORD, field.text]));
  return undefined;
}

function neuronIndex(field: Field, column: number, name: string, population: string, size: number, r: Reporter): number | undefined {
  const n = wholeNumber(field, column, name, Number.MAX_SAFE_INTEGER, r);
  if (n === undefined) return undefined;
  if (n < size) return n;
  r.report(diag('csvNeuronOutOfRange', field.span, [n, population, size, size - 1]));
  return undefined;
}

export interface DataResult<T> {
  readonly value: T | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** A spike list `step, neuron` for an input of `size` neurons, sorted by (step, neuron), repeats dropped with a warning. */
export function readSpikeFile(text: string, path: string, population: string, size: number): DataResult<SpikeListIR> {
  const r = new Reporter();
  const steps: number[] = [];
  const neurons: number[] = [];
  const lines: number[] = [];
  const spans: SourceSpan[] = [];
  for (const rec of records(text, path)) {
    if (r.full) break;
    if (rec.fields.length !== 2) {
      r.report(diag('csvColumns', rec.span, [path, rec.fields.length, '2: step, neuron']));
      continue;
    }
    const step = wholeNumber(rec.fields[0], 1, 'step', MAX_STEP, r);
    const neuron = neuronIndex(rec.fields[1], 2, 'neuron', population, size, r);
    if (step === undefined || neuron === undefined) continue;
    steps.push(step);
    neurons.push(neuron);
    lines.push(rec.line);
    spans.push(rec.span);
  }
  if (r.failed) return { value: undefined, diagnostics: r.diagnostics };
  const order = Array.from(steps.keys()).sort((a, b) => steps[a] - steps[b] || neurons[a] - neurons[b] || lines[a] - lines[b]);
  const keptSteps: number[] = [];
  const keptNeurons: number[] = [];
  for (const i of order) {
    const last = keptSteps.length - 1;
    if (last >= 0 && keptSteps[last] === steps[i] && keptNeurons[last] === neurons[i]) {
      r.report(diag('csvDuplicateSpike', spans[i], [neurons[i], steps[i]]));
      continue;
    }
    keptSteps.push(steps[i]);
    keptNeurons.push(neurons[i]);
  }
  if (keptSteps.length === 0) r.report(diag('csvEmpty', { file: path, line: 1, col: 1, length: 1 }, [path, `\`${population}\` will never spike`]));
  return { value: { path, steps: Uint32Array.from(keptSteps), neurons: Uint32Array.from(keptNeurons) }, diagnostics: r.diagnostics };
}

export interface EdgeFileContext {
  readonly pre: string;
  readonly preSize: number;
  readonly post: string;
  readonly postSize: number;
  readonly dtS: number;
  readonly maxDelaySteps: number;
  readonly profileName: string;
}

/** A delay field such as `2 ms`, `2ms` or `3 steps`, in whole steps 1..max (rounded with a warning), or a report. */
function delaySteps(field: Field, ctx: EdgeFileContext, r: Reporter, warned: { value: boolean }): number | undefined {
  const m = /^([+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)$/.exec(field.text);
  const times = unitsOf('time');
  if (m === null) {
    r.report(diag('csvBadNumber', field.span, [4, 'delay', `a time such as \`2 ms\``, field.text]));
    return undefined;
  }
  const unit = m[2];
  if (unit === '') {
    r.report(diag('missingUnit', field.span, ['delay', 'time', quotedList(times)]));
    return undefined;
  }
  const info = unitInfo(unit);
  if (info === undefined || info.dimension !== 'time') {
    r.report(diag('unknownUnit', field.span, [unit, quotedList(times)]));
    return undefined;
  }
  const exact = unit === STEPS_UNIT ? Number(m[1]) : (Number(m[1]) * info.scale) / ctx.dtS;
  const steps = Math.round(exact);
  if (!(steps >= 1)) {
    r.report(diag('delayTooShort', field.span, [formatSeconds(ctx.dtS), field.text]));
    return undefined;
  }
  if (steps > ctx.maxDelaySteps) {
    r.report(diag('delayTooLong', field.span, [formatSteps(steps), ctx.profileName, ctx.maxDelaySteps, formatSeconds(ctx.maxDelaySteps * ctx.dtS)]));
    return undefined;
  }
  if (!warned.value && Math.abs(exact - steps) > 1e-9 * Math.max(1, exact)) {
    warned.value = true;
    r.report(diag('delayNotWholeSteps', field.span, [field.text, formatSteps(exact), formatSeconds(ctx.dtS), formatSeconds(steps * ctx.dtS)]));
  }
  return steps;
}

/** An edge list `pre, post, weight[, delay]`, sorted by (pre, post), file order kept among equal pairs. */
export function readEdgeFile(text: string, path: string, ctx: EdgeFileContext): DataResult<EdgeFileIR> {
  const r = new Reporter();
  const pre: number[] = [];
  const post: number[] = [];
  const weight: number[] = [];
  const delay: number[] = [];
  const warned = { value: false };
  for (const rec of records(text, path)) {
    if (r.full) break;
    const f = rec.fields;
    if (f.length !== 3 && f.length !== 4) {
      r.report(diag('csvColumns', rec.span, [path, f.length, '3 or 4: pre, post, weight[, delay]']));
      continue;
    }
    const i = neuronIndex(f[0], 1, 'pre', ctx.pre, ctx.preSize, r);
    const j = neuronIndex(f[1], 2, 'post', ctx.post, ctx.postSize, r);
    const w = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(f[2].text) ? Number(f[2].text) : Number.NaN;
    if (!Number.isFinite(w)) r.report(diag('csvBadNumber', f[2].span, [3, 'weight', 'a number (in units of the threshold)', f[2].text]));
    const d = f.length === 4 ? delaySteps(f[3], ctx, r, warned) : 0;
    if (i === undefined || j === undefined || !Number.isFinite(w) || d === undefined) continue;
    pre.push(i);
    post.push(j);
    weight.push(w);
    delay.push(d);
  }
  if (r.failed) return { value: undefined, diagnostics: r.diagnostics };
  if (pre.length === 0) r.report(diag('csvEmpty', { file: path, line: 1, col: 1, length: 1 }, [path, `\`${ctx.pre} -> ${ctx.post}\` makes no synapses`]));
  const order = Array.from(pre.keys()).sort((a, b) => pre[a] - pre[b] || post[a] - post[b] || a - b);
  return {
    value: {
      path,
      pre: Uint32Array.from(order, (k) => pre[k]),
      post: Uint32Array.from(order, (k) => post[k]),
      weight: Float64Array.from(order, (k) => weight[k]),
      delaySteps: Uint8Array.from(order, (k) => delay[k]),
    },
    diagnostics: r.diagnostics,
  };
}
