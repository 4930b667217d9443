// The mesh NoC model against hand computations on the `tiny` profile
// (isa/profiles/tiny.json: 1 GHz, spike_in_tile 2, hop_east_west 3,
// hop_north_south 5 cycles; 2 x 2 tiles of 2 cores). Slots 0, 1 sit in tile
// (0,0); 2, 3 in (1,0); 4, 5 in (0,1); 6, 7 in (1,1). Link latencies: output
// port 0, east/west 3, south/north 5, input port 2 (emulator/noc.ts).
import { describe, expect, it } from 'vitest';
import { MeshNoc, type PacketBatch } from '../../emulator/noc.js';
import { WasmMeshNoc } from '../../emulator/noc-wasm.js';
import { builtinProfile, coreCount, type ChipProfile } from '../../isa/profile.js';
import { random32 } from '../../isa/random.js';
import { referenceRoute, scheduleDeliveries } from './noc-reference.js';

function tiny(): ChipProfile {
  const p = builtinProfile('tiny');
  if (p === undefined) throw new Error('the tiny profile is missing');
  return p;
}

/**
 * One batch from (src, dst, ready) triples, where ready is the source core's ready cycle (a core has
 * one: its packets must say the same); cores are image indices, here equal to slots 0..7.
 */
function batch(packets: readonly (readonly [number, number, number])[]): PacketBatch {
  const coreReady = new Float64Array(Math.max(8, ...packets.map((p) => p[0] + 1))).fill(NaN);
  for (const [s, , r] of packets) {
    if (!Number.isNaN(coreReady[s]) && coreReady[s] !== r) throw new Error(`test batch: core ${s} is ready at ${coreReady[s]} and ${r}`);
    coreReady[s] = r;
  }
  return {
    count: packets.length,
    src: Uint16Array.from(packets.map((p) => p[0])),
    dst: Uint16Array.from(packets.map((p) => p[1])),
    coreReady,
  };
}

function route(noc: MeshNoc, b: PacketBatch): { arrival: number[]; order: number[]; last: number } {
  const arrival = new Float64Array(b.count);
  const order = new Int32Array(b.count);
  const last = noc.route(b, arrival, order);
  return { arrival: Array.from(arrival), order: Array.from(order), last };
}

const slots = [0, 1, 2, 3, 4, 5, 6, 7];

/** The model in JavaScript and in WebAssembly (emulator/noc-wasm.ts): every test below holds for both. */
const NOCS = [
  ['MeshNoc', MeshNoc],
  ['WasmMeshNoc', WasmMeshNoc],
] as const;

describe('the tiny profile', () => {
  it('has the cycle counts the hand computations use', () => {
    const p = tiny();
    expect(p.clockHz).toBe(1e9);
    expect(p.cycles).toMatchObject({ synaptic_op: 2, synaptic_update: 4, neuron_update_active: 3, neuron_update_inactive: 1, spike_in_tile: 2, hop_east_west: 3, hop_north_south: 5 });
    expect(p.mesh).toEqual({ tilesX: 2, tilesY: 2, coresPerTile: 2 });
  });
});

