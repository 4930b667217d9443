// The mesh network-on-chip: when each spike packet of a time step reaches its
// target core, with X-then-Y routing, per-hop latency and contention. A pure
// model over typed arrays, independent of any backend: the CPU backend calls it
// once per step with the step's packets; the WebGPU backend can run it on the
// host from the same packet lists (or port it), and must get the same numbers.
//
// The algorithm (docs/chip-model.md restates it with the step's timeline):
//
// Links. Every tile has four outgoing links, east (+x), west (-x), south (+y)
// and north (-y), to its neighbours on the board's mesh of tiles (x and y are
// global tile coordinates, isa/profile.ts corePosition). A link that crosses
// from one chip to the next is a chip-to-chip link. Every core has an output
// port (core -> its tile's router) and an input port (router -> core).
// Latency: output port 0; east/west link hop_east_west; north/south link
// hop_north_south; chip-to-chip link the board's chip_to_chip_hop; input port
// spike_in_tile. An uncontended packet thus takes spike_in_tile +
// |dx| hop_east_west + |dy| hop_north_south cycles (chip crossings in place of
// their on-chip hops).
//
// Path. Output port of the source core, then |dx| east or west links, then |dy|
// south or north links (dimension order: X, then Y), then the input port of the
// target core. A packet between two cores of one tile uses only the two ports.
//
// Contention. A link accepts one packet per cycle and is pipelined: a packet
// that reaches link l at cycle r enters it at e = max(r, free[l]), then
// free[l] = e + 1, and it reaches the next link at e + latency(l). Router
// buffers are unbounded (no back-pressure, no drops). The output port is a
// link too, so the packets leaving one core are serialised one per cycle. A
// core's packets are all ready at its output port at one cycle, the end of its
// update (PacketBatch.coreReady), and leave it in batch order.
//
// Order. A link serves its requests in the order (cycle of the request,
// packet index), where the packet index is the packet's position in the batch
// (the CPU backend lists packets by source core, then spiking slot, then
// route). So a link serves packets first come, first served, and ties go to the
// lower index. This is the order of a discrete-event simulation keyed by
// (cycle, index); every time is a whole number of cycles from the step's start
// (the profile's costs are whole cycles), below 2^31.
//
// How it is computed. With X-then-Y routing the links form an acyclic graph:
// output ports feed east/west links, an east link feeds the next east link
// (x + 1) or a south/north link or an input port, and so on; no packet ever
// goes from a Y link back to an X link. So every link can be served in one go,
// in a fixed topological order (output ports; east links by ascending x; west
// links by descending x; south links by ascending y; north links by descending
// y; input ports): when a link's turn comes, every request it will get in this
// batch is known. Its requests are sorted by (cycle, index), which is the order
// the discrete-event simulation serves them in, and each one's time at the next
// link follows. This gives the event simulation's result exactly, without a
// priority queue over every hop (test/emulator/noc.test.ts checks it against a
// binary-heap event simulation on random batches). Each link's requests arrive
// as a few runs already in order (each upstream link emits its packets in
// increasing time), so a natural merge sort finishes them in O(m log runs).
//
// Chains. The links of one row in one direction (or one column) form a chain
// that a packet enters at its source column (at the tile where its X run ends)
// and leaves at its target column (row). A link emits its packets at strictly
// increasing times, one cycle apart at least, and every packet on it crosses
// the next link of the chain with the same latency: so where no packet joins
// the chain, the next link serves the same packets minus those that turned
// off, in the same order, and none of them waits. A chain is therefore served
// as one stream, with times kept relative to the chain's start (the time at a
// tile is the relative time plus the latency from the start to that tile),
// and only the tiles where packets join need work: one pass that merges the
// joiners in by (time, index), serves, and lets go of the packets that turned
// off since the last pass. On a board of many chips a packet crosses dozens
// of links but joins at most two chains: the work goes with packets and
// joins, not hops (CUBA at 40,000 neurons: 1.3 M hops a step). The two kinds
// of chain are served two ways, with the same result (the event simulation's):
// - A row carries what its cores' output ports emit, one packet a cycle from
//   each core that spiked: long runs of consecutive cycles, where a joiner
//   delays most of what follows it. Its stream is an array in order of
//   service that each pass rewrites from its first joiner to where the delays
//   stop (serveRow).
// - A column carries packets that turned off many rows: spread thin, and a
//   joiner seldom delays anyone (at CUBA 40,000 neurons 2.6% of the stream a
//   pass crossed was delayed, and the passes rewrote 10 packets of stream for
//   every packet routed). Its packets sit in an array by relative time
//   (cycles), so a pass touches its joiners and the packets they delay, and
//   jumps over the rest (serveColumn). A column shorter than COLUMN_SLOTS_MIN
//   tiles is served as a stream, like a row: its stream is rewritten only a
//   few times a packet.
// Link loads are kept as +1/-1 at each run's two ends and summed
// along the chains when read (linkLoad).
//
// Outputs. arrival[p]: the cycle at which packet p is at its target core, ready
// to be delivered; order: the packets grouped by target core (ascending), each
// core's packets in the order they passed its input port, which is order of
// arrival (strictly increasing: an input port takes one packet per cycle).
// Given each packet's delivery cycles, route() also schedules the deliveries:
// each target core takes its packets one at a time in that order, packet p
// starting at max(arrival[p], the core's free cycle) and keeping the core busy
// for its work (test/emulator/noc-reference.ts scheduleDeliveries states it
// apart, for the tests).
import { chipGrid, corePosition, type ChipProfile } from '../isa/profile.js';
import type { NocStats } from './interface.js';
import { grow, packetRoom } from './logs.js';

/**
 * Columns at least this long are served by relative time (serveColumn), shorter ones as a stream
 * (serveRow). A packet crosses about a third of a column, so a short column's stream is rewritten
 * only a few times a packet, which costs less than the slots' fixed work a packet. Replayed NoC
 * time by slots against streams: random-1m's columns of 4 tiles 1.05x, CUBA 16,000's of 12
 * 0.97-0.99x, CUBA 40,000's of 32 0.77-0.80x.
 */
export const COLUMN_SLOTS_MIN = 8;

