// Runs the benchmark cases and writes a JSON summary (bench/results/latest.json is not committed).
// `meso bench` (runtime/main.ts: its options, --help, and the refusal of an unknown one) parses the
// arguments and calls runBench; `npm run bench` and this file run as a script go through it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { main } from '../runtime/main.js';
import { CASES } from './cases/index.js';
import { describeMachine, machine } from './harness.js';

/** What `meso bench` was asked for, as its options parse it (runtime/main.ts). */
export interface BenchOptions {
  /** Case names to run; empty: every case. */
  readonly only: readonly string[];
  readonly quick: boolean;
  /** The simulator to compare with: 'brian2', or 'none'. */
  readonly vs: 'brian2' | 'none';
  /** The JSON summary to write. */
  readonly out: string;
  /** List the cases and run none. */
  readonly list: boolean;
}

export async function runBench(options: BenchOptions): Promise<void> {
  if (options.list) {
    for (const c of CASES) process.stdout.write(`${c.name}\t${c.description}\n`);
    return;
  }
  const only = new Set(options.only);
  const selected = CASES.filter((c) => only.size === 0 || only.has(c.name));
  if (selected.length === 0) {
    process.stderr.write(`no benchmark case matches; the cases are: ${CASES.map((c) => c.name).join(', ') || '(none)'}\n`);
    process.exitCode = 1;
    return;
  }
  const summary: Record<string, Record<string, { value: number; unit: string }>> = {};
  // The ratios against Brian2 move with the machine's CPU generation: every run names it.
  const host = machine();
  process.stdout.write(`${describeMachine(host)}\n`);
  for (const c of selected) {
    process.stdout.write(`\n== ${c.name}: ${c.description}\n`);
    const figures: Record<string, { value: number; unit: string }> = {};
    await c.run({
      log: (line) => process.stdout.write(`${line}\n`),
      record: (name, value, unit) => (figures[name] = { value, unit }),
      quick: options.quick,
      vs: options.vs === 'none' ? [] : [options.vs],
    });
    summary[c.name] = figures;
  }
  const path = options.out;
  mkdirSync(path.replace(/\/[^/]*$/, ''), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, machine: host, cases: summary }, null, 2)}\n`);
  process.stdout.write(`\nsummary written to ${path}\n`);
}

// Run as a script: the same as `meso bench` with these arguments. Not awaited here: `meso bench`
// imports this module, which must have finished loading first.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(['bench', ...process.argv.slice(2)]).then((code) => {
    process.exitCode = code;
  });
}
