// The `meso` command line: check, compile, inspect, run.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { compileSource, renderDiagnostic, hasErrors } from '../compiler/index.js';
import { writeImage } from '../isa/image/index.js';
import { BACKEND_NAMES, threadingObstacle, type BackendName } from '../emulator/index.js';
import { EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, UserError } from './errors.js';
import { readSourceFile, readText, writeAtomic } from './files.js';
import { formatInspect } from './inspect.js';
import { buildMapReport } from '../compiler/map-report.js';
import type { PlacementStrategy } from '../compiler/mapper.js';
import { imageRates, networkRates } from '../compiler/traffic.js';
import { buildRunReport, buildSpikeFile, formatRunReport } from './report.js';
import { renderRunHtml, reportHtmlFromJson, ReportHtmlError } from './html/index.js';
import { compileFile, loadProgram, resolveChip, runImage } from './session.js';
import { addTrainCommand } from './train/command.js';

function positiveInt(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive whole number, found "${value}"`);
    return n;
  };
}

function seedValue(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError(`the seed must be a whole number from 0 to 4294967295, found "${value}"`);
  return n;
}

function printWarnings(warnings: readonly string[]): void {
  for (const w of warnings) process.stderr.write(`${w}\n`);
}

function defaultImagePath(source: string): string {
  return source.endsWith('.snn') ? `${source.slice(0, -4)}.chip` : `${source}.chip`;
}

export function buildProgram(): Command {
  const program = new Command('meso')
    .description('Meso: compile spiking networks (.snn) to neuromorphic chip images and run them on a cycle-level emulator')
    .version('0.1.0')
    .showHelpAfterError('(run `meso --help` or `meso <command> --help` for usage)');

  program
    .command('check')
    .description('check a .snn file and print its diagnostics')
    .argument('<file>', 'the .snn program')
    .option('--json', 'print the diagnostics as a JSON array')
    .option('--strict', 'treat warnings as errors')
    .action((file: string, opts: { json?: boolean; strict?: boolean }) => {
      const text = readText(file);
      const { diagnostics, sources } = compileSource(text, file, { readFile: readSourceFile });
      if (opts.json) process.stdout.write(`${JSON.stringify(diagnostics, null, 2)}\n`);
      else for (const d of diagnostics) process.stderr.write(`${renderDiagnostic(d, sources?.get(d.span.file) ?? (d.span.file === file ? text : undefined))}\n`);
      const failed = hasErrors(diagnostics) || (opts.strict === true && diagnostics.length > 0);
      if (failed) process.exitCode = EXIT_BAD_INPUT;
      else if (!opts.json) process.stdout.write(`${file}: ok${diagnostics.length > 0 ? ` (${diagnostics.length} warning${diagnostics.length === 1 ? '' : 's'})` : ''}\n`);
    });

  program
    .command('compile')
    .description('compile a .snn file to a chip image')
    .argument('<file>', 'the .snn program')
    .option('-o, --output <file>', 'the chip image to write (default: FILE with .chip)')
    .option('--chip <profile>', 'chip profile, replacing the program\'s target: a built-in name (loihi-like, truenorth-like, tiny) or your own FILE.json')
    .option('--map-report <file>', 'write what the mapper decided as JSON (schema meso.map/v1)')
    .addOption(new Option('--placement <strategy>', 'how cores are put on the mesh').choices(['traffic', 'in-order']).default('traffic'))
    .option('--map-seed <s>', 'seed of the placement (same seed, same placement)', seedValue, 1)
    .action((file: string, opts: { output?: string; chip?: string; mapReport?: string; placement: PlacementStrategy; mapSeed: number }) => {
      const { image, warnings, network, mapped } = compileFile(file, { chip: opts.chip, map: { placement: opts.placement, seed: opts.mapSeed } });
      printWarnings(warnings);
      const out = opts.output ?? defaultImagePath(file);
      const bytes = writeImage(image);
      writeAtomic(out, bytes);
      if (opts.mapReport) {
        const report = buildMapReport(image, network ? networkRates(network) : imageRates(image), mapped?.decisions);
        writeAtomic(opts.mapReport, `${JSON.stringify(report, null, 2)}\n`);
      }
      const synapses = image.cores.reduce((n, c) => n + c.synapses.length, 0);
      process.stdout.write(`${out}: ${bytes.length} bytes, ${image.cores.length} cores, ${synapses} synapses on ${image.profile.name}\n`);
    });

  program
    .command('inspect')
    .description('show what is on the chip: cores, utilisation, routing')
    .argument('<file>', 'a chip image (.chip) or a .snn program')
    .action((file: string) => {
      const { image, warnings, network, mapped } = loadProgram(file);
      printWarnings(warnings);
      process.stdout.write(`${formatInspect(image, network && networkRates(network), mapped?.decisions)}\n`);
    });

  program
    .command('run')
    .description('run a chip image (or a .snn, compiled in memory) and print its energy report')
    .argument('<file>', 'a chip image (.chip) or a .snn program')
    .requiredOption('--steps <n>', 'time steps to run', positiveInt('--steps'))
    .option('--seed <s>', 'seed of the random inputs', seedValue, 1)
    .addOption(new Option('--backend <name>', 'emulator backend (auto: webgpu on a hardware GPU, else cpu)').choices([...BACKEND_NAMES, 'auto']).default('cpu'))
    .option('--chip <profile>', 'chip profile for a .snn, replacing its target: a built-in name or your own FILE.json')
    .option('--report <file>', 'write the report as JSON (schema meso.report/v1)')
    .option('--spikes <file>', 'write the probed populations\' spikes as JSON (schema meso.spikes/v1)')
    .option('--html <file>', 'write the report as one self-contained HTML page with plots')
    .option('--quiet', 'print nothing on success')
    .option('--threads <n>', 'cpu backend: threads to spread the cores over (same results for any count)', positiveInt('--threads'), 1)
    .action(async (file: string, opts: { steps: number; seed: number; backend: BackendName | 'auto'; chip?: string; report?: string; spikes?: string; html?: string; quiet?: boolean; threads: number }) => {
      resolveChip(opts.chip);
      const { image, warnings } = loadProgram(file, { chip: opts.chip });
      printWarnings(warnings);
      // More threads than an image can use runs it on one (the same results): say so rather than seem slow.
      const obstacle = opts.threads > 1 && opts.backend !== 'webgpu' ? threadingObstacle(image) : undefined;
      if (obstacle !== undefined) printWarnings([`warning: --threads ${opts.threads}: ${file} runs on one thread: ${obstacle}`]);
      // Without a probe, the spike outputs (and the raster of --report/--html) cover every population.
      const wantsSpikes = opts.spikes !== undefined || opts.report !== undefined || opts.html !== undefined;
      const record = wantsSpikes && image.symbols.probes.length === 0 ? image.symbols.populations.map((p) => p.name) : undefined;
      const run = await runImage(image, { steps: opts.steps, seed: opts.seed, backend: opts.backend, record, threads: opts.threads });
      const report = buildRunReport(run);
      if (opts.report) writeAtomic(opts.report, `${JSON.stringify(report, null, 2)}\n`);
      if (opts.spikes) writeAtomic(opts.spikes, `${JSON.stringify(buildSpikeFile(run))}\n`);
      // Drawn from the JSON form of the report, so that `meso report run.json --html` gives the same page.
      if (opts.html) writeAtomic(opts.html, renderRunHtml(JSON.parse(JSON.stringify(report))));
      if (!opts.quiet) process.stdout.write(`${formatRunReport(report)}\n`);
    });

  addTrainCommand(program);

  program
    .command('report')
    .description('draw a saved JSON report (meso run --report, meso train --report) as an HTML page')
    .argument('<file>', 'a report written by `meso run --report` (meso.report/v1) or `meso train --report` (meso.train/v1)')
    .requiredOption('--html <file>', 'the HTML page to write')
    .action((file: string, opts: { html: string }) => {
      let html: string;
      try {
        html = reportHtmlFromJson(readText(file), file);
      } catch (err) {
        if (err instanceof ReportHtmlError) throw new UserError(err.message);
        throw err;
      }
      writeAtomic(opts.html, html);
    });

  program
    .command('bench')
    .description('run the benchmark cases (bench/cases), side by side with Brian2 where a case has a counterpart; the same as npm run bench')
    .option('--only <case...>', 'run only these cases (see --list)')
    .option('--quick', 'shorter runs: 1 simulated second, 2 repetitions per CUBA case')
    .addOption(new Option('--vs <simulator>', 'simulator to compare with (Brian2 2.5 cpp_standalone via /usr/bin/python3)').choices(['brian2', 'none']).default('brian2'))
    .option('--out <file>', 'the JSON summary to write', 'bench/results/latest.json')
    .option('--list', 'list the cases and exit')
    .action(async (opts: { only?: string[]; quick?: boolean; vs: 'brian2' | 'none'; out: string; list?: boolean }) => {
      // Loaded on demand: the benchmarks are not needed by any other command.
      const { runBench } = await import('../bench/run.js');
      await runBench({ only: opts.only ?? [], quick: opts.quick === true, vs: opts.vs, out: opts.out, list: opts.list === true });
    });

  return program;
}

/** Runs the CLI and returns the exit status; never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  for (const sub of program.commands) sub.exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    if (err instanceof UserError) {
      for (const d of err.details) process.stderr.write(`${d}\n`);
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT_BAD_INPUT;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(`internal error: ${e.message}\nThis is a bug in Meso, not in your input; please report it with the command you ran.\n${e.stack ?? ''}\n`);
    return EXIT_INTERNAL;
  }
}