/** The smallest size a link's or a chain's buffers grow to. */
export const MIN_BUFFER = 64;

/** Empty arrays for route(): its default `work` and `free` (no deliveries to schedule), and stepLatency's arrival and order (none wanted). */
const NO_TIMES = new Float64Array(0);
const NO_WORK = new Int32Array(0);
const NO_ORDER = new Int32Array(0);

/** Link kinds, for hop counts and labels. */
export const LINK_PORT_OUT = 0;
export const LINK_PORT_IN = 1;
export const LINK_EAST_WEST = 2;
export const LINK_NORTH_SOUTH = 3;
export const LINK_CHIP = 4;

/** Directions of a tile's links, in link-index order. */
export const EAST = 0;
export const WEST = 1;
export const SOUTH = 2;
export const NORTH = 3;
const DIRECTION_NAMES = ['east', 'west', 'south', 'north'] as const;

/** A batch of packets: parallel arrays of length >= count, and the cores' ready cycles. */
export interface PacketBatch {
  readonly count: number;
  /** Source and target core (index into ChipImage.cores). */
  readonly src: Uint16Array;
  readonly dst: Uint16Array;
  /**
   * Per core (index into ChipImage.cores, not per packet): the cycle from the step's start at which its
   * packets are ready at its output port, the end of its update; a whole number below 2^31. Per core,
   * because the chip has no other ready time: a per-packet copy was 8 of the 32 bytes a packet the step's
   * buffers held (the CPU backend's memory goal, docs/performance.md).
   */
  readonly coreReady: Float64Array;
}

/**
 * Arrays to list a batch in: per packet its source and target core and the
 * cycles of its delivery on the target (route's `work`). The NoC keeps them,
 * so that one in WebAssembly reads them where they are (MeshNoc.packetArrays).
 */
export interface PacketArrays {
  readonly src: Uint16Array;
  readonly dst: Uint16Array;
  readonly work: Int32Array;
}

/** Running totals over every batch routed so far: NocStats without the busiest link, which stats() derives. */
export type NocTotals = Omit<NocStats, 'busiestLink'>;

/**
 * The NoC of one image on one profile. Buffers are sized when it is made and
 * grow only when a batch is larger than any before.
 */
export class MeshNoc {
  /** Global tile grid of the board. */
  readonly width: number;
  readonly height: number;
  readonly cores: number;
  readonly linkCount: number;
  readonly linkLatency: Float64Array;
  readonly linkKind: Uint8Array;
  packets = 0;
  hopsEastWest = 0;
  hopsNorthSouth = 0;
  hopsChipToChip = 0;
  latencySumCycles = 0;
  latencyMaxCycles = 0;
  waitCycles = 0;

  protected readonly coreX: Int32Array;
  protected readonly coreY: Int32Array;
  /** Per core: its chip's column and row (a route's chip-to-chip hops follow). */
  protected readonly coreChipX: Int32Array;
  protected readonly coreChipY: Int32Array;
  /** Packets that entered each link over the runs folded in so far; loadDiff holds the rest (see linkLoad). */
  protected load: Float64Array;
  /**
   * Per tile link: +1 where a packet's straight run in that direction starts,
   * -1 at the tile where it turns; the prefix sums along each row (column) in
   * the direction of travel are the loads. Folded into `load` when read.
   */
  protected loadDiff: Float64Array;
  /** Per tile link: the latency from the chain's first tile to the link's tile (the chain: its row or column, in its direction). */
  protected readonly cum: Float64Array;
  /** Per link: first and last packet of its pending requests (-1: none), linked through `request`. */
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  /**
   * Per packet p: at 2p the cycle of its pending request (whole cycles: the header), at 2p + 1 the next packet
   * in the same link's list. Side by side, a list's walk (gather) reads one cache line a packet, not two:
   * CUBA 40,000's replayed NoC 2-4% faster than two arrays.
   */
  private request = new Int32Array(0);
  /** One link's requests while it is served: (time, packet), and a second pair for merging; run starts. */
  private sortTime = new Float64Array(0);
  private sortPacket = new Int32Array(0);
  private mergeTime = new Float64Array(0);
  private mergePacket = new Int32Array(0);
  private runStart = new Int32Array(0);
  /**
   * The column being served (serveColumn). Its packets are numbered in the order they joined it (a
   * place in chainTime/chainPacket/chainNext: its slot, its index in the batch, the next packet that
   * leaves the chain where it does): the chain's work stays within these and `slot`, not spread over
   * the batch's arrays. Per slot (a cycle of relative time, from `slotBase`), the packet that left
   * the last link served in that cycle, or -1 (-1 everywhere between chains); per position along the
   * chain, the first and last packet that leave it there (-1: none); and the queue of a link's
   * waiting packets, in the order it serves them.
   */
  private chainTime = new Int32Array(0);
  private chainPacket = new Int32Array(0);
  private chainNext = new Int32Array(0);
  private slot = new Int32Array(0);
  private slotBase = 0;
  /** The column being served: the sum of its leavers' slots so far. */
  private leftAt = 0;
  private readonly exitHead: Int32Array;
  private readonly exitTail: Int32Array;
  private queue = new Int32Array(0);
  /** The largest latency from a chain's start to one of its tiles: relative times are at least the batch's earliest ready time less this. */
  protected readonly maxCum: number;
  /** The row being served (serveRow): its stream (relative time, packet, position it leaves at) and the next pass's copy. */
  private streamTime = new Float64Array(0);
  private streamPacket = new Int32Array(0);
  private streamExit = new Int32Array(0);
  private nextTime = new Float64Array(0);
  private nextPacket = new Int32Array(0);
  private nextExit = new Int32Array(0);
  /** Running sums of the batch being routed (fields, so that the chain passes can add to them). */
  private wait = 0;
  /** Per core, over the batch so far: the cycle its output port is free again. */
  private readonly portFree: Float64Array;
  /** chain(direction, k) as tables, at direction * chainsPerDirection + k. */
  protected readonly chainsPerDirection: number;
  protected readonly chainFirst: Int32Array;
  protected readonly chainStride: Int32Array;
  protected readonly chainLength: Int32Array;
  /** Per chain (the same index): 1 when a packet joined it in the batch being routed; only those are served. */
  private readonly chainPending: Uint8Array;

