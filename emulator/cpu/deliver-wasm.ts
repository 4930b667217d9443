// Delivery by source (fan-out.ts deliverSent) as a WebAssembly kernel over the
// chip memory. In JavaScript a synapse's add into its delay slot cost about 2 ns
// (two bounds-checked loads and a store), and a step of CUBA at 4,000 neurons
// and 1 ms spent a fifth of its time there (docs/performance-log.md item (ww)). The
// kernel walks the same tables the same way and adds the same wrapping sums,
// so the delay slots hold the same words, for routes with their synapse lists
// and for routes that are crossbar rows alike (fan-out.ts). It reads them from
// an arena at the end of the chip memory, where the engine places the fan-out
// tables, the sent lists and the rows of the step (placeDeliverArena; the
// threaded engine's workers make their own instance over the shared memory:
// deliverKernel).
import type { FanOut, FanOuts, RouteTables, SentSpikes } from './fan-out.js';
import { I32, ops, wasmModule, type Code } from '../wasm-binary.js';
import { wasmFunction } from '../wasm-emitter.js';

/**
 * Per core, the byte offsets of its tables in the arena, in this order (a core's directory entry): `synapses` is the
 * routes' synapse counts, or their crossbar rows (FanOuts.crossbar); `weights` the weight codes per route, or per slot.
 */
const DIRECTORY = ['slotStart', 'slotCore', 'routeStep', 'synapses', 'weights', 'targets', 'mantissas', 'routeStart'] as const;
type Table = (typeof DIRECTORY)[number];
/** A directory entry's bytes, a power of two: the entry's offset is the core shifted. */
const ENTRY_SHIFT = 5;
if (DIRECTORY.length * 4 > 1 << ENTRY_SHIFT) throw new Error('deliver-wasm.ts: a directory entry must fit 2^ENTRY_SHIFT bytes');

type Narrow = Uint8Array | Uint16Array;

/** What the kernel reads, where: byte offsets from the arena's start, and the chip's table widths. */
export interface DeliverPlan {
  readonly bytes: number;
  readonly cores: number;
  readonly directory: number;
  readonly delay: number;
  readonly palette: number;
  readonly rows: number;
  /** Per sent list: its cores' and its slots' offsets. */
  readonly sent: Int32Array;
  /** Per core and table (DIRECTORY order): its offset. */
  readonly tables: Int32Array;
  /** Bytes of an element of the routes' steps, counts and weight codes, and of the targets. */
  readonly stepBytes: number;
  readonly countBytes: number;
  readonly weightBytes: number;
  readonly targetBytes: number;
  readonly weightPerSlot: boolean;
  readonly weightMark: number;
  /** Whether the routes are crossbar rows (countBytes is then a row's byte). */
  readonly crossbar: boolean;
  readonly slots: number;
}

/** The tables of a fan-out the kernel reads, in DIRECTORY order: routeStart is the route table's. */
function coreTables(out: FanOut, routeStart: Uint32Array, fan: FanOuts): readonly (Uint32Array | Uint16Array | Uint8Array | Int8Array)[] {
  return [out.slotStart, out.slotCore, out.routeStep, fan.crossbar ? out.routeRow : out.routeSynapses, fan.weightPerSlot ? out.slotWeight : out.routeWeight, out.targets, out.mantissas, routeStart];
}

const align4 = (bytes: number): number => Math.ceil(bytes / 4) * 4;

