// Partition limits, traffic-aware placement, X-then-Y routing, multi-chip boards
// and the map report. Every expected figure is worked out in the comment beside it.
import { describe, expect, it } from 'vitest';
import { compileSource } from '../../compiler/index.js';
import { buildMapReport, formatMapReport } from '../../compiler/map-report.js';
import { ANNEAL_EDGE_VISITS, ANNEAL_MIN_MOVES_PER_CORE, placeCores } from '../../compiler/placement.js';
import { coreTraffic, DEFAULT_NEURON_RATE_HZ, imageRates, linkLoads, networkRates, slotGeometry, trafficCost, type CoreTraffic } from '../../compiler/traffic.js';
import { readImage, writeImage } from '../../isa/image/index.js';
import { builtinProfile, coreCount, corePosition, routeHops, withChips, type ChipProfile } from '../../isa/profile.js';
import { createEmulator } from '../../emulator/index.js';

const lif = 'neuron N { model = lif; tau_mem = 20 ms; tau_syn = 5 ms }';
const loihi = (): ChipProfile => builtinProfile('loihi-like')!;

function compile(text: string, map?: { placement?: 'traffic' | 'in-order'; seed?: number }) {
  return compileSource(text, 'net.snn', map ? { map } : {});
}
const errors = (r: ReturnType<typeof compile>) => r.diagnostics.filter((d) => d.severity === 'error');