for (const [name, Noc] of NOCS) {
  describe(name, () => {
    it('routes X then Y with the per-hop latencies', () => {
      const noc = new Noc(tiny(), slots);
      // Slot 0 (0,0) -> slot 7 (1,1), ready at 4: out port 4 -> 4, east (0,0) 4 -> 7,
      // south (1,0) 7 -> 12, in port of core 7 12 -> 14. Latency 2 + 3 + 5 = 10.
      const r = route(noc, batch([[0, 7, 4]]));
      expect(r.arrival).toEqual([14]);
      expect(r.last).toBe(14);
      expect(noc.hopsEastWest).toBe(1);
      expect(noc.hopsNorthSouth).toBe(1);
      // The X hop comes first: tile (0,0) east and then tile (1,0) south carried it, not (0,0) south.
      expect(noc.linkLoad[noc.tileLink(0, 0, 0)]).toBe(1);
      expect(noc.linkLoad[noc.tileLink(1, 0, 2)]).toBe(1);
      expect(noc.linkLoad[noc.tileLink(0, 0, 2)]).toBe(0);
      expect(noc.linkLoad[noc.outPort(0)]).toBe(1);
      expect(noc.linkLoad[noc.inPort(7)]).toBe(1);
      expect(noc.latencySumCycles).toBe(10);
      expect(noc.waitCycles).toBe(0);
    });

    it('delays the second of two packets that need one link in the same cycle by exactly one cycle', () => {
      const noc = new Noc(tiny(), slots);
      // Cores 0 and 1 (both tile (0,0)) send to core 2 (tile (1,0)) at cycle 0.
      // Packet 0: out port of core 0 at 0; east (0,0) free: enters 0, free again at 1,
      //   reaches the router of (1,0) at 3; in port of core 2 enters 3 -> arrives 5.
      // Packet 1: out port of core 1 at 0 (its own port, no wait); east (0,0) is busy at 0
      //   (packet 0 entered it): waits 1, enters 1, reaches (1,0) at 4; the in port
      //   was entered at 3, free at 4: enters 4 -> arrives 6.
      // Uncontended both would arrive at 5: contention delays packet 1 by exactly 1 cycle.
      const r = route(noc, batch([[0, 2, 0], [1, 2, 0]]));
      expect(r.arrival).toEqual([5, 6]);
      expect(noc.waitCycles).toBe(1);
      expect(noc.latencyMaxCycles).toBe(6);
      expect(noc.linkLoad[noc.tileLink(0, 0, 0)]).toBe(2);
      expect(noc.linkLabel(noc.tileLink(0, 0, 0))).toBe('tile (0,0) east');
    });

    it('breaks a tie at a link by packet index, and serves the waiting packets first come first served', () => {
      // Three packets into core 7 (tile (1,1)), meeting at its input port:
      //  p0 from core 0 (0,0) ready 0: east (0,0) 0 -> 3, south (1,0) 3 -> 8, in port at 8.
      //  p1 from core 4 (0,1) ready 5: east (0,1) 5 -> 8, in port at 8 (a tie with p0).
      //  p2 from core 6 (1,1) ready 8: no hop, in port at 8 (a three-way tie).
      // The in port takes one per cycle in index order: p0 enters 8 (arrives 10), p1 enters 9
      // (waits 1, arrives 11), p2 enters 10 (waits 2, arrives 12).
      const noc = new Noc(tiny(), slots);
      const r = route(noc, batch([[0, 7, 0], [4, 7, 5], [6, 7, 8]]));
      expect(r.arrival).toEqual([10, 11, 12]);
      expect(r.order).toEqual([0, 1, 2]);
      expect(noc.waitCycles).toBe(3);
      // Listed the other way round, the lowest index (now core 6's packet) goes first.
      const swapped = new Noc(tiny(), slots);
      const s = route(swapped, batch([[6, 7, 8], [4, 7, 5], [0, 7, 0]]));
      expect(s.arrival).toEqual([10, 11, 12]);
      expect(s.order).toEqual([0, 1, 2]);
    });

    it('does not let a later request overtake: a link serves packets in order of arrival at it', () => {
      // p0 from core 1 (0,0) to core 3 (1,0) ready 2: east (0,0) enters 2.
      // p1 from core 0 (0,0) to core 2 (1,0) ready 0: east (0,0) enters 0, so p1 goes first even
      // though its index is higher: p1 arrives 0 + 3 + 2 = 5, p0 2 + 3 + 2 = 7, no wait.
      const noc = new Noc(tiny(), slots);
      const r = route(noc, batch([[1, 3, 2], [0, 2, 0]]));
      expect(r.arrival).toEqual([7, 5]);
      // Grouped by target core: core 2's packet (p1) before core 3's (p0).
      expect(r.order).toEqual([1, 0]);
      expect(noc.waitCycles).toBe(0);
    });

    it('serialises the packets leaving one core, one per cycle', () => {
      // Core 0 sends 3 packets to core 1 (same tile), all ready at 0: the out port takes
      // them at 0, 1, 2 (waits 0 + 1 + 2 = 3), each reaches core 1's in port the same cycle
      // and arrives 2 later: 2, 3, 4. No mesh link is used.
      const noc = new Noc(tiny(), slots);
      const r = route(noc, batch([[0, 1, 0], [0, 1, 0], [0, 1, 0]]));
      expect(r.arrival).toEqual([2, 3, 4]);
      expect(noc.waitCycles).toBe(3);
      expect(noc.hopsEastWest + noc.hopsNorthSouth).toBe(0);
      expect(noc.linkLabel(noc.outPort(0))).toBe('core 0 out');
      expect(noc.linkLabel(noc.inPort(1))).toBe('core 1 in');
    });

    it('starts each step with free links, and keeps totals across steps', () => {
      const noc = new Noc(tiny(), slots);
      route(noc, batch([[0, 2, 0], [1, 2, 0]]));
      // A second batch: the links are free from cycle 0 again, so one packet takes 5.
      const r = route(noc, batch([[0, 2, 0]]));
      expect(r.arrival).toEqual([5]);
      expect(noc.packets).toBe(3);
      expect(noc.linkLoad[noc.tileLink(0, 0, 0)]).toBe(3);
      expect(noc.latencySumCycles).toBe(5 + 6 + 5);
    });
  });

  describe(`delivery scheduling (${name}.route with work and free, and the oracle scheduleDeliveries)`, () => {
    it('starts each delivery at the later of its arrival and the end of the core\'s previous work', () => {
      // The contention case above: core 2 gets packets arriving at 5 and 6. Core 2's own
      // update ends at 4. Packet 0 has 3 synaptic ops (3 x 2 = 6 cycles): 5..11. Packet 1
      // has 1 op (2 cycles): it arrived at 6 but waits for the core: 11..13.
      const noc = new Noc(tiny(), slots);
      const b = batch([[0, 2, 0], [1, 2, 0]]);
      const arrival = new Float64Array(2);
      const order = new Int32Array(2);
      noc.route(b, arrival, order);
      const free = new Float64Array(8);
      free[2] = 4;
      scheduleDeliveries(b, Int32Array.of(6, 2), arrival, order, free);
      expect(free[2]).toBe(13);
      // Had the core been busy until 20, both would wait: 20..26..28.
      const busy = new Float64Array(8);
      busy[2] = 20;
      scheduleDeliveries(b, Int32Array.of(6, 2), arrival, order, busy);
      expect(busy[2]).toBe(28);
      // route() schedules the same, given the work and the free cycles.
      for (const [from, to] of [[4, 13], [20, 28]]) {
        const routed = new Float64Array(8);
        routed[2] = from;
        new Noc(tiny(), slots).route(b, new Float64Array(2), new Int32Array(2), Int32Array.of(6, 2), routed);
        expect(routed[2]).toBe(to);
      }
    });
  });
}