  /** The arrays packetArrays() hands out. */
  private lists: PacketArrays;

  /** `capacity`: packets the arrays of packetArrays() hold before they first grow. */
  constructor(profile: ChipProfile, coreSlots: ArrayLike<number>, capacity = 0) {
    this.lists = { src: new Uint16Array(capacity), dst: new Uint16Array(capacity), work: new Int32Array(capacity) };
    const { chipsX, chipsY } = chipGrid(profile.board.chips);
    const { tilesX, tilesY } = profile.mesh;
    this.width = chipsX * tilesX;
    this.height = chipsY * tilesY;
    this.cores = coreSlots.length;
    this.coreX = new Int32Array(this.cores);
    this.coreY = new Int32Array(this.cores);
    this.coreChipX = new Int32Array(this.cores);
    this.coreChipY = new Int32Array(this.cores);
    for (let c = 0; c < this.cores; c++) {
      const pos = corePosition(profile, coreSlots[c]);
      this.coreX[c] = pos.x;
      this.coreY[c] = pos.y;
      this.coreChipX[c] = pos.chipX;
      this.coreChipY[c] = pos.chipY;
    }
    const tileLinks = this.width * this.height * 4;
    this.linkCount = tileLinks + 2 * this.cores;
    this.linkLatency = new Float64Array(this.linkCount);
    this.linkKind = new Uint8Array(this.linkCount);
    const cyc = profile.cycles;
    for (let ty = 0; ty < this.height; ty++) {
      for (let tx = 0; tx < this.width; tx++) {
        const base = (ty * this.width + tx) * 4;
        // A hop crosses a chip boundary when the two tiles' chip columns (rows) differ.
        const chipEast = Math.floor(tx / tilesX) !== Math.floor((tx + 1) / tilesX);
        const chipWest = Math.floor(tx / tilesX) !== Math.floor((tx - 1) / tilesX);
        const chipSouth = Math.floor(ty / tilesY) !== Math.floor((ty + 1) / tilesY);
        const chipNorth = Math.floor(ty / tilesY) !== Math.floor((ty - 1) / tilesY);
        const set = (dir: number, chip: boolean, kind: number, latency: number): void => {
          this.linkKind[base + dir] = chip ? LINK_CHIP : kind;
          this.linkLatency[base + dir] = chip ? profile.board.chipHopCycles : latency;
        };
        set(EAST, chipEast, LINK_EAST_WEST, cyc.hop_east_west);
        set(WEST, chipWest, LINK_EAST_WEST, cyc.hop_east_west);
        set(SOUTH, chipSouth, LINK_NORTH_SOUTH, cyc.hop_north_south);
        set(NORTH, chipNorth, LINK_NORTH_SOUTH, cyc.hop_north_south);
      }
    }
    for (let c = 0; c < this.cores; c++) {
      this.linkKind[tileLinks + 2 * c] = LINK_PORT_OUT;
      this.linkLatency[tileLinks + 2 * c] = 0;
      this.linkKind[tileLinks + 2 * c + 1] = LINK_PORT_IN;
      this.linkLatency[tileLinks + 2 * c + 1] = cyc.spike_in_tile;
    }
    this.load = new Float64Array(this.linkCount);
    this.loadDiff = new Float64Array(tileLinks);
    this.head = new Int32Array(this.linkCount).fill(-1);
    this.tail = new Int32Array(this.linkCount).fill(-1);
    this.portFree = new Float64Array(this.cores);
    this.cum = new Float64Array(tileLinks);
    this.chainsPerDirection = Math.max(this.width, this.height);
    this.exitHead = new Int32Array(this.chainsPerDirection).fill(-1);
    this.exitTail = new Int32Array(this.chainsPerDirection);
    this.chainFirst = new Int32Array(4 * this.chainsPerDirection);
    this.chainStride = new Int32Array(4 * this.chainsPerDirection);
    this.chainLength = new Int32Array(4 * this.chainsPerDirection);
    this.chainPending = new Uint8Array(4 * this.chainsPerDirection);
    for (let dir = 0; dir < 4; dir++) {
      const chains = dir < 2 ? this.height : this.width;
      for (let k = 0; k < chains; k++) {
        const { first, stride, length } = this.chain(dir, k);
        const at = dir * this.chainsPerDirection + k;
        this.chainFirst[at] = first;
        this.chainStride[at] = stride;
        this.chainLength[at] = length;
        let sum = 0;
        for (let i = 0; i < length; i++) {
          this.cum[first + i * stride] = sum;
          sum += this.linkLatency[first + i * stride];
        }
      }
    }
    this.maxCum = this.cum.reduce((a, b) => Math.max(a, b), 0);
  }

  /** Output port of core c. */
  outPort(c: number): number {
    return this.width * this.height * 4 + 2 * c;
  }

  /** Input port of core c. */
  inPort(c: number): number {
    return this.width * this.height * 4 + 2 * c + 1;
  }

  /** The link from tile (x, y) in a direction (0 east, 1 west, 2 south, 3 north). */
  tileLink(x: number, y: number, direction: number): number {
    return (y * this.width + x) * 4 + direction;
  }

  /**
   * Chain k of a direction: the links of row k (east, west) or column k (south,
   * north) in the order a packet crosses them, as first link, stride, length.
   */
  private chain(direction: number, k: number): { readonly first: number; readonly stride: number; readonly length: number } {
    const w = this.width;
    const h = this.height;
    if (direction === EAST) return { first: this.tileLink(0, k, EAST), stride: 4, length: w };
    if (direction === WEST) return { first: this.tileLink(w - 1, k, WEST), stride: -4, length: w };
    if (direction === SOUTH) return { first: this.tileLink(k, 0, SOUTH), stride: 4 * w, length: h };
    return { first: this.tileLink(k, h - 1, NORTH), stride: -4 * w, length: h };
  }

  /** A person's name for link l: "core 3 out", "core 3 in", "tile (2,1) east". */
  linkLabel(l: number): string {
    const tileLinks = this.width * this.height * 4;
    if (l >= tileLinks) return `core ${(l - tileLinks) >> 1} ${(l - tileLinks) & 1 ? 'in' : 'out'}`;
    const tile = l >> 2;
    return `tile (${tile % this.width},${Math.floor(tile / this.width)}) ${DIRECTION_NAMES[l & 3]}${this.linkKind[l] === LINK_CHIP ? ' (chip-to-chip)' : ''}`;
  }

