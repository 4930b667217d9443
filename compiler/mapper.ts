// The mapper: partitions populations into core-sized pieces, fills cores in
// declaration order within every per-core limit of the profile, and builds each
// core's axon and synapse tables and every neuron's routes (one route per
// destination core and projection). A traffic-aware placement replaces the
// in-order one in a later stage; the tables built here stay the same.
import type { CoreGroup, CoreImage, InputEncoding, PopulationPiece } from '../isa/image/types.js';
import type { NeuronParams } from '../isa/fixed.js';
import { maxWeightMantissa } from '../isa/fixed.js';
import { coreCount, type ChipProfile } from '../isa/profile.js';
import { packSynapse, synapseMemoryBytes } from '../isa/synapse.js';
import { edgeWeight, expandPattern, weightSeed } from './connectivity.js';
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { diag } from './diagnostics/messages.js';
import type { NetworkIR } from './ir.js';
import { quantizeWeight, type WeightFormat } from './lower.js';

/** What lowering decided per population and projection, in the IR's order. */
export interface LoweredNetwork {
  readonly network: NetworkIR;
  readonly behaviour: readonly ({ readonly kind: 'neurons'; readonly params: NeuronParams } | { readonly kind: 'input'; readonly encoding: InputEncoding })[];
  readonly weightFormats: readonly WeightFormat[];
  /** Delay of each projection in steps (1..max_delay_steps). */
  readonly delaySteps: readonly number[];
}

export interface MappedNetwork {
  readonly cores: readonly CoreImage[];
  /** Per population (IR order), where its neurons live. */
  readonly pieces: readonly (readonly PopulationPiece[])[];
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
  expanded.forEach((edges, k) => {
    const proj = network.projections[k];
    const postBase = base[proj.post];
    const seed = weightSeed(k);
    const format = lowered.weightFormats[k];
    for (let e = 0; e < edges.post.length; e++) {
      const slot = fill[postBase + edges.post[e]]++;
      axonKey[slot] = axonBase[k] + edges.pre[e];
      mantissa[slot] = quantizeWeight(edgeWeight(proj.weight, seed, edges.pre[e], edges.post[e]), format, maxMant);
      projection[slot] = k;
    }
  });
  return { rowStart, axonKey, mantissa, projection };
}

interface Assignment {
  /** Core of every global neuron, and its slot on that core. */
  readonly coreOf: Uint32Array;
  readonly localOf: Uint32Array;
  readonly coreNeurons: readonly number[];
  readonly pieces: readonly (readonly PopulationPiece[])[];
}

function percentOver(need: number, limit: number): string {
  return ((100 * (need - limit)) / limit).toFixed(0);
}

