// The mesh NoC's route() (noc.ts MeshNoc, whose header states the algorithm) as
// a WebAssembly module. In V8 the NoC was half of a step of CUBA at 4,000
// neurons and 1 ms, 18-24 ns a packet in each of its three parts
// (docs/performance-log.md); the same move made delivery about 3x faster. The
// module walks noc.ts's passes in the same order over the same data, with every
// time an i32 (whole cycles below 2^31, as noc.ts's header requires) and every
// running sum a double, so its arrivals, order, deliveries and totals are
// MeshNoc's to the bit (test/emulator/noc.test.ts runs every timing test on
// both; noc-wasm.test.ts tests what is this file's own).
//
// Its memory is its own and holds, in order: the fixed tables of the mesh (per
// core, link and chain), the batch's per-packet arrays (grown to a batch and an
// eighth more, packetRoom), the arrays one link or one chain works in (grown to
// the most packets any chain or input port is sent in a batch, which the first
// pass counts), and last the column slots, which the module grows itself while
// it serves a column (memory.grow).
import { chipGrid, type ChipProfile } from '../isa/profile.js';
import { packetRoom } from './logs.js';
import { COLUMN_SLOTS_MIN, EAST, MeshNoc, MIN_BUFFER, NORTH, notWhole, SOUTH, WEST, type PacketArrays, type PacketBatch } from './noc.js';
import { I64, ops, wasmModule, type Code } from './wasm-binary.js';
import {
  add,
  addF,
  addToF,
  and,
  at2,
  at4,
  at8,
  copy,
  eq,
  F64,
  fill,
  ge,
  gt,
  i,
  I32,
  le,
  load,
  load16,
  loadF,
  lt,
  mul,
  ne,
  or,
  select,
  shl,
  store,
  storeF,
  sub,
  subF,
  toF,
  wasmFunction,
  type Emitter,
} from './wasm-emitter.js';

const PAGE = 65536;

/** route()'s defaults: no deliveries to schedule. */
const NO_WORK = new Int32Array(0);
const NO_TIMES = new Float64Array(0);

/** The batch's sums the module leaves in memory, doubles in this order (`left`: serveColumn's running sum of its leavers' slots). */
const RESULTS = ['wait', 'left', 'hopsEastWest', 'hopsNorthSouth', 'hopsChipToChip', 'latencySum', 'latencyMax'] as const;
type Result = (typeof RESULTS)[number];
const R = Object.fromEntries(RESULTS.map((name, k) => [name, k])) as Record<Result, number>;

/** The module's globals, in this order: the byte offsets of the arrays that move when the buffers grow, the slots' length and the batch's slotBase (noc.ts). */
const MOVABLE = [
  'src', 'dst', 'work', 'request', 'arrival', 'order',
  'sortKey', 'mergeKey', 'runStart',
  'streamTime', 'streamPacket', 'streamExit', 'nextTime', 'nextPacket', 'nextExit',
  'chainTime', 'chainPacket', 'chainNext', 'queue',
  'slot', 'slotLength', 'slotBase',
] as const;
type Movable = (typeof MOVABLE)[number];
const G = Object.fromEntries(MOVABLE.map((n, k) => [n, k])) as Record<Movable, number>;
const g = (n: Movable): Code => ops.globalGet(G[n]);
const gSet = (n: Movable, value: Code): Code => [...value, ...ops.globalSet(G[n])];

/** The per-packet arrays: bytes a packet of capacity (src, dst: u16; work, arrival, order: i32; request: two i32). */
const PACKET_ARRAYS: readonly (readonly [Movable, number])[] = [['src', 2], ['dst', 2], ['work', 4], ['request', 8], ['arrival', 4], ['order', 4]];
/**
 * The arrays one link or chain works in, in three groups sized apart: a link's requests (i64 keys, gather's,
 * and runStart, i32 and one more), a row's stream (and a column's, where columns are served as streams), a
 * column's packets (i32 each).
 */
const LINK_ARRAYS = {
  sort: ['sortKey', 'mergeKey', 'runStart'],
  stream: ['streamTime', 'streamPacket', 'streamExit', 'nextTime', 'nextPacket', 'nextExit'],
  chain: ['chainTime', 'chainPacket', 'chainNext', 'queue'],
} as const satisfies Record<string, readonly Movable[]>;
type LinkGroup = keyof typeof LINK_ARRAYS;
type LinkCapacities = Readonly<Record<LinkGroup, number>>;

/** Byte offsets of the fixed tables. */
interface Fixed {
  readonly results: number;
  readonly load: number;
  readonly loadDiff: number;
  readonly coreX: number;
  readonly coreY: number;
  readonly chipX: number;
  readonly chipY: number;
  readonly ready: number;
  readonly free: number;
  readonly portFree: number;
  readonly inCount: number;
  readonly head: number;
  readonly tail: number;
  readonly cum: number;
  readonly chainFirst: number;
  readonly chainStride: number;
  readonly chainLength: number;
  readonly pending: number;
  readonly joins: number;
  readonly exitHead: number;
  readonly exitTail: number;
  /** What the first pass counted: the most packets a row, a column and an input port get (i32 x 3). */
  readonly needs: number;
  /** The batch's ready cycles and the cores' free times as route() takes them, doubles per core, which load() checks and converts into ready and free. */
  readonly readyIn: number;
  readonly freeIn: number;
  readonly bytes: number;
}

/** What the module is compiled for: the mesh's sizes and the fixed tables' places. */
interface Mesh {
  readonly width: number;
  readonly height: number;
  readonly cores: number;
  readonly tileLinks: number;
  readonly perDirection: number;
  readonly inLatency: number;
  readonly maxCum: number;
  readonly fixed: Fixed;
}

function fixedLayout(cores: number, links: number, tileLinks: number, perDirection: number): Fixed {
  let at = 0;
  const take = (bytes: number): number => {
    const start = at;
    at += Math.ceil(bytes / 8) * 8;
    return start;
  };
  const chains = 4 * perDirection;
  return {
    results: take(8 * RESULTS.length),
    load: take(8 * links),
    loadDiff: take(8 * tileLinks),
    coreX: take(4 * cores),
    coreY: take(4 * cores),
    chipX: take(4 * cores),
    chipY: take(4 * cores),
    ready: take(4 * cores),
    free: take(4 * cores),
    portFree: take(4 * cores),
    inCount: take(4 * cores),
    head: take(4 * links),
    tail: take(4 * links),
    cum: take(4 * tileLinks),
    chainFirst: take(4 * chains),
    chainStride: take(4 * chains),
    chainLength: take(4 * chains),
    pending: take(4 * chains),
    joins: take(4 * chains),
    exitHead: take(4 * perDirection),
    exitTail: take(4 * perDirection),
    needs: take(4 * 3),
    readyIn: take(8 * cores),
    freeIn: take(8 * cores),
    // Last, so that every table above has been taken (an object literal's values are evaluated in order).
    bytes: at,
  };
}

const result = (fixed: Fixed, name: Result): Code => i(fixed.results + 8 * R[name]);
/** `a < b ? b : a`, over two locals' reads. */
const max = (a: Code, b: Code): Code => select(b, a, lt(a, b));
/**
 * Core c's double in the per-core table at `from` (readyIn, freeIn) into the local x, and its saturating conversion to
 * i32 into t: load() for every core, first() for a batch's cores.
 */
