// The part of the WebAssembly binary format (core specification 2.0, chapter 5,
// with the fixed-width SIMD instructions) that the CPU backend's kernels need:
// one imported linear memory, functions over i32, i64, f64 and v128 values, and
// exported i32 globals. Kernels are written as instruction lists with these
// helpers and assembled at load, so the project ships no compiled binary and
// needs no assembler.

export type Code = readonly number[];

/** Value types (spec 5.3.1). */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof F64 | typeof V128;

/** Unsigned LEB128 (spec 5.2.2). */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let n = value >>> 0;
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let n = value | 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vector = (items: readonly Code[]): number[] => [...uleb(items.length), ...items.flat()];
const name = (text: string): number[] => vector([...Buffer.from(text, 'utf8')].map((b) => [b]));
const section = (id: number, body: Code): number[] => [id, ...uleb(body.length), ...body];

/** Control and scalar instructions (spec 5.4). Blocks here take no values (block type 0x40). */
export const ops = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number): Code => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Code => [0x0d, ...uleb(depth)],
  localGet: (i: number): Code => [0x20, ...uleb(i)],
  localSet: (i: number): Code => [0x21, ...uleb(i)],
  localTee: (i: number): Code => [0x22, ...uleb(i)],
  globalGet: (i: number): Code => [0x23, ...uleb(i)],
  globalSet: (i: number): Code => [0x24, ...uleb(i)],
  /** i32.load and i32.store at address + offset, 4-byte alignment. */
  i32Load: (offset: number): Code => [0x28, 2, ...uleb(offset)],
  i32Store: (offset: number): Code => [0x36, 2, ...uleb(offset)],
  /** Narrow loads into an i32 at address + offset: a byte signed or unsigned, 16 bits unsigned (2-byte alignment hint). */
  i32Load8S: (offset: number): Code => [0x2c, 0, ...uleb(offset)],
  i32Load8U: (offset: number): Code => [0x2d, 0, ...uleb(offset)],
  i32Load16U: (offset: number): Code => [0x2f, 1, ...uleb(offset)],
  /** select: the first of two values when the i32 on top is nonzero, else the second. */
  select: [0x1b],
  i32Const: (n: number): Code => [0x41, ...sleb(n)],
  i32Eqz: [0x45],
  i32Eq: [0x46],
  i32Ne: [0x47],
  i32LeS: [0x4c],
  /** i64.load and i64.store at address + offset, 8-byte alignment. */
  i64Load: (offset: number): Code => [0x29, 3, ...uleb(offset)],
  i64Store: (offset: number): Code => [0x37, 3, ...uleb(offset)],
  i64LtS: [0x53],
  i64Or: [0x84],
  i64Shl: [0x86],
  /** i64.const of a 32-bit integer (sleb's range). */
  i64Const: (n: number): Code => [0x42, ...sleb(n)],
  /** i64.extend_i32_s and _u: an i32 widened, by its sign or with zeros. */
  i64FromI32: [0xac],
  i64FromU32: [0xad],
  /** f64.load and f64.store at address + offset, 8-byte alignment. */
  f64Load: (offset: number): Code => [0x2b, 3, ...uleb(offset)],
  f64Store: (offset: number): Code => [0x39, 3, ...uleb(offset)],
  f64Add: [0xa0],
  f64Sub: [0xa1],
  /** f64.eq: an i32 0 or 1 (0 where either operand is NaN). */
  f64Eq: [0x61],
  /** i32.trunc_sat_f64_s: a double toward zero, saturating at i32's range (NaN: 0), never trapping. */
  i32TruncSatF64S: [0xfc, 0x02],
  /** f64.convert_i32_s: a signed i32 as a double. */
  f64FromI32: [0xb7],
  /** f64.const, little-endian IEEE 754. */
  f64Const: (x: number): Code => [0x44, ...new Uint8Array(Float64Array.of(x).buffer)],
  call: (index: number): Code => [0x10, ...uleb(index)],
  unreachable: [0x00],
  return: [0x0f],
  /** memory.size and memory.grow, in 64 KiB pages (grow gives back the old size, or -1). */
  memorySize: [0x3f, 0x00],
  memoryGrow: [0x40, 0x00],
  /** memory.copy (destination, source, bytes; overlapping ranges allowed) and memory.fill (destination, byte, bytes): bulk memory, in 2.0. */
  memoryCopy: [0xfc, ...uleb(10), 0x00, 0x00],
  memoryFill: [0xfc, ...uleb(11), 0x00],
  /** i32.ctz: the trailing zero bits' count. */
  i32Ctz: [0x68],
  i32LtS: [0x48],
  i32GtS: [0x4a],
  i32GeS: [0x4e],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32RemU: [0x70],
  i32And: [0x71],
  i32Or: [0x72],
  i32Shl: [0x74],
  i32ShrU: [0x76],
} as const;