/** A board of `chips` chips of the tiny profile (2 x 2 tiles each), with a chip-to-chip hop of 7 cycles. */
function tinyBoard(chips: number): ChipProfile {
  const p = tiny();
  return { ...p, board: { ...p.board, chips, maxChips: Math.max(chips, p.board.maxChips), chipHopCycles: 7 } };
}

describe('MeshNoc buffers', () => {
  it("grow to one link's and one chain's requests, not the batch's, and keep what they held when they grow", () => {
    // 36 chips of 2 x 2 tiles: a 12 x 12 mesh, 288 cores; 3,000 packets between random cores, ready within 4 cycles.
    const profile = tinyBoard(36);
    const cores = Array.from({ length: coreCount(profile) }, (_, s) => s);
    const n = 3000;
    const b = batch(
      Array.from({ length: n }, (_, p) => {
        const s = random32(3, 1, p, 0) % cores.length;
        return [s, random32(3, 2, p, 0) % cores.length, random32(3, 3, s, 0) % 4] as const;
      }),
    );
    const noc = new MeshNoc(profile, cores);
    const arrival = new Float64Array(n);
    expect(noc.route(b, arrival, new Int32Array(n))).toBe(referenceRoute(profile, cores, b).last);
    expect(Array.from(arrival)).toEqual(Array.from(referenceRoute(profile, cores, b).arrival));
    // Requests: 8 bytes a packet of the batch (a whole cycle and the next request, 32 bits each); the rest
    // well under the 72 a packet they took when sized by the batch.
    expect(noc.bufferBytes()).toBeGreaterThan(8 * n);
    expect(noc.bufferBytes()).toBeLessThan(8 * n + 0.25 * 72 * n);
  });
});