/** Where everything goes in the arena, for `fan` and `routes` and `lists` sent lists of `slots` spikes each. */
export function deliverPlan(fan: FanOuts, routes: RouteTables, slots: number, lists = 1): DeliverPlan {
  const cores = fan.cores.length;
  const directory = 0;
  let at = align4(cores << ENTRY_SHIFT);
  const take = (bytes: number): number => {
    const start = at;
    at += align4(bytes);
    return start;
  };
  const delay = take(4 * cores);
  const palette = take(fan.palette.byteLength);
  const rows = take(4 * cores);
  const sent = Int32Array.from({ length: 2 * lists }, (_, k) => take((k % 2 === 0 ? 2 : 4) * slots));
  const tables = new Int32Array(cores * DIRECTORY.length);
  fan.cores.forEach((out, c) => {
    coreTables(out, routes.routeStart[c], fan).forEach((table, k) => {
      tables[c * DIRECTORY.length + k] = take(table.byteLength);
    });
  });
  const first = fan.cores[0];
  return {
    bytes: at,
    cores,
    directory,
    delay,
    palette,
    rows,
    sent,
    tables,
    stepBytes: first.routeStep.BYTES_PER_ELEMENT,
    countBytes: (fan.crossbar ? first.routeRow : first.routeSynapses).BYTES_PER_ELEMENT,
    weightBytes: (fan.weightPerSlot ? first.slotWeight : first.routeWeight).BYTES_PER_ELEMENT,
    targetBytes: first.targets.BYTES_PER_ELEMENT,
    weightPerSlot: fan.weightPerSlot,
    weightMark: fan.weightMark,
    crossbar: fan.crossbar,
    slots,
  };
}

/** A copy of `a` at byte `offset` of `buffer`: the same type and length. */
function placed<A extends Uint32Array | Uint16Array | Uint8Array | Int8Array | Int32Array>(a: A, buffer: ArrayBufferLike, offset: number): A {
  const make = a.constructor as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => A;
  const view = new make(buffer, offset, a.length);
  view.set(a);
  return view;
}

/** The kernel over a chip memory, and the rows it reads there. */
export interface DeliverKernel {
  /** Delivers sent[0..count) into the delay slots of cores [from, to), each at its row (rows[c], as deliverSent finds it); `sent` must lie in the memory (reads()). */
  readonly run: (sent: SentSpikes, count: number, from: number, to: number) => void;
  /** Whether `sent` lies in the kernel's memory (a sent list of the arena). */
  readonly reads: (sent: SentSpikes) => boolean;
  readonly rows: Int32Array;
}

/** The kernel over `memory`, whose arena at `start` holds what `plan` places (placeDeliverArena, on this thread or another). */
export function deliverKernel(plan: DeliverPlan, memory: WebAssembly.Memory, start: number, accum: Int32Array, accumInh: Int32Array): DeliverKernel {
  const buffer = memory.buffer;
  const module = new WebAssembly.Module(deliverModule(plan, start, accum.byteOffset, accumInh.byteOffset, buffer instanceof SharedArrayBuffer));
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const deliver = instance.exports.deliver as (count: number, from: number, to: number, sentCore: number, sentSlot: number) => void;
  // The sent lists found in the memory, with their arrays' byte offsets, the latest first: a view's buffer and
  // byteOffset are getters that took 20-37 and 13 ns each here, on every step, and an engine hands the kernel one of
  // its two sent lists (by step parity), the same objects throughout.
  let sent0: SentSpikes | undefined;
  let core0 = 0;
  let slot0 = 0;
  let sent1: SentSpikes | undefined;
  let core1 = 0;
  let slot1 = 0;
  const found = (sent: SentSpikes): boolean => {
    if (sent === sent0 || sent === sent1) return true;
    if (sent.core.buffer !== buffer || sent.slot.buffer !== buffer) return false;
    sent1 = sent0;
    core1 = core0;
    slot1 = slot0;
    sent0 = sent;
    core0 = sent.core.byteOffset;
    slot0 = sent.slot.byteOffset;
    return true;
  };
  return {
    run: (sent, count, from, to) => {
      if (!found(sent)) throw new RangeError('deliver-wasm.ts: the sent list does not lie in the kernel\'s memory');
      if (sent === sent0) deliver(count, from, to, core0, slot0);
      else deliver(count, from, to, core1, slot1);
    },
    reads: found,
    rows: new Int32Array(buffer, start + plan.rows, plan.cores),
  };
}