/** Directed traffic from a list of (from, to, packets) triples. */
function trafficOf(cores: number, edges: readonly (readonly [number, number, number])[]): CoreTraffic {
  const start = new Uint32Array(cores + 1);
  const sorted = [...edges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (const [a] of sorted) start[a + 1]++;
  for (let c = 0; c < cores; c++) start[c + 1] += start[c];
  return {
    cores,
    start,
    dest: Uint32Array.from(sorted.map((e) => e[1])),
    packets: Float64Array.from(sorted.map((e) => e[2])),
    totalPackets: sorted.reduce((n, e) => n + e[2], 0),
  };
}

describe('board geometry and X-then-Y hops', () => {
  it('counts hops between tiles, and chip-to-chip hops where a route crosses chips', () => {
    const one = loihi();
    // 8x4 tiles of 4 cores: slot 0 is tile 0 (0,0); slot 127 is tile 31 (7,3): 7 east-west + 3 north-south hops.
    expect(routeHops(one, 0, 127)).toEqual({ eastWest: 7, northSouth: 3, chipToChip: 0 });
    // Same tile: no hop.
    expect(routeHops(one, 0, 3)).toEqual({ eastWest: 0, northSouth: 0, chipToChip: 0 });
    const four = withChips(one, 4);
    expect(coreCount(four)).toBe(512);
    // 4 chips on a 2x2 grid: chip 1 sits right of chip 0, so its tile 0 is global (8,0).
    expect(corePosition(four, 128)).toMatchObject({ chip: 1, x: 8, y: 0, chipX: 1, chipY: 0 });
    // Chip 0 tile (7,0) to chip 1 tile (0,0) = global (7,0) -> (8,0): one hop, over the chip-to-chip link.
    expect(routeHops(four, 7 * 4, 128)).toEqual({ eastWest: 0, northSouth: 0, chipToChip: 1 });
    // Chip 0 (0,0) to chip 3 (0,0) = global (0,0) -> (8,4): 8 x hops (one crosses), 4 y hops (one crosses).
    expect(routeHops(four, 0, 3 * 128)).toEqual({ eastWest: 7, northSouth: 3, chipToChip: 2 });
  });

  it('loads every link of the X-then-Y route, x first', () => {
    const p = loihi();
    // One core at slot 0 (0,0) sends 2 packets per step to slot 4*9 = tile 9 = (1,1): (0,0)->(1,0) east, then (1,0)->(1,1).
    const links = linkLoads(trafficOf(2, [[0, 1, 2]]), [0, 36], p);
    expect(links).toEqual([
      { from: { x: 0, y: 0 }, to: { x: 1, y: 0 }, kind: 'east-west', packetsPerStep: 2 },
      { from: { x: 1, y: 0 }, to: { x: 1, y: 1 }, kind: 'north-south', packetsPerStep: 2 },
    ]);
  });
});

/** Link loads hop by hop, the obvious way: the reference for linkLoads' difference arrays. */
function linkLoadsByHop(t: CoreTraffic, slotOf: ArrayLike<number>, p: ChipProfile): Map<string, number> {
  const loads = new Map<string, number>();
  for (let a = 0; a < t.cores; a++) {
    const from = corePosition(p, slotOf[a]);
    for (let k = t.start[a]; k < t.start[a + 1]; k++) {
      const to = corePosition(p, slotOf[t.dest[k]]);
      let { x, y } = from;
      const hop = (nx: number, ny: number): void => {
        const key = `${x},${y}>${nx},${ny}`;
        loads.set(key, (loads.get(key) ?? 0) + t.packets[k]);
        x = nx;
        y = ny;
      };
      while (x !== to.x) hop(x + Math.sign(to.x - x), y);
      while (y !== to.y) hop(x, y + Math.sign(to.y - y));
    }
  }
  return loads;
}

describe('link loads', () => {
  it('match a hop-by-hop count on a random traffic over four chips, every direction', () => {
    const p = withChips(loihi(), 4);
    const n = 300;
    const edges: [number, number, number][] = [];
    for (let a = 0; a < n; a++) {
      for (let j = 0; j < 6; j++) {
        const b = (Math.imul(a * 6 + j + 1, 2654435761) >>> 0) % n;
        if (b !== a && !edges.some((e) => e[0] === a && e[1] === b)) edges.push([a, b, 0.001 * (1 + ((a + j) % 7))]);
      }
    }
    const t = trafficOf(n, edges);
    // Cores spread over all 512 slots, so that routes run east, west, north and south across chips.
    const slotOf = Uint32Array.from({ length: n }, (_, c) => (Math.imul(c, 337) >>> 0) % 512);
    expect(new Set(slotOf).size).toBe(n);
    const links = linkLoads(t, slotOf, p);
    const expected = linkLoadsByHop(t, slotOf, p);
    expect(links.length).toBe(expected.size);
    for (const l of links) expect(l.packetsPerStep).toBeCloseTo(expected.get(`${l.from.x},${l.from.y}>${l.to.x},${l.to.y}`)!, 12);
    const kinds = new Set(links.map((l) => l.kind));
    expect(kinds).toEqual(new Set(['east-west', 'north-south', 'chip-to-chip']));
    // Sorted busiest first.
    for (let i = 1; i < links.length; i++) expect(links[i - 1].packetsPerStep).toBeGreaterThanOrEqual(links[i].packetsPerStep);
  });
});

describe('placement', () => {
  it('puts a chatty pair in one tile and scores it by packets x hops', () => {
    const p = loihi();
    const g = slotGeometry(p, coreCount(p));
    // Core 0 and core 5 exchange 3 packets per step; in order they sit in tiles 0 and 1: 1 hop each way -> cost 6.
    const t = trafficOf(6, [[0, 5, 1.5], [5, 0, 1.5]]);
    const r = placeCores(t, g, { seed: 1 });
    expect(r.cost.inOrder).toBeCloseTo(3, 12);
    expect(r.cost.final).toBe(0);
    expect(corePosition(p, r.slotOf[0]).tile).toBe(corePosition(p, r.slotOf[5]).tile);
    expect(trafficCost(t, r.slotOf, g)).toBe(0);
  });

  it('is deterministic for a seed and never worse than in-order', () => {
    const p = loihi();
    const g = slotGeometry(p, coreCount(p));
    // A ring of 40 cores with uneven weights: in-order is already decent, placement must not lose.
    const edges: [number, number, number][] = [];
    for (let c = 0; c < 40; c++) edges.push([c, (c + 1) % 40, 1 + (c % 3)], [c, (c * 7) % 40, 0.25]);
    const t = trafficOf(40, edges.filter((e) => e[0] !== e[1]));
    const a = placeCores(t, g, { seed: 7, iterations: 20000 });
    const b = placeCores(t, g, { seed: 7, iterations: 20000 });
    expect([...a.slotOf]).toEqual([...b.slotOf]);
    expect(a.cost.final).toBeLessThanOrEqual(a.cost.inOrder);
    expect(a.cost.final).toBeLessThanOrEqual(a.cost.greedy);
    expect(new Set(a.slotOf).size).toBe(40);
  });

  it('finds the structure of a shuffled lattice on a board of several chips', () => {
    // A 24x24 lattice of cores (576 cores, 4 neighbours each) under a fixed shuffle of core numbers,
    // on 5 chips (640 slots): in order, neighbours sit far apart; a lattice embeds in the mesh almost
    // without stretch, so placement must reach a fifth of the in-order cost (it reaches 0.07; greedy alone 0.10).
    const side = 24;
    const n = side * side;
    const id = Uint32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = (Math.imul(i, 2654435761) >>> 0) % (i + 1);
      [id[i], id[j]] = [id[j], id[i]];
    }
    const edges: [number, number, number][] = [];
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        if (x + 1 < side) edges.push([id[y * side + x], id[y * side + x + 1], 1]);
        if (y + 1 < side) edges.push([id[(y + 1) * side + x], id[y * side + x], 0.5]);
      }
    }
    const p = withChips(loihi(), 5);
    const g = slotGeometry(p, coreCount(p));
    const t = trafficOf(n, edges);
    const r = placeCores(t, g, { seed: 2 });
    expect(r.cost.final).toBeLessThan(0.2 * r.cost.inOrder);
    expect(r.cost.final).toBeLessThanOrEqual(r.cost.greedy);
    expect(trafficCost(t, r.slotOf, g)).toBeCloseTo(r.cost.final, 9);
    expect(new Set(r.slotOf).size).toBe(n);
  });

  it('spends a bounded search on a dense graph: no annealing, never worse than greedy, deterministic', () => {
    // Every one of 2,000 cores talks to every other (4 M directed edges, uneven weights), on 16 chips
    // (2,048 slots). A move costs about 2 x 1,999 x (1 + 2000/2048) = 7,900 edge visits, so the
    // annealing budget (ANNEAL_EDGE_VISITS) buys about 25,000 moves: fewer than ANNEAL_MIN_MOVES_PER_CORE
    // per core, so only the polish runs. (The old search needed hours here; this one a second.)
    const n = 2000;
    const start = new Uint32Array(n + 1);
    const dest = new Uint32Array(n * (n - 1));
    const packets = new Float64Array(n * (n - 1));
    let k = 0;
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        if (b === a) continue;
        dest[k] = b;
        packets[k++] = 0.01 * (1 + ((a * 7 + b * 13) % 5));
      }
      start[a + 1] = k;
    }
    const t: CoreTraffic = { cores: n, start, dest, packets, totalPackets: packets.reduce((x, y) => x + y, 0) };
    const p = withChips(loihi(), 16);
    const g = slotGeometry(p, coreCount(p));
    expect(2 * (n - 1) * (1 + n / g.slots) * ANNEAL_MIN_MOVES_PER_CORE * n).toBeGreaterThan(ANNEAL_EDGE_VISITS);
    const a = placeCores(t, g, { seed: 5 });
    expect(a.iterations).toBe(0);
    expect(a.cost.final).toBeLessThanOrEqual(a.cost.greedy);
    expect(a.cost.final).toBeLessThanOrEqual(a.cost.inOrder);
    expect(new Set(a.slotOf).size).toBe(n);
    const b = placeCores(t, g, { seed: 5 });
    expect(Buffer.from(b.slotOf.buffer).equals(Buffer.from(a.slotOf.buffer))).toBe(true);
  });
});

