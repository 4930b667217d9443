// The rules a chip image must satisfy to be runnable: every index in range, every
// range covered exactly once, every value inside the profile's limits. readImage
// applies them to whatever it decodes, so the emulator can trust an image without
// checking again; the compiler may apply them to what it is about to write.
import { match } from 'ts-pattern';
import { DECAY_ONE, maxWeightExponent, maxWeightMantissa, STATE_MAX, STATE_MIN, type NeuronParams } from '../fixed.js';
import { coreCount, type ChipProfile } from '../profile.js';
import { synapseDelay, synapseMemoryBytes, synapseTarget, synapseWeight } from '../synapse.js';
import { checkLearning } from '../learning/image.js';
import { ImageError } from './errors.js';
import type { ChipImage, CoreGroup, CoreImage, ImageSymbols, InputEncoding } from './types.js';

const I32_MAX = 0x7fffffff;
const U32_MAX = 0xffffffff;

/** A problem, or undefined when there is none: checks stop at the first one. */
type Problem = string | undefined;

const isInt = (x: number, min: number, max: number): boolean => Number.isInteger(x) && x >= min && x <= max;

/** Throws an ImageError (code 'structure') naming the first problem of `image`, if it has one. */
export function validateImage(image: ChipImage, origin: string): void {
  const problem = checkImage(image);
  if (problem !== undefined) throw new ImageError(origin, 'structure', problem);
}

/** The first problem of `image`, in a sentence that says where it is; undefined for a valid image. */
export function checkImage(image: ChipImage): Problem {
  const { profile, cores } = image;
  if (!(Number.isFinite(image.dtS) && image.dtS > 0)) {
    return `the time step (dtS) is ${image.dtS} s; it must be a positive, finite number of seconds`;
  }
  const chipCores = coreCount(profile);
  if (cores.length > chipCores) {
    return `the image uses ${cores.length} cores, but the '${profile.name}' chip has ${chipCores}`;
  }
  return checkSlots(image) ?? firstOf(cores, (core, c) => checkCore(image, core, c)) ?? checkSymbols(image, image.symbols) ?? (image.learning && checkLearning(image.learning, { cores, populations: image.symbols.populations }));
}