/** The arena as placed: the tables and sent lists as views into the chip memory, the kernel, and the arena's bytes that memory.ts counts as nothing else. */
export interface PlacedArena {
  readonly fan: FanOuts;
  readonly routes: RouteTables;
  readonly sentLists: readonly SentSpikes[];
  readonly kernel: DeliverKernel;
  /** The chip memory's bytes from the arena's start that hold none of the tables or the (first) sent list memory.ts counts: directory, rows, alignment, the last page's rest, more sent lists. */
  readonly overheadBytes: number;
  readonly plan: DeliverPlan;
}

/**
 * Copies `fan`'s and `routes`' tables into `memory` from byte `start` as
 * `plan` places them, and gives back the fan-out and route tables and the sent
 * lists as views there (the engine reads only those from then on), with the
 * kernel. `accum` and `accumInh` are the chip's delay slots, in the same memory.
 */
export function placeDeliverArena(
  plan: DeliverPlan,
  fan: FanOuts,
  routes: RouteTables,
  memory: WebAssembly.Memory,
  start: number,
  accum: Int32Array,
  accumInh: Int32Array,
): PlacedArena {
  const buffer = memory.buffer;
  if (start % 4 !== 0 || start + plan.bytes > buffer.byteLength) throw new RangeError('deliver-wasm.ts: the arena does not fit the chip memory');
  const directory = new Int32Array(buffer, start + plan.directory, plan.cores * (1 << (ENTRY_SHIFT - 2)));
  const routeStart: Uint32Array[] = [];
  const cores = fan.cores.map((out, c): FanOut => {
    const at = (k: number): number => start + plan.tables[c * DIRECTORY.length + k];
    const views = coreTables(out, routes.routeStart[c], fan).map((table, k) => {
      directory[(c << (ENTRY_SHIFT - 2)) + k] = at(k);
      return placed(table, buffer, at(k));
    });
    const index = (name: Table): number => DIRECTORY.indexOf(name);
    const weights = views[index('weights')] as Narrow;
    const synapses = views[index('synapses')] as Narrow;
    routeStart.push(views[index('routeStart')] as Uint32Array);
    return {
      slotStart: views[index('slotStart')] as Uint32Array,
      slotCore: views[index('slotCore')] as Uint16Array,
      routeStep: views[index('routeStep')] as Narrow,
      routeSynapses: fan.crossbar ? out.routeSynapses : synapses,
      routeRow: fan.crossbar ? (synapses as Uint8Array) : out.routeRow,
      routeWeight: fan.weightPerSlot ? out.routeWeight : weights,
      slotWeight: fan.weightPerSlot ? weights : out.slotWeight,
      targets: views[index('targets')] as Narrow,
      mantissas: views[index('mantissas')] as Int8Array,
      inboxRoutes: out.inboxRoutes,
    };
  });
  const placedFan: FanOuts = { ...fan, cores, delay: placed(fan.delay, buffer, start + plan.delay), palette: placed(fan.palette, buffer, start + plan.palette) };
  const sentLists = Array.from({ length: plan.sent.length / 2 }, (_, k): SentSpikes => ({
    core: new Uint16Array(buffer, start + plan.sent[2 * k], plan.slots),
    slot: new Uint32Array(buffer, start + plan.sent[2 * k + 1], plan.slots),
  }));
  // What memory.ts counts of the arena as tables (fan-out, routes, delay, palette) and as the sent list (one): the rest is the arena's own.
  let countedBytes = placedFan.delay.byteLength + placedFan.palette.byteLength + sentLists[0].core.byteLength + sentLists[0].slot.byteLength;
  cores.forEach((out, c) => {
    countedBytes += coreTables(out, routeStart[c], fan).reduce((sum, table) => sum + table.byteLength, 0);
  });
  const overheadBytes = buffer.byteLength - start - countedBytes;
  return { fan: placedFan, routes: { routeStart, routeAxon: routes.routeAxon }, sentLists, kernel: deliverKernel(plan, memory, start, accum, accumInh), overheadBytes, plan };
}

