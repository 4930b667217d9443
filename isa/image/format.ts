// The chip image file (.chip): ChipImage as bytes, and back. Little-endian.
//
//   header (24 bytes)
//     0  magic "MESOCHIP"        8 bytes
//     8  format version          u16 (1)
//    10  flags                   u16 (0: version 1 defines none)
//    12  section count           u32
//    16  total file length       u32
//    20  CRC-32 of bytes 24..end u32
//   directory, from byte 24: per section u32 type tag, u32 byte offset, u32 byte length
//   sections, in directory order, the first right after the directory, each at a
//   4-byte boundary, zero bytes between them, the file ending at the boundary after the last.
//
// The layout is canonical (one ChipImage has exactly one encoding), so
// write(read(bytes)) reproduces the bytes. readImage checks every byte it reads
// and every rule of validate.ts, and raises nothing but ImageError.
import { match } from 'ts-pattern';
import { NEURON_PARAM_ORDER, type NeuronParams } from '../fixed.js';
import { parseProfile, ProfileError, type ChipProfile } from '../profile.js';
import { decodeLearning, encodeLearning } from '../learning/image.js';
import { crc32 } from './crc32.js';
import { ImageError } from './errors.js';
import type { ChipImage, CoreGroup, CoreImage, ImageSymbols, InputEncoding, PopulationPiece, PopulationSymbol } from './types.js';
import { validateImage } from './validate.js';

export { ImageError, type ImageErrorCode } from './errors.js';

export const MAGIC = 'MESOCHIP';
/** The version this build writes and the newest it reads. */
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 24;
export const DIRECTORY_ENTRY_BYTES = 12;
const ALIGN = 4;

const HEADER = { magic: 0, version: 8, flags: 10, sectionCount: 12, totalLength: 16, crc: 20 } as const;

/** A section's type tag: its four ASCII letters, in file order, read as a little-endian u32. */
function fourcc(name: string): number {
  return (name.charCodeAt(0) | (name.charCodeAt(1) << 8) | (name.charCodeAt(2) << 16) | (name.charCodeAt(3) << 24)) >>> 0;
}

export const SECTION_TAGS = {
  /** The chip profile, as the UTF-8 JSON text of its file. */
  PROF: fourcc('PROF'),
  /** Global values: f64 dtS, u32 core count. */
  META: fourcc('META'),
  /** Per core: u32 slot, neuronCount, group count, axon count, synapse count, route count. */
  CORE: fourcc('CORE'),
  /**
   * Per core, per group: u32 kind, first, count, then the kind's parameters.
   * neurons: i32 per parameter in NEURON_PARAM_ORDER (isa/fixed.ts), u32 init flag
   *   (0: every v starts at 0; 1: i32 initV[count] follows).
   * input: u32 encoding kind, u32 a, u32 b, u32 inputIndex, then the encoding's arrays:
   *   poisson (a = threshold, b = 0), periodic (a = period, b = phase),
   *   spikes (a = event count n, b = 0; then u32 steps[n], u32 neurons[n]), external (a = b = 0).
   */
  NPAR: fourcc('NPAR'),
  /** Per core: u32 axonStart[axons + 1], u8 axonWeightExp[axons] (padded to 4), u32 synapses[]. */
  SYNS: fourcc('SYNS'),
  /** Per core: u32 routeStart[neurons + 1], u16 routeCore[] (padded), u16 routeAxon[] (padded). */
  ROUT: fourcc('ROUT'),
  /** The symbols, as UTF-8 JSON. */
  SYMB: fourcc('SYMB'),
  /** On-core learning: rules' microcode, plastic projections and sets, teaching (isa/learning/image.ts); only when the program learns. */
  LRNG: fourcc('LRNG'),
} as const;
export type SectionName = keyof typeof SECTION_TAGS;

interface SectionSpec {
  readonly name: SectionName;
  /** What it holds, for messages. */
  readonly what: string;
  /** The first format version that has it: a reader refuses a tag newer than the file's version. */
  readonly since: number;
  /** Whether a file of a version that has it must carry it. */
  readonly required: boolean;
}

/**
 * Every section, in the order they are written. A later version adds its
 * sections here (the learning engine's microcode: { name: 'MCOD', since: 2 })
 * with a writer in sectionBodies and a reader in readImage.
 */