/** Fills cores in order, starting a new core whenever the next neuron would break a per-core limit. */
function assignCores(
  lowered: LoweredNetwork,
  profile: ChipProfile,
  base: Uint32Array,
  incoming: IncomingTable,
  axonKeys: number,
  diagnostics: Diagnostic[],
): Assignment | undefined {
  const { network } = lowered;
  const limits = profile.limits;
  const maxCores = coreCount(profile);
  const total = base[network.populations.length];
  const coreOf = new Uint32Array(total);
  const localOf = new Uint32Array(total);
  const axonMark = new Int32Array(axonKeys).fill(-1);
  const coreNeurons: number[] = [];
  const pieces: PopulationPiece[][] = network.populations.map(() => []);
  let core = 0;
  let neurons = 0;
  let synapses = 0;
  let axons = 0;

  for (let p = 0; p < network.populations.length; p++) {
    const pop = network.populations[p];
    for (let i = 0; i < pop.size; i++) {
      const g = base[p] + i;
      const lo = incoming.rowStart[g];
      const hi = incoming.rowStart[g + 1];
      const fanIn = hi - lo;
      let newAxons = 0;
      for (let s = lo; s < hi; s++) if (axonMark[incoming.axonKey[s]] !== core) newAxons++;
      const fits = (n: number, syn: number, ax: number): boolean =>
        n + 1 <= limits.neuronsPerCore &&
        synapseMemoryBytes(syn + fanIn) <= limits.synapseMemoryBytes &&
        ax + newAxons <= limits.inputAxonsPerCore;
      if (!fits(neurons, synapses, axons) && neurons > 0) {
        coreNeurons.push(neurons);
        core++;
        neurons = 0;
        synapses = 0;
        axons = 0;
        newAxons = fanIn; // every axon is new on a fresh core
      }
      if (!fits(neurons, synapses, axons)) {
        // One neuron alone breaks a limit: no partition can help.
        const [limit, need, allowed] =
          synapseMemoryBytes(fanIn) > limits.synapseMemoryBytes
            ? ['synapse memory per core (bytes)', synapseMemoryBytes(fanIn), limits.synapseMemoryBytes]
            : ['input axons per core', fanIn, limits.inputAxonsPerCore];
        diagnostics.push(
          diag('neuronExceedsCoreLimit', pop.span, [pop.name, String(i), limit, String(need), String(allowed), percentOver(need, allowed), profile.name]),
        );
        return undefined;
      }
      if (core >= maxCores) {
        diagnostics.push(diag('networkExceedsChip', pop.span, [pop.name, String(maxCores), profile.name, String(total)]));
        return undefined;
      }
      for (let s = lo; s < hi; s++) axonMark[incoming.axonKey[s]] = core;
      coreOf[g] = core;
      localOf[g] = neurons;
      const last = pieces[p][pieces[p].length - 1];
      if (last && last.core === core) pieces[p][pieces[p].length - 1] = { ...last, count: last.count + 1 };
      else pieces[p].push({ core, first: neurons, count: 1, offset: i });
      neurons++;
      synapses += fanIn;
      axons += newAxons;
    }
  }
  if (neurons > 0) coreNeurons.push(neurons);
  return { coreOf, localOf, coreNeurons, pieces };
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
          ? { kind: 'neurons', first: piece.first, count: piece.count, params: b.params }
          : { kind: 'input', first: piece.first, count: piece.count, encoding: b.encoding, inputIndex: inputBase[p] + piece.offset },
      );
    }
  });
  return groups.sort((a, b) => a.first - b.first);
}

export function mapNetwork(lowered: LoweredNetwork, profile: ChipProfile): MapResult {
  const diagnostics: Diagnostic[] = [];
  const { network } = lowered;
  const base = populationBases(network);
  const axonBase = new Uint32Array(network.projections.length + 1);
  network.projections.forEach((proj, k) => (axonBase[k + 1] = axonBase[k] + network.populations[proj.pre].size));
  const axonKeys = axonBase[network.projections.length];
  const incoming = buildIncoming(lowered, base, axonBase, maxWeightMantissa(profile.limits.weightBits));
  const assignment = assignCores(lowered, profile, base, incoming, axonKeys, diagnostics);
  if (!assignment) return { mapped: undefined, diagnostics };
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

  for (let c = 0; c < coreNeurons.length; c++) {
    const members = neuronsOfCore[c];
    const keys: number[] = [];
    for (const g of members) {
      for (let s = incoming.rowStart[g]; s < incoming.rowStart[g + 1]; s++) {
        const key = incoming.axonKey[s];
        if (axonId[key] === -1) {
          axonId[key] = 0;
          keys.push(key);
        }
      }
    }
    const sortedKeys = Uint32Array.from(keys).sort();
    sortedKeys.forEach((key, a) => (axonId[key] = a));
    const axonStart = new Uint32Array(sortedKeys.length + 1);
    for (const g of members) for (let s = incoming.rowStart[g]; s < incoming.rowStart[g + 1]; s++) axonStart[axonId[incoming.axonKey[s]] + 1]++;
    for (let a = 0; a < sortedKeys.length; a++) axonStart[a + 1] += axonStart[a];
    const fill = axonStart.slice(0, sortedKeys.length);
    const synapses = new Uint32Array(axonStart[sortedKeys.length]);
    for (const g of members) {
      for (let s = incoming.rowStart[g]; s < incoming.rowStart[g + 1]; s++) {
        const a = axonId[incoming.axonKey[s]];
        synapses[fill[a]++] = packSynapse(localOf[g], incoming.mantissa[s], lowered.delaySteps[incoming.projection[s]]);
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
  return { mapped: { cores, pieces }, diagnostics };
}
