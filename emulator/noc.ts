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
// Order. Requests are served in event order: the smallest (cycle, packet index)
// first, where the packet index is the packet's position in the batch (the CPU
// backend lists packets by source core, then spiking slot, then route). So a
// link serves packets first come, first served, and ties go to the lower index.
// This is a discrete-event simulation with a binary heap keyed by
// (cycle, index); every time is a whole number of cycles from the step's start.
//
// Outputs. arrival[p]: the cycle at which packet p is at its target core, ready
// to be delivered; order: the packets in the order they passed their input
// port, so for each target core its packets appear in order of arrival
// (strictly increasing: an input port takes one packet per cycle).
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
  private readonly linkFree: Float64Array;
  /** linkStamp[l] === batch when linkFree[l] was set in this batch; otherwise the link is free from cycle 0. */
  private readonly linkStamp: Uint32Array;
  private batch = 0;
  private heapTime = new Float64Array(0);
  private heapPacket = new Int32Array(0);
  private heapSize = 0;
  private x = new Int32Array(0);
  private y = new Int32Array(0);
  private started = new Uint8Array(0);

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
    this.linkFree = new Float64Array(this.linkCount);
    this.linkStamp = new Uint32Array(this.linkCount);
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
    if (this.heapTime.length < n) this.reserve(n);
    this.batch = (this.batch + 1) >>> 0;
    if (this.batch === 0) {
      // The stamp wrapped after 2^32 batches: clear it so no stale link looks busy.
      this.linkStamp.fill(0);
      this.batch = 1;
    }
    const { src, dst, ready } = batch;
    const { x, y, started, coreX, coreY, linkFree, linkStamp, linkLatency, linkKind, linkLoad } = this;
    const stamp = this.batch;
    const tileLinks = this.width * this.height * 4;
    this.heapSize = 0;
    for (let p = 0; p < n; p++) {
      x[p] = coreX[src[p]];
      y[p] = coreY[src[p]];
      started[p] = 0;
      this.push(ready[p], p);
    }
    let done = 0;
    let last = 0;
    while (this.heapSize > 0) {
      const time = this.heapTime[0];
      const p = this.heapPacket[0];
      this.pop();
      const d = dst[p];
      let link: number;
      let dir = -1;
      if (started[p] === 0) link = tileLinks + 2 * src[p];
      else {
        const tx = coreX[d];
        const ty = coreY[d];
        if (x[p] < tx) dir = EAST;
        else if (x[p] > tx) dir = WEST;
        else if (y[p] < ty) dir = SOUTH;
        else if (y[p] > ty) dir = NORTH;
        link = dir < 0 ? tileLinks + 2 * d + 1 : (y[p] * this.width + x[p]) * 4 + dir;
      }
      const free = linkStamp[link] === stamp ? linkFree[link] : 0;
      const enter = time > free ? time : free;
      linkFree[link] = enter + 1;
      linkStamp[link] = stamp;
      linkLoad[link]++;
      this.waitCycles += enter - time;
      const next = enter + linkLatency[link];
      if (started[p] === 0) {
        started[p] = 1;
        this.push(next, p);
      } else if (dir < 0) {
        arrival[p] = next;
        order[done++] = p;
        const latency = next - ready[p];
        this.latencySumCycles += latency;
        if (latency > this.latencyMaxCycles) this.latencyMaxCycles = latency;
        if (next > last) last = next;
      } else {
        const kind = linkKind[link];
        if (kind === LINK_EAST_WEST) this.hopsEastWest++;
        else if (kind === LINK_NORTH_SOUTH) this.hopsNorthSouth++;
        else this.hopsChipToChip++;
        if (dir === EAST) x[p]++;
        else if (dir === WEST) x[p]--;
        else if (dir === SOUTH) y[p]++;
        else y[p]--;
        this.push(next, p);
      }
    }
    this.packets += n;
    return last;
  }

  private reserve(n: number): void {
    const size = Math.max(n, this.heapTime.length * 2);
    this.heapTime = new Float64Array(size);
    this.heapPacket = new Int32Array(size);
    this.x = new Int32Array(size);
    this.y = new Int32Array(size);
    this.started = new Uint8Array(size);
  }

  /** (time, packet) before (time2, packet2): the event order. */
  private before(i: number, j: number): boolean {
    const a = this.heapTime[i];
    const b = this.heapTime[j];
    return a < b || (a === b && this.heapPacket[i] < this.heapPacket[j]);
  }

  private swap(i: number, j: number): void {
    const t = this.heapTime[i];
    this.heapTime[i] = this.heapTime[j];
    this.heapTime[j] = t;
    const p = this.heapPacket[i];
    this.heapPacket[i] = this.heapPacket[j];
    this.heapPacket[j] = p;
  }

  private push(time: number, packet: number): void {
    let i = this.heapSize++;
    this.heapTime[i] = time;
    this.heapPacket[i] = packet;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): void {
    const end = --this.heapSize;
    if (end === 0) return;
    this.heapTime[0] = this.heapTime[end];
    this.heapPacket[0] = this.heapPacket[end];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= end) break;
      const r = l + 1;
      const m = r < end && this.before(r, l) ? r : l;
      if (!this.before(m, i)) break;
      this.swap(i, m);
      i = m;
    }
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
