// Chip profiles: the chip as data. Every limit, latency and energy the compiler
// and the emulator use comes from here, loaded from isa/profiles/*.json, where
// each number carries its source.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';
import type { ChipImage } from './image/types.js';

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
  /**
   * Crossbar chips only (TrueNorth): each input axon has one of this many types
   * and a neuron's weight for an axon is its weight for the axon's type, so a
   * neuron can receive at most this many distinct weights per core. Undefined:
   * every synapse has its own weight (Loihi).
   */
  readonly axonTypes?: number;
}

/** The barrier's time as a table over tiles in use, in whole cycles; barrierCycles() interpolates. */
export interface BarrierTable {
  /** Tile counts, strictly increasing, the first 1. */
  readonly tiles: readonly number[];
  readonly cycles: readonly number[];
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
  /** SBP (isa/learning): one add of a change into a per-neuron or per-layer sum. */
  'sbp_reduction_op',
  /** SBP: scaling one input synapse's change by its gain (the extra synaptic update). */
  'sbp_update',
] as const;
export type Operation = (typeof OPERATIONS)[number];

/**
 * The board: chips joined by chip-to-chip links. The global mesh of tiles
 * continues across chips (chips sit on a grid, see chipGrid), and a hop between
 * two tiles of different chips crosses a chip-to-chip link, which costs its own
 * energy and latency instead of an on-chip hop's.
 */
export interface BoardShape {
  /** Chips on this board (an image's profile carries the number it was compiled for). */
  readonly chips: number;
  readonly maxChips: number;
  /** Whole cycles and pJ per chip-to-chip hop; 0 on a one-chip board without link figures. */
  readonly chipHopCycles: number;
  readonly chipHopEnergyPj: number;
}

