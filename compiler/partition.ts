// Partitioning: split the network's neurons into core-sized pieces within every
// per-core limit of the profile, filling cores in declaration order, so that
// the pieces of small populations share a core. Limits honoured: neurons,
// synapse memory in bytes as the image stores it (isa/synapse.ts), input axons,
// output axon entries (the routes of the core's neurons) and the delay range.
//
// A neuron's routes depend on where its targets land (one route per destination
// core and projection), so the fill is repeated: each pass uses, per neuron, the
// largest route count any earlier pass gave it, until a pass's route counts
// stay within what it assumed. Cores only shrink from pass to pass.
import type { PopulationPiece } from '../isa/image/types.js';
import type { ChipProfile } from '../isa/profile.js';
import { synapseMemoryBytes } from '../isa/synapse.js';
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { diag } from './diagnostics/messages.js';
import type { NetworkIR } from './ir.js';

/** What the partition reads of the mapper's incoming synapse table (compressed rows keyed by global target). */
export interface IncomingTable {
  /** rowStart[g]..rowStart[g+1]: the synapses into global neuron g. */
  readonly rowStart: Uint32Array;
  /** Axon key of each synapse: axonBase[projection] + pre (population-local). */
  readonly axonKey: Uint32Array;
}

export interface Assignment {
  /** Core of every global neuron, and its slot on that core. */
  readonly coreOf: Uint32Array;
  readonly localOf: Uint32Array;
  readonly coreNeurons: readonly number[];
  readonly pieces: readonly (readonly PopulationPiece[])[];
  /** The fill passes it took (1 when no neuron's routes changed the fill). */
  readonly passes: number;
}

/** Fill passes before giving up on route counts settling (the route check then reports). */
const MAX_PASSES = 8;

export function percentOver(need: number, limit: number): string {
  return ((100 * (need - limit)) / limit).toFixed(0);
}

export interface NetworkShape {
  readonly network: NetworkIR;
  /** Global index of each population's first neuron (length populations + 1). */
  readonly base: Uint32Array;
  /** Axon key of each projection's first source neuron (length projections + 1). */
  readonly axonBase: Uint32Array;
  /** Projections leaving each population. */
  readonly outgoing: readonly (readonly number[])[];
}

/** Per axon key, how many cores its synapses land on, under an assignment: the routes it needs. */
function routesPerNeuron(shape: NetworkShape, incoming: IncomingTable, coreNeurons: readonly number[]): Uint32Array {
  const { network, base, axonBase, outgoing } = shape;
  const keys = axonBase[network.projections.length];
  const mark = new Int32Array(keys).fill(-1);
  const perKey = new Uint32Array(keys);
  // The fill keeps every core's neurons contiguous in global order.
  let g = 0;
  for (let c = 0; c < coreNeurons.length; c++) {
    for (let end = g + coreNeurons[c]; g < end; g++) {
      for (let s = incoming.rowStart[g]; s < incoming.rowStart[g + 1]; s++) {
        const key = incoming.axonKey[s];
        if (mark[key] !== c) {
          mark[key] = c;
          perKey[key]++;
        }
      }
    }
  }
  const routes = new Uint32Array(base[network.populations.length]);
  for (let p = 0; p < network.populations.length; p++) {
    for (const k of outgoing[p]) {
      for (let i = 0; i < network.populations[p].size; i++) routes[base[p] + i] += perKey[axonBase[k] + i];
    }
  }
  return routes;
}

