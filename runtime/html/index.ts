// The HTML reports: one entry point from a saved JSON report (`meso report FILE.json --html`),
// dispatching on its schema: meso.report/v1 (a run) or meso.train/v1 (training).
import type { RunReport } from '../report.js';
import { renderRunHtml } from './run.js';
import { parseTrainReport, renderTrainHtml, TrainReportError } from './train.js';

export { renderRunHtml } from './run.js';
export { parseTrainReport, renderTrainHtml, TrainReportError, type TrainView } from './train.js';

/** A report that cannot be drawn; the message names the file and what to do. */
export class ReportHtmlError extends Error {}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The parts of a run report the HTML page reads, checked so that a hand-edited or old report fails clearly. */
function checkRunReport(json: Record<string, unknown>, origin: string): RunReport {
  const missing: string[] = [];
  for (const key of ['source', 'chip', 'backend', 'seed', 'steps', 'dt_s', 'cores_used', 'tiles_used', 'spikes', 'rates_hz', 'chip_time_s', 'energy_j', 'counters']) {
    if (!(key in json)) missing.push(`"${key}"`);
  }
  const figures = json.figures;
  if (!isRecord(figures)) {
    throw new ReportHtmlError(
      `${origin}: this meso.report/v1 report has no "figures" (it was written before HTML reports existed, or edited); ` +
        'run the program again with `meso run FILE --steps N --report run.json` to get one',
    );
  }
  for (const key of ['raster', 'rates', 'energy_per_step', 'mesh']) if (!isRecord(figures[key])) missing.push(`"figures.${key}"`);
  if (missing.length > 0) throw new ReportHtmlError(`${origin}: the report lacks ${missing.join(', ')}; write it again with \`meso run ... --report\``);
  return json as unknown as RunReport;
}

/** Renders a saved report (JSON text read from `origin`) as HTML. */
export function reportHtmlFromJson(text: string, origin: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ReportHtmlError(`${origin}: not valid JSON (${err instanceof Error ? err.message : String(err)}); give a report written by \`meso run --report\` or \`meso train --report\``);
  }
  if (!isRecord(json)) throw new ReportHtmlError(`${origin}: not a Meso report (expected a JSON object with "schema")`);
  switch (json.schema) {
    case 'meso.report/v1':
      return renderRunHtml(checkRunReport(json, origin));
    case 'meso.train/v1':
      try {
        return renderTrainHtml(parseTrainReport(json, origin));
      } catch (err) {
        if (err instanceof TrainReportError) throw new ReportHtmlError(err.message);
        throw err;
      }
    default:
      throw new ReportHtmlError(`${origin}: unknown report schema ${JSON.stringify(json.schema)}; \`meso report\` draws "meso.report/v1" (from \`meso run --report\`) and "meso.train/v1" (from \`meso train --report\`)`);
  }
}
