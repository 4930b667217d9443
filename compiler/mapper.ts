// The mapper: partitions populations into core-sized pieces, fills cores in
// declaration order within every per-core limit of the profile, and builds each
// core's axon and synapse tables and every neuron's routes (one route per
// destination core and projection). A traffic-aware placement replaces the
// in-order one in a later stage; the tables built here stay the same.
import type { CoreGroup, CoreImage, InputEncoding, PopulationPiece } from '../isa/image/types.js';
import type { NeuronParams } from '../isa/fixed.js';
import { maxWeightMantissa } from '../isa/fixed.js';
import { coreCount, coresPerChip, withChips, type ChipProfile } from '../isa/profile.js';
import { packSynapse } from '../isa/synapse.js';
import { expandPattern, weightSampler, weightSeed } from './connectivity.js';
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { diag, phrase } from './diagnostics/messages.js';
import type { NetworkIR } from './ir.js';
import { quantizeWeight, sliceEncoding, sliceInit, type WeightFormat } from './lower.js';
import { checkDelays, partitionInOrder, percentOver, type NetworkShape } from './partition.js';
import { placeCores } from './placement.js';
import { coreTraffic, networkRates, slotGeometry, slotSpikeProbability, type PopulationRate } from './traffic.js';

/** What lowering decided per population and projection, in the IR's order. */
export interface LoweredNetwork {
  readonly network: NetworkIR;
  readonly behaviour: readonly (
    | { readonly kind: 'neurons'; readonly params: NeuronParams; /** per neuron of the population, when any starts non-zero */ readonly initV?: Int32Array }
    | { readonly kind: 'input'; readonly encoding: InputEncoding }
  )[];
  readonly weightFormats: readonly WeightFormat[];
  /** Delay of each projection in steps (1..max_delay_steps). */
  readonly delaySteps: readonly number[];
}

/** How cores are put on the mesh: `traffic` (greedy + annealing, the default) or `in-order` (core i in slot i, the skeleton's). */
export type PlacementStrategy = 'traffic' | 'in-order';

export interface MapOptions {
  readonly placement?: PlacementStrategy;
  /** Seed of the placement's PRNG (the same seed gives the same placement). */
  readonly seed?: number;
  /** Annealing moves (default: compiler/placement.ts). */
  readonly iterations?: number;
}

/** What the mapper decided beyond the tables: the board, and the placement's figures. */
export interface MapDecisions {
  /** Cores the partition needs, the chips that takes, and whether the program fixed the board. */
  readonly coresNeeded: number;
  readonly chips: number;
  readonly chipsFixed: boolean;
  readonly coresPerChip: number;
  readonly fillPasses: number;
  readonly rates: readonly PopulationRate[];
  readonly placement: {
    readonly strategy: PlacementStrategy;
    readonly seed: number;
    readonly iterations: number;
    readonly accepted: number;
    /** Traffic cost (compiler/traffic.ts) of the in-order, greedy and final placements. */
    readonly cost: { readonly inOrder: number; readonly greedy: number; readonly final: number };
  };
}

export interface MappedNetwork {
  /** The profile on the board the image is compiled for (board.chips set). */
  readonly profile: ChipProfile;
  readonly decisions: MapDecisions;
  readonly cores: readonly CoreImage[];
  /** Per population (IR order), where its neurons live. */
  readonly pieces: readonly (readonly PopulationPiece[])[];
  /**
   * Per core, the axon key of each of its axons (ascending): key = axonBase[projection] + presynaptic
   * index, so the learning engine knows which projection and neuron each axon carries (compiler/lower-rules.ts).
   */
  readonly axonKeys: readonly Uint32Array[];
  /** axonBase[k]: the first axon key of projection k (length: projections + 1). */
  readonly axonBase: Uint32Array;
}