export interface ChipProfile {
  readonly name: string;
  readonly description: string;
  readonly clockHz: number;
  readonly mesh: MeshShape;
  readonly board: BoardShape;
  readonly limits: CoreLimits;
  /** Whole cycles of the nominal clock per operation (published ns rounded to the clock). */
  readonly cycles: Readonly<Record<Operation, number>>;
  readonly energyPj: Readonly<Record<Operation, number>>;
  readonly barrier: BarrierTable;
  /**
   * Cycles of the chip's fixed tick (TrueNorth: 1 ms), 0 for a free-running chip
   * (Loihi): a step lasts max(its work + barrier, the tick).
   */
  readonly tickCycles: number;
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
  readonly limits: Readonly<Record<LimitKey, Sourced>> & { readonly axon_types?: Sourced };
  readonly time_ns: Readonly<Record<Operation, Sourced>>;
  readonly energy_pj: Readonly<Record<Operation, Sourced>>;
  /** Barrier time by tiles in use: parallel arrays, interpolated linearly, constant past the last point. */
  readonly barrier: { readonly tiles: readonly number[]; readonly time_ns: readonly number[]; readonly source: string; readonly note?: string };
  readonly tick_ns: Sourced;
  readonly static_power_w: Sourced;
  /** Optional: a profile without it is one chip with no chip-to-chip links. */
  readonly board?: {
    readonly chips: Sourced;
    readonly max_chips: Sourced;
    readonly time_ns: { readonly chip_to_chip_hop: Sourced };
    readonly energy_pj: { readonly chip_to_chip_hop: Sourced };
  };
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

/** Checks the "barrier" table: {"tiles": [1, ...], "time_ns": [...], "source": ...}, tiles strictly increasing from 1. */
function parseBarrier(entry: unknown, sources: Record<string, unknown>, toCycles: (ns: number) => number, problems: string[]): BarrierTable {
  const shape = '{"tiles": [1, ...], "time_ns": [...], "source": ...}';
  if (!isRecord(entry)) {
    problems.push(`missing "barrier" (an object ${shape}: the barrier time for each number of tiles in use)`);
    return { tiles: [1], cycles: [0] };
  }
  const { tiles, time_ns: ns } = entry;
  const isNumbers = (a: unknown): a is number[] => Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!isNumbers(tiles) || !isNumbers(ns) || tiles.length !== ns.length) {
    problems.push(`"barrier.tiles" and "barrier.time_ns" must be non-empty arrays of numbers of the same length, found ${JSON.stringify(tiles)} and ${JSON.stringify(ns)}`);
    return { tiles: [1], cycles: [0] };
  }
  if (tiles[0] !== 1 || !tiles.every((x, i) => Number.isInteger(x) && (i === 0 || x > tiles[i - 1]))) {
    problems.push(`"barrier.tiles" must be whole numbers strictly increasing from 1, found ${JSON.stringify(tiles)}`);
  }
  if (!ns.every((x) => x >= 0)) problems.push(`"barrier.time_ns" must be non-negative times in ns, found ${JSON.stringify(ns)}`);
  if (typeof entry.source !== 'string' || !(entry.source in sources)) {
    problems.push(`"barrier.source" must name one of "sources" (${Object.keys(sources).join(', ') || 'none given'})`);
  }
  // A barrier of 0 ns stays 0 cycles (a chip without one); any other time is at least one cycle.
  return { tiles, cycles: ns.map((x) => (x === 0 ? 0 : toCycles(x))) };
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
    const field = path === '' ? key : `${path}.${key}`;
    if (!isRecord(entry)) {
      problems.push(`missing "${field}" (an object {"value": ..., "source": ...})`);
      return NaN;
    }
    const v = entry.value;
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) {
      problems.push(`"${field}.value" must be ${what}, found ${JSON.stringify(v)}`);
      return NaN;
    }
    if (typeof entry.source !== 'string' || !(entry.source in sources)) {
      problems.push(`"${field}.source" must name one of "sources" (${Object.keys(sources).join(', ') || 'none given'})`);
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
  const barrier = parseBarrier(json.barrier, sources, toCycles, problems);
  const tickNs = num('', json, 'tick_ns', nonNegative, 'a non-negative time in ns (0: no fixed tick)');
  let axonTypes: number | undefined;
  if (isRecord(json.limits) && json.limits.axon_types !== undefined) {
    axonTypes = num('limits', json.limits, 'axon_types', positiveInt, 'a positive integer (distinct weights per neuron on a crossbar core)');
  }
  const staticPowerW = num('', json, 'static_power_w', nonNegative, 'a non-negative power in W');
  // No board section: one chip and no links, so no link cost is needed (none is filled in).
  let board: BoardShape = { chips: 1, maxChips: 1, chipHopCycles: 0, chipHopEnergyPj: 0 };
  if (json.board !== undefined) {
    const b = json.board;
    const maxChips = num('board', b, 'max_chips', (v) => positiveInt(v) && v <= MAX_BOARD_CHIPS, `a positive integer no larger than ${MAX_BOARD_CHIPS}`);
    const chips = num('board', b, 'chips', (v) => positiveInt(v) && v <= maxChips, `a positive integer no larger than board.max_chips (${maxChips})`);
    const linkNs = num('board.time_ns', isRecord(b) ? b.time_ns : undefined, 'chip_to_chip_hop', positive, 'a positive time in ns');
    const linkPj = num('board.energy_pj', isRecord(b) ? b.energy_pj : undefined, 'chip_to_chip_hop', nonNegative, 'a non-negative energy in pJ');
    board = { chips, maxChips, chipHopCycles: toCycles(linkNs), chipHopEnergyPj: linkPj };
  }
  if (problems.length > 0) throw new ProfileError(origin, problems);

  return {
    name,
    description,
    clockHz,
    mesh,
    board,
    limits: {
      neuronsPerCore: limitValues.neurons_per_core,
      synapseMemoryBytes: limitValues.synapse_memory_bytes,
      inputAxonsPerCore: limitValues.input_axons_per_core,
      outputAxonsPerCore: limitValues.output_axons_per_core,
      maxDelaySteps: limitValues.max_delay_steps,
      weightBits: limitValues.weight_bits,
      ...(axonTypes === undefined ? {} : { axonTypes }),
    },
    cycles,
    energyPj,
    barrier,
    tickCycles: tickNs === 0 ? 0 : toCycles(tickNs),
    staticPowerW,
    source: json as unknown as ProfileFile,
  };
}

/** Core slots on one chip. */
export function coresPerChip(profile: ChipProfile): number {
  return profile.mesh.tilesX * profile.mesh.tilesY * profile.mesh.coresPerTile;
}

/** Core slots on the whole board (every chip of it). */
export function coreCount(profile: ChipProfile): number {
  return coresPerChip(profile) * profile.board.chips;
}

/** Tiles of one chip. */
export function tileCount(profile: ChipProfile): number {
  return profile.mesh.tilesX * profile.mesh.tilesY;
}

/** Format ceiling on a board: core indices are 16-bit in routes and events. */
export const MAX_BOARD_CHIPS = 4096;

