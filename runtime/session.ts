// A session: load a program (a .snn compiled in memory, or a .chip image),
// run it on a backend, and hand back what the reports are made from.
import { compileSource, hasErrors, renderDiagnostic } from '../compiler/index.js';
import { readImage, ImageError } from '../isa/image/index.js';
import type { ChipImage } from '../isa/image/types.js';
import { builtinProfile, builtinProfileNames, type ChipProfile } from '../isa/profile.js';
import { createEmulator } from '../emulator/index.js';
import type { Counters, SpikeEvents } from '../emulator/interface.js';
import { readBytes, readText } from './files.js';
import { UserError } from './errors.js';

export interface LoadOptions {
  /** Chip profile name that replaces the program's target (--chip). */
  readonly chip?: string;
}

export interface LoadedProgram {
  readonly image: ChipImage;
  /** Rendered compiler warnings (empty for a .chip). */
  readonly warnings: readonly string[];
}

export function resolveChip(name: string | undefined): ChipProfile | undefined {
  if (name === undefined) return undefined;
  const profile = builtinProfile(name);
  if (!profile) throw new UserError(`--chip ${name}: no such chip profile; the built-in profiles are ${builtinProfileNames().join(', ')}`);
  return profile;
}

export function isSourcePath(path: string): boolean {
  return path.endsWith('.snn');
}

/** Compiles a .snn file; errors become a UserError carrying every rendered diagnostic. */
export function compileFile(path: string, options: LoadOptions = {}): LoadedProgram {
  const text = readText(path);
  const result = compileSource(text, path, { profile: resolveChip(options.chip) });
  const rendered = result.diagnostics.map((d) => renderDiagnostic(d, text));
  if (hasErrors(result.diagnostics) || !result.image) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    throw new UserError(`${path}: ${errors} error${errors === 1 ? '' : 's'}; nothing was written`, rendered);
  }
  return { image: result.image, warnings: rendered };
}

export function readImageFile(path: string): ChipImage {
  const bytes = readBytes(path);
  try {
    return readImage(bytes, path);
  } catch (err) {
    if (err instanceof ImageError) throw new UserError(err.message);
    throw err;
  }
}

export function loadProgram(path: string, options: LoadOptions = {}): LoadedProgram {
  if (isSourcePath(path)) return compileFile(path, options);
  if (options.chip !== undefined) throw new UserError(`--chip applies when compiling a .snn file; ${path} is already compiled for its chip`);
  return { image: readImageFile(path), warnings: [] };
}

export interface RunRequest {
  readonly steps: number;
  readonly seed: number;
  readonly backend: 'cpu';
  /** Population names whose spikes are kept as events (default: the probed ones). */
  readonly record?: readonly string[];
}

export interface RunOutcome {
  readonly image: ChipImage;
  readonly request: RunRequest;
  readonly counters: Counters;
  readonly stepCycles: Float64Array;
  readonly spikeCounts: readonly Uint32Array[];
  readonly events: SpikeEvents;
  readonly recorded: readonly string[];
}

export async function runImage(image: ChipImage, request: RunRequest): Promise<RunOutcome> {
  const recorded = request.record ?? image.symbols.probes;
  const recordCores = image.cores.map(() => false);
  for (const name of recorded) {
    const pop = image.symbols.populations.find((p) => p.name === name);
    if (!pop) throw new UserError(`no population named \`${name}\` in ${image.symbols.source}`);
    for (const piece of pop.pieces) recordCores[piece.core] = true;
  }
  const emulator = await createEmulator(request.backend, image, { seed: request.seed, recordCores });
  try {
    await emulator.run(request.steps);
    return {
      image,
      request,
      counters: emulator.counters(),
      stepCycles: emulator.stepCycles(),
      spikeCounts: emulator.spikeCounts(),
      events: emulator.spikeEvents(),
      recorded,
    };
  } finally {
    emulator.dispose();
  }
}