  /** Packets that entered each link so far, indexed like linkLabel() (the array itself: read it, do not keep it across route calls). */
  get linkLoad(): Float64Array {
    const diff = this.loadDiff;
    const load = this.load;
    for (let dir = 0; dir < 4; dir++) {
      const chains = dir < 2 ? this.height : this.width;
      for (let k = 0; k < chains; k++) {
        const { first, stride, length } = this.chain(dir, k);
        let acc = 0;
        for (let i = 0, l = first; i < length; i++, l += stride) {
          acc += diff[l];
          diff[l] = 0;
          load[l] += acc;
        }
      }
    }
    return load;
  }

  /** The run's totals and its busiest link or port (the lowest index on a tie), as the reports give them. */
  stats(): NocStats {
    let busiest = -1;
    const load = this.linkLoad;
    for (let l = 0; l < this.linkCount; l++) if (load[l] > 0 && (busiest < 0 || load[l] > load[busiest])) busiest = l;
    return { ...this.totals(), busiestLink: busiest < 0 ? undefined : { index: busiest, label: this.linkLabel(busiest), packets: load[busiest] } };
  }

  totals(): NocTotals {
    return {
      packets: this.packets,
      hopsEastWest: this.hopsEastWest,
      hopsNorthSouth: this.hopsNorthSouth,
      hopsChipToChip: this.hopsChipToChip,
      latencySumCycles: this.latencySumCycles,
      latencyMaxCycles: this.latencyMaxCycles,
      waitCycles: this.waitCycles,
      linkLoad: this.linkLoad.slice(),
    };
  }

  /**
   * Routes one batch (one step's packets): fills arrival[0..count) and
   * order[0..count) as the header says (unless both are empty: a step's
   * timing needs neither, stepLatency), adds to the running totals, and
   * returns the last arrival (0 for an empty batch). Given `work` and `free`
   * (per core: the cycle its update ended, and on return the cycle its last
   * delivery ended), it also schedules the deliveries as the header says, in
   * the same pass over each core's arrivals.
   */
  route(batch: PacketBatch, arrival: Float64Array, order: Int32Array, work: Int32Array = NO_WORK, free: Float64Array = NO_TIMES): number {
    const n = batch.count;
    if (n === 0) return 0;
    // With work and free, each target core's deliveries too, while its packets are at hand.
    const deliver = free.length > 0;
    const outputs = arrival.length > 0 || order.length > 0;
    if (this.request.length < 2 * n) this.reserve(n);
    const { src, dst, coreReady } = batch;
    const { coreX, coreY, coreChipX, coreChipY, head, tail, loadDiff, load, portFree, request, chainPending } = this;
    const width = this.width;
    const perDirection = this.chainsPerDirection;
    const tileLinks = width * this.height * 4;
    this.wait = 0;
    // One pass: each packet's hops and the loads of its two straight runs (known
    // from the two ends), and its output port (latency 0), served in batch
    // order, from where it requests its first link. Batch order is each port's
    // (time, index) order: a core's packets are all ready at one cycle.
    let hopsEW = 0;
    let hopsNS = 0;
    let hopsChip = 0;
    let whole = true;
    let wait = 0;
    let earliest = Infinity;
    portFree.fill(0);
    for (let p = 0; p < n; p++) {
      const s = src[p];
      const d = dst[p];
      const r = coreReady[s];
      if ((r | 0) !== r) whole = false;
      if (r < earliest) earliest = r;
      const xs = coreX[s];
      const ys = coreY[s];
      const xd = coreX[d];
      const yd = coreY[d];
      const chipsX = Math.abs(coreChipX[s] - coreChipX[d]);
      const chipsY = Math.abs(coreChipY[s] - coreChipY[d]);
      hopsEW += Math.abs(xd - xs) - chipsX;
      hopsNS += Math.abs(yd - ys) - chipsY;
      hopsChip += chipsX + chipsY;
      load[tileLinks + 2 * s]++;
      const free = portFree[s];
      const enter = r > free ? r : free;
      wait += enter - r;
      portFree[s] = enter + 1;
      // The first link after the port: the X run's, else the Y run's, else the target's input port.
      let link = tileLinks + 2 * d + 1;
      if (yd !== ys) {
        const dir = yd > ys ? SOUTH : NORTH;
        link = (ys * width + xd) * 4 + dir;
        loadDiff[link]++;
        loadDiff[(yd * width + xd) * 4 + dir]--;
        if (xd === xs) chainPending[dir * perDirection + xs] = 1;
      }
      if (xd !== xs) {
        const dir = xd > xs ? EAST : WEST;
        link = (ys * width + xs) * 4 + dir;
        loadDiff[link]++;
        loadDiff[(ys * width + xd) * 4 + dir]--;
        chainPending[dir * perDirection + ys] = 1;
      }
      request[2 * p] = enter;
      request[2 * p + 1] = -1;
      if (head[link] < 0) head[link] = p;
      else request[2 * tail[link] + 1] = p;
      tail[link] = p;
    }
    // Times are whole cycles (`request` holds them in 32 bits): another ready time is our bug.
    if (!whole) {
      // Our bug: the batch is refused, and its requests taken off the lists, which a later batch would otherwise extend.
      head.fill(-1);
      chainPending.fill(0);
      throw notWhole(batch);
    }
    this.hopsEastWest += hopsEW;
    this.hopsNorthSouth += hopsNS;
    this.hopsChipToChip += hopsChip;
    this.wait = wait;
    // Every time on a chain, relative to its start, is at least this (slot indices are relative time less it).
    this.slotBase = Math.floor(earliest) - this.maxCum;
    // The straight runs: rows before columns (a packet's Y run starts where its X run ends); only the chains packets joined.
    for (let dir = 0; dir < 4; dir++) {
      const chains = dir < 2 ? this.height : width;
      const coord = dir < 2 ? coreX : coreY;
      for (let k = 0; k < chains; k++) {
        if (chainPending[dir * perDirection + k] === 0) continue;
        chainPending[dir * perDirection + k] = 0;
        if (dir < SOUTH || this.chainLength[dir * perDirection + k] < COLUMN_SLOTS_MIN) this.serveRow(dir, k, dst, coord);
        else this.serveColumn(dir, k, dst, coord);
      }
    }
    // Input ports, by target core: the arrivals and their order.
    const latency = this.linkLatency;
    let done = 0;
    let last = 0;
    let inWait = 0;
    let latencySum = 0;
    let latencyMax = this.latencyMaxCycles;
    for (let c = 0; c < this.cores; c++) {
      const link = tileLinks + 2 * c + 1;
      if (head[link] < 0) continue;
      const m = this.gather(link);
      load[link] += m;
      const times = this.sortTime;
      const packets = this.sortPacket;
      const lat = latency[link];
      let portFree = 0;
      let busy = deliver ? free[c] : 0;
      for (let j = 0; j < m; j++) {
        const time = times[j];
        const enter = time > portFree ? time : portFree;
        inWait += enter - time;
        portFree = enter + 1;
        const p = packets[j];
        const next = enter + lat;
        if (outputs) {
          arrival[p] = next;
          order[done++] = p;
        }
        const took = next - coreReady[src[p]];
        latencySum += took;
        if (took > latencyMax) latencyMax = took;
        if (next > last) last = next;
        if (deliver) busy = (next > busy ? next : busy) + work[p];
      }
      if (deliver) free[c] = busy;
    }
    // Integer sums below 2^53: exact in any order, so the totals are the event simulation's.
    this.waitCycles += this.wait + inWait;
    this.latencySumCycles += latencySum;
    this.latencyMaxCycles = latencyMax;
    this.packets += n;
    return last;
  }