export interface MapResult {
  readonly mapped: MappedNetwork | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** Incoming synapses of every neuron, as compressed rows keyed by global target. */
interface IncomingTable {
  /** rowStart[g]..rowStart[g+1]: the synapses into global neuron g. */
  readonly rowStart: Uint32Array;
  /** Axon key of each synapse: axonBase[projection] + pre (population-local). */
  readonly axonKey: Uint32Array;
  readonly mantissa: Int8Array;
  readonly projection: Uint16Array;
  /** Delay of each synapse in steps (the projection's, or the edge's own from a file). */
  readonly delay: Uint8Array;
}

function populationBases(network: NetworkIR): Uint32Array {
  const base = new Uint32Array(network.populations.length + 1);
  network.populations.forEach((p, i) => (base[i + 1] = base[i] + p.size));
  return base;
}

/** Expands every projection and sorts its synapses by target neuron (counting sort). */
function buildIncoming(lowered: LoweredNetwork, base: Uint32Array, axonBase: Uint32Array, maxMant: number): IncomingTable {
  const { network } = lowered;
  const total = base[network.populations.length];
  const expanded = network.projections.map((proj) =>
    expandPattern(proj.pattern, network.populations[proj.pre].size, network.populations[proj.post].size),
  );
  const rowStart = new Uint32Array(total + 1);
  expanded.forEach((edges, k) => {
    const postBase = base[network.projections[k].post];
    for (let e = 0; e < edges.post.length; e++) rowStart[postBase + edges.post[e] + 1]++;
  });
  for (let g = 0; g < total; g++) rowStart[g + 1] += rowStart[g];
  const edgeCount = rowStart[total];
  const fill = rowStart.slice(0, total);
  const axonKey = new Uint32Array(edgeCount);
  const mantissa = new Int8Array(edgeCount);
  const projection = new Uint16Array(edgeCount);
  const delay = new Uint8Array(edgeCount);
  expanded.forEach((edges, k) => {
    const proj = network.projections[k];
    const postBase = base[proj.post];
    const weightOf = weightSampler(proj.weight, weightSeed(k));
    const format = lowered.weightFormats[k];
    for (let e = 0; e < edges.post.length; e++) {
      const slot = fill[postBase + edges.post[e]]++;
      axonKey[slot] = axonBase[k] + edges.pre[e];
      mantissa[slot] = quantizeWeight(weightOf(edges.pre[e], edges.post[e], e), format, maxMant);
      projection[slot] = k;
      delay[slot] = edges.delaySteps?.[e] || lowered.delaySteps[k];
    }
  });
  return { rowStart, axonKey, mantissa, projection, delay };
}

/** Groups of a core: consecutive slots of one population share a group. */
function coreGroups(lowered: LoweredNetwork, pieces: readonly (readonly PopulationPiece[])[], core: number, inputBase: readonly number[]): CoreGroup[] {
  const groups: CoreGroup[] = [];
  pieces.forEach((list, p) => {
    for (const piece of list) {
      if (piece.core !== core) continue;
      const b = lowered.behaviour[p];
      groups.push(
        b.kind === 'neurons'
          ? { kind: 'neurons', first: piece.first, count: piece.count, params: b.params, ...sliceInit(b.initV, piece.offset, piece.count) }
          : { kind: 'input', first: piece.first, count: piece.count, encoding: sliceEncoding(b.encoding, piece.offset, piece.count), inputIndex: inputBase[p] + piece.offset },
      );
    }
  });
  return groups.sort((a, b) => a.first - b.first);
}

export function mapNetwork(lowered: LoweredNetwork, chipProfile: ChipProfile, options: MapOptions = {}): MapResult {
  // Per-core limits are the same on every board size; the board is chosen after partitioning.
  let profile = chipProfile;
  const diagnostics: Diagnostic[] = [];
  const { network } = lowered;
  const base = populationBases(network);
  const axonBase = new Uint32Array(network.projections.length + 1);
  network.projections.forEach((proj, k) => (axonBase[k + 1] = axonBase[k] + network.populations[proj.pre].size));
  const axonKeys = axonBase[network.projections.length];
  const incoming = buildIncoming(lowered, base, axonBase, maxWeightMantissa(profile.limits.weightBits));
  const outgoingOf: number[][] = network.populations.map(() => []);
  network.projections.forEach((proj, k) => outgoingOf[proj.pre].push(k));
  const shape: NetworkShape = { network, base, axonBase, outgoing: outgoingOf };
  if (!checkDelays(network, incoming, profile, diagnostics)) return { mapped: undefined, diagnostics };
  if (!checkCrossbar(lowered, incoming, base, profile, diagnostics)) return { mapped: undefined, diagnostics };
  const assignment = partitionInOrder(shape, profile, incoming, diagnostics);
  if (!assignment) return { mapped: undefined, diagnostics };
  const board = chooseBoard(network, assignment.coreNeurons.length, assignment.coreOf, base, profile, diagnostics);
  if (!board) return { mapped: undefined, diagnostics };
  profile = withChips(profile, board.chips);
  const { coreOf, localOf, coreNeurons, pieces } = assignment;

  // Input neurons are numbered across the image, in declaration order (the Poisson counter).
  const inputBase: number[] = [];
  let inputs = 0;
  for (const pop of network.populations) {
    inputBase.push(inputs);
    if (pop.kind === 'input') inputs += pop.size;
  }

  // Axons and synapses, core by core. axonId is reused across cores (reset after each).
  const axonId = new Int32Array(axonKeys).fill(-1);
  const axonKeyProjection = (key: number): number => {
    let lo = 0;
    let hi = network.projections.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (axonBase[mid] <= key) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  // Where each axon key landed: (core, axon) pairs, for the routes.
  const destCount = new Uint32Array(axonKeys + 1);
  const perCore: { keys: Uint32Array; axonStart: Uint32Array; axonWeightExp: Uint8Array; synapses: Uint32Array }[] = [];
  const neuronsOfCore: number[][] = coreNeurons.map(() => []);
  for (let g = 0; g < coreOf.length; g++) neuronsOfCore[coreOf[g]].push(g);

  // A core's distinct axon keys, gathered in a typed scratch (no per-core array of numbers to convert),
  // then put in ascending order: by a bitmap scan where the core has many keys (CUBA at 40,000
  // neurons: 4,000 of 80,000 keys on each of 8,000 cores), else by sorting.
  const keyScratch = new Uint32Array(axonKeys);
  const keyWords = Math.ceil(axonKeys / 32);
  const keyBits = new Int32Array(keyWords);
  const ascendingKeys = (distinct: number): Uint32Array => {
    if (distinct * 32 <= keyWords) return keyScratch.slice(0, distinct).sort();
    for (let i = 0; i < distinct; i++) keyBits[keyScratch[i] >>> 5] |= 1 << (keyScratch[i] & 31);
    const out = new Uint32Array(distinct);
    let m = 0;
    for (let w = 0; w < keyWords; w++) {
      let bits = keyBits[w];
      if (bits === 0) continue;
      keyBits[w] = 0;
      while (bits !== 0) {
        const low = bits & -bits;
        out[m++] = w * 32 + 31 - Math.clz32(low);
        bits ^= low;
      }
    }
    return out;
  };
  for (let c = 0; c < coreNeurons.length; c++) {
    const members = neuronsOfCore[c];
    let distinct = 0;
    for (const g of members) {
      for (let s = incoming.rowStart[g]; s < incoming.rowStart[g + 1]; s++) {
        const key = incoming.axonKey[s];
        if (axonId[key] === -1) {
          axonId[key] = 0;
          keyScratch[distinct++] = key;
        }
      }
    }
    const sortedKeys = ascendingKeys(distinct);
    for (let a = 0; a < sortedKeys.length; a++) axonId[sortedKeys[a]] = a;
    const axonStart = new Uint32Array(sortedKeys.length + 1);
    for (const g of members) for (let s = incoming.rowStart[g]; s < incoming.rowStart[g + 1]; s++) axonStart[axonId[incoming.axonKey[s]] + 1]++;
    for (let a = 0; a < sortedKeys.length; a++) axonStart[a + 1] += axonStart[a];
    const fill = axonStart.slice(0, sortedKeys.length);
    const synapses = new Uint32Array(axonStart[sortedKeys.length]);
    for (const g of members) {
      for (let s = incoming.rowStart[g]; s < incoming.rowStart[g + 1]; s++) {
        const a = axonId[incoming.axonKey[s]];
        synapses[fill[a]++] = packSynapse(localOf[g], incoming.mantissa[s], incoming.delay[s]);
      }
    }
    const axonWeightExp = new Uint8Array(sortedKeys.length);
    sortedKeys.forEach((key, a) => {
      axonWeightExp[a] = lowered.weightFormats[axonKeyProjection(key)].exponent;
      destCount[key + 1]++;
      axonId[key] = -1;
    });
    perCore.push({ keys: sortedKeys, axonStart, axonWeightExp, synapses });
  }

  // Routes: for every axon key, the (core, axon) pairs it feeds, in core order.
  for (let k = 0; k < axonKeys; k++) destCount[k + 1] += destCount[k];
  const destFill = destCount.slice(0, axonKeys);
  const destCore = new Uint16Array(destCount[axonKeys]);
  const destAxon = new Uint16Array(destCount[axonKeys]);
  perCore.forEach(({ keys }, c) =>
    keys.forEach((key, a) => {
      const i = destFill[key]++;
      destCore[i] = c;
      destAxon[i] = a;
    }),
  );
  // Projections leaving each population, so a neuron finds its axon keys.
  const outgoing: number[][] = network.populations.map(() => []);
  network.projections.forEach((proj, k) => outgoing[proj.pre].push(k));
  const popOf = (g: number): number => {
    let p = 0;
    while (base[p + 1] <= g) p++;
    return p;
  };

  const cores: CoreImage[] = [];
  for (let c = 0; c < coreNeurons.length; c++) {
    const members = neuronsOfCore[c];
    const routeStart = new Uint32Array(coreNeurons[c] + 1);
    const routeCoreList: number[] = [];
    const routeAxonList: number[] = [];
    let p = 0;
    for (const g of members) {
      while (base[p + 1] <= g) p++;
      for (const k of outgoing[p]) {
        const key = axonBase[k] + (g - base[p]);
        for (let i = destCount[key]; i < destCount[key + 1]; i++) {
          routeCoreList.push(destCore[i]);
          routeAxonList.push(destAxon[i]);
        }
      }
      routeStart[localOf[g] + 1] = routeCoreList.length;
    }
    if (routeCoreList.length > profile.limits.outputAxonsPerCore) {
      const pop = network.populations[popOf(members[0])];
      diagnostics.push(
        diag('outputRoutesExceedCore', pop.span, [String(c), pop.name, String(routeCoreList.length), String(profile.limits.outputAxonsPerCore), percentOver(routeCoreList.length, profile.limits.outputAxonsPerCore), profile.name]),
      );
    }
    const { axonStart, axonWeightExp, synapses } = perCore[c];
    cores.push({
      slot: c,
      neuronCount: coreNeurons[c],
      groups: coreGroups(lowered, pieces, c, inputBase),
      axonStart,
      axonWeightExp,
      synapses,
      routeStart,
      routeCore: Uint16Array.from(routeCoreList),
      routeAxon: Uint16Array.from(routeAxonList),
    });
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { mapped: undefined, diagnostics };

  // Placement: which slot each core sits in. Only `slot` changes: tables, routes and spikes stay the same.
  const rates = networkRates(network);
  const traffic = coreTraffic(cores, slotSpikeProbability(cores, pieces, rates, network.target.dtS));
  const strategy = options.placement ?? 'traffic';
  const seed = (options.seed ?? 1) >>> 0;
  const geometry = slotGeometry(profile, coreCount(profile));
  const placed =
    strategy === 'traffic'
      ? placeCores(traffic, geometry, { seed, ...(options.iterations === undefined ? {} : { iterations: options.iterations }) })
      : placeCores(traffic, geometry, { seed, iterations: 0 });
  const slotOf = strategy === 'traffic' ? placed.slotOf : Uint32Array.from(cores, (_, c) => c);
  const placedCores = cores.map((core, c): CoreImage => ({ ...core, slot: slotOf[c] }));
  const cost = strategy === 'traffic' ? placed.cost : { ...placed.cost, final: placed.cost.inOrder };
  const decisions: MapDecisions = {
    coresNeeded: cores.length,
    chips: board.chips,
    chipsFixed: board.fixed,
    coresPerChip: coresPerChip(profile),
    fillPasses: assignment.passes,
    rates,
    placement: { strategy, seed, iterations: strategy === 'traffic' ? placed.iterations : 0, accepted: placed.accepted, cost },
  };
  return { mapped: { profile, decisions, cores: placedCores, pieces, axonKeys: perCore.map((k) => k.keys), axonBase }, diagnostics };
}

/** Core images address at most 2^16 cores (routes and events store the core in 16 bits). */
const MAX_IMAGE_CORES = 1 << 16;

/**
 * The board: the program's `chips = N`, else the fewest chips that hold the
 * cores (grown chip by chip). Reports the population whose neurons overflow it.
 */
function chooseBoard(
  network: NetworkIR,
  cores: number,
  coreOf: Uint32Array,
  base: Uint32Array,
  profile: ChipProfile,
  diagnostics: Diagnostic[],
): { chips: number; fixed: boolean } | undefined {
  const perChip = coresPerChip(profile);
  const fixed = network.target.chips;
  const chips = fixed ?? Math.max(1, Math.ceil(cores / perChip));
  const allowed = Math.min(fixed ?? profile.board.maxChips, profile.board.maxChips) * perChip;
  // The population holding the first neuron of the first core past the board.
  const overflowing = (limit: number): number => {
    let g = 0;
    while (g < coreOf.length && coreOf[g] < limit) g++;
    let p = 0;
    while (p + 1 < network.populations.length && base[p + 1] <= g) p++;
    return p;
  };
  if (cores > MAX_IMAGE_CORES) {
    const pop = network.populations[overflowing(MAX_IMAGE_CORES)];
    diagnostics.push(diag('imageTooManyCores', pop.span, [pop.name, String(cores), String(MAX_IMAGE_CORES), percentOver(cores, MAX_IMAGE_CORES)]));
    return undefined;
  }
  if (cores > allowed) {
    const pop = network.populations[overflowing(allowed)];
    const boardChips = allowed / perChip;
    const hint = fixed === undefined ? phrase('boardFullHint') : phrase('boardFixedHint', String(fixed), String(profile.board.maxChips));
    diagnostics.push(diag('networkExceedsBoard', pop.span, [pop.name, String(cores), percentOver(cores, allowed), String(allowed), String(boardChips), profile.name, hint]));
    return undefined;
  }
  return { chips, fixed: fixed !== undefined };
}

/**
 * A crossbar chip (profile limits.axon_types, TrueNorth) gives a neuron one
 * weight per axon type, so no neuron may receive more distinct non-zero weights
 * than there are types (a zero weight is an open crossbar point). The emulator
 * keeps a weight per synapse, so a network past this limit would run with
 * weights the chip cannot hold: it is an error, reported once per population,
 * at its first offending neuron. (Necessary, not sufficient: Meso does not
 * search for the axon-type assignment itself.)
 */
function checkCrossbar(lowered: LoweredNetwork, incoming: IncomingTable, base: Uint32Array, profile: ChipProfile, diagnostics: Diagnostic[]): boolean {
  const types = profile.limits.axonTypes;
  if (types === undefined) return true;
  const { network } = lowered;
  const seen = new Float64Array(types + 1);
  let ok = true;
  for (let p = 0; p < network.populations.length; p++) {
    for (let g = base[p]; g < base[p + 1]; g++) {
      let distinct = 0;
      for (let s = incoming.rowStart[g]; s < incoming.rowStart[g + 1] && distinct <= types; s++) {
        const m = incoming.mantissa[s];
        if (m === 0) continue;
        const w = m * 2 ** lowered.weightFormats[incoming.projection[s]].exponent;
        let known = false;
        for (let k = 0; k < distinct && !known; k++) known = seen[k] === w;
        if (!known) seen[distinct++] = w;
      }
      if (distinct > types) {
        // Count them all for the message (this neuron only).
        const all = new Set<number>();
        for (let s = incoming.rowStart[g]; s < incoming.rowStart[g + 1]; s++) {
          if (incoming.mantissa[s] !== 0) all.add(incoming.mantissa[s] * 2 ** lowered.weightFormats[incoming.projection[s]].exponent);
        }
        const pop = network.populations[p];
        diagnostics.push(diag('crossbarWeightsExceedTypes', pop.span, [pop.name, profile.name, String(g - base[p]), String(all.size), String(types), percentOver(all.size, types)]));
        ok = false;
        break;
      }
    }
  }
  return ok;
}
