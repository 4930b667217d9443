// The map report: what the mapper decided, as JSON (`meso compile --map-report`,
// schema meso.map/v1) and as text with the mesh drawn as a grid (`meso inspect`).
// Built from the image and one expected rate per population, so a .chip file
// alone gives the same cores, links and costs (with default rates for neurons,
// since `rate` hints are not stored in the image).
import type { ChipImage, CoreImage } from '../isa/image/types.js';
import { coreCount, coresPerChip, corePosition } from '../isa/profile.js';
import { synapseMemoryBytes } from '../isa/synapse.js';
import type { MapDecisions } from './mapper.js';
import {
  chipHopWeight,
  coreTraffic,
  linkLoads,
  slotGeometry,
  slotSpikeProbability,
  trafficCost,
  type LinkKind,
  type PopulationRate,
} from './traffic.js';

export interface CoreUse {
  readonly neurons: number;
  readonly synapse_memory: number;
  readonly input_axons: number;
  readonly output_routes: number;
}

export interface CoreReport {
  readonly core: number;
  readonly slot: number;
  readonly chip: number;
  readonly tile: number;
  readonly x: number;
  readonly y: number;
  readonly pieces: readonly { readonly population: string; readonly first: number; readonly count: number; readonly offset: number }[];
  readonly neurons: number;
  readonly synapses: number;
  readonly synapse_bytes: number;
  readonly input_axons: number;
  readonly output_routes: number;
  /** Fraction of each per-core limit in use (0..1). */
  readonly utilisation: CoreUse;
  /** Expected packets per step this core sends to other cores. */
  readonly packets_out_per_step: number;
}

export interface MapReport {
  readonly schema: 'meso.map/v1';
  readonly source: string;
  readonly chip: string;
  readonly board: {
    readonly chips: number;
    readonly max_chips: number;
    readonly cores_per_chip: number;
    readonly cores_used: number;
    /** Why the board has this many chips. */
    readonly reason: string;
  };
  readonly rates_hz: Readonly<Record<string, { readonly hz: number; readonly source: string }>>;
  readonly placement?: MapDecisions['placement'] & { readonly fill_passes: number };
  /**
   * Σ over core pairs of expected packets per step × hops of the X-then-Y route;
   * a chip-to-chip hop counts as `chip_hop_weight` hops. `in_order`: core i in slot i.
   */
  readonly traffic_cost: { readonly final: number; readonly in_order: number; readonly unit: string; readonly chip_hop_weight: number };
  readonly expected: {
    readonly packets_per_step: number;
    /** Packets that leave their core, per step. */
    readonly packets_between_cores_per_step: number;
    readonly hops_per_packet: { readonly final: number; readonly in_order: number };
    readonly chip_to_chip_packets_per_step: { readonly final: number; readonly in_order: number };
  };
  readonly routing: {
    readonly scheme: string;
    readonly entries: number;
    readonly max_entries_per_core: number;
    readonly limit_per_core: number;
  };
  readonly cores: readonly CoreReport[];
  readonly links: readonly {
    readonly from: { readonly x: number; readonly y: number };
    readonly to: { readonly x: number; readonly y: number };
    readonly kind: LinkKind;
    readonly packets_per_step: number;
  }[];
}

function coreUse(core: CoreImage, image: ChipImage): CoreUse {
  const l = image.profile.limits;
  return {
    neurons: core.neuronCount / l.neuronsPerCore,
    synapse_memory: synapseMemoryBytes(core.synapses.length) / l.synapseMemoryBytes,
    input_axons: (core.axonStart.length - 1) / l.inputAxonsPerCore,
    output_routes: core.routeCore.length / l.outputAxonsPerCore,
  };
}

/** The most-used limit of a core, 0..1: what the grid shows. */
export function coreUtilisation(u: CoreUse): number {
  return Math.max(u.neurons, u.synapse_memory, u.input_axons, u.output_routes);
}

/** Hops of a packet that cross chips, for the in-order and the final slots. */
function chipPackets(image: ChipImage, traffic: ReturnType<typeof coreTraffic>, slotOf: ArrayLike<number>): number {
  let n = 0;
  for (let a = 0; a < traffic.cores; a++) {
    const chipA = corePosition(image.profile, slotOf[a]).chip;
    for (let k = traffic.start[a]; k < traffic.start[a + 1]; k++) if (corePosition(image.profile, slotOf[traffic.dest[k]]).chip !== chipA) n += traffic.packets[k];
  }
  return n;
}