// Inputs declared first, then populations: in-order puts each input far from its target.
function modules(n: number, extra = ''): string {
  const lines = [lif];
  for (let m = 0; m < n; m++) lines.push(`input in${m}[600] { encoding = poisson(max_rate = ${m % 2 ? 100 : 20} Hz) }`);
  for (let m = 0; m < n; m++) lines.push(`population e${m}[900] : N { rate = 5 Hz }`);
  for (let m = 0; m < n; m++) lines.push(`connect in${m} -> e${m} { pattern = random(p = 0.05, seed = ${m + 1}); weight = 0.01 }`);
  return `${lines.join('\n')}\n${extra}`;
}

describe('mapper: traffic-aware placement on a compiled network', () => {
  it('halves the traffic cost of in-order, with identical cores and only slots moved', () => {
    const text = modules(12);
    const placed = compile(text);
    const inOrder = compile(text, { placement: 'in-order' });
    expect(errors(placed)).toEqual([]);
    const a = placed.mapped!;
    const b = inOrder.mapped!;
    expect(a.decisions.placement.cost.final).toBeLessThanOrEqual(0.5 * a.decisions.placement.cost.inOrder);
    // The in-order image has core i in slot i; both carry the same tables.
    expect(b.cores.map((c) => c.slot)).toEqual(b.cores.map((_, i) => i));
    expect(a.cores.map((c) => c.synapses.length)).toEqual(b.cores.map((c) => c.synapses.length));
    expect(b.decisions.placement.cost.final).toBe(b.decisions.placement.cost.inOrder);
    // The map report recomputes both costs from the image: the same numbers.
    const report = buildMapReport(placed.image!, networkRates(placed.network!), a.decisions);
    expect(report.traffic_cost.final).toBeCloseTo(a.decisions.placement.cost.final, 9);
    expect(report.traffic_cost.in_order).toBeCloseTo(a.decisions.placement.cost.inOrder, 9);
  });

  it('gives the same image for the same seed', () => {
    const text = modules(6);
    expect(writeImage(compile(text, { seed: 3 }).image!)).toEqual(writeImage(compile(text, { seed: 3 }).image!));
  });

  it('measures fewer hops per spike in the emulator after placement', async () => {
    const text = modules(8);
    const hops = async (placement: 'traffic' | 'in-order'): Promise<number> => {
      const image = compile(text, { placement }).image!;
      const emu = await createEmulator('cpu', image, { seed: 1 });
      await emu.run(50);
      const c = emu.counters().total;
      emu.dispose();
      return (c.hops_east_west + c.hops_north_south) / c.packets;
    };
    expect(await hops('traffic')).toBeLessThan(0.5 * (await hops('in-order')));
  });

  it('uses the rate hint, the encoding rate and the default rate', () => {
    const r = compile(`${lif}\ninput a[2] { encoding = poisson(max_rate = 40 Hz) }\ninput b[2] { encoding = periodic(period = 50 ms); rate = 3 Hz }\npopulation c[2] : N\npopulation d[2] : N { rate = 7 Hz }`);
    expect(errors(r)).toEqual([]);
    expect(networkRates(r.network!)).toEqual([
      { hz: 40, source: 'encoding' },
      { hz: 3, source: 'hint' },
      { hz: DEFAULT_NEURON_RATE_HZ, source: 'default' },
      { hz: 7, source: 'hint' },
    ]);
    // The hints travel in the image, so a .chip alone gives the same expected rates
    // (the Poisson rate as the chip's 32-bit threshold holds it: 40 Hz to 1e-6).
    const image = readImage(writeImage(r.image!), 'net.chip');
    expect(imageRates(image).map((x) => ({ ...x, hz: +x.hz.toFixed(6) }))).toEqual([
      { hz: 40, source: 'encoding' },
      { hz: 3, source: 'hint' },
      { hz: DEFAULT_NEURON_RATE_HZ, source: 'default' },
      { hz: 7, source: 'hint' },
    ]);
  });

  it('rejects a rate hint without a rate unit, naming the setting', () => {
    const r = compile(`${lif}\npopulation c[2] : N { rate = 7 }`);
    expect(errors(r)[0]?.message).toMatch(/`rate`/);
  });
});