const SECTIONS: readonly SectionSpec[] = [
  { name: 'PROF', what: 'the chip profile', since: 1, required: true },
  { name: 'META', what: 'global values', since: 1, required: true },
  { name: 'CORE', what: 'the core table', since: 1, required: true },
  { name: 'NPAR', what: 'the neuron groups', since: 1, required: true },
  { name: 'SYNS', what: 'the synapses', since: 1, required: true },
  { name: 'ROUT', what: 'the routes', since: 1, required: true },
  { name: 'SYMB', what: 'the symbols', since: 1, required: true },
  { name: 'LRNG', what: 'on-core learning', since: 1, required: false },
];

/** Group and encoding kinds as stored. */
const GROUP_KIND = { neurons: 0, input: 1 } as const;
const ENCODING_KIND = { poisson: 0, periodic: 1, spikes: 2, external: 3 } as const;

const PARAM_ORDER = NEURON_PARAM_ORDER;

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

// ---------------------------------------------------------------- writing

/**
 * Appends little-endian values to a growing buffer. A value its field cannot hold
 * is a bug in the caller (the compiler), so it throws a plain Error, not ImageError.
 */
class ByteSink {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  /** Makes room for n bytes and returns where they go. It may replace buf and view, so call it before touching them. */
  private reserve(n: number): number {
    if (this.len + n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  private static check(value: number, min: number, max: number, type: string, what: string): void {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`writeImage: ${what} is ${value}, which a ${type} field cannot hold`);
    }
  }

  u32(value: number, what: string): void {
    ByteSink.check(value, 0, 0xffffffff, 'u32', what);
    const at = this.reserve(4);
    this.view.setUint32(at, value, true);
  }

  i32(value: number, what: string): void {
    ByteSink.check(value, -0x80000000, 0x7fffffff, 'i32', what);
    const at = this.reserve(4);
    this.view.setInt32(at, value, true);
  }

  i32s(data: Int32Array): void {
    const at = this.reserve(data.length * 4);
    for (let i = 0; i < data.length; i++) this.view.setInt32(at + i * 4, data[i], true);
  }

  f64(value: number): void {
    const at = this.reserve(8);
    this.view.setFloat64(at, value, true);
  }

  bytes(data: Uint8Array): void {
    const at = this.reserve(data.length);
    this.buf.set(data, at);
  }

  u16s(data: Uint16Array): void {
    const at = this.reserve(data.length * 2);
    for (let i = 0; i < data.length; i++) this.view.setUint16(at + i * 2, data[i], true);
  }

  u32s(data: Uint32Array): void {
    const at = this.reserve(data.length * 4);
    for (let i = 0; i < data.length; i++) this.view.setUint32(at + i * 4, data[i], true);
  }

