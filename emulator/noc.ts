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
// link too, so the packets leaving one core are serialised one per cycle.
//
// Order. A link serves its requests in the order (cycle of the request,
// packet index), where the packet index is the packet's position in the batch
// (the CPU backend lists packets by source core, then spiking slot, then
// route). So a link serves packets first come, first served, and ties go to the
// lower index. This is the order of a discrete-event simulation keyed by
// (cycle, index); every time is a whole number of cycles from the step's start.
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
// Outputs. arrival[p]: the cycle at which packet p is at its target core, ready
// to be delivered; order: the packets grouped by target core (ascending), each
// core's packets in the order they passed its input port, which is order of
// arrival (strictly increasing: an input port takes one packet per cycle).
// scheduleDeliveries needs no more than that.
import { chipGrid, corePosition, type ChipProfile } from '../isa/profile.js';
import type { NocStats } from './interface.js';

/** Link kinds, for hop counts and labels. */
export const LINK_PORT_OUT = 0;
export const LINK_PORT_IN = 1;
export const LINK_EAST_WEST = 2;
export const LINK_NORTH_SOUTH = 3;
export const LINK_CHIP = 4;

/** Directions of a tile's links, in link-index order. */
const EAST = 0;
const WEST = 1;
const SOUTH = 2;
const NORTH = 3;
const DIRECTION_NAMES = ['east', 'west', 'south', 'north'] as const;

/** A batch of packets: parallel arrays of length >= count. */
export interface PacketBatch {
  readonly count: number;
  /** Source and target core (index into ChipImage.cores). */
  readonly src: Uint16Array;
  readonly dst: Uint16Array;
  /** Cycle (from the step's start) at which the packet is ready at its source core's output port. */
  readonly ready: Float64Array;
}

