// Runs the benchmark cases and writes a JSON summary (bench/results/latest.json is not committed).
// `meso bench` (runtime/main.ts: its options, --help, and the refusal of an unknown one) calls
// runBench; `npm run bench` and this file run as a script go through it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { main } from '../runtime/main.js';
import { CASES } from './cases/index.js';

export async function runBench(argv: readonly string[]): Promise<void> {
  const only = new Set<string>();
  let out: string | undefined;
  let quick = false;
  const vs = new Set<string>(['brian2']);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') only.add(argv[++i] ?? '');
    else if (argv[i] === '--quick') quick = true;
    else if (argv[i] === '--vs') {
      const name = argv[++i] ?? '';
      if (name === 'none') vs.clear();
      else if (name === 'brian2') vs.add(name);
      else {
        process.stderr.write(`--vs ${name}: the simulators to compare with are brian2 or none\n`);
        process.exitCode = 1;
        return;
      }
    } else if (argv[i] === '--out') out = argv[++i];
    else if (argv[i] === '--list') {
      for (const c of CASES) process.stdout.write(`${c.name}\t${c.description}\n`);
      return;
    } else {
      // An unknown argument must not start the whole suite (hours, with the CUBA 40,000 cases).
      process.stderr.write(`bench: unknown argument ${JSON.stringify(argv[i])} (see \`meso bench --help\`)\n`);
      process.exitCode = 1;
      return;
    }
  }
  const selected = CASES.filter((c) => only.size === 0 || only.has(c.name));
  if (selected.length === 0) {
    process.stderr.write(`no benchmark case matches; the cases are: ${CASES.map((c) => c.name).join(', ') || '(none)'}\n`);
    process.exitCode = 1;
    return;
  }
  const summary: Record<string, Record<string, { value: number; unit: string }>> = {};
  for (const c of selected) {
    process.stdout.write(`\n== ${c.name}: ${c.description}\n`);
    const figures: Record<string, { value: number; unit: string }> = {};
    await c.run({
      log: (line) => process.stdout.write(`${line}\n`),
      record: (name, value, unit) => (figures[name] = { value, unit }),
      quick,
      vs: [...vs],
    });
    summary[c.name] = figures;
  }
  const path = out ?? 'bench/results/latest.json';
  mkdirSync(path.replace(/\/[^/]*$/, ''), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cases: summary }, null, 2)}\n`);
  process.stdout.write(`\nsummary written to ${path}\n`);
}

// Run as a script: the same as `meso bench` with these arguments. Not awaited here: `meso bench`
// imports this module, which must have finished loading first.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(['bench', ...process.argv.slice(2)]).then((code) => {
    process.exitCode = code;
  });
}