  /** Appends a request of packet p for `link` at `time`. */
  private push(link: number, time: number, p: number): void {
    const request = this.request;
    request[2 * p] = time;
    request[2 * p + 1] = -1;
    if (this.head[link] < 0) this.head[link] = p;
    else request[2 * this.tail[link] + 1] = p;
    this.tail[link] = p;
  }

  /**
   * Serves a row's chain of links (eastward or westward). Its packets form a
   * stream kept in order of service, with times relative to the chain's start
   * (time at position i = relative time + cum): where no packet joins, every link serves the stream as it comes (strictly
   * increasing times, one cycle apart at least, all on one latency: nobody
   * waits), so only positions where packets join need a pass. A pass leaves
   * alone the packets served before the first joiner, merges the joiners in by
   * (time, index), and stops where a packet after the last joiner is no longer
   * delayed (nor is any after it); only that stretch is rewritten. Packets that
   * turned off stay in the stream, unchanged, until a pass crosses them or the
   * chain ends: a packet leaves at its target column (row) at relative time +
   * cum there, and nothing it leaves for is served before this chain is done.
   */
  private serveRow(direction: number, k: number, dst: Uint16Array, coord: Int32Array): void {
    // From the tables, not chain(): its record would be allocated on every call.
    const c = direction * this.chainsPerDirection + k;
    const first = this.chainFirst[c];
    const stride = this.chainStride[c];
    const length = this.chainLength[c];
    const { cum } = this;
    // Position along the chain of a coordinate: ascending or descending.
    const reverse = direction === WEST || direction === NORTH;
    let s = 0;
    for (let i = 0, link = first; i < length; i++, link += stride) {
      if (this.head[link] < 0) continue;
      const m = this.gather(link);
      // The stream after this pass holds at most every packet it held and every joiner.
      if (s + m > this.streamTime.length) this.growStream(s + m, s);
      const offset = cum[link];
      const jt = this.sortTime;
      const jp = this.sortPacket;
      const st = this.streamTime;
      const sp = this.streamPacket;
      const se = this.streamExit;
      const nt = this.nextTime;
      const np = this.nextPacket;
      const ne = this.nextExit;
      // The first packet served after the first joiner, by binary search on (time, index).
      const t0 = jt[0] - offset;
      const q0 = jp[0];
      let lo = 0;
      let hi = s;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        // Tie-breaks are compared on every turn, not only on a tie (see gather).
        const after = sp[mid] > q0;
        if (st[mid] > t0 || (st[mid] === t0 && after)) hi = mid;
        else lo = mid + 1;
      }
      const start = lo;
      // The link is free after the last packet before it that is still on the chain here.
      let before = start - 1;
      while (before >= 0 && se[before] <= i) before--;
      let free = before >= 0 ? st[before] + 1 : -offset;
      let a = start;
      // The rewritten stretch goes to the spare buffers at the place it takes in the stream.
      let o = start;
      let wait = 0;
      for (let b = 0; b < m; b++) {
        const t = jt[b] - offset;
        const q = jp[b];
        while (a < s) {
          const time = st[a];
          const p = sp[a];
          const after = p > q;
          if (time > t || (time === t && after)) break;
          const exit = se[a];
          a++;
          if (exit <= i) {
            this.leave(direction, k, p, time + cum[first + exit * stride], dst);
            continue;
          }
          // Served as it comes unless a joiner just delayed the packet before it.
          const enter = time > free ? time : free;
          wait += enter - time;
          free = enter + 1;
          nt[o] = enter;
          np[o] = p;
          ne[o] = exit;
          o++;
        }
        const e = coord[dst[q]];
        const enter = t > free ? t : free;
        wait += enter - t;
        free = enter + 1;
        nt[o] = enter;
        np[o] = q;
        ne[o] = reverse ? length - 1 - e : e;
        o++;
      }
      // After the last joiner, the delays carry on until a packet is not delayed.
      while (a < s) {
        const time = st[a];
        const exit = se[a];
        if (exit <= i) {
          this.leave(direction, k, sp[a], time + cum[first + exit * stride], dst);
          a++;
          continue;
        }
        if (time >= free) break;
        wait += free - time;
        nt[o] = free;
        np[o] = sp[a];
        ne[o] = exit;
        free++;
        o++;
        a++;
      }
      this.wait += wait;
      // stream = [0, start) + the rewritten stretch [start, end) + [a, s) moved up or down: whichever
      // is less to copy, the stretch into the stream, or the rest of the stream around the stretch in the
      // spare buffers, which become the stream (a saturated stream is rewritten from near its start).
      // Element by element: set(subarray) would allocate a view per pass.
      const end = o;
      if (start + (s - a) < end - start) {
        for (let j = 0; j < start; j++) {
          nt[j] = st[j];
          np[j] = sp[j];
          ne[j] = se[j];
        }
        for (let j = a, to = end; j < s; j++, to++) {
          nt[to] = st[j];
          np[to] = sp[j];
          ne[to] = se[j];
        }
        this.streamTime = nt;
        this.streamPacket = np;
        this.streamExit = ne;
        this.nextTime = st;
        this.nextPacket = sp;
        this.nextExit = se;
      } else {
        if (a !== end && a < s) {
          st.copyWithin(end, a, s);
          sp.copyWithin(end, a, s);
          se.copyWithin(end, a, s);
        }
        for (let j = start; j < end; j++) {
          st[j] = nt[j];
          sp[j] = np[j];
          se[j] = ne[j];
        }
      }
      s = end + (s - a);
    }
    // Every packet still in the stream has turned off by the chain's end.
    const st = this.streamTime;
    const sp = this.streamPacket;
    const se = this.streamExit;
    for (let a = 0; a < s; a++) this.leave(direction, k, sp[a], st[a] + cum[first + se[a] * stride], dst);
  }

  /**
   * Serves a column's chain of links (southward or northward). Times on it are
   * kept relative to the chain's start (the time at position i is the relative
   * time plus cum there): a packet that no other delays crosses every link of
   * the chain at the same relative time, so only positions where packets join
   * need work. The chain's packets sit in `slot` by the relative time at which
   * they left the last link served. At a position where packets join, the
   * packets that left the chain up to there go on (their times are final), then
   * the link serves, in order of (time, index), its joiners and the packets
   * already on the chain: from the first joiner's time on, cycle by cycle while
   * any wait, each cycle taking the first of the queue and queueing what
   * arrives in it; where the queue runs dry it jumps to the next joiner. A
   * packet nobody delays is never touched, so a pass costs its joiners and the
   * packets they delay, not the chain's length of stream.
   */
  private serveColumn(direction: number, k: number, dst: Uint16Array, coord: Int32Array): void {
    // From the tables, not chain(): its record would be allocated on every call.
    const c = direction * this.chainsPerDirection + k;
    const first = this.chainFirst[c];
    const stride = this.chainStride[c];
    const length = this.chainLength[c];
    const { cum, exitHead, exitTail, slotBase: base } = this;
    // Position along the chain of a row: ascending southward, descending northward.
    const reverse = direction === NORTH;
    // Packets that joined the chain, the largest slot it holds a packet at, and the last position whose leavers went on.
    let joined = 0;
    let top = 0;
    let gone = -1;
    // A packet's waits on the chain are its relative time when it leaves less when it joined.
    let joinedAt = 0;
    this.leftAt = 0;
    for (let i = 0, link = first; i < length; i++, link += stride) {
      if (this.head[link] < 0) continue;
      for (let x = gone + 1; x <= i; x++) this.leaveAt(direction, k, x, first + x * stride, dst);
      gone = i;
      const m = this.gather(link);
      const jt = this.sortTime;
      const jp = this.sortPacket;
      const offset = cum[link] + base;
      // A pass ends by the later of the last joiner and the chain's last packet, plus one cycle for each joiner.
      const last = Math.max(top, jt[m - 1] - offset) + m;
      if (last >= this.slot.length) this.growSlots(last + 1);
      if (joined + m > this.chainTime.length) this.growChain(joined + m, joined);
      const slot = this.slot;
      const queue = this.queue;
      const time = this.chainTime;
      const packet = this.chainPacket;
      const next = this.chainNext;
      // The joiners are on the chain now, numbered in order, each listed at the position where it leaves after
      // the ones there before: a link that packets turn to then gets them in a few ascending runs (gather).
      for (let j = 0; j < m; j++) {
        const q = jp[j];
        const local = joined + j;
        packet[local] = q;
        const u = jt[j] - offset;
        // A slot is a whole cycle (the header): a fraction, or a span past 2^31 cycles, is our bug.
        if ((u | 0) !== u) throw new RangeError(`MeshNoc: packet ${q} requests a link at cycle ${jt[j]}, not a whole cycle within 2^31 of the step's first`);
        joinedAt += u;
        const e = coord[dst[q]];
        const exit = reverse ? length - 1 - e : e;
        next[local] = -1;
        if (exitHead[exit] < 0) exitHead[exit] = local;
        else next[exitTail[exit]] = local;
        exitTail[exit] = local;
      }
      // The link serves: from a joiner's arrival on, one packet a cycle from the queue, which takes in
      // each cycle, in index order, the packet on the chain that arrives in it and the joiners that do;
      // where the queue runs dry, the packets on the chain up to the next joiner pass as they came.
      let b = 0;
      while (b < m) {
        let u = (jt[b] - offset) | 0;
        let arrives = u;
        let head = 0;
        let tail = 0;
        do {
          const here = slot[u];
          if (arrives === u) {
            // The tie-break is compared on every turn (see gather).
            const hereIndex = here < 0 ? 0x7fffffff : packet[here];
            while (b < m && jt[b] - offset === u && jp[b] < hereIndex) queue[tail++] = joined + b++;
            if (here >= 0) queue[tail++] = here;
            while (b < m && jt[b] - offset === u) queue[tail++] = joined + b++;
            arrives = b < m ? (jt[b] - offset) | 0 : -1;
          } else if (here >= 0) queue[tail++] = here;
          const p = queue[head++];
          time[p] = u;
          slot[u] = p;
          u++;
        } while (head < tail);
        if (u - 1 > top) top = u - 1;
      }
      joined += m;
    }
    // Every packet still on the chain has turned off by the chain's end.
    for (let x = gone + 1; x < length; x++) this.leaveAt(direction, k, x, first + x * stride, dst);
    this.wait += this.leftAt - joinedAt;
  }

  /**
   * The packets that leave chain k of `direction` at position x (its link `link`) go on, at their relative time
   * plus cum there (their slot plus slotBase); adds their slots to leftAt.
   */
  private leaveAt(direction: number, k: number, x: number, link: number, dst: Uint16Array): void {
    const { exitHead, slot, chainTime: time, chainPacket: packet, chainNext: next } = this;
    const at = this.cum[link] + this.slotBase;
    let sum = 0;
    for (let l = exitHead[x]; l >= 0; l = next[l]) {
      const u = time[l];
      slot[u] = -1;
      sum += u;
      this.leave(direction, k, packet[l], u + at, dst);
    }
    exitHead[x] = -1;
    this.leftAt += sum;
  }

  /** Packet p turns off chain k of `direction` at (relative time + cum) `at`: on to its column's chain, or to its core. */
  private leave(direction: number, k: number, p: number, at: number, dst: Uint16Array): void {
    const d = dst[p];
    let to: number;
    if (direction === EAST || direction === WEST) {
      const ty = this.coreY[d];
      const tx = this.coreX[d];
      if (k === ty) to = this.inPort(d);
      else {
        const dir = k < ty ? SOUTH : NORTH;
        this.chainPending[dir * this.chainsPerDirection + tx] = 1;
        to = (k * this.width + tx) * 4 + dir;
      }
    } else to = this.inPort(d);
    this.push(to, at, p);
  }

  /**
   * Takes `link`'s pending requests off its list and sorts them by (time,
   * packet) into sortTime/sortPacket[0..m); returns m. They arrive as a few
   * ascending runs (each upstream link emits its packets in increasing time),
   * so a natural merge sort finishes them in O(m log runs).
   */
  private gather(link: number): number {
    const request = this.request;
    let times = this.sortTime;
    let packets = this.sortPacket;
    let runs = this.runStart;
    let m = 0;
    let runCount = 1;
    runs[0] = 0;
    let lastTime = -Infinity;
    let lastPacket = -1;
    for (let p = this.head[link]; p >= 0; p = request[2 * p + 1]) {
      if (m === times.length) {
        this.growSort(m + 1);
        times = this.sortTime;
        packets = this.sortPacket;
        runs = this.runStart;
      }
      const time = request[2 * p];
      // The tie-break is compared on every turn, not only on a tie: code that V8 compiled before the first
      // tie had no type feedback for it and left that code at every later tie, finishing the call
      // unoptimised (39 times in 800 two-thread steps of CUBA at 4,000 neurons).
      const before = p < lastPacket;
      if (time < lastTime || (time === lastTime && before)) runs[runCount++] = m;
      lastTime = time;
      lastPacket = p;
      times[m] = time;
      packets[m] = p;
      m++;
    }
    this.head[link] = -1;
    if (runCount > 1) this.mergeRuns(m, runCount);
    return m;
  }

  /**
   * Sorts sortTime/sortPacket[0..m) by (time, packet), given that they are
   * `runCount` ascending runs starting at runStart[]: merges neighbouring runs
   * pairwise until one is left, alternating between the two buffer pairs.
   */
  private mergeRuns(m: number, runCount: number): void {
    const runs = this.runStart;
    let fromT = this.sortTime;
    let fromP = this.sortPacket;
    let toT = this.mergeTime;
    let toP = this.mergePacket;
    let count = runCount;
    while (count > 1) {
      let merged = 0;
      for (let r = 0; r < count; r += 2) {
        const a0 = runs[r];
        const a1 = r + 1 < count ? runs[r + 1] : m;
        const b1 = r + 2 < count ? runs[r + 2] : m;
        let i = a0;
        let j = a1;
        let o = a0;
        while (i < a1 && j < b1) {
          const ti = fromT[i];
          const tj = fromT[j];
          const before = fromP[j] < fromP[i];
          if (tj < ti || (tj === ti && before)) {
            toT[o] = tj;
            toP[o++] = fromP[j++];
          } else {
            toT[o] = ti;
            toP[o++] = fromP[i++];
          }
        }
        while (i < a1) {
          toT[o] = fromT[i];
          toP[o++] = fromP[i++];
        }
        while (j < b1) {
          toT[o] = fromT[j];
          toP[o++] = fromP[j++];
        }
        runs[merged++] = a0;
      }
      count = merged;
      const t = fromT;
      fromT = toT;
      toT = t;
      const p = fromP;
      fromP = toP;
      toP = p;
    }
    this.sortTime = fromT;
    this.sortPacket = fromP;
    this.mergeTime = toT;
    this.mergePacket = toP;
  }

  /**
   * Arrays to list a batch of `packets` packets in before route() (a batch may
   * also come in arrays of its own). They hold what was listed until the next
   * call, which may hand out others: grown to the batch and an eighth more
   * (packetRoom), or, in WebAssembly, views made again after its memory grew.
   */
  packetArrays(packets: number): PacketArrays {
    if (packets > this.lists.src.length) {
      const size = packetRoom(packets);
      this.lists = { src: new Uint16Array(size), dst: new Uint16Array(size), work: new Int32Array(size) };
    }
    return this.lists;
  }

  /** Packets the arrays of packetArrays() hold before they next grow. */
  packetCapacity(): number {
    return this.lists.src.length;
  }

  /** Room for a batch of n packets' requests (every packet has one pending at a time), and an eighth more (packetRoom). */
  private reserve(n: number): void {
    const size = packetRoom(n);
    this.request = new Int32Array(2 * size);
  }

  /**
   * Room for `needed` requests of one link, keeping the ones gathered so far
   * (sortTime/sortPacket and the run starts; the merge pair is scratch). The
   * link and chain buffers grow to what one link or chain is sent, which on a
   * large mesh is a small part of the batch.
   */
  private growSort(needed: number): void {
    const size = Math.max(needed, 2 * this.sortTime.length, MIN_BUFFER);
    this.sortTime = grow(this.sortTime, size);
    this.sortPacket = grow(this.sortPacket, size);
    this.runStart = grow(this.runStart, size + 1);
    this.mergeTime = new Float64Array(size);
    this.mergePacket = new Int32Array(size);
  }

  /** Room for a row's stream of `needed` packets, keeping its first `keep` (the next-pass copy is scratch). */
  private growStream(needed: number, keep: number): void {
    const size = Math.max(needed, 2 * this.streamTime.length, MIN_BUFFER);
    this.streamTime = grow(this.streamTime.subarray(0, keep), size);
    this.streamPacket = grow(this.streamPacket.subarray(0, keep), size);
    this.streamExit = grow(this.streamExit.subarray(0, keep), size);
    this.nextTime = new Float64Array(size);
    this.nextPacket = new Int32Array(size);
    this.nextExit = new Int32Array(size);
  }

  /** Room for `needed` packets on the column being served, keeping the first `keep`; the queue holds as many. */
  private growChain(needed: number, keep: number): void {
    const size = Math.max(needed, 2 * this.chainTime.length, MIN_BUFFER);
    this.chainTime = grow(this.chainTime.subarray(0, keep), size);
    this.chainPacket = grow(this.chainPacket.subarray(0, keep), size);
    this.chainNext = grow(this.chainNext.subarray(0, keep), size);
    this.queue = new Int32Array(size);
  }

  /** Room for relative times up to slotBase + needed - 1, keeping the chain's packets (the cycles past them are free: -1). */
  private growSlots(needed: number): void {
    const size = Math.max(needed, 2 * this.slot.length, MIN_BUFFER);
    const slot = new Int32Array(size).fill(-1);
    slot.set(this.slot);
    this.slot = slot;
  }

  /** Bytes of the per-packet buffers as they have grown (emulator/cpu/memory.ts counts them). */
  bufferBytes(): number {
    let bytes = 0;
    for (const a of [this.lists.src, this.lists.dst, this.lists.work, this.request, this.sortTime, this.sortPacket, this.mergeTime, this.mergePacket, this.runStart, this.streamTime, this.streamPacket, this.streamExit, this.nextTime, this.nextPacket, this.nextExit, this.chainTime, this.chainPacket, this.chainNext, this.slot, this.queue, this.exitHead, this.exitTail]) bytes += a.byteLength;
    return bytes;
  }
}

