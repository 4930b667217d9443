// Runs the benchmark cases and writes a JSON summary (bench/results/latest.json is not committed).
// `npm run bench -- [--only NAME]... [--quick] [--vs brian2|none] [--out FILE] [--list]`; `meso bench` is the same.
import { mkdirSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CASES } from './cases/index.js';

const USAGE = `usage: npm run bench -- [--only NAME]... [--quick] [--vs brian2|none] [--out FILE] [--list]
  --only NAME   run this case only (repeat for several; --list names them)
  --quick       fewer steps and repetitions: a smoke run, not figures to quote
  --vs NAME     the simulator to compare with: brian2 (the default) or none
  --out FILE    where to write the JSON summary (default bench/results/latest.json)
  --list        list the cases and exit
`;

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
    } else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write(USAGE);
      return;
    } else {
      // An unknown argument must not start the whole suite (hours, with the CUBA 40,000 cases).
      process.stderr.write(`bench: unknown argument ${JSON.stringify(argv[i])}\n${USAGE}`);
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

// Run as a script (npm run bench); `meso bench` imports runBench instead.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await runBench(process.argv.slice(2));
