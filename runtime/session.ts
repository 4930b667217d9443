// A session: load a program (a .snn compiled in memory, or a .chip image),
// run it on a backend, and hand back what the reports are made from.
import { compileSource, hasErrors, renderDiagnostic } from '../compiler/index.js';
import type { NetworkIR } from '../compiler/ir.js';
import type { MapOptions, MappedNetwork } from '../compiler/mapper.js';
import { readImage, ImageError } from '../isa/image/index.js';
import type { ChipImage } from '../isa/image/types.js';
import { builtinProfile, builtinProfileNames, parseProfile, ProfileError, type ChipProfile } from '../isa/profile.js';
import { createEmulator, hardwareGpu, WebGpuUnavailableError, WebGpuUnsupportedError, type BackendName } from '../emulator/index.js';
import type { Counters, SpikeEvents, Timing } from '../emulator/interface.js';
import { readBytes, readSourceFile, readText } from './files.js';
import { UserError } from './errors.js';

export interface LoadOptions {
  /** Chip profile name that replaces the program's target (--chip). */
  readonly chip?: string;
  /** Placement strategy and seed for a .snn (--placement, --map-seed). */
  readonly map?: MapOptions;
}

export interface LoadedProgram {
  readonly image: ChipImage;
  /** Rendered compiler warnings (empty for a .chip). */
  readonly warnings: readonly string[];
  /** For a .snn: the checked network and what the mapper decided (for the map report). */
  readonly network?: NetworkIR;
  readonly mapped?: MappedNetwork;
}

/** A --chip value that names a file (a user's profile) rather than a built-in profile. */
export function isProfilePath(name: string): boolean {
  return name.endsWith('.json') || name.includes('/') || name.includes('\\');
}

/**
 * Loads a user's profile file (--chip FILE.json), validated like the built-in
 * ones: malformed JSON names the line and column, a bad or missing number names
 * its field (isa/profile.ts parseProfile lists every problem at once).
 */
export function loadProfileFile(path: string): ChipProfile {
  const text = readText(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = /position (\d+)/.exec(message);
    let where = '';
    if (at) {
      const before = text.slice(0, Number(at[1]));
      const line = before.split('\n').length;
      where = `:${line}:${Number(at[1]) - before.lastIndexOf('\n')}`;
    }
    throw new UserError(`${path}${where}: not valid JSON (${message}); a chip profile is a JSON object like isa/profiles/loihi-like.json`);
  }
  try {
    return parseProfile(json, path);
  } catch (err) {
    if (err instanceof ProfileError) {
      throw new UserError(`${path}: invalid chip profile (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}); fix each field named above, with isa/profiles/loihi-like.json as a model`, err.problems.map((p) => `${path}: ${p}`));
    }
    throw err;
  }
}

export function resolveChip(name: string | undefined): ChipProfile | undefined {
  if (name === undefined) return undefined;
  if (isProfilePath(name)) return loadProfileFile(name);
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
  const result = compileSource(text, path, { profile: resolveChip(options.chip), readFile: readSourceFile, ...(options.map ? { map: options.map } : {}) });
  // Diagnostics of an included or data file render with that file's line.
  const rendered = result.diagnostics.map((d) => renderDiagnostic(d, result.sources?.get(d.span.file) ?? (d.span.file === path ? text : undefined)));
  if (hasErrors(result.diagnostics) || !result.image) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    throw new UserError(`${path}: ${errors} error${errors === 1 ? '' : 's'}; nothing was written`, rendered);
  }
  return { image: result.image, warnings: rendered, ...(result.network ? { network: result.network } : {}), ...(result.mapped ? { mapped: result.mapped } : {}) };
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
  /** `auto`: webgpu on a hardware GPU adapter, else cpu; the outcome's request names the one that ran. */
  readonly backend: BackendName | 'auto';
  /** Population names whose spikes are kept as events (default: the probed ones). */
  readonly record?: readonly string[];
  /** CPU backend: threads (--threads, default 1); the results do not depend on it. */
  readonly threads?: number;
}

export interface RunOutcome {
  readonly image: ChipImage;
  readonly request: RunRequest;
  readonly counters: Counters;
  readonly stepCycles: Float64Array;
  /** Chip-wide counter totals per step, step-major (Emulator.stepCounters). */
  readonly stepCounters: Float64Array;
  /** Cycles by phase and core, per-step latency, NoC statistics. */
  readonly timing: Timing;
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
  // auto: webgpu on a hardware adapter (it runs learning too, bit-exact with cpu), else cpu.
  const backend: BackendName = request.backend !== 'auto' ? request.backend : (await hardwareGpu()) !== undefined ? 'webgpu' : 'cpu';
  let emulator;
  try {
    emulator = await createEmulator(backend, image, { seed: request.seed, recordCores, threads: request.threads });
  } catch (err) {
    if (err instanceof WebGpuUnavailableError || err instanceof WebGpuUnsupportedError) throw new UserError(`--backend ${backend}: ${err.message}`);
    throw err;
  }
  try {
    await emulator.run(request.steps);
    return {
      image,
      request: { ...request, backend },
      counters: emulator.counters(),
      stepCycles: emulator.stepCycles(),
      stepCounters: emulator.stepCounters(),
      timing: emulator.timing(),
      spikeCounts: emulator.spikeCounts(),
      events: emulator.spikeEvents(),
      recorded,
    };
  } finally {
    emulator.dispose();
  }
}