const PARAMS = { count: I32, from: I32, to: I32, sentCore: I32, sentSlot: I32 } as const;
const LOCALS = {
  k: I32, c: I32, i: I32, entry: I32, r: I32, end: I32, f: I32, d: I32, code: I32, steps: I32, counts: I32, weights: I32, targets: I32, mantissas: I32,
  last: I32, row: I32, w: I32, current: I32, p: I32, m: I32,
} as const;
type Local = keyof typeof PARAMS | keyof typeof LOCALS;

/** An unsigned narrow load of `bytes` bytes. */
const loadNarrow = (bytes: number): Code => (bytes === 1 ? ops.i32Load8U(0) : ops.i32Load16U(0));

/** The kernel's module: deliverSent's loop (or, for crossbar rows, deliverRows'), with the plan's offsets (from the arena at `start`) and widths compiled in. */
export function deliverModule(plan: DeliverPlan, start: number, accum: number, accumInh: number, shared: boolean): Uint8Array {
  const A = (offset: number): number => start + offset;
  const deliver = wasmFunction<keyof typeof PARAMS, keyof typeof LOCALS>('deliver', PARAMS, LOCALS, [], (w) => {
    /** The address of element `index` of a table of `bytes`-byte elements at `base` (locals). */
    const address = (base: Local, index: Local, bytes: number): Code => [...w.get(base), ...w.get(index), ...(bytes === 1 ? [] : [...ops.i32Const(Math.log2(bytes)), ...ops.i32Shl]), ...ops.i32Add];
    /** A directory entry's table offset into a local. */
    const table = (name: Table, into: Local): void => w.set(into, [...w.get('entry'), ...ops.i32Load(4 * DIRECTORY.indexOf(name))]);
    // The synapse at f of a route: its slot in the row, and the address of its delay-slot word in `into` (a local or a constant).
    const slotAddress = (into: Code): Code => [
      ...into,
      ...w.get('row'), ...address('targets', 'f', plan.targetBytes), ...loadNarrow(plan.targetBytes), ...ops.i32Add,
      ...ops.i32Const(2), ...ops.i32Shl, ...ops.i32Add,
    ];
    // accum where the weight is >= 0, else accumInh (isa/fixed.ts: the sign picks the current).
    const currentOf = (weight: Local): Code => [...ops.i32Const(accum), ...ops.i32Const(accumInh), ...w.get(weight), ...ops.i32Const(0), ...ops.i32GeS, ...ops.select];
    // The word at `address` plus the weight.
    const addInto = (address: Code, weight: Local): Code => [...w.tee('p', address), ...w.get('p'), ...ops.i32Load(0), ...w.get(weight), ...ops.i32Add, ...ops.i32Store(0)];
    // d = (d + step) mod 2^16
    const step = (): void => w.set('d', [...w.get('d'), ...address('steps', 'r', plan.stepBytes), ...loadNarrow(plan.stepBytes), ...ops.i32Add, ...ops.i32Const(0xffff), ...ops.i32And]);
    // The route's weight code, where weights are per route (per slot, the spike read it).
    const routeCode = (): void => {
      if (!plan.weightPerSlot) w.set('code', [...address('weights', 'r', plan.weightBytes), ...loadNarrow(plan.weightBytes)]);
    };
    const route = (): void => {
      step();
      // A core that keeps an inbox has no synapses here.
      w.if([...w.get('d'), ...ops.i32Const(2), ...ops.i32Shl, ...ops.i32Load(A(plan.delay))], () => {
        w.set('last', [...w.get('f'), ...address('counts', 'r', plan.countBytes), ...loadNarrow(plan.countBytes), ...ops.i32Add]);
        w.if(
          [...w.get('d'), ...w.get('from'), ...ops.i32LtS, ...w.get('d'), ...w.get('to'), ...ops.i32GeS, ...ops.i32Or],
          () => w.set('f', w.get('last')),
          () => {
            w.set('row', [...w.get('d'), ...ops.i32Const(2), ...ops.i32Shl, ...ops.i32Load(A(plan.rows))]);
            routeCode();
            w.if(
              [...w.get('code'), ...ops.i32Const(plan.weightMark), ...ops.i32LtS],
              () => {
                // One weight, from the palette: its current once per route.
                w.set('w', [...w.get('code'), ...ops.i32Const(2), ...ops.i32Shl, ...ops.i32Load(A(plan.palette))]);
                w.set('current', currentOf('w'));
                w.upTo('f', w.get('f'), w.get('last'), () => w.emit(addInto(slotAddress(w.get('current')), 'w')));
              },
              () => {
                // Per-synapse mantissas, shifted by the axon's exponent (code - mark).
                w.upTo('f', w.get('f'), w.get('last'), () => {
                  w.set('w', [...w.get('mantissas'), ...w.get('f'), ...ops.i32Add, ...ops.i32Load8S(0), ...w.get('code'), ...ops.i32Const(plan.weightMark), ...ops.i32Sub, ...ops.i32Shl]);
                  w.emit(addInto(slotAddress(currentOf('w')), 'w'));
                });
              },
            );
          },
        );
      });
    };
    // A crossbar row (deliverRows): a bit a target slot, lowest first; a route to an inbox has no bits.
    const row = (): void => {
      step();
      w.if([...w.get('d'), ...w.get('from'), ...ops.i32GeS, ...w.get('d'), ...w.get('to'), ...ops.i32LtS, ...ops.i32And], () => {
        w.set('row', [...w.get('d'), ...ops.i32Const(2), ...ops.i32Shl, ...ops.i32Load(A(plan.rows))]);
        routeCode();
        w.set('w', [...w.get('code'), ...ops.i32Const(2), ...ops.i32Shl, ...ops.i32Load(A(plan.palette))]);
        w.set('current', currentOf('w'));
        w.set('m', [...address('counts', 'r', 1), ...ops.i32Load8U(0)]);
        w.while(w.get('m'), () => {
          w.emit(addInto([...w.get('current'), ...w.get('row'), ...w.get('m'), ...ops.i32Ctz, ...ops.i32Add, ...ops.i32Const(2), ...ops.i32Shl, ...ops.i32Add], 'w'));
          w.set('m', [...w.get('m'), ...w.get('m'), ...ops.i32Const(1), ...ops.i32Sub, ...ops.i32And]);
        });
      });
    };
    w.upTo('k', ops.i32Const(0), w.get('count'), () => {
      w.set('c', [...address('sentCore', 'k', 2), ...ops.i32Load16U(0)]);
      w.set('i', [...address('sentSlot', 'k', 4), ...ops.i32Load(0)]);
      w.set('entry', [...w.get('c'), ...ops.i32Const(ENTRY_SHIFT), ...ops.i32Shl, ...ops.i32Const(A(plan.directory)), ...ops.i32Add]);
      table('routeStart', 'p');
      w.set('p', address('p', 'i', 4));
      w.set('r', [...w.get('p'), ...ops.i32Load(0)]);
      w.set('end', [...w.get('p'), ...ops.i32Load(4)]);
      table('slotStart', 'p');
      w.set('f', [...address('p', 'i', 4), ...ops.i32Load(0)]);
      table('slotCore', 'p');
      w.set('d', [...address('p', 'i', 2), ...ops.i32Load16U(0)]);
      table('routeStep', 'steps');
      table('synapses', 'counts');
      table('weights', 'weights');
      table('targets', 'targets');
      table('mantissas', 'mantissas');
      if (plan.weightPerSlot) w.set('code', [...address('weights', 'i', plan.weightBytes), ...loadNarrow(plan.weightBytes)]);
      w.upTo('r', w.get('r'), w.get('end'), plan.crossbar ? row : route);
    });
  });
  return wasmModule(shared, [deliver], []);
}