const convertCore = (w: Emitter<'x' | 't'>, from: number, c: Code): void => {
  w.set('x', loadF(at8(i(from), c)));
  w.set('t', [...w.get('x'), ...ops.i32TruncSatF64S]);
};
/** Whether x is the whole number t, its conversion (convertCore): a whole number in [-2^31, 2^31), as a free time must be. */
const whole = (w: Emitter<'x' | 't'>): Code => [...w.get('t'), ...ops.f64FromI32, ...w.get('x'), ...ops.f64Eq];
/** Whether x is also not negative, as a ready cycle must be. */
const wholeReady = (w: Emitter<'x' | 't'>): Code => and(whole(w), ge(w.get('t'), i(0)));

/** The module's functions, in call-index order. */
const FUNCTIONS = ['first', 'rest', 'serveRow', 'serveColumn', 'gather', 'mergeRuns', 'leaveAt', 'growSlots', 'load'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

function nocModule(mesh: Mesh): Uint8Array {
  const { width, height, cores, tileLinks, perDirection, fixed: F } = mesh;
  const inPort = (d: Code): Code => add(i(tileLinks + 1), shl(d, i(1)));
  /** The link leaving the tile at row y, column x in direction dir (four a tile). */
  const tileLink = (y: Code, x: Code, dir: Code): Code => add(shl(add(mul(y, i(width)), x), i(2)), dir);
  const call = (name: FunctionName, ...args: Code[]): Code => [...args.flat(), ...ops.call(FUNCTIONS.indexOf(name))];
  /** Sorted request `index` of a link (gather's keys at `keys`): its time is the key's high half and its packet the low, little-endian. */
  const keyTime = (keys: Code, index: Code): Code => [...at8(keys, index), ...ops.i32Load(4)];
  const keyPacket = (keys: Code, index: Code): Code => [...at8(keys, index), ...ops.i32Load(0)];
  /** Appends packet p's request for `link` at `time` to the link's list. */
  const push = (w: Pick<Emitter<string>, 'emit' | 'if'>, link: Code, time: Code, p: Code): void => {
    w.emit(store(at8(g('request'), p), time), store(add(at8(g('request'), p), i(4)), i(-1)));
    w.if(
      lt(load(at4(i(F.head), link)), i(0)),
      () => w.emit(store(at4(i(F.head), link), p)),
      () => w.emit(store(add(at8(g('request'), load(at4(i(F.tail), link))), i(4)), p)),
    );
    w.emit(store(at4(i(F.tail), link), p));
  };

  // first(n, flags): the first pass over the batch (noc.ts route's), then the most packets a row, a column and an input
  // port get (Fixed.needs); -1 where a source's ready time is not whole, -2 - d where target d's free time is not. With
  // bit 2 of flags it converts the packets' sources' ready cycles and (bit 1) their targets' free times itself, as load()
  // does every core's: where a step has fewer packets than the chip has cores (CUBA 40,000 at 0.1 ms: about 4,300 packets
  // over 8,000 cores), those per-core passes were most of what the conversion cost.
  const first = wasmFunction(
    'first',
    { n: I32, flags: I32 },
    {
      p: I32, s: I32, d: I32, r: I32, xs: I32, ys: I32, xd: I32, yd: I32, cx: I32, cy: I32, free: I32, enter: I32, link: I32, dir: I32, earliest: I32, need: I32, k: I32,
      t: I32, x: F64, ew: F64, ns: F64, chip: F64, wait: F64,
    },
    [I32],
    (w) => {
      const abs = (v: Code): Code => select(sub(i(0), v), v, lt(v, i(0)));
      w.set('earliest', i(0x7fffffff));
      // A batch with a source not ready at a whole cycle is refused before anything changes (the lists would keep its requests).
      w.if(
        and(w.get('flags'), i(4)),
        () =>
          w.upTo('p', i(0), w.get('n'), () => {
            w.set('s', load16(at2(g('src'), w.get('p'))));
            convertCore(w, F.readyIn, w.get('s'));
            w.if([...wholeReady(w), ...ops.i32Eqz], () => w.return(i(-1)));
            w.emit(store(at4(i(F.ready), w.get('s')), w.get('t')));
            w.if(and(w.get('flags'), i(2)), () => {
              w.set('d', load16(at2(g('dst'), w.get('p'))));
              convertCore(w, F.freeIn, w.get('d'));
              w.if([...whole(w), ...ops.i32Eqz], () => w.return(sub(i(-2), w.get('d'))));
              w.emit(store(at4(i(F.free), w.get('d')), w.get('t')));
            });
          }),
        () => w.upTo('p', i(0), w.get('n'), () => w.if(lt(load(at4(i(F.ready), load16(at2(g('src'), w.get('p'))))), i(0)), () => w.return(i(-1)))),
      );
      w.emit(fill(i(F.portFree), i(0), i(4 * cores)));
      w.upTo('p', i(0), w.get('n'), () => {
        w.set('s', load16(at2(g('src'), w.get('p'))));
        w.set('d', load16(at2(g('dst'), w.get('p'))));
        w.set('r', load(at4(i(F.ready), w.get('s'))));
        w.if(lt(w.get('r'), w.get('earliest')), () => w.set('earliest', w.get('r')));
        w.set('xs', load(at4(i(F.coreX), w.get('s'))));
        w.set('ys', load(at4(i(F.coreY), w.get('s'))));
        w.set('xd', load(at4(i(F.coreX), w.get('d'))));
        w.set('yd', load(at4(i(F.coreY), w.get('d'))));
        w.set('cx', sub(load(at4(i(F.chipX), w.get('s'))), load(at4(i(F.chipX), w.get('d')))));
        w.set('cx', abs(w.get('cx')));
        w.set('cy', sub(load(at4(i(F.chipY), w.get('s'))), load(at4(i(F.chipY), w.get('d')))));
        w.set('cy', abs(w.get('cy')));
        w.set('ew', addF(w.get('ew'), toF(sub(abs(sub(w.get('xd'), w.get('xs'))), w.get('cx')))));
        w.set('ns', addF(w.get('ns'), toF(sub(abs(sub(w.get('yd'), w.get('ys'))), w.get('cy')))));
        w.set('chip', addF(w.get('chip'), toF(add(w.get('cx'), w.get('cy')))));
        w.emit(addToF(at8(i(F.load), add(i(tileLinks), shl(w.get('s'), i(1)))), ops.f64Const(1)));
        w.set('free', load(at4(i(F.portFree), w.get('s'))));
        w.set('enter', max(w.get('r'), w.get('free')));
        w.set('wait', addF(w.get('wait'), toF(sub(w.get('enter'), w.get('r')))));
        w.emit(store(at4(i(F.portFree), w.get('s')), add(w.get('enter'), i(1))));
        w.set('link', inPort(w.get('d')));
        // A leg of the route (the column's, then the row's, which the packet takes first): its direction, its first
        // link (the packet's request goes there), its run's +1 and -1 on the link loads, and a join on its chain.
        const leg = (dir: Code, from: readonly [Code, Code], to: readonly [Code, Code], chain: Code): void => {
          w.set('dir', dir);
          w.set('link', tileLink(...from, w.get('dir')));
          w.emit(addToF(at8(i(F.loadDiff), w.get('link')), ops.f64Const(1)));
          w.emit(addToF(at8(i(F.loadDiff), tileLink(...to, w.get('dir'))), ops.f64Const(-1)));
          w.set('k', add(mul(w.get('dir'), i(perDirection)), chain));
          w.emit(store(at4(i(F.joins), w.get('k')), add(load(at4(i(F.joins), w.get('k'))), i(1))));
        };
        w.if(ne(w.get('yd'), w.get('ys')), () => {
          leg(select(i(SOUTH), i(NORTH), gt(w.get('yd'), w.get('ys'))), [w.get('ys'), w.get('xd')], [w.get('yd'), w.get('xd')], w.get('xd'));
          w.if(eq(w.get('xd'), w.get('xs')), () => w.emit(store(at4(i(F.pending), w.get('k')), i(1))));
        });
        w.if(ne(w.get('xd'), w.get('xs')), () => {
          leg(select(i(EAST), i(WEST), gt(w.get('xd'), w.get('xs'))), [w.get('ys'), w.get('xs')], [w.get('ys'), w.get('xd')], w.get('ys'));
          w.emit(store(at4(i(F.pending), w.get('k')), i(1)));
        });
        w.emit(store(at4(i(F.inCount), w.get('d')), add(load(at4(i(F.inCount), w.get('d'))), i(1))));
        push(w, w.get('link'), w.get('enter'), w.get('p'));
      });
      w.emit(storeF(result(F, 'hopsEastWest'), w.get('ew')), storeF(result(F, 'hopsNorthSouth'), w.get('ns')), storeF(result(F, 'hopsChipToChip'), w.get('chip')), storeF(result(F, 'wait'), w.get('wait')));
      w.emit(gSet('slotBase', sub(w.get('earliest'), i(mesh.maxCum))));
      // The most packets one row, one column and one input port get: what a link's and a chain's arrays must hold.
      for (const [k, from, to, counts] of [[0, 0, 2 * perDirection, F.joins], [1, 2 * perDirection, 4 * perDirection, F.joins], [2, 0, cores, F.inCount]] as const) {
        w.set('need', i(0));
        w.upTo('k', i(from), i(to), () => w.set('need', max(w.get('need'), load(at4(i(counts), w.get('k'))))));
        w.emit(store(i(F.needs + 4 * k), w.get('need')));
      }
      w.emit(fill(i(F.joins), i(0), i(16 * perDirection)), fill(i(F.inCount), i(0), i(4 * cores)));
      w.return(i(0));
    },
  );

  // rest(flags): the chains, rows before columns, then the input ports; bit 0 of flags: write arrival and order; bit 1: schedule deliveries. Gives back the last arrival.
  const rest = wasmFunction(
    'rest',
    { flags: I32 },
    { dir: I32, k: I32, at: I32, cc: I32, link: I32, m: I32, keys: I32, portFree: I32, busy: I32, j: I32, time: I32, enter: I32, p: I32, next: I32, took: I32, done: I32, last: I32, latencyMax: I32, inWait: F64, latencySum: F64 },
    [I32],
    (w) => {
      for (let dir = 0; dir < 4; dir++) {
        const chains = dir < 2 ? height : width;
        const coord = i(dir < 2 ? F.coreX : F.coreY);
        const serve = dir < SOUTH || height < COLUMN_SLOTS_MIN ? 'serveRow' : 'serveColumn';
        w.upTo('k', i(0), i(chains), () => {
          w.set('at', at4(i(F.pending + 4 * dir * perDirection), w.get('k')));
          w.if(ne(load(w.get('at')), i(0)), () => {
            w.emit(store(w.get('at'), i(0)));
            w.emit(call(serve, i(dir), w.get('k'), coord));
          });
        });
      }
      w.upTo('cc', i(0), i(cores), () => {
        w.set('link', inPort(w.get('cc')));
        w.if(lt(load(at4(i(F.head), w.get('link'))), i(0)), () => w.continue('cores'));
        w.set('m', call('gather', w.get('link')));
        w.emit(addToF(at8(i(F.load), w.get('link')), toF(w.get('m'))));
        w.set('keys', g('sortKey'));
        w.set('portFree', i(0));
        w.set('busy', select(load(at4(i(F.free), w.get('cc'))), i(0), and(w.get('flags'), i(2))));
        w.upTo('j', i(0), w.get('m'), () => {
          w.set('time', keyTime(w.get('keys'), w.get('j')));
          w.set('enter', max(w.get('time'), w.get('portFree')));
          w.set('inWait', addF(w.get('inWait'), toF(sub(w.get('enter'), w.get('time')))));
          w.set('portFree', add(w.get('enter'), i(1)));
          w.set('p', keyPacket(w.get('keys'), w.get('j')));
          w.set('next', add(w.get('enter'), i(mesh.inLatency)));
          w.if(and(w.get('flags'), i(1)), () => {
            w.emit(store(at4(g('arrival'), w.get('p')), w.get('next')));
            w.emit(store(at4(g('order'), w.get('done')), w.get('p')));
            w.set('done', add(w.get('done'), i(1)));
          });
          w.set('took', sub(w.get('next'), load(at4(i(F.ready), load16(at2(g('src'), w.get('p')))))));
          w.set('latencySum', addF(w.get('latencySum'), toF(w.get('took'))));
          w.set('latencyMax', max(w.get('latencyMax'), w.get('took')));
          w.set('last', max(w.get('last'), w.get('next')));
          w.set('busy', add(max(w.get('next'), w.get('busy')), load(at4(g('work'), w.get('p')))));
        });
        // The core's free time back as the double route() hands its caller (freeIn); a core without packets keeps its own.
        w.if(and(w.get('flags'), i(2)), () => w.emit(store(at4(i(F.free), w.get('cc')), w.get('busy')), storeF(at8(i(F.freeIn), w.get('cc')), toF(w.get('busy')))));
      }, 'cores');
      w.emit(addToF(result(F, 'wait'), w.get('inWait')), storeF(result(F, 'latencySum'), w.get('latencySum')), storeF(result(F, 'latencyMax'), toF(w.get('latencyMax'))));
      w.return(w.get('last'));
    },
  );

  // The chain's links in order (its position x, its link), `body` at each that has requests: 'positions' is the loop's name.
  const joinedLinks = (w: Emitter<'x' | 'link' | 'first' | 'stride' | 'length'>, body: () => void): void => {
    w.set('link', w.get('first'));
    w.for(lt(w.get('x'), w.get('length')), () => {
      w.set('x', add(w.get('x'), i(1)));
      w.set('link', add(w.get('link'), w.get('stride')));
    }, () => {
      w.if(lt(load(at4(i(F.head), w.get('link'))), i(0)), () => w.continue('positions'));
      body();
    }, 'positions');
  };

  const chainOf = (w: Emitter<'dir' | 'k' | 'cn' | 'first' | 'stride' | 'length'>): void => {
    w.set('cn', add(mul(w.get('dir'), i(perDirection)), w.get('k')));
    w.set('first', load(at4(i(F.chainFirst), w.get('cn'))));
    w.set('stride', load(at4(i(F.chainStride), w.get('cn'))));
    w.set('length', load(at4(i(F.chainLength), w.get('cn'))));
  };

  // Packet `lp` (a local) turns off chain k of dir at `lat` (a local): on to its column's chain, or to its core. Written
  // out where a packet leaves (a call a packet cost 12% of the NoC at CUBA 40,000), with the caller's leaveLocals.
  type Leaving = Emitter<'dir' | 'k' | 'lp' | 'lat' | 'ld' | 'ty' | 'tx' | 'to' | 'down'>;
  const leave = (w: Leaving): void => {
    w.set('ld', load16(at2(g('dst'), w.get('lp'))));
    w.set('to', inPort(w.get('ld')));
    w.if(lt(w.get('dir'), i(SOUTH)), () => {
      w.set('ty', load(at4(i(F.coreY), w.get('ld'))));
      w.if(ne(w.get('k'), w.get('ty')), () => {
        w.set('tx', load(at4(i(F.coreX), w.get('ld'))));
        w.set('down', select(i(SOUTH), i(NORTH), lt(w.get('k'), w.get('ty'))));
        w.emit(store(at4(i(F.pending), add(mul(w.get('down'), i(perDirection)), w.get('tx'))), i(1)));
        w.set('to', tileLink(w.get('k'), w.get('tx'), w.get('down')));
      });
    });
    push(w, w.get('to'), w.get('lat'), w.get('lp'));
  };
  const leaveLocals = { lp: I32, lat: I32, ld: I32, ty: I32, tx: I32, to: I32, down: I32 } as const;

  // serveRow(dir, k, coord): noc.ts serveRow, the stream kept in order of service.
  const serveRow = wasmFunction(
    'serveRow',
    { dir: I32, k: I32, coord: I32 },
    {
      cn: I32, first: I32, stride: I32, length: I32, reverse: I32, s: I32, x: I32, link: I32, m: I32, offset: I32, jk: I32,
      st: I32, sp: I32, se: I32, nt: I32, np: I32, ne: I32, swap: I32, t0: I32, q0: I32, lo: I32, hi: I32, mid: I32, start: I32, before: I32,
      free: I32, a: I32, o: I32, b: I32, t: I32, q: I32, time: I32, p: I32, exit: I32, e: I32, enter: I32, end: I32, wait: F64,
      ...leaveLocals,
    },
    [],
    (w) => {
      chainOf(w);
      w.set('reverse', or(eq(w.get('dir'), i(WEST)), eq(w.get('dir'), i(NORTH))));
      w.set('st', g('streamTime'));
      w.set('sp', g('streamPacket'));
      w.set('se', g('streamExit'));
      w.set('nt', g('nextTime'));
      w.set('np', g('nextPacket'));
      w.set('ne', g('nextExit'));
      const leaveFrom = (p: Code, time: Code, exit: Code): void => {
        w.set('lp', p);
        w.set('lat', add(time, load(at4(i(F.cum), add(w.get('first'), mul(exit, w.get('stride')))))));
        leave(w);
      };
      const put = (time: Code, p: Code, exit: Code): void => {
        w.emit(store(at4(w.get('nt'), w.get('o')), time), store(at4(w.get('np'), w.get('o')), p), store(at4(w.get('ne'), w.get('o')), exit));
        w.set('o', add(w.get('o'), i(1)));
      };
      joinedLinks(w, () => {
        w.set('m', call('gather', w.get('link')));
        w.set('offset', load(at4(i(F.cum), w.get('link'))));
        w.set('jk', g('sortKey'));
        // The first packet served after the first joiner, by binary search on (time, index).
        w.set('t0', sub(keyTime(w.get('jk'), i(0)), w.get('offset')));
        w.set('q0', keyPacket(w.get('jk'), i(0)));
        w.set('lo', i(0));
        w.set('hi', w.get('s'));
        w.while(lt(w.get('lo'), w.get('hi')), () => {
          w.set('mid', [...add(w.get('lo'), w.get('hi')), ...i(1), ...ops.i32ShrU]);
          w.set('time', load(at4(w.get('st'), w.get('mid'))));
          w.if(
            or(gt(w.get('time'), w.get('t0')), and(eq(w.get('time'), w.get('t0')), gt(load(at4(w.get('sp'), w.get('mid'))), w.get('q0')))),
            () => w.set('hi', w.get('mid')),
            () => w.set('lo', add(w.get('mid'), i(1))),
          );
        });
        w.set('start', w.get('lo'));
        // The link is free after the last packet before it that is still on the chain here.
        w.set('before', sub(w.get('start'), i(1)));
        w.while(ge(w.get('before'), i(0)), () => {
          w.breakIf('before', gt(load(at4(w.get('se'), w.get('before'))), w.get('x')));
          w.set('before', sub(w.get('before'), i(1)));
        }, 'before');
        w.if(ge(w.get('before'), i(0)), () => w.set('free', add(load(at4(w.get('st'), w.get('before'))), i(1))), () => w.set('free', sub(i(0), w.get('offset'))));
        w.set('a', w.get('start'));
        w.set('o', w.get('start'));
        w.set('wait', ops.f64Const(0));
        w.upTo('b', i(0), w.get('m'), () => {
          w.set('t', sub(keyTime(w.get('jk'), w.get('b')), w.get('offset')));
          w.set('q', keyPacket(w.get('jk'), w.get('b')));
          w.while(lt(w.get('a'), w.get('s')), () => {
            w.set('time', load(at4(w.get('st'), w.get('a'))));
            w.set('p', load(at4(w.get('sp'), w.get('a'))));
            w.breakIf('merge', or(gt(w.get('time'), w.get('t')), and(eq(w.get('time'), w.get('t')), gt(w.get('p'), w.get('q')))));
            w.set('exit', load(at4(w.get('se'), w.get('a'))));
            w.set('a', add(w.get('a'), i(1)));
            w.if(le(w.get('exit'), w.get('x')), () => {
              leaveFrom(w.get('p'), w.get('time'), w.get('exit'));
              w.continue('merge');
            });
            // Served as it comes unless a joiner just delayed the packet before it.
            w.set('enter', max(w.get('time'), w.get('free')));
            w.set('wait', addF(w.get('wait'), toF(sub(w.get('enter'), w.get('time')))));
            w.set('free', add(w.get('enter'), i(1)));
            put(w.get('enter'), w.get('p'), w.get('exit'));
          }, 'merge');
          w.set('e', load(at4(w.get('coord'), load16(at2(g('dst'), w.get('q'))))));
          w.set('enter', max(w.get('t'), w.get('free')));
          w.set('wait', addF(w.get('wait'), toF(sub(w.get('enter'), w.get('t')))));
          w.set('free', add(w.get('enter'), i(1)));
          put(w.get('enter'), w.get('q'), select(sub(sub(w.get('length'), i(1)), w.get('e')), w.get('e'), w.get('reverse')));
        });
        // After the last joiner, the delays carry on until a packet is not delayed.
        w.while(lt(w.get('a'), w.get('s')), () => {
          w.set('time', load(at4(w.get('st'), w.get('a'))));
          w.set('exit', load(at4(w.get('se'), w.get('a'))));
          w.if(le(w.get('exit'), w.get('x')), () => {
            leaveFrom(load(at4(w.get('sp'), w.get('a'))), w.get('time'), w.get('exit'));
            w.set('a', add(w.get('a'), i(1)));
            w.continue('delays');
          });
          w.breakIf('delays', ge(w.get('time'), w.get('free')));
          w.set('wait', addF(w.get('wait'), toF(sub(w.get('free'), w.get('time')))));
          put(w.get('free'), load(at4(w.get('sp'), w.get('a'))), w.get('exit'));
          w.set('free', add(w.get('free'), i(1)));
          w.set('a', add(w.get('a'), i(1)));
        }, 'delays');
        w.emit(addToF(result(F, 'wait'), w.get('wait')));
        // stream = [0, start) + the rewritten stretch [start, end) + [a, s): whichever is less to copy (noc.ts serveRow).
        w.set('end', w.get('o'));
        const rest4 = shl(sub(w.get('s'), w.get('a')), i(2));
        w.if(
          lt(add(w.get('start'), sub(w.get('s'), w.get('a'))), sub(w.get('end'), w.get('start'))),
          () => {
            for (const [to, from] of [['nt', 'st'], ['np', 'sp'], ['ne', 'se']] as const) {
              w.emit(copy(w.get(to), w.get(from), shl(w.get('start'), i(2))));
              w.emit(copy(at4(w.get(to), w.get('end')), at4(w.get(from), w.get('a')), rest4));
              w.set('swap', w.get(to));
              w.set(to, w.get(from));
              w.set(from, w.get('swap'));
            }
          },
          () => {
            w.if(and(ne(w.get('a'), w.get('end')), lt(w.get('a'), w.get('s'))), () => {
              for (const from of ['st', 'sp', 'se'] as const) w.emit(copy(at4(w.get(from), w.get('end')), at4(w.get(from), w.get('a')), rest4));
            });
            for (const [to, from] of [['st', 'nt'], ['sp', 'np'], ['se', 'ne']] as const) w.emit(copy(at4(w.get(to), w.get('start')), at4(w.get(from), w.get('start')), shl(sub(w.get('end'), w.get('start')), i(2))));
          },
        );
        w.set('s', add(w.get('end'), sub(w.get('s'), w.get('a'))));
      });
      // Every packet still in the stream has turned off by the chain's end.
      w.upTo('a', i(0), w.get('s'), () => {
        leaveFrom(load(at4(w.get('sp'), w.get('a'))), load(at4(w.get('st'), w.get('a'))), load(at4(w.get('se'), w.get('a'))));
      });
    },
  );

  // serveColumn(dir, k, coord): noc.ts serveColumn, the packets kept in slots by relative time.
  const serveColumn = wasmFunction(
    'serveColumn',
    { dir: I32, k: I32, coord: I32 },
    {
      cn: I32, first: I32, stride: I32, length: I32, reverse: I32, base: I32, joined: I32, top: I32, gone: I32, x: I32, y: I32, link: I32, m: I32,
      jk: I32, offset: I32, last: I32, slot: I32, queue: I32, time: I32, packet: I32, next: I32, j: I32, q: I32, local: I32, u: I32, e: I32,
      exit: I32, b: I32, arrives: I32, head: I32, tail: I32, here: I32, hereIndex: I32, p: I32, joinedAt: F64,
    },
    [],
    (w) => {
      chainOf(w);
      w.set('reverse', eq(w.get('dir'), i(NORTH)));
      w.set('base', g('slotBase'));
      w.set('gone', i(-1));
      w.emit(storeF(result(F, 'left'), ops.f64Const(0)));
      // The packets that leave at the positions after the last that went on, up to `end` (not included), go on.
      const leaveUpTo = (end: Code): void =>
        w.upTo('y', add(w.get('gone'), i(1)), end, () => {
          w.emit(call('leaveAt', w.get('dir'), w.get('k'), w.get('y'), add(w.get('first'), mul(w.get('y'), w.get('stride')))));
        });
      joinedLinks(w, () => {
        leaveUpTo(add(w.get('x'), i(1)));
        w.set('gone', w.get('x'));
        w.set('m', call('gather', w.get('link')));
        w.set('jk', g('sortKey'));
        w.set('offset', add(load(at4(i(F.cum), w.get('link'))), w.get('base')));
        // A pass ends by the later of the last joiner and the chain's last packet, plus one cycle for each joiner.
        w.set('last', add(max(w.get('top'), sub(keyTime(w.get('jk'), sub(w.get('m'), i(1))), w.get('offset'))), w.get('m')));
        w.if(ge(w.get('last'), g('slotLength')), () => w.emit(call('growSlots', add(w.get('last'), i(1)))));
        w.set('slot', g('slot'));
        w.set('queue', g('queue'));
        w.set('time', g('chainTime'));
        w.set('packet', g('chainPacket'));
        w.set('next', g('chainNext'));
        // The joiners are on the chain now, each listed at the position where it leaves after the ones there before.
        w.upTo('j', i(0), w.get('m'), () => {
          w.set('q', keyPacket(w.get('jk'), w.get('j')));
          w.set('local', add(w.get('joined'), w.get('j')));
          w.emit(store(at4(w.get('packet'), w.get('local')), w.get('q')));
          w.set('joinedAt', addF(w.get('joinedAt'), toF(sub(keyTime(w.get('jk'), w.get('j')), w.get('offset')))));
          w.set('e', load(at4(w.get('coord'), load16(at2(g('dst'), w.get('q'))))));
          w.set('exit', select(sub(sub(w.get('length'), i(1)), w.get('e')), w.get('e'), w.get('reverse')));
          w.emit(store(at4(w.get('next'), w.get('local')), i(-1)));
          w.if(
            lt(load(at4(i(F.exitHead), w.get('exit'))), i(0)),
            () => w.emit(store(at4(i(F.exitHead), w.get('exit')), w.get('local'))),
            () => w.emit(store(at4(w.get('next'), load(at4(i(F.exitTail), w.get('exit')))), w.get('local'))),
          );
          w.emit(store(at4(i(F.exitTail), w.get('exit')), w.get('local')));
        });
        // The link serves: one packet a cycle from the queue, which takes in each cycle, in index order, what arrives in it.
        const joinerAt = (b: Code): Code => sub(keyTime(w.get('jk'), b), w.get('offset'));
        const enqueue = (v: Code): void => {
          w.emit(store(at4(w.get('queue'), w.get('tail')), v));
          w.set('tail', add(w.get('tail'), i(1)));
        };
        const enqueueJoiner = (): void => {
          enqueue(add(w.get('joined'), w.get('b')));
          w.set('b', add(w.get('b'), i(1)));
        };
        w.set('b', i(0));
        w.while(lt(w.get('b'), w.get('m')), () => {
          w.set('u', joinerAt(w.get('b')));
          w.set('arrives', w.get('u'));
          w.set('head', i(0));
          w.set('tail', i(0));
          w.while(i(1), () => {
            w.set('here', load(at4(w.get('slot'), w.get('u'))));
            w.if(
              eq(w.get('arrives'), w.get('u')),
              () => {
                w.set('hereIndex', select(i(0x7fffffff), load(at4(w.get('packet'), w.get('here'))), lt(w.get('here'), i(0))));
                w.while(and(lt(w.get('b'), w.get('m')), and(eq(joinerAt(w.get('b')), w.get('u')), lt(keyPacket(w.get('jk'), w.get('b')), w.get('hereIndex')))), enqueueJoiner);
                w.if(ge(w.get('here'), i(0)), () => enqueue(w.get('here')));
                w.while(and(lt(w.get('b'), w.get('m')), eq(joinerAt(w.get('b')), w.get('u'))), enqueueJoiner);
                w.set('arrives', select(joinerAt(w.get('b')), i(-1), lt(w.get('b'), w.get('m'))));
              },
              () => w.if(ge(w.get('here'), i(0)), () => enqueue(w.get('here'))),
            );
            w.set('p', load(at4(w.get('queue'), w.get('head'))));
            w.set('head', add(w.get('head'), i(1)));
            w.emit(store(at4(w.get('time'), w.get('p')), w.get('u')));
            w.emit(store(at4(w.get('slot'), w.get('u')), w.get('p')));
            w.set('u', add(w.get('u'), i(1)));
            w.breakIf('serve', ge(w.get('head'), w.get('tail')));
          }, 'serve');
          w.if(gt(sub(w.get('u'), i(1)), w.get('top')), () => w.set('top', sub(w.get('u'), i(1))));
        });
        w.set('joined', add(w.get('joined'), w.get('m')));
      });
      // Every packet still on the chain has turned off by the chain's end.
      leaveUpTo(w.get('length'));
      w.emit(addToF(result(F, 'wait'), subF(loadF(result(F, 'left')), w.get('joinedAt'))));
    },
  );

  // gather(link): noc.ts gather, each request as one key (keyTime, keyPacket), at the global sortKey: i64 order is
  // then noc.ts's order by time, then packet, and runs merge one compare and one select a step (mergeRuns).
  const key = (time: Code, p: Code): Code => [...time, ...ops.i64FromI32, ...ops.i64Const(32), ...ops.i64Shl, ...p, ...ops.i64FromU32, ...ops.i64Or];
  const gather = wasmFunction(
    'gather',
    { link: I32 },
    { keys: I32, runs: I32, m: I32, count: I32, p: I32, k: I64, lastKey: I64 },
    [I32],
    (w) => {
      w.set('keys', g('sortKey'));
      w.set('runs', g('runStart'));
      w.set('count', i(1));
      w.emit(store(w.get('runs'), i(0)));
      w.set('lastKey', key(i(-0x80000000), i(0)));
      w.set('p', load(at4(i(F.head), w.get('link'))));
      w.for(ge(w.get('p'), i(0)), () => w.set('p', load(add(at8(g('request'), w.get('p')), i(4)))), () => {
        w.set('k', key(load(at8(g('request'), w.get('p'))), w.get('p')));
        w.if([...w.get('k'), ...w.get('lastKey'), ...ops.i64LtS], () => {
          w.emit(store(at4(w.get('runs'), w.get('count')), w.get('m')));
          w.set('count', add(w.get('count'), i(1)));
        });
        w.set('lastKey', w.get('k'));
        w.emit([...at8(w.get('keys'), w.get('m')), ...w.get('k'), ...ops.i64Store(0)]);
        w.set('m', add(w.get('m'), i(1)));
      });
      w.emit(store(at4(i(F.head), w.get('link')), i(-1)));
      w.if(gt(w.get('count'), i(1)), () => w.emit(call('mergeRuns', w.get('m'), w.get('count'))));
      w.return(w.get('m'));
    },
  );

  // mergeRuns(m, count): noc.ts mergeRuns over the keys, swapping the globals sortKey and mergeKey as it goes.
  const mergeRuns = wasmFunction(
    'mergeRuns',
    { m: I32, count: I32 },
    { runs: I32, from: I32, to: I32, swap: I32, merged: I32, r: I32, a0: I32, a1: I32, b1: I32, x: I32, j: I32, o: I32, kx: I64, kj: I64, takeJ: I32 },
    [],
    (w) => {
      w.set('runs', g('runStart'));
      w.set('from', g('sortKey'));
      w.set('to', g('mergeKey'));
      const loadKey = (at: 'x' | 'j'): Code => [...at8(w.get('from'), w.get(at)), ...ops.i64Load(0)];
      const storeKey = (value: Code): Code => [...at8(w.get('to'), w.get('o')), ...value, ...ops.i64Store(0)];
      // A run's rest element by element: runs are short (at CUBA 40,000, two packets on average), and memory.copy is a call.
      const rest = (from: 'x' | 'j', end: 'a1' | 'b1'): void => {
        w.while(lt(w.get(from), w.get(end)), () => {
          w.emit(storeKey(loadKey(from)));
          w.set('o', add(w.get('o'), i(1)));
          w.set(from, add(w.get(from), i(1)));
        });
      };
      w.while(gt(w.get('count'), i(1)), () => {
        w.set('merged', i(0));
        w.set('r', i(0));
        w.for(lt(w.get('r'), w.get('count')), () => w.set('r', add(w.get('r'), i(2))), () => {
          w.set('a0', load(at4(w.get('runs'), w.get('r'))));
          w.set('a1', select(load(at4(w.get('runs'), add(w.get('r'), i(1)))), w.get('m'), lt(add(w.get('r'), i(1)), w.get('count'))));
          w.set('b1', select(load(at4(w.get('runs'), add(w.get('r'), i(2)))), w.get('m'), lt(add(w.get('r'), i(2)), w.get('count'))));
          w.set('x', w.get('a0'));
          w.set('j', w.get('a1'));
          w.set('o', w.get('a0'));
          // Branch-free: the smaller key goes out, and its run moves on (keys are distinct: each packet has one).
          w.while(and(lt(w.get('x'), w.get('a1')), lt(w.get('j'), w.get('b1'))), () => {
            w.set('kx', loadKey('x'));
            w.set('kj', loadKey('j'));
            w.set('takeJ', [...w.get('kj'), ...w.get('kx'), ...ops.i64LtS]);
            w.emit(storeKey(select(w.get('kj'), w.get('kx'), w.get('takeJ'))));
            w.set('j', add(w.get('j'), w.get('takeJ')));
            w.set('x', add(w.get('x'), sub(i(1), w.get('takeJ'))));
            w.set('o', add(w.get('o'), i(1)));
          });
          rest('x', 'a1');
          rest('j', 'b1');
          w.emit(store(at4(w.get('runs'), w.get('merged')), w.get('a0')));
          w.set('merged', add(w.get('merged'), i(1)));
        });
        w.set('count', w.get('merged'));
        w.set('swap', w.get('from'));
        w.set('from', w.get('to'));
        w.set('to', w.get('swap'));
      });
      w.emit(gSet('sortKey', w.get('from')), gSet('mergeKey', w.get('to')));
    },
  );

  // leaveAt(dir, k, x, link): the packets that leave chain k of dir at position x go on; adds their slots to the results' `left`.
  const leaveAt = wasmFunction('leaveAt', { dir: I32, k: I32, x: I32, link: I32 }, { at: I32, l: I32, u: I32, sum: F64, ...leaveLocals }, [], (w) => {
    w.set('at', add(load(at4(i(F.cum), w.get('link'))), g('slotBase')));
    w.set('l', load(at4(i(F.exitHead), w.get('x'))));
    w.for(ge(w.get('l'), i(0)), () => w.set('l', load(at4(g('chainNext'), w.get('l')))), () => {
      w.set('u', load(at4(g('chainTime'), w.get('l'))));
      w.emit(store(at4(g('slot'), w.get('u')), i(-1)));
      w.set('sum', addF(w.get('sum'), toF(w.get('u'))));
      w.set('lp', load(at4(g('chainPacket'), w.get('l'))));
      w.set('lat', add(w.get('u'), w.get('at')));
      leave(w);
    });
    w.emit(store(at4(i(F.exitHead), w.get('x')), i(-1)));
    w.emit(addToF(result(F, 'left'), w.get('sum')));
  });

  // growSlots(needed): room for `needed` slots at the end of the memory, the new ones free (-1).
  const growSlots = wasmFunction('growSlots', { needed: I32 }, { size: I32, pages: I32 }, [], (w) => {
    w.set('size', max(max(w.get('needed'), shl(g('slotLength'), i(1))), i(MIN_BUFFER)));
    w.set('pages', [...add(at4(g('slot'), w.get('size')), i(PAGE - 1)), ...i(16), ...ops.i32ShrU]);
    w.if(gt(w.get('pages'), ops.memorySize), () => {
      w.if(lt([...sub(w.get('pages'), ops.memorySize), ...ops.memoryGrow], i(0)), () => w.emit(ops.unreachable));
    });
    w.emit(fill(at4(g('slot'), g('slotLength')), i(0xff), shl(sub(w.get('size'), g('slotLength')), i(2))));
    w.emit(gSet('slotLength', w.get('size')));
  });

  // load(flags): the cores' ready cycles (readyIn) into ready, -1 where one is not a whole number in [0, 2^31) (first()
  // refuses a batch with a packet from such a core); with bit 1 of flags, their free times (freeIn) into free. Gives
  // 0, or 1 + the first core whose free time is not a whole number in [-2^31, 2^31) (free is scratch: route()'s
  // caller keeps its own). A double is such a number when it is its own saturating conversion to i32, back.
  const loadCores = wasmFunction('load', { flags: I32 }, { c: I32, x: F64, t: I32 }, [I32], (w) => {
    w.if(and(w.get('flags'), i(2)), () => {
      w.upTo('c', i(0), i(cores), () => {
        convertCore(w, F.freeIn, w.get('c'));
        w.if([...whole(w), ...ops.i32Eqz], () => w.return(add(w.get('c'), i(1))));
        w.emit(store(at4(i(F.free), w.get('c')), w.get('t')));
      });
    });
    w.upTo('c', i(0), i(cores), () => {
      convertCore(w, F.readyIn, w.get('c'));
      w.emit(store(at4(i(F.ready), w.get('c')), select(w.get('t'), i(-1), wholeReady(w))));
    });
    w.return(i(0));
  });

  const byName = new Map([first, rest, serveRow, serveColumn, gather, mergeRuns, leaveAt, growSlots, loadCores].map((f) => [f.name, f]));
  const functions = FUNCTIONS.map((name) => {
    const f = byName.get(name);
    if (f === undefined) throw new Error(`noc-wasm.ts: no function ${name}`);
    return f;
  });
  return wasmModule(false, functions, [...MOVABLE]);
}

/** The module's exports. */
interface NocExports {
  readonly first: (n: number, flags: number) => number;
  readonly rest: (flags: number) => number;
  readonly load: (flags: number) => number;
}

/** Whether `profile`'s NoC latencies are whole cycles that fit the module's i32 times: the WebAssembly NoC can run it. */
function wholeLatencies(profile: ChipProfile): boolean {
  const { hop_east_west, hop_north_south, spike_in_tile } = profile.cycles;
  return [hop_east_west, hop_north_south, spike_in_tile, profile.board.chipHopCycles].every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 20);
}