describe('mapper: output routes and boards', () => {
  it('shrinks cores so that output axon entries stay within the limit', () => {
    // a[512] all-to-all onto b[3000]: a b neuron has 512 synapses = 2048 B, so 131072 / 2048 = 64 per core
    // and b takes ceil(3000 / 64) = 47 cores; every a neuron needs one route per b core: 47 routes,
    // so an a core holds floor(4096 / 47) = 87 neurons, not 512 (which would need 24064 routes).
    const r = compile(`${lif}\ninput a[512] { encoding = poisson(max_rate = 10 Hz) }\npopulation b[3000] : N\nconnect a -> b { pattern = all_to_all; weight = 0.001 }`);
    expect(errors(r)).toEqual([]);
    const image = r.image!;
    const limit = image.profile.limits.outputAxonsPerCore;
    for (const core of image.cores) expect(core.routeCore.length).toBeLessThanOrEqual(limit);
    const aPieces = image.symbols.populations[0].pieces;
    expect(aPieces[0].count).toBe(87);
    expect(image.symbols.populations[1].pieces.length).toBeGreaterThanOrEqual(47);
    expect(r.mapped!.decisions.fillPasses).toBeGreaterThan(1);
  });

  it('grows the board chip by chip, and keeps a fixed board when it fits', () => {
    const big = `${lif}\npopulation a[100000] : N\npopulation b[40000] : N`;
    // 140000 neurons / 1024 = 137 cores > 128: two chips.
    const grown = compile(big);
    expect(errors(grown)).toEqual([]);
    expect(grown.image!.profile.board.chips).toBe(2);
    expect(grown.image!.cores.length).toBe(137);
    const fixed = compile(big.replace(lif, `target "loihi-like" { chips = 4 }\n${lif}`));
    expect(fixed.image!.profile.board.chips).toBe(4);
  });

  it('refuses a network larger than a fixed board, naming the population, the limit and how far over', () => {
    const r = compile(`target "loihi-like" { chips = 1 }\n${lif}\npopulation a[100000] : N\npopulation b[40000] : N`);
    const err = errors(r)[0];
    expect(err?.code).toBe(3004);
    // 137 cores against 128: 7% over; b holds the first neuron of core 128.
    expect(err?.message).toMatch(/`b`/);
    expect(err?.message).toMatch(/137 cores, 7% over the 128 cores of 1 chip/);
    expect(err?.message).toMatch(/chips = 1/);
    expect(err?.span.line).toBe(4);
  });

  it('rejects a board size the profile does not have', () => {
    const r = compile(`target "loihi-like" { chips = 0 }\n${lif}\npopulation a[1] : N`);
    expect(errors(r)[0]?.code).toBe(2190);
    expect(errors(r)[0]?.message).toMatch(/768/);
  });

  it('keeps heavy traffic on one chip when the network spans two', async () => {
    // 140 cores over 2 chips; 10 modules of in->e with heavy traffic.
    const text = `${modules(10)}population pad[${128 * 1024}] : N { rate = 0 Hz }\n`;
    const r = compile(text);
    expect(errors(r)).toEqual([]);
    const report = buildMapReport(r.image!, networkRates(r.network!), r.mapped!.decisions);
    expect(report.board.chips).toBe(2);
    expect(report.expected.chip_to_chip_packets_per_step.final).toBe(0);
    expect(report.board.reason).toMatch(/grew to 2 chips/);
    // The emulator counts no chip-to-chip hop for this placement.
    const emu = await createEmulator('cpu', r.image!, { seed: 1 });
    await emu.run(20);
    expect(emu.counters().total.hops_chip_to_chip).toBe(0);
    emu.dispose();
  });
});