  /** Zero bytes up to the next 4-byte boundary (the buffer starts zeroed). */
  pad(): void {
    this.reserve(align(this.len) - this.len);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function utf8Json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function writeCoreCounts(sink: ByteSink, core: CoreImage, c: number): void {
  const at = `core ${c}`;
  if (core.axonStart.length !== core.axonWeightExp.length + 1) {
    throw new Error(`writeImage: ${at} has ${core.axonWeightExp.length} axon exponents but ${core.axonStart.length} axonStart entries`);
  }
  if (core.routeStart.length !== core.neuronCount + 1) {
    throw new Error(`writeImage: ${at} has ${core.neuronCount} neurons but ${core.routeStart.length} routeStart entries`);
  }
  if (core.routeAxon.length !== core.routeCore.length) {
    throw new Error(`writeImage: ${at} has ${core.routeCore.length} routeCore entries but ${core.routeAxon.length} routeAxon entries`);
  }
  sink.u32(core.slot, `${at} slot`);
  sink.u32(core.neuronCount, `${at} neuronCount`);
  sink.u32(core.groups.length, `${at} group count`);
  sink.u32(core.axonWeightExp.length, `${at} axon count`);
  sink.u32(core.synapses.length, `${at} synapse count`);
  sink.u32(core.routeCore.length, `${at} route count`);
}

function writeGroup(sink: ByteSink, group: CoreGroup, at: string): void {
  sink.u32(GROUP_KIND[group.kind], `${at} kind`);
  sink.u32(group.first, `${at} first`);
  sink.u32(group.count, `${at} count`);
  match(group)
    .with({ kind: 'neurons' }, (g) => {
      for (const key of PARAM_ORDER) sink.i32(g.params[key], `${at} ${key}`);
      if (g.initV === undefined) sink.u32(0, `${at} init flag`);
      else {
        if (g.initV.length !== g.count) throw new Error(`writeImage: ${at} has ${g.count} neurons but ${g.initV.length} initial voltages`);
        sink.u32(1, `${at} init flag`);
        sink.i32s(g.initV);
      }
    })
    .with({ kind: 'input' }, (g) => {
      sink.u32(ENCODING_KIND[g.encoding.kind], `${at} encoding kind`);
      match(g.encoding)
        .with({ kind: 'poisson' }, (e) => {
          sink.u32(e.threshold, `${at} poisson threshold`);
          sink.u32(0, `${at} unused`);
        })
        .with({ kind: 'periodic' }, (e) => {
          sink.u32(e.period, `${at} period`);
          sink.u32(e.phase, `${at} phase`);
        })
        .with({ kind: 'spikes' }, (e) => {
          if (e.steps.length !== e.neurons.length) throw new Error(`writeImage: ${at} has ${e.steps.length} spike steps but ${e.neurons.length} spike neurons`);
          sink.u32(e.steps.length, `${at} spike count`);
          sink.u32(0, `${at} unused`);
        })
        .with({ kind: 'external' }, () => {
          sink.u32(0, `${at} unused`);
          sink.u32(0, `${at} unused`);
        })
        .exhaustive();
      sink.u32(g.inputIndex, `${at} inputIndex`);
      if (g.encoding.kind === 'spikes') {
        sink.u32s(g.encoding.steps);
        sink.u32s(g.encoding.neurons);
      }
    })
    .exhaustive();
}

/** The symbols with their fields in a fixed order, whatever order the caller's objects have. */
function canonicalSymbols(s: ImageSymbols): ImageSymbols {
  return {
    source: s.source,
    populations: s.populations.map((p) => ({
      name: p.name,
      kind: p.kind,
      size: p.size,
      line: p.line,
      pieces: p.pieces.map((q) => ({ core: q.core, first: q.first, count: q.count, offset: q.offset })),
      ...(p.rateHz === undefined ? {} : { rateHz: p.rateHz }),
    })),
    probes: [...s.probes],
  };
}

/** One writer per section; the Record type makes a new section name demand its writer. */
function sectionBodies(image: ChipImage): Readonly<Record<SectionName, Uint8Array>> {
  const meta = new ByteSink();
  meta.f64(image.dtS);
  meta.u32(image.cores.length, 'the core count');

  const cores = new ByteSink();
  image.cores.forEach((core, c) => writeCoreCounts(cores, core, c));

  const groups = new ByteSink();
  image.cores.forEach((core, c) => core.groups.forEach((group, g) => writeGroup(groups, group, `core ${c} group ${g}`)));

  const synapses = new ByteSink();
  for (const core of image.cores) {
    synapses.u32s(core.axonStart);
    synapses.bytes(core.axonWeightExp);
    synapses.pad();
    synapses.u32s(core.synapses);
  }

  const routes = new ByteSink();
  for (const core of image.cores) {
    routes.u32s(core.routeStart);
    routes.u16s(core.routeCore);
    routes.pad();
    routes.u16s(core.routeAxon);
    routes.pad();
  }

  return {
    PROF: utf8Json(image.profile.source),
    META: meta.finish(),
    CORE: cores.finish(),
    NPAR: groups.finish(),
    SYNS: synapses.finish(),
    ROUT: routes.finish(),
    SYMB: utf8Json(canonicalSymbols(image.symbols)),
    LRNG: image.learning === undefined ? new Uint8Array(0) : encodeLearning(image.learning),
  };
}

/**
 * The image as the bytes of a .chip file. It encodes what it is given without
 * judging it (validateImage does that); a value that does not fit its field throws.
 */
export function writeImage(image: ChipImage): Uint8Array {
  const bodies = sectionBodies(image);
  // An optional section is written only when the image has it (an empty body means absent).
  const sections = SECTIONS.filter((s) => s.since <= FORMAT_VERSION && (s.required || bodies[s.name].length > 0));
  const offsets: number[] = [];
  let end = HEADER_BYTES + sections.length * DIRECTORY_ENTRY_BYTES;
  for (const s of sections) {
    offsets.push(end);
    end = align(end + bodies[s.name].length);
  }
  if (end > 0xffffffff) throw new Error(`writeImage: the image would be ${end} bytes, more than a u32 length can say`);

  const out = new Uint8Array(end);
  const view = new DataView(out.buffer);
  for (let i = 0; i < MAGIC.length; i++) out[HEADER.magic + i] = MAGIC.charCodeAt(i);
  view.setUint16(HEADER.version, FORMAT_VERSION, true);
  view.setUint16(HEADER.flags, 0, true);
  view.setUint32(HEADER.sectionCount, sections.length, true);
  view.setUint32(HEADER.totalLength, end, true);
  sections.forEach((s, i) => {
    const entry = HEADER_BYTES + i * DIRECTORY_ENTRY_BYTES;
    view.setUint32(entry, SECTION_TAGS[s.name], true);
    view.setUint32(entry + 4, offsets[i], true);
    view.setUint32(entry + 8, bodies[s.name].length, true);
    out.set(bodies[s.name], offsets[i]);
  });
  view.setUint32(HEADER.crc, crc32(out.subarray(HEADER_BYTES)), true);
  return out;
}

// ---------------------------------------------------------------- reading

interface Span {
  readonly offset: number;
  readonly length: number;
}

const hex = (n: number, digits = 8): string => `0x${n.toString(16).padStart(digits, '0')}`;

/** A few bytes as text when they are printable ASCII, else as hex. */
function describeBytes(bytes: Uint8Array): string {
  const printable = bytes.every((b) => b >= 0x20 && b < 0x7f);
  return printable ? JSON.stringify(String.fromCharCode(...bytes)) : Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function describeTag(tag: number): string {
  const bytes = new Uint8Array([tag & 0xff, (tag >>> 8) & 0xff, (tag >>> 16) & 0xff, tag >>> 24]);
  return `${describeBytes(bytes)} (${hex(tag)})`;
}

/**
 * Bounds-checked little-endian reads inside one section. Every read says what it
 * is reading, so a short section names the field, the core and the byte offset.
 */
class SectionReader {
  private pos: number;
  private readonly end: number;
  /** Where in the section's structure the reader is (e.g. "core 3"), for messages. */
  where = '';

  constructor(
    private readonly view: DataView,
    private readonly origin: string,
    readonly name: SectionName,
    span: Span,
  ) {
    this.pos = span.offset;
    this.end = span.offset + span.length;
  }

  fail(detail: string): ImageError {
    return new ImageError(this.origin, 'layout', `section ${this.name}${this.where ? `, ${this.where}` : ''}: ${detail}`);
  }

  get offset(): number {
    return this.pos;
  }

  private take(bytes: number, what: string): number {
    if (bytes > this.end - this.pos) {
      throw this.fail(`${what} needs ${bytes} bytes at byte ${this.pos}, but the section ends at byte ${this.end}`);
    }
    const at = this.pos;
    this.pos += bytes;
    return at;
  }

  u32(what: string): number {
    return this.view.getUint32(this.take(4, what), true);
  }

  i32(what: string): number {
    return this.view.getInt32(this.take(4, what), true);
  }

  i32s(count: number, what: string): Int32Array {
    const at = this.take(count * 4, what);
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.view.getInt32(at + i * 4, true);
    return out;
  }

  f64(what: string): number {
    return this.view.getFloat64(this.take(8, what), true);
  }

  u8s(count: number, what: string): Uint8Array {
    const at = this.take(count, what);
    const out = new Uint8Array(count);
    out.set(new Uint8Array(this.view.buffer, this.view.byteOffset + at, count));
    return out;
  }

  u16s(count: number, what: string): Uint16Array {
    const at = this.take(count * 2, what);
    const out = new Uint16Array(count);
    for (let i = 0; i < count; i++) out[i] = this.view.getUint16(at + i * 2, true);
    return out;
  }

  u32s(count: number, what: string): Uint32Array {
    const at = this.take(count * 4, what);
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.view.getUint32(at + i * 4, true);
    return out;
  }

  /** Skips to the next 4-byte boundary; the skipped bytes must be zero (one encoding per image). */
  pad(what: string): void {
    const at = this.take(align(this.pos) - this.pos, `the padding after ${what}`);
    for (let i = at; i < this.pos; i++) {
      if (this.view.getUint8(i) !== 0) throw this.fail(`the padding after ${what} has a non-zero byte at byte ${i}`);
    }
  }

  done(): void {
    this.where = '';
    if (this.pos !== this.end) throw this.fail(`${this.end - this.pos} unexpected bytes at its end, from byte ${this.pos}`);
  }

  text(): string {
    const bytes = new Uint8Array(this.view.buffer, this.view.byteOffset + this.pos, this.end - this.pos);
    this.pos = this.end;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw this.fail('is not valid UTF-8 text');
    }
  }

  json(): unknown {
    const text = this.text();
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw this.fail(`is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  }
}

/** Magic, version, length and checksum: whether these bytes are an intact image this build reads. */
function checkHeader(bytes: Uint8Array, view: DataView, origin: string): void {
  const n = bytes.length;
  const magicSeen = bytes.subarray(0, Math.min(n, MAGIC.length));
  if (!magicSeen.every((b, i) => b === MAGIC.charCodeAt(i))) {
    throw new ImageError(origin, 'magic', `not a Meso chip image: it starts with ${describeBytes(bytes.subarray(0, MAGIC.length))}, not "${MAGIC}"`,
      'make one with `meso compile`');
  }
  if (n >= HEADER.version + 2) {
    const version = view.getUint16(HEADER.version, true);
    if (version > FORMAT_VERSION) {
      throw new ImageError(origin, 'version', `written in chip image format version ${version}, but this build of Meso reads version ${FORMAT_VERSION}`,
        'update Meso, or recompile it with `meso compile` from this build');
    }
    if (version < 1) throw new ImageError(origin, 'version', `format version ${version} does not exist (this build reads version ${FORMAT_VERSION})`);
  }
  if (n < HEADER_BYTES) {
    const declared = n >= HEADER.totalLength + 4 ? `${view.getUint32(HEADER.totalLength, true)}` : `at least ${HEADER_BYTES}`;
    throw new ImageError(origin, 'length', `truncated: ${n} bytes of ${declared}`, 'the file was cut short; recompile it with `meso compile`');
  }
  const declared = view.getUint32(HEADER.totalLength, true);
  if (n < declared) {
    throw new ImageError(origin, 'length', `truncated: ${n} bytes of ${declared}`, 'the file was cut short; recompile it with `meso compile`');
  }
  if (n > declared) {
    throw new ImageError(origin, 'length', `${n} bytes, but its header says the image is ${declared} bytes: ${n - declared} unexpected bytes follow it`);
  }
  const stored = view.getUint32(HEADER.crc, true);
  const actual = crc32(bytes.subarray(HEADER_BYTES));
  if (stored !== actual) {
    throw new ImageError(origin, 'checksum',
      `the checksum does not match (the header says CRC-32 ${hex(stored)}, the contents give ${hex(actual)}): the file was altered or damaged after it was written`);
  }
  const flags = view.getUint16(HEADER.flags, true);
  if (flags !== 0) {
    throw new ImageError(origin, 'version', `header flags are ${hex(flags, 4)}, but format version ${FORMAT_VERSION} defines none (they must be 0)`,
      'update Meso, or recompile it with `meso compile` from this build');
  }
}

/** The section directory: every section known, present once, in place, and nothing else in the file. */
function readDirectory(bytes: Uint8Array, view: DataView, origin: string): ReadonlyMap<SectionName, Span> {
  const fail = (detail: string): ImageError => new ImageError(origin, 'layout', detail);
  const n = bytes.length;
  const version = view.getUint16(HEADER.version, true);
  const known = SECTIONS.filter((s) => s.since <= version);
  const count = view.getUint32(HEADER.sectionCount, true);
  if (count > (n - HEADER_BYTES) / DIRECTORY_ENTRY_BYTES) {
    throw fail(`the header lists ${count} sections, but a directory that long (${DIRECTORY_ENTRY_BYTES} bytes each, from byte ${HEADER_BYTES}) runs past the end of the ${n}-byte file`);
  }
  const spans = new Map<SectionName, Span>();
  const entryOf = new Map<SectionName, number>();
  let expected = HEADER_BYTES + count * DIRECTORY_ENTRY_BYTES;
  for (let i = 0; i < count; i++) {
    const entry = HEADER_BYTES + i * DIRECTORY_ENTRY_BYTES;
    const tag = view.getUint32(entry, true);
    const offset = view.getUint32(entry + 4, true);
    const length = view.getUint32(entry + 8, true);
    const at = `directory entry ${i} (byte ${entry})`;
    const spec = known.find((s) => SECTION_TAGS[s.name] === tag);
    if (spec === undefined) {
      throw fail(`${at}: unknown section type ${describeTag(tag)}; format version ${version} has ${known.map((s) => s.name).join(', ')}`);
    }
    const first = entryOf.get(spec.name);
    if (first !== undefined) throw fail(`${at}: a second ${spec.name} section (entry ${first} is the first)`);
    entryOf.set(spec.name, i);
    if (offset % ALIGN !== 0) throw fail(`${at}: section ${spec.name} starts at byte ${offset}, which is not a multiple of ${ALIGN}`);
    if (offset !== expected) {
      throw fail(`${at}: section ${spec.name} starts at byte ${offset}, but must start at byte ${expected} (sections follow the directory and each other, 4-byte aligned, with nothing between them)`);
    }
    if (length > n - offset) throw fail(`${at}: section ${spec.name} (${length} bytes from byte ${offset}) runs past the end of the ${n}-byte file`);
    const end = offset + length;
    expected = align(end);
    if (expected > n) throw fail(`${at}: section ${spec.name} ends at byte ${end}, but the file ends before its padding to byte ${expected}`);
    for (let b = end; b < expected; b++) {
      if (bytes[b] !== 0) throw fail(`the padding after section ${spec.name} has a non-zero byte at byte ${b}`);
    }
    spans.set(spec.name, { offset, length });
  }
  if (expected !== n) throw fail(`bytes ${expected}..${n - 1} after the last section belong to no section`);
  const missing = known.find((s) => s.required && !spans.has(s.name));
  if (missing !== undefined) {
    throw fail(`there is no ${missing.name} section (${missing.what}); format version ${version} needs ${known.filter((s) => s.required).map((s) => s.name).join(', ')}`);
  }
  return spans;
}

function readProfile(r: SectionReader, origin: string): ChipProfile {
  const json = r.json();
  try {
    return parseProfile(json, origin);
  } catch (e) {
    const problems = e instanceof ProfileError ? e.problems.join('; ') : e instanceof Error ? e.message : String(e);
    throw new ImageError(origin, 'profile', `section PROF: the chip profile is invalid: ${problems}`);
  }
}

interface CoreCounts {
  readonly slot: number;
  readonly neuronCount: number;
  readonly groups: number;
  readonly axons: number;
  readonly synapses: number;
  readonly routes: number;
}

function readCoreTable(r: SectionReader, cores: number): readonly CoreCounts[] {
  const out: CoreCounts[] = [];
  for (let c = 0; c < cores; c++) {
    r.where = `core ${c}`;
    out.push({
      slot: r.u32('the slot'),
      neuronCount: r.u32('the neuron count'),
      groups: r.u32('the group count'),
      axons: r.u32('the axon count'),
      synapses: r.u32('the synapse count'),
      routes: r.u32('the route count'),
    });
  }
  r.done();
  return out;
}

/** An input group's encoding, after its kind, first and count; the spike arrays come after the input index. */
function readEncoding(r: SectionReader, g: number): { readonly encoding: InputEncoding; readonly inputIndex: number } {
  const at = r.offset;
  const kind = r.u32(`group ${g}'s encoding kind`);
  const a = r.u32(`group ${g}'s encoding`);
  const b = r.u32(`group ${g}'s encoding`);
  const inputIndex = r.u32(`group ${g}'s input index`);
  const unused = (what: string): void => {
    if (b !== 0) throw r.fail(`group ${g}: the unused word after its ${what} is ${b}, not 0`);
  };
  if (kind === ENCODING_KIND.poisson) {
    unused('Poisson threshold');
    return { encoding: { kind: 'poisson', threshold: a }, inputIndex };
  }
  if (kind === ENCODING_KIND.periodic) return { encoding: { kind: 'periodic', period: a, phase: b }, inputIndex };
  if (kind === ENCODING_KIND.spikes) {
    unused('spike count');
    // Bounded by the section's length before anything is allocated.
    const steps = r.u32s(a, `group ${g}'s spike steps (${a} u32)`);
    const neurons = r.u32s(a, `group ${g}'s spike neurons (${a} u32)`);
    return { encoding: { kind: 'spikes', steps, neurons }, inputIndex };
  }
  if (kind === ENCODING_KIND.external) {
    if (a !== 0) throw r.fail(`group ${g}: the unused word of its external encoding is ${a}, not 0`);
    unused('external encoding');
    return { encoding: { kind: 'external' }, inputIndex };
  }
  const names = Object.entries(ENCODING_KIND).map(([name, k]) => `${k} = ${name}`).join(', ');
  throw r.fail(`group ${g} (byte ${at}): unknown input encoding kind ${kind} (${names})`);
}

function readGroup(r: SectionReader, g: number): CoreGroup {
  const at = r.offset;
  const kind = r.u32(`group ${g}'s kind`);
  const first = r.u32(`group ${g}'s first neuron`);
  const count = r.u32(`group ${g}'s neuron count`);
  if (kind === GROUP_KIND.neurons) {
    const values = new Map(PARAM_ORDER.map((key) => [key, r.i32(`group ${g}'s ${key}`)] as const));
    const param = (key: keyof NeuronParams): number => values.get(key) ?? 0;
    const params: NeuronParams = {
      du: param('du'),
      duInh: param('duInh'),
      dv: param('dv'),
      vth: param('vth'),
      reset: param('reset'),
      bias: param('bias'),
      refractory: param('refractory'),
      thetaPlus: param('thetaPlus'),
      dTheta: param('dTheta'),
    };
    const flag = r.u32(`group ${g}'s init flag`);
    if (flag === 0) return { kind: 'neurons', first, count, params };
    if (flag !== 1) throw r.fail(`group ${g}: init flag ${flag} is neither 0 (no initial state) nor 1 (initial voltages follow)`);
    return { kind: 'neurons', first, count, params, initV: r.i32s(count, `group ${g}'s initial voltages (${count} i32)`) };
  }
  if (kind === GROUP_KIND.input) {
    const { encoding, inputIndex } = readEncoding(r, g);
    return { kind: 'input', first, count, encoding, inputIndex };
  }
  throw r.fail(`group ${g} (byte ${at}): unknown group kind ${kind} (${GROUP_KIND.neurons} = neurons, ${GROUP_KIND.input} = input)`);
}

function readGroups(r: SectionReader, counts: readonly CoreCounts[]): readonly (readonly CoreGroup[])[] {
  const out = counts.map((k, c) => {
    r.where = `core ${c}`;
    const groups: CoreGroup[] = [];
    for (let g = 0; g < k.groups; g++) groups.push(readGroup(r, g));
    return groups;
  });
  r.done();
  return out;
}

type SynapseArrays = Pick<CoreImage, 'axonStart' | 'axonWeightExp' | 'synapses'>;

function readSynapses(r: SectionReader, counts: readonly CoreCounts[]): readonly SynapseArrays[] {
  const out = counts.map((k, c): SynapseArrays => {
    r.where = `core ${c}`;
    const axonStart = r.u32s(k.axons + 1, `axonStart (${k.axons + 1} u32)`);
    const axonWeightExp = r.u8s(k.axons, `axonWeightExp (${k.axons} u8)`);
    r.pad('axonWeightExp');
    const synapses = r.u32s(k.synapses, `the synapses (${k.synapses} u32)`);
    return { axonStart, axonWeightExp, synapses };
  });
  r.done();
  return out;
}

type RouteArrays = Pick<CoreImage, 'routeStart' | 'routeCore' | 'routeAxon'>;

function readRoutes(r: SectionReader, counts: readonly CoreCounts[]): readonly RouteArrays[] {
  const out = counts.map((k, c): RouteArrays => {
    r.where = `core ${c}`;
    const routeStart = r.u32s(k.neuronCount + 1, `routeStart (${k.neuronCount + 1} u32)`);
    const routeCore = r.u16s(k.routes, `routeCore (${k.routes} u16)`);
    r.pad('routeCore');
    const routeAxon = r.u16s(k.routes, `routeAxon (${k.routes} u16)`);
    r.pad('routeAxon');
    return { routeStart, routeCore, routeAxon };
  });
  r.done();
  return out;
}

/** Typed access to untrusted JSON: every field checked, the first fault named by its path. */
function readSymbols(r: SectionReader): ImageSymbols {
  const json = r.json();
  const fail = (path: string, want: string, found: unknown): ImageError =>
    r.fail(`${path} must be ${want}, found ${JSON.stringify(found) ?? String(found)}`);
  const record = (x: unknown, path: string): Record<string, unknown> => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw fail(path, 'an object', x);
    return x as Record<string, unknown>;
  };
  const list = (x: unknown, path: string): readonly unknown[] => {
    if (!Array.isArray(x)) throw fail(path, 'an array', x);
    return x;
  };
  const str = (x: unknown, path: string): string => {
    if (typeof x !== 'string') throw fail(path, 'a string', x);
    return x;
  };
  const int = (x: unknown, path: string): number => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw fail(path, 'a non-negative integer', x);
    return x;
  };
  const top = record(json, 'the symbols');
  const populations = list(top.populations, 'populations').map((p, i): PopulationSymbol => {
    const at = `populations[${i}]`;
    const pop = record(p, at);
    const name = str(pop.name, `${at}.name`);
    const kind = pop.kind;
    if (kind !== 'neurons' && kind !== 'input') throw fail(`${at}.kind`, '"neurons" or "input"', kind);
    const pieces = list(pop.pieces, `${at}.pieces`).map((q, j): PopulationPiece => {
      const here = `${at}.pieces[${j}]`;
      const piece = record(q, here);
      return {
        core: int(piece.core, `${here}.core`),
        first: int(piece.first, `${here}.first`),
        count: int(piece.count, `${here}.count`),
        offset: int(piece.offset, `${here}.offset`),
      };
    });
    const base: PopulationSymbol = { name, kind, size: int(pop.size, `${at}.size`), line: int(pop.line, `${at}.line`), pieces };
    if (pop.rateHz === undefined) return base;
    if (typeof pop.rateHz !== 'number' || !Number.isFinite(pop.rateHz) || pop.rateHz < 0) throw fail(`${at}.rateHz`, 'a non-negative rate in Hz', pop.rateHz);
    return { ...base, rateHz: pop.rateHz };
  });
  const probes = list(top.probes, 'probes').map((x, i) => str(x, `probes[${i}]`));
  return { source: str(top.source, 'source'), populations, probes };
}

/**
 * Reads and checks a .chip file. `origin` names it in messages (usually its path).
 * Anything wrong, from a wrong magic to a synapse aimed past its core, raises an
 * ImageError that says what and where; nothing else is thrown.
 */
export function readImage(bytes: Uint8Array, origin: string): ChipImage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkHeader(bytes, view, origin);
  const spans = readDirectory(bytes, view, origin);
  const section = (name: SectionName): SectionReader => {
    const span = spans.get(name);
    if (span === undefined) throw new ImageError(origin, 'layout', `there is no ${name} section`);
    return new SectionReader(view, origin, name, span);
  };

  const profile = readProfile(section('PROF'), origin);
  const meta = section('META');
  const dtS = meta.f64('dtS');
  const coreTotal = meta.u32('the core count');
  meta.done();
  const counts = readCoreTable(section('CORE'), coreTotal);
  const groups = readGroups(section('NPAR'), counts);
  const synapses = readSynapses(section('SYNS'), counts);
  const routes = readRoutes(section('ROUT'), counts);
  const symbols = readSymbols(section('SYMB'));
  const lrng = spans.get('LRNG');
  const learning = lrng === undefined ? undefined : decodeLearning(bytes.subarray(lrng.offset, lrng.offset + lrng.length), (detail) => new ImageError(origin, 'layout', `section LRNG: ${detail}`));

  const cores = counts.map(
    (k, c): CoreImage => ({ slot: k.slot, neuronCount: k.neuronCount, groups: groups[c], ...synapses[c], ...routes[c] }),
  );
  const image: ChipImage = learning === undefined ? { profile, dtS, cores, symbols } : { profile, dtS, cores, symbols, learning };
  validateImage(image, origin);
  return image;
}

export { validateImage, checkImage } from './validate.js';
