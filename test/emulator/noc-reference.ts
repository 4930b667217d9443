// The oracle for emulator/noc.ts: the NoC model as its header first defined it,
// a discrete-event simulation that moves every packet link by link through one
// binary heap keyed by (cycle, packet index). Slow and plain on purpose; the
// randomized test in noc.test.ts checks that MeshNoc.route gives the same
// arrivals, order per target core, and totals to the bit, and the deliveries
// it schedules against scheduleDeliveries below.
import { chipGrid, corePosition, type ChipProfile } from '../../isa/profile.js';
import { LINK_CHIP, LINK_EAST_WEST, LINK_NORTH_SOUTH, type NocTotals, type PacketBatch } from '../../emulator/noc.js';

export interface ReferenceResult extends Omit<NocTotals, 'packets'> {
  readonly arrival: Float64Array;
  /** Packets in the order the event simulation passed them through their input ports. */
  readonly order: Int32Array;
  readonly last: number;
}

/** Routes one batch from free links; link indices and kinds as MeshNoc numbers them. */
export function referenceRoute(profile: ChipProfile, coreSlots: readonly number[], batch: PacketBatch): ReferenceResult {
  const { chipsX, chipsY } = chipGrid(profile.board.chips);
  const width = chipsX * profile.mesh.tilesX;
  const height = chipsY * profile.mesh.tilesY;
  const { tilesX, tilesY } = profile.mesh;
  const pos = coreSlots.map((slot) => corePosition(profile, slot));
  const tileLinks = width * height * 4;
  const linkCount = tileLinks + 2 * coreSlots.length;
  const kind = new Uint8Array(linkCount);
  const latency = new Float64Array(linkCount);
  for (let ty = 0; ty < height; ty++) {
    for (let tx = 0; tx < width; tx++) {
      const base = (ty * width + tx) * 4;
      const cross = [
        Math.floor(tx / tilesX) !== Math.floor((tx + 1) / tilesX),
        Math.floor(tx / tilesX) !== Math.floor((tx - 1) / tilesX),
        Math.floor(ty / tilesY) !== Math.floor((ty + 1) / tilesY),
        Math.floor(ty / tilesY) !== Math.floor((ty - 1) / tilesY),
      ];
      for (let dir = 0; dir < 4; dir++) {
        const plain = dir < 2 ? LINK_EAST_WEST : LINK_NORTH_SOUTH;
        kind[base + dir] = cross[dir] ? LINK_CHIP : plain;
        latency[base + dir] = cross[dir] ? profile.board.chipHopCycles : dir < 2 ? profile.cycles.hop_east_west : profile.cycles.hop_north_south;
      }
    }
  }
  for (let c = 0; c < coreSlots.length; c++) latency[tileLinks + 2 * c + 1] = profile.cycles.spike_in_tile;

  const n = batch.count;
  const x = new Int32Array(n);
  const y = new Int32Array(n);
  const started = new Uint8Array(n);
  const free = new Float64Array(linkCount);
  const linkLoad = new Float64Array(linkCount);
  const arrival = new Float64Array(n);
  const order = new Int32Array(n);
  const r = { last: 0, hopsEastWest: 0, hopsNorthSouth: 0, hopsChipToChip: 0, latencySumCycles: 0, latencyMaxCycles: 0, waitCycles: 0 };
  // The heap of (time, packet) events.
  const heap: [number, number][] = [];
  const before = (a: [number, number], b: [number, number]): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  const push = (e: [number, number]): void => {
    heap.push(e);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  };
  const pop = (): [number, number] => {
    const top = heap[0];
    const end = heap.pop() as [number, number];
    if (heap.length > 0) {
      heap[0] = end;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const m = l + 1 < heap.length && before(heap[l + 1], heap[l]) ? l + 1 : l;
        if (!before(heap[m], heap[i])) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  };
  for (let p = 0; p < n; p++) {
    x[p] = pos[batch.src[p]].x;
    y[p] = pos[batch.src[p]].y;
    push([batch.coreReady[batch.src[p]], p]);
  }
  let done = 0;
  while (heap.length > 0) {
    const [time, p] = pop();
    const d = batch.dst[p];
    let link: number;
    let dir = -1;
    if (started[p] === 0) link = tileLinks + 2 * batch.src[p];
    else {
      if (x[p] < pos[d].x) dir = 0;
      else if (x[p] > pos[d].x) dir = 1;
      else if (y[p] < pos[d].y) dir = 2;
      else if (y[p] > pos[d].y) dir = 3;
      link = dir < 0 ? tileLinks + 2 * d + 1 : (y[p] * width + x[p]) * 4 + dir;
    }
    const enter = Math.max(time, free[link]);
    free[link] = enter + 1;
    linkLoad[link]++;
    r.waitCycles += enter - time;
    const next = enter + latency[link];
    if (started[p] === 0) {
      started[p] = 1;
      push([next, p]);
    } else if (dir < 0) {
      arrival[p] = next;
      order[done++] = p;
      r.latencySumCycles += next - batch.coreReady[batch.src[p]];
      r.latencyMaxCycles = Math.max(r.latencyMaxCycles, next - batch.coreReady[batch.src[p]]);
      r.last = Math.max(r.last, next);
    } else {
      if (kind[link] === LINK_EAST_WEST) r.hopsEastWest++;
      else if (kind[link] === LINK_NORTH_SOUTH) r.hopsNorthSouth++;
      else r.hopsChipToChip++;
      if (dir === 0) x[p]++;
      else if (dir === 1) x[p]--;
      else if (dir === 2) y[p]++;
      else y[p]--;
      push([next, p]);
    }
  }
  return { arrival, order, linkLoad, ...r };
}

/**
 * Delivery timing on the target cores: each core handles its packets one at a
 * time in order of arrival; packet p starts at max(arrival[p], free[core]) and
 * keeps the core busy for work[p] cycles (its synaptic ops times the cost of
 * one). `free` holds, per core, the cycle its own update phase ended, and on
 * return the cycle its last delivery ended. Returns nothing: free is the output.
 */
export function scheduleDeliveries(batch: PacketBatch, work: Int32Array, arrival: Float64Array, order: Int32Array, free: Float64Array): void {
  for (let k = 0; k < batch.count; k++) {
    const p = order[k];
    const d = batch.dst[p];
    const start = arrival[p] > free[d] ? arrival[p] : free[d];
    free[d] = start + work[p];
  }
}