/** Running totals over every batch routed so far. */
export interface NocTotals {
  readonly packets: number;
  readonly hopsEastWest: number;
  readonly hopsNorthSouth: number;
  readonly hopsChipToChip: number;
  /** Σ over packets of (arrival - ready), and the largest such latency. */
  readonly latencySumCycles: number;
  readonly latencyMaxCycles: number;
  /** Σ over packets and links of the cycles spent waiting for a busy link (contention). */
  readonly waitCycles: number;
  /** Packets that entered each link, indexed like linkLabel(). */
  readonly linkLoad: Float64Array;
}

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
  readonly linkLoad: Float64Array;
  packets = 0;
  hopsEastWest = 0;
  hopsNorthSouth = 0;
  hopsChipToChip = 0;
  latencySumCycles = 0;
  latencyMaxCycles = 0;
  waitCycles = 0;

  private readonly coreX: Int32Array;
  private readonly coreY: Int32Array;
  /** Every link in the order they are served (the header's topological order). */
  private readonly serveOrder: Int32Array;
  /** Per link: the tile a packet is at after crossing it (for tile links; ports: the core's tile). */
  private readonly linkToX: Int32Array;
  private readonly linkToY: Int32Array;
  /** Per link: first and last packet of its pending requests (-1: none), linked through nextRequest. */
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  /** Per packet: the cycle of its pending request and the next packet in the same link's list. */
  private requestTime = new Float64Array(0);
  private nextRequest = new Int32Array(0);
  /** One link's requests while it is served: (time, packet), and a second pair for merging; run starts. */
  private sortTime = new Float64Array(0);
  private sortPacket = new Int32Array(0);
  private mergeTime = new Float64Array(0);
  private mergePacket = new Int32Array(0);
  private runStart = new Int32Array(0);

  constructor(profile: ChipProfile, coreSlots: ArrayLike<number>) {
    const { chipsX, chipsY } = chipGrid(profile.board.chips);
    const { tilesX, tilesY } = profile.mesh;
    this.width = chipsX * tilesX;
    this.height = chipsY * tilesY;
    this.cores = coreSlots.length;
    this.coreX = new Int32Array(this.cores);
    this.coreY = new Int32Array(this.cores);
    for (let c = 0; c < this.cores; c++) {
      const pos = corePosition(profile, coreSlots[c]);
      this.coreX[c] = pos.x;
      this.coreY[c] = pos.y;
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
    this.linkLoad = new Float64Array(this.linkCount);
    this.head = new Int32Array(this.linkCount).fill(-1);
    this.tail = new Int32Array(this.linkCount).fill(-1);
    this.linkToX = new Int32Array(this.linkCount);
    this.linkToY = new Int32Array(this.linkCount);
    const step = [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
    ] as const;
    for (let l = 0; l < tileLinks; l++) {
      const tile = l >> 2;
      this.linkToX[l] = (tile % this.width) + step[l & 3][0];
      this.linkToY[l] = Math.floor(tile / this.width) + step[l & 3][1];
    }
    for (let c = 0; c < this.cores; c++) {
      for (const l of [tileLinks + 2 * c, tileLinks + 2 * c + 1]) {
        this.linkToX[l] = this.coreX[c];
        this.linkToY[l] = this.coreY[c];
      }
    }
    const order: number[] = [];
    for (let c = 0; c < this.cores; c++) order.push(tileLinks + 2 * c);
    for (let x = 0; x < this.width; x++) for (let y = 0; y < this.height; y++) order.push(this.tileLink(x, y, EAST));
    for (let x = this.width - 1; x >= 0; x--) for (let y = 0; y < this.height; y++) order.push(this.tileLink(x, y, WEST));
    for (let y = 0; y < this.height; y++) for (let x = 0; x < this.width; x++) order.push(this.tileLink(x, y, SOUTH));
    for (let y = this.height - 1; y >= 0; y--) for (let x = 0; x < this.width; x++) order.push(this.tileLink(x, y, NORTH));
    for (let c = 0; c < this.cores; c++) order.push(tileLinks + 2 * c + 1);
    this.serveOrder = Int32Array.from(order);
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

  /** A person's name for link l: "core 3 out", "core 3 in", "tile (2,1) east". */
  linkLabel(l: number): string {
    const tileLinks = this.width * this.height * 4;
    if (l >= tileLinks) return `core ${(l - tileLinks) >> 1} ${(l - tileLinks) & 1 ? 'in' : 'out'}`;
    const tile = l >> 2;
    return `tile (${tile % this.width},${Math.floor(tile / this.width)}) ${DIRECTION_NAMES[l & 3]}${this.linkKind[l] === LINK_CHIP ? ' (chip-to-chip)' : ''}`;
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
   * order[0..count) as the header says, adds to the running totals, and
   * returns the last arrival (0 for an empty batch).
   */
  route(batch: PacketBatch, arrival: Float64Array, order: Int32Array): number {
    const n = batch.count;
    if (n === 0) return 0;
    if (this.requestTime.length < n) this.reserve(n);
    const { src, dst, ready } = batch;
    const { coreX, coreY, head, tail, requestTime, nextRequest, serveOrder, linkToX, linkToY, linkLatency, linkKind, linkLoad } = this;
    const width = this.width;
    const tileLinks = width * this.height * 4;
    // Every packet first requests its source core's output port.
    for (let p = 0; p < n; p++) {
      const link = tileLinks + 2 * src[p];
      requestTime[p] = ready[p];
      nextRequest[p] = -1;
      if (head[link] < 0) head[link] = p;
      else nextRequest[tail[link]] = p;
      tail[link] = p;
    }
    let done = 0;
    let last = 0;
    let wait = 0;
    let latencySum = 0;
    let latencyMax = this.latencyMaxCycles;
    for (let k = 0; k < serveOrder.length; k++) {
      const link = serveOrder[k];
      if (head[link] < 0) continue;
      // Gather the link's requests and sort them by (time, packet): the order of service.
      let times = this.sortTime;
      let packets = this.sortPacket;
      const runs = this.runStart;
      let m = 0;
      let runCount = 1;
      runs[0] = 0;
      for (let p = head[link]; p >= 0; p = nextRequest[p]) {
        const time = requestTime[p];
        if (m > 0 && (time < times[m - 1] || (time === times[m - 1] && p < packets[m - 1]))) runs[runCount++] = m;
        times[m] = time;
        packets[m] = p;
        m++;
      }
      head[link] = -1;
      if (runCount > 1) {
        this.mergeRuns(m, runCount);
        // mergeRuns leaves the result in sortTime/sortPacket (it swaps the buffers).
        times = this.sortTime;
        packets = this.sortPacket;
      }
      linkLoad[link] += m;
      const latency = linkLatency[link];
      const kind = linkKind[link];
      let free = 0;
      if (kind === LINK_PORT_IN) {
        for (let j = 0; j < m; j++) {
          const time = times[j];
          const enter = time > free ? time : free;
          wait += enter - time;
          free = enter + 1;
          const p = packets[j];
          const next = enter + latency;
          arrival[p] = next;
          order[done++] = p;
          const took = next - ready[p];
          latencySum += took;
          if (took > latencyMax) latencyMax = took;
          if (next > last) last = next;
        }
        continue;
      }
      if (kind === LINK_EAST_WEST) this.hopsEastWest += m;
      else if (kind === LINK_NORTH_SOUTH) this.hopsNorthSouth += m;
      else if (kind === LINK_CHIP) this.hopsChipToChip += m;
      // The tile every packet of this link is at once it has crossed it.
      const x = linkToX[link];
      const y = linkToY[link];
      const base = (y * width + x) * 4;
      for (let j = 0; j < m; j++) {
        const time = times[j];
        const enter = time > free ? time : free;
        wait += enter - time;
        free = enter + 1;
        const p = packets[j];
        const d = dst[p];
        const tx = coreX[d];
        const ty = coreY[d];
        const to = x < tx ? base + EAST : x > tx ? base + WEST : y < ty ? base + SOUTH : y > ty ? base + NORTH : tileLinks + 2 * d + 1;
        requestTime[p] = enter + latency;
        nextRequest[p] = -1;
        if (head[to] < 0) head[to] = p;
        else nextRequest[tail[to]] = p;
        tail[to] = p;
      }
    }
    // Integer sums below 2^53: exact in any order, so the totals are the event simulation's.
    this.waitCycles += wait;
    this.latencySumCycles += latencySum;
    this.latencyMaxCycles = latencyMax;
    this.packets += n;
    return last;
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
          if (tj < ti || (tj === ti && fromP[j] < fromP[i])) {
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

  private reserve(n: number): void {
    const size = Math.max(n, this.requestTime.length * 2);
    this.requestTime = new Float64Array(size);
    this.nextRequest = new Int32Array(size);
    this.sortTime = new Float64Array(size);
    this.sortPacket = new Int32Array(size);
    this.mergeTime = new Float64Array(size);
    this.mergePacket = new Int32Array(size);
    this.runStart = new Int32Array(size + 1);
  }
}

/**
 * Delivery timing on the target cores: each core handles its packets one at a
 * time in order of arrival; packet p starts at max(arrival[p], free[core]) and
 * keeps the core busy for work[p] cycles (its synaptic ops times the cost of
 * one). `free` holds, per core, the cycle its own update phase ended, and on
 * return the cycle its last delivery ended. Returns nothing: free is the output.
 */
export function scheduleDeliveries(batch: PacketBatch, work: Float64Array, arrival: Float64Array, order: Int32Array, free: Float64Array): void {
  for (let k = 0; k < batch.count; k++) {
    const p = order[k];
    const d = batch.dst[p];
    const start = arrival[p] > free[d] ? arrival[p] : free[d];
    free[d] = start + work[p];
  }
}