export function buildMapReport(image: ChipImage, rates: readonly PopulationRate[], decisions?: MapDecisions): MapReport {
  const profile = image.profile;
  const { symbols } = image;
  const pieces = symbols.populations.map((p) => p.pieces);
  const traffic = coreTraffic(image.cores, slotSpikeProbability(image.cores, pieces, rates, image.dtS));
  const geometry = slotGeometry(profile, coreCount(profile));
  const finalSlots = image.cores.map((c) => c.slot);
  const inOrderSlots = image.cores.map((_, c) => c);
  const final = trafficCost(traffic, finalSlots, geometry);
  const inOrder = trafficCost(traffic, inOrderSlots, geometry);
  let between = 0;
  for (let k = 0; k < traffic.packets.length; k++) between += traffic.packets[k];
  const unweighted = { ...geometry, chipExtra: 0 };
  const hopsFinal = trafficCost(traffic, finalSlots, unweighted);
  const hopsInOrder = trafficCost(traffic, inOrderSlots, unweighted);
  const perCore = (c: number): number => {
    let n = 0;
    for (let k = traffic.start[c]; k < traffic.start[c + 1]; k++) n += traffic.packets[k];
    return n;
  };
  const cores = image.cores.map((core, c): CoreReport => {
    const pos = corePosition(profile, core.slot);
    const u = coreUse(core, image);
    const here: CoreReport['pieces'][number][] = [];
    symbols.populations.forEach((pop) => {
      for (const piece of pop.pieces) if (piece.core === c) here.push({ population: pop.name, first: piece.first, count: piece.count, offset: piece.offset });
    });
    here.sort((a, b) => a.first - b.first);
    return {
      core: c,
      slot: core.slot,
      chip: pos.chip,
      tile: pos.tile,
      x: pos.x,
      y: pos.y,
      pieces: here,
      neurons: core.neuronCount,
      synapses: core.synapses.length,
      synapse_bytes: synapseMemoryBytes(core.synapses.length),
      input_axons: core.axonStart.length - 1,
      output_routes: core.routeCore.length,
      utilisation: u,
      packets_out_per_step: perCore(c),
    };
  });
  const perChip = coresPerChip(profile);
  const chips = profile.board.chips;
  const reason =
    decisions?.chipsFixed === true
      ? `the program fixes the board at chips = ${chips}`
      : chips === 1
        ? `the network needs ${image.cores.length} of the ${perChip} cores of one chip`
        : `the network needs ${image.cores.length} cores and one chip has ${perChip}: the board grew to ${chips} chips, and placement keeps heavy traffic on-chip (chip-to-chip hops cost ${chipHopWeight(profile).toFixed(2)} on-chip hops)`;
  const rateTable: Record<string, { hz: number; source: string }> = {};
  symbols.populations.forEach((pop, p) => (rateTable[pop.name] = { hz: rates[p].hz, source: rates[p].source }));
  const entries = image.cores.reduce((n, c) => n + c.routeCore.length, 0);
  return {
    schema: 'meso.map/v1',
    source: symbols.source,
    chip: profile.name,
    board: { chips, max_chips: profile.board.maxChips, cores_per_chip: perChip, cores_used: image.cores.length, reason },
    rates_hz: rateTable,
    ...(decisions ? { placement: { ...decisions.placement, fill_passes: decisions.fillPasses } } : {}),
    traffic_cost: {
      final,
      in_order: inOrder,
      unit: 'expected packets per step x hops (X-then-Y); one packet per spike and destination core',
      chip_hop_weight: chipHopWeight(profile),
    },
    expected: {
      packets_per_step: traffic.totalPackets,
      packets_between_cores_per_step: between,
      hops_per_packet: { final: traffic.totalPackets > 0 ? hopsFinal / traffic.totalPackets : 0, in_order: traffic.totalPackets > 0 ? hopsInOrder / traffic.totalPackets : 0 },
      chip_to_chip_packets_per_step: { final: chipPackets(image, traffic, finalSlots), in_order: chipPackets(image, traffic, inOrderSlots) },
    },
    routing: {
      scheme:
        'per source core, one output axon entry per neuron and destination core (multicast per core): the packet carries the destination axon and travels X then Y over the mesh',
      entries,
      max_entries_per_core: image.cores.reduce((m, c) => Math.max(m, c.routeCore.length), 0),
      limit_per_core: profile.limits.outputAxonsPerCore,
    },
    cores,
    links: linkLoads(traffic, finalSlots, profile).map((l) => ({ from: l.from, to: l.to, kind: l.kind, packets_per_step: l.packetsPerStep })),
  };
}