/** One in-order fill, assuming `routes[g]` output routes for neuron g. Undefined after reporting a neuron that fits no core. */
function fill(shape: NetworkShape, profile: ChipProfile, incoming: IncomingTable, routes: Uint32Array, diagnostics: Diagnostic[]): Omit<Assignment, 'passes'> | undefined {
  const { network, base, axonBase } = shape;
  const limits = profile.limits;
  const total = base[network.populations.length];
  const coreOf = new Uint32Array(total);
  const localOf = new Uint32Array(total);
  const axonMark = new Int32Array(axonBase[network.projections.length]).fill(-1);
  const coreNeurons: number[] = [];
  const pieces: PopulationPiece[][] = network.populations.map(() => []);
  let core = 0;
  let neurons = 0;
  let synapses = 0;
  let axons = 0;
  let outRoutes = 0;

  for (let p = 0; p < network.populations.length; p++) {
    const pop = network.populations[p];
    for (let i = 0; i < pop.size; i++) {
      const g = base[p] + i;
      const lo = incoming.rowStart[g];
      const hi = incoming.rowStart[g + 1];
      const fanIn = hi - lo;
      const fanOut = routes[g];
      let newAxons = 0;
      for (let s = lo; s < hi; s++) if (axonMark[incoming.axonKey[s]] !== core) newAxons++;
      const fits = (n: number, syn: number, ax: number, out: number): boolean =>
        n + 1 <= limits.neuronsPerCore &&
        synapseMemoryBytes(syn + fanIn) <= limits.synapseMemoryBytes &&
        ax + newAxons <= limits.inputAxonsPerCore &&
        out + fanOut <= limits.outputAxonsPerCore;
      if (!fits(neurons, synapses, axons, outRoutes) && neurons > 0) {
        coreNeurons.push(neurons);
        core++;
        neurons = 0;
        synapses = 0;
        axons = 0;
        outRoutes = 0;
        newAxons = fanIn; // every axon is new on a fresh core
      }
      if (!fits(neurons, synapses, axons, outRoutes)) {
        // One neuron alone breaks a limit: no partition can help.
        const [limit, need, allowed] =
          synapseMemoryBytes(fanIn) > limits.synapseMemoryBytes
            ? ['synapse memory per core (bytes)', synapseMemoryBytes(fanIn), limits.synapseMemoryBytes]
            : fanIn > limits.inputAxonsPerCore
              ? ['input axons per core', fanIn, limits.inputAxonsPerCore]
              : ['output axon entries per core', fanOut, limits.outputAxonsPerCore];
        diagnostics.push(
          diag('neuronExceedsCoreLimit', pop.span, [pop.name, String(i), limit, String(need), String(allowed), percentOver(need, allowed), profile.name]),
        );
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
      outRoutes += fanOut;
    }
  }
  if (neurons > 0) coreNeurons.push(neurons);
  return { coreOf, localOf, coreNeurons, pieces };
}

/**
 * Checks every synapse's delay against the profile's delay range (a core's
 * delay slots hold 1..max_delay_steps), reporting the receiving population of
 * the projection with the worst delay, once per projection.
 */
export function checkDelays(
  network: NetworkIR,
  synapses: { readonly delay: Uint8Array; readonly projection: Uint16Array },
  profile: ChipProfile,
  diagnostics: Diagnostic[],
): boolean {
  const max = profile.limits.maxDelaySteps;
  const worst = new Int32Array(network.projections.length);
  for (let s = 0; s < synapses.delay.length; s++) {
    const d = synapses.delay[s];
    const k = synapses.projection[s];
    if ((d < 1 || d > max) && (worst[k] === 0 || d > worst[k])) worst[k] = d === 0 ? -1 : d;
  }
  let ok = true;
  network.projections.forEach((proj, k) => {
    if (worst[k] === 0) return;
    const post = network.populations[proj.post];
    const pre = network.populations[proj.pre];
    const d = Math.max(worst[k], 0);
    diagnostics.push(diag('delayExceedsCore', post.span, [post.name, String(d), profile.name, String(max), percentOver(Math.max(d, 1), max), `${pre.name} -> ${post.name}`]));
    ok = false;
  });
  return ok;
}

/** Partitions the network in declaration order within every per-core limit. */
export function partitionInOrder(shape: NetworkShape, profile: ChipProfile, incoming: IncomingTable, diagnostics: Diagnostic[]): Assignment | undefined {
  const total = shape.base[shape.network.populations.length];
  const assumed = new Uint32Array(total);
  let passes = 0;
  let last: Omit<Assignment, 'passes'> | undefined;
  while (passes < MAX_PASSES) {
    passes++;
    last = fill(shape, profile, incoming, assumed, diagnostics);
    if (!last) return undefined;
    const actual = routesPerNeuron(shape, incoming, last.coreNeurons);
    let settled = true;
    for (let g = 0; g < total; g++) {
      if (actual[g] > assumed[g]) {
        assumed[g] = actual[g];
        settled = false;
      }
    }
    if (settled) break;
  }
  return last && { ...last, passes };
}