describe('map report', () => {
  it('lists per core its pieces, neurons, synapse bytes and utilisation, per link the traffic, and both costs', () => {
    const r = compile(modules(3));
    const report = buildMapReport(r.image!, networkRates(r.network!), r.mapped!.decisions);
    expect(report.schema).toBe('meso.map/v1');
    const core0 = report.cores[0];
    expect(core0.synapse_bytes).toBe(core0.synapses * 4);
    expect(core0.utilisation.neurons).toBeCloseTo(core0.neurons / 1024, 12);
    expect(report.cores.flatMap((c) => c.pieces).reduce((n, p) => n + p.count, 0)).toBe(3 * 600 + 3 * 900);
    expect(typeof report.traffic_cost.final).toBe('number');
    expect(typeof report.traffic_cost.in_order).toBe('number');
    for (const l of report.links) expect(l.packets_per_step).toBeGreaterThan(0);
    const text = formatMapReport(report, r.image!);
    expect(text).toMatch(/traffic cost: final/);
    // The grid: 4 rows of 8 tiles, a digit or # per used core and . per empty slot.
    const rows = text.split('\n').filter((l) => /^ {2}y= ?\d/.test(l));
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(/^\s+y= 0 (\[[0-9#.]{4}\] ){7}\[[0-9#.]{4}\]$/);
  });
});