const fmt = (x: number): string => (x === 0 ? '0' : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));

/** One character per core slot: utilisation in tenths (0-9), `#` when full, `.` when empty. */
function useChar(u: number | undefined): string {
  if (u === undefined) return '.';
  if (u >= 0.995) return '#';
  return String(Math.min(9, Math.floor(u * 10)));
}

/** The map report as text: board, costs, the mesh as a grid of utilisation per chip, and the busiest links. */
export function formatMapReport(report: MapReport, image: ChipImage): string {
  const profile = image.profile;
  const lines: string[] = [];
  const b = report.board;
  lines.push(`board: ${b.chips} chip${b.chips === 1 ? '' : 's'} of ${b.cores_per_chip} cores (at most ${b.max_chips}); ${b.cores_used} cores used: ${b.reason}`);
  const tc = report.traffic_cost;
  const ratio = tc.in_order > 0 ? ` (${((100 * tc.final) / tc.in_order).toFixed(1)}% of in-order)` : '';
  lines.push(`traffic cost: final ${fmt(tc.final)}, in-order ${fmt(tc.in_order)}${ratio} [${tc.unit}]`);
  const e = report.expected;
  lines.push(
    `expected: ${fmt(e.packets_per_step)} packets per step, ${fmt(e.packets_between_cores_per_step)} between cores; hops per packet ${fmt(e.hops_per_packet.final)} (in-order ${fmt(e.hops_per_packet.in_order)}); chip-to-chip packets per step ${fmt(e.chip_to_chip_packets_per_step.final)} (in-order ${fmt(e.chip_to_chip_packets_per_step.in_order)})`,
  );
  if (report.placement) {
    const p = report.placement;
    lines.push(`placement: ${p.strategy}, seed ${p.seed}, ${p.iterations} annealing moves (${p.accepted} accepted); greedy cost ${fmt(p.cost.greedy)}`);
  }
  const rates = Object.entries(report.rates_hz).map(([name, r]) => `${name} ${fmt(r.hz)} Hz (${r.source})`);
  lines.push(`expected rates: ${rates.join(', ')}`);
  lines.push(`routing: ${report.routing.entries} output axon entries, at most ${report.routing.max_entries_per_core} on a core (limit ${report.routing.limit_per_core})`);

  // The grid: per chip, rows of tiles; each tile shows its cores' utilisation.
  const useOfSlot = new Map<number, number>();
  for (const c of report.cores) useOfSlot.set(c.slot, coreUtilisation(c.utilisation));
  const { tilesX, tilesY, coresPerTile } = profile.mesh;
  const perChip = coresPerChip(profile);
  lines.push('', `mesh utilisation (per tile, one digit per core: tenths of its most-used limit, # full, . empty)`);
  for (let chip = 0; chip < profile.board.chips; chip++) {
    const first = corePosition(profile, chip * perChip);
    if (profile.board.chips > 1) lines.push(`chip ${chip} (board position ${first.chipX},${first.chipY})`);
    for (let y = 0; y < tilesY; y++) {
      const cells: string[] = [];
      for (let x = 0; x < tilesX; x++) {
        let cell = '';
        const tile = y * tilesX + x;
        for (let k = 0; k < coresPerTile; k++) cell += useChar(useOfSlot.get(chip * perChip + tile * coresPerTile + k));
        cells.push(`[${cell}]`);
      }
      lines.push(`  y=${String(first.y + y).padStart(2)} ${cells.join(' ')}`);
    }
  }
  const busiest = report.links.slice(0, 8);
  if (busiest.length > 0) {
    lines.push('', 'busiest links (expected packets per step)');
    for (const l of busiest) lines.push(`  (${l.from.x},${l.from.y}) -> (${l.to.x},${l.to.y}) ${l.kind.padEnd(12)} ${fmt(l.packets_per_step)}`);
  }
  lines.push('', 'cores');
  for (const c of report.cores) {
    const u = c.utilisation;
    const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
    const what = c.pieces.map((p) => `${p.population}[${p.offset}..${p.offset + p.count - 1}]`).join(' ');
    lines.push(
      `  core ${String(c.core).padStart(3)} slot ${String(c.slot).padStart(4)} chip ${c.chip} (${c.x},${c.y}): ${c.neurons} neurons ${pct(u.neurons)}, ${c.synapse_bytes} B ${pct(u.synapse_memory)}, axons ${pct(u.input_axons)}, routes ${pct(u.output_routes)}; ${what}`,
    );
  }
  return lines.join('\n');
}