for (const [name, Noc] of NOCS) {
  describe(`${name} times`, () => {
    it('are whole cycles: a core ready at a fraction of a cycle is refused, not rounded', () => {
      const noc = new Noc(tiny(), slots);
      expect(() => route(noc, batch([[0, 7, 4], [1, 7, 2.5]]))).toThrow(/ready at 2.5, not a whole cycle/);
      expect(() => route(noc, batch([[0, 7, 2 ** 31]]))).toThrow(/not a whole cycle below 2\^31/);
      // Whole cycles go through, and nothing of a refused batch is left on the links: a packet on the link the
      // refused ones took (east of tile (0,0)), or on none, arrives as on a fresh NoC.
      expect(route(noc, batch([[0, 7, 4], [1, 7, 2]])).arrival).toEqual([14, 12]);
      expect(() => route(noc, batch([[0, 3, 0], [1, 3, 0.5]]))).toThrow(/not a whole cycle/);
      expect(route(noc, batch([[0, 3, 0]]))).toEqual({ arrival: [5], order: [0], last: 5 });
      expect(() => route(noc, batch([[0, 3, 0], [1, 3, 0.5]]))).toThrow(/not a whole cycle/);
      expect(route(noc, batch([[4, 5, 0]]))).toEqual({ arrival: [2], order: [0], last: 2 });
    });
  });

  describe(`${name} against the event simulation (test/emulator/noc-reference.ts)`, () => {
    // Random batches on 1, 2, 6 and 16 chips: few or many packets, ready times spread or
    // equal (ties), cores used sparsely or densely, hot spots on one target. Each
    // batch is routed by MeshNoc (keeping totals across batches) and by the
    // binary-heap oracle; everything must agree to the bit. 16 chips of 2 x 2 tiles
    // make columns of 8 tiles, which MeshNoc serves by relative time (serveColumn);
    // the shorter ones, and rows, as streams.
    for (const chips of [1, 2, 6, 16]) {
      it(`gives the same arrivals, per-core order and totals on ${chips} chip(s)`, () => {
        const profile = tinyBoard(chips);
        const slotsAll = coreCount(profile);
        let draw = 0;
        const rand = (k: number): number => random32(chips, 7, draw++, 0) % k;
        // Some image cores on a random subset of slots, in random order.
        const slotList = Array.from({ length: slotsAll }, (_, s) => s);
        for (let i = slotList.length - 1; i > 0; i--) {
          const j = rand(i + 1);
          [slotList[i], slotList[j]] = [slotList[j], slotList[i]];
        }
        const cores = slotList.slice(0, Math.max(2, rand(slotsAll) + 1));
        const noc = new Noc(profile, cores);
        // The same batches routed with their deliveries (route's work and free).
        const nocDeliver = new Noc(profile, cores);
        // And again without arrival and order.
        const nocQuiet = new Noc(profile, cores);
        const totals = { ew: 0, ns: 0, chip: 0, latencySum: 0, latencyMax: 0, wait: 0, packets: 0, load: new Float64Array(noc.linkCount) };
        for (let b = 0; b < 60; b++) {
          const n = [1, 2, 5, 40, 300][b % 5];
          // Each core's ready cycle: all equal, or drawn from a spread (-1: a fixed pattern).
          const spread = [0, 1, 3, 20, 1000, -1][rand(6)];
          const ready = cores.map((_, c) => (spread === -1 ? (c * 37) % 11 : spread === 0 ? 0 : rand(spread)));
          const hot = rand(4) === 0 ? rand(cores.length) : -1;
          const packets: [number, number, number][] = [];
          for (let p = 0; p < n; p++) {
            const s = rand(cores.length);
            const d = hot >= 0 && rand(2) === 0 ? hot : rand(cores.length);
            packets.push([s, d, ready[s]]);
          }
          const bt = batch(packets);
          const arrival = new Float64Array(n);
          const order = new Int32Array(n);
          const last = noc.route(bt, arrival, order);
          const ref = referenceRoute(profile, cores, bt);
          expect(Array.from(arrival)).toEqual(Array.from(ref.arrival));
          expect(last).toBe(ref.last);
          // The same order within each target core; MeshNoc groups them by core, ascending.
          const byCore = (o: Int32Array): number[][] => {
            const lists: number[][] = cores.map(() => []);
            for (const p of o) lists[bt.dst[p]].push(p);
            return lists;
          };
          expect(byCore(order)).toEqual(byCore(ref.order));
          const dsts = Array.from(order, (p) => bt.dst[p]);
          expect(dsts).toEqual([...dsts].sort((a, b) => a - b));
          totals.ew += ref.hopsEastWest;
          totals.ns += ref.hopsNorthSouth;
          totals.chip += ref.hopsChipToChip;
          totals.latencySum += ref.latencySumCycles;
          totals.latencyMax = Math.max(totals.latencyMax, ref.latencyMaxCycles);
          totals.wait += ref.waitCycles;
          totals.packets += n;
          for (let l = 0; l < noc.linkCount; l++) totals.load[l] += ref.linkLoad[l];
          // Deliveries scheduled from either order end at the same cycle on every core.
          const work = Int32Array.from(packets, (_, p) => 1 + (p % 7));
          const freeA = Float64Array.from(cores, (_, c) => c * 3);
          const freeB = freeA.slice();
          const freeC = freeA.slice();
          scheduleDeliveries(bt, work, arrival, order, freeA);
          scheduleDeliveries(bt, work, ref.arrival, ref.order, freeB);
          expect(Array.from(freeA)).toEqual(Array.from(freeB));
          const arrivalC = new Float64Array(n);
          expect(nocDeliver.route(bt, arrivalC, new Int32Array(n), work, freeC)).toBe(ref.last);
          expect(Array.from(arrivalC)).toEqual(Array.from(ref.arrival));
          expect(Array.from(freeC)).toEqual(Array.from(freeB));
          // Without arrival and order (a step's timing), the same deliveries.
          const freeD = Float64Array.from(cores, (_, c) => c * 3);
          expect(nocQuiet.route(bt, new Float64Array(0), new Int32Array(0), work, freeD)).toBe(ref.last);
          expect(Array.from(freeD)).toEqual(Array.from(freeB));
        }
        expect(noc.hopsEastWest).toBe(totals.ew);
        expect(noc.hopsNorthSouth).toBe(totals.ns);
        expect(noc.hopsChipToChip).toBe(totals.chip);
        if (chips > 1) expect(totals.chip).toBeGreaterThan(0);
        expect(noc.latencySumCycles).toBe(totals.latencySum);
        expect(noc.latencyMaxCycles).toBe(totals.latencyMax);
        expect(noc.waitCycles).toBe(totals.wait);
        expect(totals.wait).toBeGreaterThan(0);
        expect(noc.packets).toBe(totals.packets);
        expect(Array.from(noc.linkLoad)).toEqual(Array.from(totals.load));
        expect(nocQuiet.totals()).toEqual(noc.totals());
      });
    }
  });
}