/**
 * MeshNoc with route() in WebAssembly: the same model, the same results
 * (noc.ts's header), its buffers in its own memory. The link loads are kept in
 * that memory, and MeshNoc's linkLoad, stats() and totals() read them there.
 */
export class WasmMeshNoc extends MeshNoc {
  private readonly memory: WebAssembly.Memory;
  private readonly exports: NocExports;
  private readonly globals: Record<Movable, WebAssembly.Global>;
  private readonly mesh: Mesh;
  /** Packets the per-packet arrays hold, whether they include arrival and order, and packets a link's or chain's arrays hold. */
  private batchCapacity = 0;
  private withOutputs = false;
  private links: LinkCapacities = { sort: 0, stream: 0, chain: 0 };
  /** Element indices of the batch's arrays in the views (the globals' byte offsets, kept here: a global's read is a call from JavaScript). */
  private src16 = 0;
  private dst16 = 0;
  private work32 = 0;
  private arrival32 = 0;
  private order32 = 0;
  /** The batch's arrays as views (packetArrays). */
  private arrays: PacketArrays = { src: new Uint16Array(0), dst: new Uint16Array(0), work: new Int32Array(0) };
  /** Views into the memory, made again whenever it grows. */
  private buffer: ArrayBuffer;
  private i32 = new Int32Array(0);
  private u16 = new Uint16Array(0);
  private f64 = new Float64Array(0);
  /** The cores' ready cycles and free times as route() hands them to load() and takes them back (Fixed.readyIn, freeIn). */
  private readyIn = new Float64Array(0);
  private freeIn = new Float64Array(0);