/** A SIMD instruction: the 0xfd prefix and its opcode (SIMD proposal's binary encoding, as standardised in 2.0). */
const simd = (opcode: number, ...immediates: number[]): Code => [0xfd, ...uleb(opcode), ...immediates];

/** v128.const with four 32-bit lanes, each little-endian. */
function i32x4Lanes(lanes: readonly [number, number, number, number]): Code {
  return simd(0x0c, ...lanes.flatMap((value) => [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff]));
}

/** The v128 and i32x4 instructions the kernels use (opcodes of the 2.0 specification's SIMD instruction table). */
export const simdOps = {
  /** v128.load / v128.store at address + offset (a constant: the array's byte offset in the memory), alignment hint 1 byte (a state slice need not start on 16 bytes). */
  load: (offset: number): Code => simd(0x00, 0, ...uleb(offset)),
  store: (offset: number): Code => simd(0x0b, 0, ...uleb(offset)),
  /** v128.store32_lane: lane `lane` (an immediate) alone, at address + offset (the lane's own place is the caller's to add). */
  storeLane: (offset: number, lane: number): Code => simd(0x5a, 0, ...uleb(offset), lane),
  /** v128.const with the same 32-bit value in the four lanes. */
  i32x4: (value: number): Code => i32x4Lanes([value, value, value, value]),
  i32x4Lanes,
  splat: simd(0x11),
  extractLane: (lane: number): Code => simd(0x1b, lane),
  eq: simd(0x37),
  ltS: simd(0x39),
  gtS: simd(0x3b),
  and: simd(0x4e),
  andNot: simd(0x4f),
  or: simd(0x50),
  bitselect: simd(0x52),
  bitmask: simd(0xa4),
  shrS: simd(0xac),
  shrU: simd(0xad),
  add: simd(0xae),
  sub: simd(0xb1),
  /** i32x4.mul: the low 32 bits of each lane's product. */
  mul: simd(0xb5),
  /** i32x4.dot_i16x8_s: per 32-bit lane, the sum of the products of its two signed 16-bit halves. */
  dotI16: simd(0xba),
  minS: simd(0xb6),
  maxS: simd(0xb8),
} as const;

export interface WasmFunction {
  readonly name: string;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  /** Locals after the parameters, in runs of one type. */
  readonly locals: readonly (readonly [count: number, type: ValType])[];
  readonly body: Code;
}

/**
 * A module importing `env.memory` (shared or not; any size) and exporting the
 * functions and the mutable i32 globals named, the globals starting at 0.
 */
export function wasmModule(shared: boolean, functions: readonly WasmFunction[], globals: readonly string[]): Uint8Array {
  // Limits (spec 5.3.4): a shared memory must declare a maximum; 65,536 pages accepts any.
  const limits = shared ? [0x03, ...uleb(0), ...uleb(65536)] : [0x00, ...uleb(0)];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector(f.results.map((t) => [t]))]))),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(6, vector(globals.map(() => [I32, 0x01, ...ops.i32Const(0), ...ops.end]))),
    ...section(
      7,
      vector([
        ...functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
        ...globals.map((g, i) => [...name(g), 0x03, ...uleb(i)]),
      ]),
    ),
    ...section(
      10,
      vector(
        functions.map((f) => {
          const code = [...vector(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, ...ops.end];
          return [...uleb(code.length), ...code];
        }),
      ),
    ),
  ];
  return Uint8Array.from(bytes);
}