/**
 * The error for a batch with a core ready at a fraction of a cycle (or past 2^31). Its own function: a
 * closure over route()'s arrays would make V8 allocate route()'s variables on the heap at every call.
 */
export function notWhole(batch: PacketBatch): RangeError {
  let r = 0;
  for (let p = 0; p < batch.count && (r | 0) === r; p++) r = batch.coreReady[batch.src[p]];
  return new RangeError(`MeshNoc: a core's packets are ready at ${r}, not a whole cycle below 2^31`);
}

/**
 * `noc`'s running totals, handed over (another thread adds them with
 * addNocTotals), and its totals started again from zero: a thread that times
 * steps hands each one over once.
 */
export function takeNocTotals(noc: MeshNoc): NocTotals {
  const totals = noc.totals();
  noc.packets = noc.hopsEastWest = noc.hopsNorthSouth = noc.hopsChipToChip = noc.latencySumCycles = noc.latencyMaxCycles = noc.waitCycles = 0;
  noc.linkLoad.fill(0);
  return totals;
}

/** The scalar totals of NocTotals in the order writeNocTotals writes them, before the link loads. */
const TOTAL_FIELDS = ['packets', 'hopsEastWest', 'hopsNorthSouth', 'hopsChipToChip', 'latencySumCycles', 'latencyMaxCycles', 'waitCycles'] as const;