  constructor(profile: ChipProfile, coreSlots: ArrayLike<number>, capacity = 0) {
    super(profile, coreSlots);
    const { chipsX, chipsY } = chipGrid(profile.board.chips);
    const tileLinks = chipsX * profile.mesh.tilesX * chipsY * profile.mesh.tilesY * 4;
    const fixed = fixedLayout(this.cores, this.linkCount, tileLinks, this.chainsPerDirection);
    this.mesh = { width: this.width, height: this.height, cores: this.cores, tileLinks, perDirection: this.chainsPerDirection, inLatency: profile.cycles.spike_in_tile, maxCum: this.maxCum, fixed };
    // The tables' pages; layout() grows the memory to what the buffers take.
    this.memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(fixed.bytes / PAGE)) });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(nocModule(this.mesh)), { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as NocExports;
    this.globals = Object.fromEntries(MOVABLE.map((n) => [n, instance.exports[n] as WebAssembly.Global])) as Record<Movable, WebAssembly.Global>;
    this.buffer = this.views();
    const F = fixed;
    const put = (at: number, values: ArrayLike<number>): void => this.i32.set(values, at >> 2);
    put(F.coreX, this.coreX);
    put(F.coreY, this.coreY);
    put(F.chipX, this.coreChipX);
    put(F.chipY, this.coreChipY);
    this.i32.fill(-1, F.head >> 2, (F.head >> 2) + this.linkCount);
    this.i32.fill(-1, F.exitHead >> 2, (F.exitHead >> 2) + this.chainsPerDirection);
    put(F.cum, this.cum);
    put(F.chainFirst, this.chainFirst);
    put(F.chainStride, this.chainStride);
    put(F.chainLength, this.chainLength);
    this.layout(capacity, false, { sort: MIN_BUFFER, stream: MIN_BUFFER, chain: this.height < COLUMN_SLOTS_MIN ? 0 : MIN_BUFFER });
  }

  /** Places the movable arrays for these capacities after the fixed tables, the slots last (all free), and grows the memory to hold them. */
  private layout(packets: number, outputs: boolean, links: LinkCapacities): void {
    let at = this.mesh.fixed.bytes;
    const place = (name: Movable, bytes: number): void => {
      this.globals[name].value = at;
      at += Math.ceil(bytes / 8) * 8;
    };
    for (const [name, bytes] of PACKET_ARRAYS) place(name, (name === 'arrival' || name === 'order') && !outputs ? 0 : bytes * packets);
    for (const group of Object.keys(LINK_ARRAYS) as LinkGroup[]) for (const name of LINK_ARRAYS[group]) place(name, (name === 'sortKey' || name === 'mergeKey' ? 8 : 4) * (name === 'runStart' ? links[group] + 1 : links[group]));
    const slots = Math.max(MIN_BUFFER, this.globals.slotLength.value);
    this.globals.slot.value = at;
    at += 4 * slots;
    const pages = Math.ceil(at / PAGE);
    if (pages > this.memory.buffer.byteLength / PAGE) this.memory.grow(pages - this.memory.buffer.byteLength / PAGE);
    this.refresh();
    const slot = this.globals.slot.value >> 2;
    this.i32.fill(-1, slot, slot + slots);
    this.globals.slotLength.value = slots;
    const byteOffset = (name: Movable): number => this.globals[name].value;
    this.src16 = byteOffset('src') >> 1;
    this.dst16 = byteOffset('dst') >> 1;
    this.work32 = byteOffset('work') >> 2;
    this.arrival32 = byteOffset('arrival') >> 2;
    this.order32 = byteOffset('order') >> 2;
    this.batchCapacity = packets;
    this.withOutputs = outputs;
    this.links = links;
    this.arrays = this.packetViews();
  }

  /** The batch's arrays as views into the memory as it is now. */
  private packetViews(): PacketArrays {
    const n = this.batchCapacity;
    return { src: new Uint16Array(this.buffer, 2 * this.src16, n), dst: new Uint16Array(this.buffer, 2 * this.dst16, n), work: new Int32Array(this.buffer, 4 * this.work32, n) };
  }

  /**
   * Views into the memory again if it grew; the link loads are MeshNoc's. Growing detaches the old buffer (the memory
   * is not shared), which leaves every view of it empty: a view's length is a field, where the memory's buffer getter
   * took 21-24 ns a step on this machine.
   */
  private refresh(): void {
    if (this.i32.length === 0) this.buffer = this.views();
  }

  /** Makes the views into the memory's buffer, which it gives back. */
  private views(): ArrayBuffer {
    this.buffer = this.memory.buffer as ArrayBuffer;
    this.i32 = new Int32Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
    const F = this.mesh.fixed;
    this.load = new Float64Array(this.buffer, F.load, this.linkCount);
    this.loadDiff = new Float64Array(this.buffer, F.loadDiff, this.mesh.tileLinks);
    this.readyIn = new Float64Array(this.buffer, F.readyIn, this.cores);
    this.freeIn = new Float64Array(this.buffer, F.freeIn, this.cores);
    this.arrays = this.packetViews();
    return this.buffer;
  }

  override route(batch: PacketBatch, arrival: Float64Array, order: Int32Array, work: Int32Array = NO_WORK, free: Float64Array = NO_TIMES): number {
    const n = batch.count;
    if (n === 0) return 0;
    const deliver = free.length > 0;
    const outputs = arrival.length > 0 || order.length > 0;
    // Listed in packetArrays(), the batch is in the memory already (a layout for arrival and order keeps it there).
    const listed = batch.src === this.arrays.src && batch.dst === this.arrays.dst;
    const worked = work === this.arrays.work;
    if (n > this.batchCapacity || (outputs && !this.withOutputs)) this.layout(n > this.batchCapacity ? packetRoom(n) : this.batchCapacity, outputs || this.withOutputs, this.links);
    const { i32, u16, src16, dst16 } = this;
    const F = this.mesh.fixed;
    const { src, dst, coreReady } = batch;
    if (!listed) {
      for (let p = 0; p < n; p++) {
        u16[src16 + p] = src[p];
        u16[dst16 + p] = dst[p];
      }
    }
    // The cores' ready cycles and free times go in whole (a copy), and the module checks and converts them: a ready
    // time that is not a whole cycle below 2^31 is refused where a packet leaves then, a free time where a packet
    // arrives (or, where load() converts every core, anywhere). Three loops over the cores here were 7.9% of a step at
    // CUBA 40,000 and 0.1 ms (8,000 cores, docs/performance-log.md); with fewer packets than cores, first() converts
    // the packets' cores only (load() took 68 us of a 990-us step there, twelfth session).
    perCore(this.readyIn, coreReady);
    if (deliver) {
      const w = this.work32;
      if (!worked) for (let p = 0; p < n; p++) i32[w + p] = work[p];
      perCore(this.freeIn, free);
    }
    const fewer = n < this.cores;
    if (!fewer) {
      const unfree = this.exports.load(deliver ? 2 : 0);
      if (unfree > 0) throw unwhole(unfree - 1, free);
    }
    const firstPass = this.exports.first(n, (deliver ? 2 : 0) | (fewer ? 4 : 0));
    if (firstPass === -1) throw notWhole(batch);
    if (firstPass < -1) throw unwhole(-2 - firstPass, free);
    const links = this.linkNeeds();
    if (links !== this.links) this.layout(this.batchCapacity, this.withOutputs, links);
    const last = this.exports.rest((outputs ? 1 : 0) | (deliver ? 2 : 0));
    this.refresh();
    const f64 = this.f64;
    const results = F.results >> 3;
    this.hopsEastWest += f64[results + R.hopsEastWest];
    this.hopsNorthSouth += f64[results + R.hopsNorthSouth];
    this.hopsChipToChip += f64[results + R.hopsChipToChip];
    this.waitCycles += f64[results + R.wait];
    this.latencySumCycles += f64[results + R.latencySum];
    if (f64[results + R.latencyMax] > this.latencyMaxCycles) this.latencyMaxCycles = f64[results + R.latencyMax];
    this.packets += n;
    if (outputs) {
      const a = this.arrival32;
      const o = this.order32;
      for (let p = 0; p < n; p++) {
        arrival[p] = this.i32[a + p];
        order[p] = this.i32[o + p];
      }
    }
    // rest() left every core's free time as a double in freeIn.
    if (deliver) {
      if (free.length === this.cores) free.set(this.freeIn);
      else for (let c = 0; c < free.length && c < this.cores; c++) free[c] = this.freeIn[c];
    }
    return last;
  }

  /**
   * What the link and chain arrays must hold for the batch the first pass counted: a link's requests come from
   * one row, one column or one input port; a row's stream holds its row's (and, where columns are served as
   * streams, a column's); a column's packets its column's. The capacities as they are (the same record) where
   * they hold it, else each short one grown to the need or doubled.
   */
  private linkNeeds(): LinkCapacities {
    const at = this.mesh.fixed.needs >> 2;
    const rows = this.i32[at];
    const columns = this.i32[at + 1];
    const ports = this.i32[at + 2];
    const slots = this.height >= COLUMN_SLOTS_MIN;
    const sort = Math.max(rows, columns, ports);
    const stream = slots ? rows : Math.max(rows, columns);
    const chain = slots ? columns : 0;
    const have = this.links;
    if (sort <= have.sort && stream <= have.stream && chain <= have.chain) return have;
    const grown = (need: number, now: number): number => (need <= now ? now : Math.max(need, 2 * now, MIN_BUFFER));
    return { sort: grown(sort, have.sort), stream: grown(stream, have.stream), chain: grown(chain, have.chain) };
  }

  override packetArrays(packets: number): PacketArrays {
    // The views are current: the memory grows only in layout() and route(), which make them again.
    if (packets > this.batchCapacity) this.layout(packetRoom(packets), this.withOutputs, this.links);
    return this.arrays;
  }

  override packetCapacity(): number {
    return this.batchCapacity;
  }

  /** Bytes of the module's memory: the mesh's tables, the batch (listed there, or copied in), the link and chain arrays and the slots, in whole pages (emulator/cpu/memory.ts counts them). */
  override bufferBytes(): number {
    return this.memory.buffer.byteLength;
  }
}

/** The error of a free time that is not a whole cycle below 2^31 (load() and first() refuse it). */
function unwhole(core: number, free: Float64Array): RangeError {
  return new RangeError(`MeshNoc: core ${core} is free at ${free[core]}, not a whole cycle below 2^31`);
}

/** `values` per core into `to` (one a core): a copy, or NaN (which load() and first() refuse) past the cores `values` has. */
function perCore(to: Float64Array, values: Float64Array): void {
  if (values.length === to.length) to.set(values);
  else for (let c = 0; c < to.length; c++) to[c] = c < values.length ? values[c] : NaN;
}

/** The NoC for `profile`: in WebAssembly where its latencies are whole cycles, else noc.ts's. */
export function meshNoc(profile: ChipProfile, coreSlots: ArrayLike<number>, capacity = 0): MeshNoc {
  return wholeLatencies(profile) ? new WasmMeshNoc(profile, coreSlots, capacity) : new MeshNoc(profile, coreSlots, capacity);
}
