// Chip profiles: the chip as data. Every limit, latency and energy the compiler
// and the emulator use comes from here, loaded from isa/profiles/*.json, where
// each number carries its source.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';

/** A number from a profile file, with where it came from. */
export interface Sourced {
  readonly value: number;
  readonly source: string;
  readonly note?: string;
}

export interface MeshShape {
  readonly tilesX: number;
  readonly tilesY: number;
  readonly coresPerTile: number;
}

export interface CoreLimits {
  readonly neuronsPerCore: number;
  readonly synapseMemoryBytes: number;
  readonly inputAxonsPerCore: number;
  readonly outputAxonsPerCore: number;
  readonly maxDelaySteps: number;
  readonly weightBits: number;
}

/** The operations whose cost a profile gives, in time and in energy. */
export const OPERATIONS = [
  'synaptic_op',
  'synaptic_update',
  'neuron_update_active',
  'neuron_update_inactive',
  'spike_in_tile',
  'hop_east_west',
  'hop_north_south',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface ChipProfile {
  readonly name: string;
  readonly description: string;
  readonly clockHz: number;
  readonly mesh: MeshShape;
  readonly limits: CoreLimits;
  /** Whole cycles of the nominal clock per operation (published ns rounded to the clock). */
  readonly cycles: Readonly<Record<Operation, number>>;
  readonly energyPj: Readonly<Record<Operation, number>>;
  readonly barrierCycles: { readonly oneTile: number; readonly allTiles: number };
  readonly staticPowerW: number;
  /** The profile file as written (values, sources and notes), for `inspect` and the image. */
  readonly source: ProfileFile;
}

/** The JSON layout of a profile file (schema meso.profile/v1). */
export interface ProfileFile {
  readonly schema: 'meso.profile/v1';
  readonly name: string;
  readonly description: string;
  readonly sources: Readonly<Record<string, string>>;
  readonly clock_hz: Sourced;
  readonly mesh: Readonly<Record<'tiles_x' | 'tiles_y' | 'cores_per_tile', Sourced>>;
  readonly limits: Readonly<Record<LimitKey, Sourced>>;
  readonly time_ns: Readonly<Record<Operation | 'barrier_one_tile' | 'barrier_all_tiles', Sourced>>;
  readonly energy_pj: Readonly<Record<Operation, Sourced>>;
  readonly static_power_w: Sourced;
}

const LIMIT_KEYS = [
  'neurons_per_core',
  'synapse_memory_bytes',
  'input_axons_per_core',
  'output_axons_per_core',
  'max_delay_steps',
  'weight_bits',
] as const;
type LimitKey = (typeof LIMIT_KEYS)[number];

/** Raised when a profile file is malformed; `problems` lists every fault found. */
export class ProfileError extends Error {
  constructor(
    readonly origin: string,
    readonly problems: readonly string[],
  ) {
    super(`${origin}: invalid chip profile:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Hard ceilings of the image format itself (see isa/synapse.ts), which a profile may not exceed. */
export const FORMAT_CEILINGS: Readonly<Partial<Record<LimitKey, number>>> = {
  neurons_per_core: 1 << 16,
  max_delay_steps: 255,
  weight_bits: 8,
};

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Checks a parsed profile file and turns it into a ChipProfile. A missing or
 * malformed number is an error, never a silent default.
 */
export function parseProfile(json: unknown, origin: string): ChipProfile {
  const problems: string[] = [];
  if (!isRecord(json)) throw new ProfileError(origin, ['the file is not a JSON object']);
  if (json.schema !== 'meso.profile/v1') problems.push(`"schema" must be "meso.profile/v1", found ${JSON.stringify(json.schema)}`);
  const name = typeof json.name === 'string' && json.name.length > 0 ? json.name : (problems.push('"name" must be a non-empty string'), '');
  const description = typeof json.description === 'string' ? json.description : '';
  const sources = isRecord(json.sources) ? json.sources : (problems.push('"sources" must map source keys to citations'), {});

  const num = (path: string, parent: unknown, key: string, check: (v: number) => boolean, what: string): number => {
    const entry = isRecord(parent) ? parent[key] : undefined;
    if (!isRecord(entry)) {
      problems.push(`missing "${path}.${key}" (an object {"value": ..., "source": ...})`);
      return NaN;
    }
    const v = entry.value;
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) {
      problems.push(`"${path}.${key}.value" must be ${what}, found ${JSON.stringify(v)}`);
      return NaN;
    }
    if (typeof entry.source !== 'string' || !(entry.source in sources)) {
      problems.push(`"${path}.${key}.source" must name one of "sources" (${Object.keys(sources).join(', ') || 'none given'})`);
    }
    return v;
  };
  const positive = (v: number): boolean => v > 0;
  const nonNegative = (v: number): boolean => v >= 0;
  const positiveInt = (v: number): boolean => Number.isInteger(v) && v > 0;

  const clockHz = num('', json, 'clock_hz', positive, 'a positive frequency in Hz');
  const mesh: MeshShape = {
    tilesX: num('mesh', json.mesh, 'tiles_x', positiveInt, 'a positive integer'),
    tilesY: num('mesh', json.mesh, 'tiles_y', positiveInt, 'a positive integer'),
    coresPerTile: num('mesh', json.mesh, 'cores_per_tile', positiveInt, 'a positive integer'),
  };
  const limitValues = {} as Record<LimitKey, number>;
  for (const key of LIMIT_KEYS) {
    const ceiling = FORMAT_CEILINGS[key];
    limitValues[key] = num('limits', json.limits, key, (v) => positiveInt(v) && (ceiling === undefined || v <= ceiling),
      ceiling === undefined ? 'a positive integer' : `a positive integer no larger than ${ceiling} (the image format's limit)`);
  }
  const toCycles = (ns: number): number => Math.max(1, Math.round((ns * clockHz) / 1e9));
  const cycles = {} as Record<Operation, number>;
  const energyPj = {} as Record<Operation, number>;
  for (const op of OPERATIONS) {
    cycles[op] = toCycles(num('time_ns', json.time_ns, op, positive, 'a positive time in ns'));
    energyPj[op] = num('energy_pj', json.energy_pj, op, nonNegative, 'a non-negative energy in pJ');
  }
  const barrierOne = num('time_ns', json.time_ns, 'barrier_one_tile', nonNegative, 'a non-negative time in ns');
  const barrierAll = num('time_ns', json.time_ns, 'barrier_all_tiles', nonNegative, 'a non-negative time in ns');
  const staticPowerW = num('', json, 'static_power_w', nonNegative, 'a non-negative power in W');
  if (problems.length > 0) throw new ProfileError(origin, problems);

  return {
    name,
    description,
    clockHz,
    mesh,
    limits: {
      neuronsPerCore: limitValues.neurons_per_core,
      synapseMemoryBytes: limitValues.synapse_memory_bytes,
      inputAxonsPerCore: limitValues.input_axons_per_core,
      outputAxonsPerCore: limitValues.output_axons_per_core,
      maxDelaySteps: limitValues.max_delay_steps,
      weightBits: limitValues.weight_bits,
    },
    cycles,
    energyPj,
    barrierCycles: { oneTile: toCycles(barrierOne), allTiles: toCycles(barrierAll) },
    staticPowerW,
    source: json as unknown as ProfileFile,
  };
}

export function coreCount(profile: ChipProfile): number {
  return profile.mesh.tilesX * profile.mesh.tilesY * profile.mesh.coresPerTile;
}

export function tileCount(profile: ChipProfile): number {
  return profile.mesh.tilesX * profile.mesh.tilesY;
}

/** Where a core sits: its tile's column and row on the mesh. Cores fill a tile before the next tile. */
export function corePosition(profile: ChipProfile, core: number): { readonly tile: number; readonly x: number; readonly y: number } {
  const tile = Math.floor(core / profile.mesh.coresPerTile);
  return { tile, x: tile % profile.mesh.tilesX, y: Math.floor(tile / profile.mesh.tilesX) };
}

/** Barrier cycles when `tiles` tiles take part: linear between the profile's one-tile and all-tiles figures. */
export function barrierCycles(profile: ChipProfile, tiles: number): number {
  const total = tileCount(profile);
  if (total <= 1 || tiles <= 1) return profile.barrierCycles.oneTile;
  const f = (Math.min(tiles, total) - 1) / (total - 1);
  return Math.round(profile.barrierCycles.oneTile + f * (profile.barrierCycles.allTiles - profile.barrierCycles.oneTile));
}

const PROFILE_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'profiles');

/** Directory of the built-in profiles, next to this module in the source tree. */
function builtinDir(): string {
  // Compiled code runs from dist/isa; the JSON files stay in the source tree.
  return PROFILE_DIR.includes(`${join('dist', 'isa')}`) ? PROFILE_DIR.replace(join('dist', 'isa'), 'isa') : PROFILE_DIR;
}

export function builtinProfileNames(): readonly string[] {
  return readdirSync(builtinDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
}

/** Loads a built-in profile by name (`loihi-like`); undefined when there is none of that name. */
export function builtinProfile(name: string): ChipProfile | undefined {
  if (!builtinProfileNames().includes(name)) return undefined;
  const path = join(builtinDir(), `${name}.json`);
  return parseProfile(JSON.parse(readFileSync(path, 'utf8')), path);
}

export const DEFAULT_PROFILE = 'loihi-like';
