// The NoC in WebAssembly (emulator/noc-wasm.ts) where it differs from noc.ts's:
// its own memory, which grows with the batch, with the most one chain or input
// port is sent and with the column slots, keeping what it held; whole-cycle
// free times; and meshNoc's choice between the two. noc.test.ts runs every
// timing test on both.
import { describe, expect, it } from 'vitest';
import { MeshNoc, type PacketBatch } from '../../emulator/noc.js';
import { meshNoc, WasmMeshNoc } from '../../emulator/noc-wasm.js';
import { builtinProfile, coreCount, type ChipProfile } from '../../isa/profile.js';
import { random32 } from '../../isa/random.js';

function tinyBoard(chips: number): ChipProfile {
  const p = builtinProfile('tiny');
  if (p === undefined) throw new Error('the tiny profile is missing');
  return { ...p, board: { ...p.board, chips, maxChips: Math.max(chips, p.board.maxChips), chipHopCycles: 7 } };
}

/** n packets between random cores of `cores`, each core ready at a random cycle below `spread`; `hot` (if >= 0) gets half of them. */
function randomBatch(seed: number, cores: number, n: number, spread: number, hot = -1): PacketBatch {
  const coreReady = Float64Array.from({ length: cores }, (_, c) => random32(seed, 3, c, 0) % spread);
  const src = Uint16Array.from({ length: n }, (_, p) => random32(seed, 1, p, 0) % cores);
  const dst = Uint16Array.from({ length: n }, (_, p) => (hot >= 0 && p % 2 === 0 ? hot : random32(seed, 2, p, 0) % cores));
  return { count: n, src, dst, coreReady };
}