/**
 * How the chips of a board of `chips` chips sit: a row-major grid, as square as
 * possible (Meso's choice: the papers give board sizes, not a topology).
 */
export function chipGrid(chips: number): { readonly chipsX: number; readonly chipsY: number } {
  const chipsX = Math.ceil(Math.sqrt(chips));
  return { chipsX, chipsY: Math.ceil(chips / chipsX) };
}

export interface CorePosition {
  /** Tile index on the board: chip * tiles per chip + tile on its chip. */
  readonly tile: number;
  /** Global column and row of the tile on the board's mesh of tiles. */
  readonly x: number;
  readonly y: number;
  readonly chip: number;
  /** The chip's column and row on the board. */
  readonly chipX: number;
  readonly chipY: number;
}

/**
 * Where a core slot sits. Slots fill a tile, then the next tile of the chip
 * (row-major), then the next chip. x and y are global tile coordinates.
 */
export function corePosition(profile: ChipProfile, slot: number): CorePosition {
  const perChip = coresPerChip(profile);
  const chip = Math.floor(slot / perChip);
  const local = Math.floor((slot - chip * perChip) / profile.mesh.coresPerTile);
  const { chipsX } = chipGrid(profile.board.chips);
  const chipX = chip % chipsX;
  const chipY = Math.floor(chip / chipsX);
  return {
    tile: chip * tileCount(profile) + local,
    x: chipX * profile.mesh.tilesX + (local % profile.mesh.tilesX),
    y: chipY * profile.mesh.tilesY + Math.floor(local / profile.mesh.tilesX),
    chip,
    chipX,
    chipY,
  };
}

/** Tiles that hold at least one of the image's cores (the barrier's cost follows them: barrierCycles). */
export function tilesUsed(image: ChipImage): number {
  return new Set(image.cores.map((core) => corePosition(image.profile, core.slot).tile)).size;
}

/** Hops of one packet, by kind. */
export interface RouteHops {
  readonly eastWest: number;
  readonly northSouth: number;
  readonly chipToChip: number;
}

/**
 * The hops of a packet from slot `from` to slot `to` on X-then-Y (dimension-order)
 * routing over the board's mesh of tiles: |dx| then |dy| tile hops, of which the
 * ones that cross a chip boundary (|dchipX| + |dchipY|) go over chip-to-chip
 * links. Same tile: no hop.
 */
export function routeHops(profile: ChipProfile, from: number, to: number): RouteHops {
  return hopsBetween(corePosition(profile, from), corePosition(profile, to));
}

/** routeHops between two cores' positions (corePosition), for a caller that has them at hand. */
export function hopsBetween(a: CorePosition, b: CorePosition): RouteHops {
  const chipX = Math.abs(a.chipX - b.chipX);
  const chipY = Math.abs(a.chipY - b.chipY);
  return { eastWest: Math.abs(a.x - b.x) - chipX, northSouth: Math.abs(a.y - b.y) - chipY, chipToChip: chipX + chipY };
}

/** The profile on a board of `chips` chips (what an image records). */
export function withChips(profile: ChipProfile, chips: number): ChipProfile {
  if (!Number.isInteger(chips) || chips < 1 || chips > profile.board.maxChips) {
    throw new Error(`withChips: ${chips} chips on a board of at most ${profile.board.maxChips}`);
  }
  if (chips === profile.board.chips) return profile;
  const file = profile.source;
  // The board section exists whenever maxChips > 1 (a profile without one has maxChips 1).
  const board = file.board === undefined ? undefined : { ...file.board, chips: { ...file.board.chips, value: chips } };
  return { ...profile, board: { ...profile.board, chips }, source: { ...file, board } };
}

/**
 * Barrier cycles when `tiles` tiles take part: the profile's table, linear
 * between its points, rounded to whole cycles; its first value below the first
 * point and its last value past the last (a guess the profile notes say).
 */
export function barrierCycles(profile: ChipProfile, tiles: number): number {
  const { tiles: at, cycles } = profile.barrier;
  if (tiles <= at[0]) return cycles[0];
  for (let k = 1; k < at.length; k++) {
    if (tiles <= at[k]) return Math.round(cycles[k - 1] + ((tiles - at[k - 1]) / (at[k] - at[k - 1])) * (cycles[k] - cycles[k - 1]));
  }
  return cycles[cycles.length - 1];
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
