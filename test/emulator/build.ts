// Hand-built chip images for the emulator tests (no compiler is involved, so a
// failure points at the emulator, not at the mapper).
import { builtinProfile, type ChipProfile } from '../../isa/profile.js';
import { packSynapse } from '../../isa/synapse.js';
import type { NeuronParams } from '../../isa/fixed.js';
import type { ChipImage, CoreGroup, CoreImage, InputEncoding } from '../../isa/image/types.js';

export function loihi(): ChipProfile {
  const profile = builtinProfile('loihi-like');
  if (profile === undefined) throw new Error('the loihi-like profile is missing');
  return profile;
}

/** A group description without `first`, which coreImage fills in from the order. */
export type GroupSpec =
  | { readonly kind: 'neurons'; readonly count: number; readonly params: NeuronParams }
  | { readonly kind: 'input'; readonly count: number; readonly encoding: InputEncoding; readonly inputIndex?: number };

export interface SynapseSpec {
  readonly target: number;
  readonly weight: number;
  readonly delay: number;
}

export interface AxonSpec {
  readonly exp: number;
  readonly synapses: readonly SynapseSpec[];
}

export interface RouteSpec {
  readonly core: number;
  readonly axon: number;
}

export interface CoreSpec {
  readonly slot: number;
  readonly groups: readonly GroupSpec[];
  readonly axons?: readonly AxonSpec[];
  /** routes[slot]: that slot's routes; missing slots have none. */
  readonly routes?: Readonly<Record<number, readonly RouteSpec[]>>;
}

export function coreImage(spec: CoreSpec): CoreImage {
  let first = 0;
  const groups: CoreGroup[] = spec.groups.map((g) => {
    const at = first;
    first += g.count;
    return g.kind === 'neurons'
      ? { kind: 'neurons', first: at, count: g.count, params: g.params }
      : { kind: 'input', first: at, count: g.count, encoding: g.encoding, inputIndex: g.inputIndex ?? 0 };
  });
  const neuronCount = first;
  const axons = spec.axons ?? [];
  const axonStart = new Uint32Array(axons.length + 1);
  const words: number[] = [];
  axons.forEach((a, i) => {
    for (const s of a.synapses) words.push(packSynapse(s.target, s.weight, s.delay));
    axonStart[i + 1] = words.length;
  });
  const routeStart = new Uint32Array(neuronCount + 1);
  const routeCore: number[] = [];
  const routeAxon: number[] = [];
  for (let n = 0; n < neuronCount; n++) {
    for (const r of spec.routes?.[n] ?? []) {
      routeCore.push(r.core);
      routeAxon.push(r.axon);
    }
    routeStart[n + 1] = routeCore.length;
  }
  return {
    slot: spec.slot,
    neuronCount,
    groups,
    axonStart,
    axonWeightExp: Uint8Array.from(axons.map((a) => a.exp)),
    synapses: Uint32Array.from(words),
    routeStart,
    routeCore: Uint16Array.from(routeCore),
    routeAxon: Uint16Array.from(routeAxon),
  };
}

export function chipImage(cores: readonly CoreSpec[], profile: ChipProfile = loihi()): ChipImage {
  return {
    profile,
    dtS: 1e-3,
    cores: cores.map(coreImage),
    symbols: { source: 'hand-built', populations: [], probes: [] },
  };
}

/** A LIF parameter set with everything off except what the test names. */
export function lif(params: Partial<NeuronParams>): NeuronParams {
  // duInh follows du unless named, so a test written for one current holds for both.
  return { du: 0, duInh: params.du ?? 0, dv: 0, vth: 1 << 16, reset: 0, bias: 0, refractory: 0, thetaPlus: 0, dTheta: 0, ...params };
}

/** Steps at which slot `neuron` of core `core` spiked, from the event log. */
export function spikeSteps(events: { readonly step: Uint32Array; readonly core: Uint16Array; readonly neuron: Uint16Array }, core: number, neuron: number): number[] {
  const steps: number[] = [];
  for (let i = 0; i < events.step.length; i++) if (events.core[i] === core && events.neuron[i] === neuron) steps.push(events.step[i]);
  return steps;
}

/** |a - b| within a relative 1e-12: energies are sums of non-binary decimals, so the order of additions may move the last bit. */
export function relativeDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);
}