describe('WasmMeshNoc', () => {
  it('gives MeshNoc\'s arrivals, order, deliveries and totals while its memory grows, batch after batch', () => {
    // 36 chips of 2 x 2 tiles: a 12 x 12 mesh with columns of 12 tiles (served by slots). The batches
    // grow from 10 to 4,000 packets and shrink again; ready times spread over up to 100,000 cycles make
    // the column slots grow; a hot core makes one input port get half of a batch.
    const profile = tinyBoard(36);
    const cores = coreCount(profile);
    const slots = Array.from({ length: cores }, (_, s) => s);
    const js = new MeshNoc(profile, slots);
    const wasm = new WasmMeshNoc(profile, slots);
    const sizes = [10, 100, 4000, 300, 2500, 1, 4000];
    const spreads = [4, 100_000, 30, 1, 5000, 3, 100_000];
    let grew = 0;
    let bytes = wasm.bufferBytes();
    sizes.forEach((n, k) => {
      const b = randomBatch(k + 1, cores, n, spreads[k], k === 4 ? 17 : -1);
      const work = Int32Array.from({ length: n }, (_, p) => 1 + (p % 5));
      const run = (noc: MeshNoc): { last: number; arrival: number[]; order: number[]; free: number[] } => {
        const arrival = new Float64Array(n);
        const order = new Int32Array(n);
        const free = Float64Array.from({ length: cores }, (_, c) => (c * 13) % 40);
        const last = noc.route(b, arrival, order, work, free);
        return { last, arrival: Array.from(arrival), order: Array.from(order), free: Array.from(free) };
      };
      expect(run(wasm)).toEqual(run(js));
      if (wasm.bufferBytes() > bytes) grew++;
      bytes = wasm.bufferBytes();
    });
    expect(grew).toBeGreaterThanOrEqual(2);
    expect(wasm.totals()).toEqual(js.totals());
    expect(wasm.stats().busiestLink).toEqual(js.stats().busiestLink);
  });

  it('reads a batch listed in its own arrays (packetArrays) where it lies, also after its memory grew', () => {
    // The step timing lists each step into packetArrays() and routes it from there. Spreads of up to
    // 100,000 cycles grow the memory for the column slots during route(), which detaches every view:
    // the next packetArrays() hands out new ones, holding what is listed there next.
    const profile = tinyBoard(36);
    const cores = coreCount(profile);
    const slots = Array.from({ length: cores }, (_, s) => s);
    const js = new MeshNoc(profile, slots);
    const wasm = new WasmMeshNoc(profile, slots, 16);
    let handedOut = 0;
    let last = wasm.packetArrays(0);
    [[5, 3], [2000, 100_000], [40, 2], [3000, 200_000], [700, 9]].forEach(([n, spread], k) => {
      const b = randomBatch(k + 20, cores, n, spread);
      const work = Int32Array.from({ length: n }, (_, p) => 2 + (p % 3));
      const lists = wasm.packetArrays(n);
      if (lists !== last) handedOut++;
      last = lists;
      lists.src.set(b.src);
      lists.dst.set(b.dst);
      lists.work.set(work);
      const freeJs = Float64Array.from({ length: cores }, (_, c) => c % 9);
      const freeWasm = freeJs.slice();
      const listed: PacketBatch = { count: n, src: lists.src, dst: lists.dst, coreReady: b.coreReady };
      expect(wasm.route(listed, new Float64Array(0), new Int32Array(0), lists.work, freeWasm)).toBe(js.route(b, new Float64Array(0), new Int32Array(0), work, freeJs));
      expect(Array.from(freeWasm)).toEqual(Array.from(freeJs));
    });
    expect(handedOut).toBeGreaterThanOrEqual(3);
    expect(wasm.packetCapacity()).toBeGreaterThanOrEqual(3000);
    expect(wasm.totals()).toEqual(js.totals());
  });

  it('holds its tables, the batch and what one chain or port is sent, not a copy of every array per packet', () => {
    const profile = tinyBoard(36);
    const cores = coreCount(profile);
    const n = 20_000;
    const noc = new WasmMeshNoc(profile, Array.from({ length: cores }, (_, s) => s));
    noc.route(randomBatch(9, cores, n, 4), new Float64Array(0), new Int32Array(0));
    // The batch's 16 bytes a packet and an eighth more, the mesh's tables (36 KiB here) and a row's worth
    // of arrays, in whole 64 KiB pages: under half the 76 bytes a packet of every array sized by the batch.
    expect(noc.bufferBytes()).toBeGreaterThan(16 * n);
    expect(noc.bufferBytes()).toBeLessThan(0.5 * 76 * n);
  });

  it('refuses a core free at a fraction of a cycle, as a ready time', () => {
    const profile = tinyBoard(1);
    const noc = new WasmMeshNoc(profile, [0, 1, 2, 3, 4, 5, 6, 7]);
    const noWork = new Int32Array(8).fill(2);
    // As many packets as cores: load() converts every core's free time, and refuses any that is not whole.
    const all: PacketBatch = { count: 8, src: new Uint16Array(8), dst: Uint16Array.of(1, 2, 3, 4, 5, 6, 7, 7), coreReady: new Float64Array(8) };
    const free = new Float64Array(8);
    free[0] = 1.5;
    expect(() => noc.route(all, new Float64Array(0), new Int32Array(0), noWork, free)).toThrow(/core 0 is free at 1.5, not a whole cycle/);
    // Fewer packets than cores: first() converts the targets' free times only, and refuses a target's that is not whole
    // (at or past 2^31, or not a number, too; a whole negative time is taken). The others go back as they came.
    const b: PacketBatch = { count: 1, src: Uint16Array.of(0), dst: Uint16Array.of(7), coreReady: new Float64Array(8) };
    for (const bad of [1.5, 2 ** 31, Number.NaN]) {
      free.fill(0);
      free[7] = bad;
      expect(() => noc.route(b, new Float64Array(0), new Int32Array(0), Int32Array.of(2), free)).toThrow(/core 7 is free at .*, not a whole cycle/);
    }
    free.fill(0);
    free[0] = 1.5;
    free[3] = -(2 ** 31);
    free[5] = 1;
    expect(noc.route(b, new Float64Array(0), new Int32Array(0), Int32Array.of(2), free)).toBe(14 - 4);
    expect([free[0], free[3], free[5]]).toEqual([1.5, -(2 ** 31), 1]);
    free[0] = 0;
    // Every core's free time comes back, the target's after its delivery, as noc.ts's MeshNoc gives them.
    const js = new MeshNoc(profile, [0, 1, 2, 3, 4, 5, 6, 7]);
    const jsFree = Float64Array.from(free.map((f, c) => (c === 7 ? 0 : f)));
    free[7] = 0;
    noc.route(b, new Float64Array(0), new Int32Array(0), Int32Array.of(2), free);
    js.route(b, new Float64Array(0), new Int32Array(0), Int32Array.of(2), jsFree);
    expect(Array.from(free)).toEqual(Array.from(jsFree));
    expect(free[7]).toBeGreaterThan(0);
    expect(free[3]).toBe(-(2 ** 31));
  });

  it('is what meshNoc gives where the latencies are whole cycles, and noc.ts\'s MeshNoc where they are not', () => {
    const profile = tinyBoard(2);
    const slots = [0, 1, 2];
    expect(meshNoc(profile, slots)).toBeInstanceOf(WasmMeshNoc);
    const half = { ...profile, cycles: { ...profile.cycles, hop_east_west: 2.5 } };
    const noc = meshNoc(half, slots);
    expect(noc).toBeInstanceOf(MeshNoc);
    expect(noc).not.toBeInstanceOf(WasmMeshNoc);
  });
});