/** Doubles that writeNocTotals writes for a NoC: its scalar totals, then every link's load. */
export function nocTotalsLength(noc: MeshNoc): number {
  return TOTAL_FIELDS.length + noc.linkCount;
}

/** Writes `totals` into `out` (nocTotalsLength doubles), for a thread that shares `out` to read with nocTotalsFrom. */
export function writeNocTotals(totals: NocTotals, out: Float64Array): void {
  TOTAL_FIELDS.forEach((field, k) => {
    out[k] = totals[field];
  });
  out.set(totals.linkLoad, TOTAL_FIELDS.length);
}

/** The totals writeNocTotals wrote into `from` (the link loads are a view of it). */
export function nocTotalsFrom(from: Float64Array): NocTotals {
  const [packets, hopsEastWest, hopsNorthSouth, hopsChipToChip, latencySumCycles, latencyMaxCycles, waitCycles] = TOTAL_FIELDS.map((_, k) => from[k]);
  return { packets, hopsEastWest, hopsNorthSouth, hopsChipToChip, latencySumCycles, latencyMaxCycles, waitCycles, linkLoad: from.subarray(TOTAL_FIELDS.length) };
}

/** Adds another NoC's running totals into `noc` (integer sums below 2^53 and a maximum: exact in any order): the timers of several threads. */
export function addNocTotals(noc: MeshNoc, d: NocTotals): void {
  noc.packets += d.packets;
  noc.hopsEastWest += d.hopsEastWest;
  noc.hopsNorthSouth += d.hopsNorthSouth;
  noc.hopsChipToChip += d.hopsChipToChip;
  noc.latencySumCycles += d.latencySumCycles;
  if (d.latencyMaxCycles > noc.latencyMaxCycles) noc.latencyMaxCycles = d.latencyMaxCycles;
  noc.waitCycles += d.waitCycles;
  const load = noc.linkLoad;
  for (let l = 0; l < d.linkLoad.length; l++) load[l] += d.linkLoad[l];
}

/**
 * A step's latency once its packets are listed in `batch` (docs/chip-model.md):
 * they cross the NoC, each target core delivers them in order of arrival from
 * free[c] (the end of its update on entry, of its deliveries on return), then
 * learns for learn[learnAt + c] cycles; the step lasts until the last core is
 * done, plus the barrier. Both backends time a step with it. Written to
 * out[at], not returned: a double returned from a call V8 does not inline is a
 * new heap number, and the CPU step loop allocates nothing.
 */
export function stepLatency(
  noc: MeshNoc,
  batch: PacketBatch,
  work: Int32Array,
  free: Float64Array,
  learn: Float64Array,
  learnAt: number,
  barrier: number,
  out: Float64Array,
  at: number,
): void {
  if (batch.count > 0) noc.route(batch, NO_TIMES, NO_ORDER, work, free);
  let end = 0;
  for (let c = 0; c < free.length; c++) {
    const done = free[c] + learn[learnAt + c];
    if (done > end) end = done;
  }
  out[at] = end + barrier;
}
