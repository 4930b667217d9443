// Runs the benchmark cases and writes a JSON summary (bench/results/latest.json is not committed).
import { mkdirSync, writeFileSync } from 'node:fs';
import { CASES } from './cases/index.js';

async function main(argv: readonly string[]): Promise<void> {
  const only = new Set<string>();
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') only.add(argv[++i] ?? '');
    else if (argv[i] === '--out') out = argv[++i];
    else if (argv[i] === '--list') {
      for (const c of CASES) process.stdout.write(`${c.name}\t${c.description}\n`);
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
    });
    summary[c.name] = figures;
  }
  const path = out ?? 'bench/results/latest.json';
  mkdirSync(path.replace(/\/[^/]*$/, ''), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cases: summary }, null, 2)}\n`);
  process.stdout.write(`\nsummary written to ${path}\n`);
}

await main(process.argv.slice(2));