function firstOf<T>(items: readonly T[], check: (item: T, index: number) => Problem): Problem {
  for (let i = 0; i < items.length; i++) {
    const problem = check(items[i], i);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function coreLabel(core: CoreImage, c: number): string {
  return `core ${c} (slot ${core.slot})`;
}

function checkSlots(image: ChipImage): Problem {
  const chipCores = coreCount(image.profile);
  const owner = new Map<number, number>();
  return firstOf(image.cores, (core, c) => {
    if (!isInt(core.slot, 0, chipCores - 1)) {
      return `core ${c} sits in slot ${core.slot}, but the '${image.profile.name}' chip has slots 0..${chipCores - 1}`;
    }
    const other = owner.get(core.slot);
    if (other !== undefined) return `core ${c} and core ${other} both sit in slot ${core.slot}`;
    owner.set(core.slot, c);
    return undefined;
  });
}

function checkCore(image: ChipImage, core: CoreImage, c: number): Problem {
  const limits = image.profile.limits;
  const at = coreLabel(core, c);
  if (!isInt(core.neuronCount, 0, limits.neuronsPerCore)) {
    return `${at} has ${core.neuronCount} neurons, more than the ${limits.neuronsPerCore} a core of '${image.profile.name}' holds`;
  }
  return checkGroups(core, at) ?? checkAxons(image.profile, core, at) ?? checkSynapses(image.profile, core, at) ?? checkRoutes(image, core, at);
}

function checkGroups(core: CoreImage, at: string): Problem {
  let next = 0;
  for (let g = 0; g < core.groups.length; g++) {
    const group = core.groups[g];
    const here = `${at}, group ${g}`;
    if (!isInt(group.count, 1, U32_MAX)) return `${here} has ${group.count} neurons; a group holds at least one`;
    if (group.first !== next) {
      return group.first > next
        ? `${here} starts at neuron ${group.first}, leaving neurons ${next}..${group.first - 1} in no group (groups must cover 0..neuronCount-1 in order, without gaps)`
        : `${here} starts at neuron ${group.first}, overlapping the group before it, which ends at neuron ${next - 1}`;
    }
    next += group.count;
    if (next > core.neuronCount) {
      return `${here} covers neurons ${group.first}..${next - 1}, past the core's ${core.neuronCount} neurons`;
    }
    const problem = checkGroup(group, here);
    if (problem !== undefined) return problem;
  }
  if (next !== core.neuronCount) {
    return `${at}: its groups cover ${next} of its ${core.neuronCount} neurons (neurons ${next}..${core.neuronCount - 1} are in no group)`;
  }
  return undefined;
}

function checkGroup(group: CoreGroup, here: string): Problem {
  return match(group)
    .with({ kind: 'neurons' }, (g) => checkParams(g.params, here) ?? checkInitV(g.initV, g.count, here))
    .with({ kind: 'input' }, (g) =>
      !isInt(g.inputIndex, 0, U32_MAX - g.count + 1)
        ? `${here}: input index ${g.inputIndex} is not an integer in 0..${U32_MAX - g.count + 1}`
        : checkEncoding(g.encoding, g.count, here),
    )
    .exhaustive();
}

function checkParams(p: NeuronParams, here: string): Problem {
  const rules: readonly (readonly [keyof NeuronParams, number, number, string])[] = [
    ['du', 0, DECAY_ONE, `an integer in 0..${DECAY_ONE}`],
    ['duInh', 0, DECAY_ONE, `an integer in 0..${DECAY_ONE}`],
    ['dv', 0, DECAY_ONE, `an integer in 0..${DECAY_ONE}`],
    ['vth', 1, I32_MAX, 'a positive 32-bit integer'],
    // reset and bias enter the voltage sums, which stay inside 32 bits only for state-range values (isa/fixed.ts).
    ['reset', STATE_MIN, STATE_MAX, `an integer in the state range ${STATE_MIN}..${STATE_MAX}`],
    ['bias', STATE_MIN, STATE_MAX, `an integer in the state range ${STATE_MIN}..${STATE_MAX}`],
    ['refractory', 0, I32_MAX, 'a non-negative 32-bit integer'],
    ['thetaPlus', 0, STATE_MAX, `an integer in 0..${STATE_MAX}`],
    ['dTheta', 0, DECAY_ONE, `an integer in 0..${DECAY_ONE}`],
  ];
  for (const [key, min, max, what] of rules) {
    if (!isInt(p[key], min, max)) return `${here}: neuron parameter ${key} is ${p[key]}; it must be ${what}`;
  }
  return undefined;
}

function checkInitV(initV: Int32Array | undefined, count: number, here: string): Problem {
  if (initV === undefined) return undefined;
  if (initV.length !== count) return `${here}: it has ${initV.length} initial voltages for ${count} neurons`;
  for (let i = 0; i < initV.length; i++) {
    if (initV[i] < STATE_MIN || initV[i] > STATE_MAX) return `${here}: the initial voltage of its neuron ${i} is ${initV[i]}, outside the state range ${STATE_MIN}..${STATE_MAX}`;
  }
  return undefined;
}

/** Spikes from a list: sorted by (step, neuron), each pair once, every neuron inside the group. */
function checkSpikeList(steps: Uint32Array, neurons: Uint32Array, count: number, here: string): Problem {
  if (steps.length !== neurons.length) return `${here}: its spike list has ${steps.length} steps but ${neurons.length} neurons`;
  for (let i = 0; i < steps.length; i++) {
    if (neurons[i] >= count) return `${here}: spike ${i} is of neuron ${neurons[i]}, but the group has ${count} neurons`;
    if (i > 0 && (steps[i] < steps[i - 1] || (steps[i] === steps[i - 1] && neurons[i] <= neurons[i - 1]))) {
      return `${here}: spike ${i} (step ${steps[i]}, neuron ${neurons[i]}) is out of order or repeated (spikes are sorted by step, then neuron, each once)`;
    }
  }
  return undefined;
}

function checkEncoding(e: InputEncoding, count: number, here: string): Problem {
  return match(e)
    .with({ kind: 'poisson' }, (p) =>
      isInt(p.threshold, 0, U32_MAX) ? undefined : `${here}: the Poisson threshold ${p.threshold} is not an integer in 0..${U32_MAX}`,
    )
    .with({ kind: 'periodic' }, (p) =>
      !isInt(p.period, 1, U32_MAX)
        ? `${here}: the period ${p.period} is not a positive integer number of steps`
        : !isInt(p.phase, 0, U32_MAX)
          ? `${here}: the phase ${p.phase} is not a non-negative integer number of steps`
          : undefined,
    )
    .with({ kind: 'spikes' }, (p) => checkSpikeList(p.steps, p.neurons, count, here))
    .with({ kind: 'external' }, () => undefined)
    .exhaustive();
}

/** A CSR index: starts at 0, never decreases, ends at `total`. */
function checkIndex(index: Uint32Array, total: number, name: string, entry: string, at: string): Problem {
  if (index[0] !== 0) return `${at}: ${name} starts at ${index[0]}, not 0`;
  for (let i = 1; i < index.length; i++) {
    if (index[i] < index[i - 1]) return `${at}: ${name} decreases at ${entry} ${i - 1} (from ${index[i - 1]} to ${index[i]})`;
  }
  const last = index[index.length - 1];
  return last === total ? undefined : `${at}: ${name} ends at ${last}, but there are ${total} entries to index`;
}

function checkAxons(profile: ChipProfile, core: CoreImage, at: string): Problem {
  const limits = profile.limits;
  const axons = core.axonWeightExp.length;
  if (core.axonStart.length !== axons + 1) {
    return `${at}: axonStart has ${core.axonStart.length} entries, but ${axons} axons need ${axons + 1}`;
  }
  if (axons > limits.inputAxonsPerCore) {
    return `${at} has ${axons} input axons, more than the ${limits.inputAxonsPerCore} a core of '${profile.name}' has`;
  }
  const indexProblem = checkIndex(core.axonStart, core.synapses.length, 'axonStart', 'axon', at);
  if (indexProblem !== undefined) return indexProblem;
  const maxExp = maxWeightExponent(limits.weightBits);
  for (let a = 0; a < axons; a++) {
    if (core.axonWeightExp[a] > maxExp) {
      return `${at}: axon ${a} has weight exponent ${core.axonWeightExp[a]}, more than ${maxExp} (24-bit state, ${limits.weightBits}-bit weights)`;
    }
  }
  const bytes = synapseMemoryBytes(core.synapses.length);
  if (bytes > limits.synapseMemoryBytes) {
    return `${at}: its ${core.synapses.length} synapses need ${bytes} bytes of synapse memory, more than the ${limits.synapseMemoryBytes} a core of '${profile.name}' has`;
  }
  return undefined;
}

function checkSynapses(profile: ChipProfile, core: CoreImage, at: string): Problem {
  const { weightBits, maxDelaySteps } = profile.limits;
  const maxMantissa = maxWeightMantissa(weightBits);
  // The group of every slot, so a synapse can be checked against its target's kind in O(1).
  const groupOf = new Int32Array(core.neuronCount);
  core.groups.forEach((g, i) => groupOf.fill(i, g.first, g.first + g.count));
  for (let a = 0; a + 1 < core.axonStart.length; a++) {
    for (let s = core.axonStart[a]; s < core.axonStart[a + 1]; s++) {
      const word = core.synapses[s];
      const here = `${at}: synapse ${s} (axon ${a})`;
      const target = synapseTarget(word);
      if (target >= core.neuronCount) {
        return `${here} targets neuron ${target}, but the core has ${core.neuronCount} neurons`;
      }
      if (core.groups[groupOf[target]].kind !== 'neurons') {
        return `${here} targets neuron ${target}, an input slot (group ${groupOf[target]}); synapses may target only neurons`;
      }
      const weight = synapseWeight(word);
      if (weight > maxMantissa || weight < -maxMantissa) {
        return `${here} has weight mantissa ${weight}, outside -${maxMantissa}..${maxMantissa} (${weightBits}-bit weights)`;
      }
      const delay = synapseDelay(word);
      if (delay < 1 || delay > maxDelaySteps) {
        return `${here} has a delay of ${delay} steps, outside 1..${maxDelaySteps}`;
      }
    }
  }
  return undefined;
}

function checkRoutes(image: ChipImage, core: CoreImage, at: string): Problem {
  const limits = image.profile.limits;
  const routes = core.routeCore.length;
  if (core.routeStart.length !== core.neuronCount + 1) {
    return `${at}: routeStart has ${core.routeStart.length} entries, but ${core.neuronCount} neurons need ${core.neuronCount + 1}`;
  }
  if (core.routeAxon.length !== routes) {
    return `${at}: routeCore has ${routes} entries but routeAxon has ${core.routeAxon.length}`;
  }
  if (routes > limits.outputAxonsPerCore) {
    return `${at} has ${routes} output routes, more than the ${limits.outputAxonsPerCore} a core of '${image.profile.name}' has`;
  }
  const indexProblem = checkIndex(core.routeStart, routes, 'routeStart', 'neuron', at);
  if (indexProblem !== undefined) return indexProblem;
  for (let n = 0; n < core.neuronCount; n++) {
    for (let r = core.routeStart[n]; r < core.routeStart[n + 1]; r++) {
      const dest = core.routeCore[r];
      const axon = core.routeAxon[r];
      const here = `${at}: route ${r} (of neuron ${n})`;
      if (dest >= image.cores.length) return `${here} goes to core ${dest}, but the image has ${image.cores.length} cores`;
      const axons = image.cores[dest].axonWeightExp.length;
      if (axon >= axons) return `${here} goes to axon ${axon} of core ${dest}, which has ${axons} axons`;
    }
  }
  return undefined;
}

function checkSymbols(image: ChipImage, symbols: ImageSymbols): Problem {
  const names = new Map<string, number>();
  // Which population owns each slot, per core, so that no slot is claimed twice.
  const owners = new Map<number, Int32Array>();
  const problem = firstOf(symbols.populations, (pop, p) => {
    const at = `symbols: population '${pop.name}'`;
    if (pop.name.length === 0) return `symbols: population ${p} has an empty name`;
    const other = names.get(pop.name);
    if (other !== undefined) return `${at} is declared twice (populations ${other} and ${p})`;
    names.set(pop.name, p);
    if (!isInt(pop.size, 0, U32_MAX)) return `${at} has size ${pop.size}, not a non-negative integer`;
    if (!isInt(pop.line, 0, U32_MAX)) return `${at} has line ${pop.line}, not a non-negative integer`;
    const pieceProblem = firstOf(pop.pieces, (piece, i) => {
      const here = `${at}, piece ${i}`;
      if (!isInt(piece.core, 0, image.cores.length - 1)) return `${here} is on core ${piece.core}, but the image has ${image.cores.length} cores`;
      const core = image.cores[piece.core];
      if (!isInt(piece.count, 1, U32_MAX) || !isInt(piece.first, 0, U32_MAX) || piece.first + piece.count > core.neuronCount) {
        return `${here} holds neurons ${piece.first}..${piece.first + piece.count - 1} of core ${piece.core}, which has ${core.neuronCount} neurons`;
      }
      if (!isInt(piece.offset, 0, U32_MAX)) return `${here} has offset ${piece.offset}, not a non-negative integer`;
      let owner = owners.get(piece.core);
      if (owner === undefined) owners.set(piece.core, (owner = new Int32Array(core.neuronCount).fill(-1)));
      for (let n = piece.first; n < piece.first + piece.count; n++) {
        if (owner[n] >= 0) {
          return `${here} holds neuron ${n} of core ${piece.core}, which population '${symbols.populations[owner[n]].name}' holds too`;
        }
        owner[n] = p;
      }
      const wrongKind = core.groups.find((g) => g.kind !== pop.kind && g.first < piece.first + piece.count && piece.first < g.first + g.count);
      if (wrongKind !== undefined) {
        return `${here} holds neurons of core ${piece.core} from a '${wrongKind.kind}' group, but the population's kind is '${pop.kind}'`;
      }
      return undefined;
    });
    return pieceProblem ?? checkCoverage(pop.pieces, pop.size, at);
  });
  if (problem !== undefined) return problem;
  return firstOf(symbols.probes, (probe) =>
    names.has(probe) ? undefined : `symbols: the probe names population '${probe}', which the image does not have`,
  );
}

/** Pieces cover population indices 0..size-1 exactly once. */
function checkCoverage(pieces: ImageSymbols['populations'][number]['pieces'], size: number, at: string): Problem {
  const sorted = [...pieces].sort((a, b) => a.offset - b.offset);
  let next = 0;
  for (const piece of sorted) {
    if (piece.offset > next) return `${at}: no piece holds its neurons ${next}..${piece.offset - 1}`;
    if (piece.offset < next) return `${at}: two pieces hold its neuron ${piece.offset}`;
    next += piece.count;
  }
  return next === size ? undefined : next < size ? `${at}: no piece holds its neurons ${next}..${size - 1}` : `${at}: its pieces hold ${next} neurons, more than its size ${size}`;
}
