// The most a neuron's delay slots can hold in one step, whatever spikes: the
// kernel leaves out the clamps that provably change nothing (lif-simd.ts
// leanGroup). A delay slot of neuron i only ever sums the weights of i's
// synapses, each once per packet its axon takes in the step the slot belongs
// to, and an axon takes at most one packet a step per route that reaches it (a
// slot spikes at most once a step). So the excitatory slot is at most the sum,
// over i's synapses of weight w > 0, of w times the routes to the synapse's
// axon, and the inhibitory slot at least the like sum of the negative weights.
// Learning changes weights as it runs: an image that learns has no bound.
import type { ChipImage } from '../../isa/image/types.js';
import { synapseTarget, synapseWeight } from '../../isa/synapse.js';

/** Per group of the chip (core c's groups from groupStart[c], cpuChipLayout): the largest such sum over its neurons, for each sign (as magnitudes); Infinity where there is no bound, 0 for a group that is not neurons. */
export interface InputBounds {
  readonly excitatory: Float64Array;
  readonly inhibitory: Float64Array;
}

/** The routes to one axon counted exactly below this; at it, as many as could be. */
const MANY = 255;

export function inputBounds(image: ChipImage, groupStart: Int32Array): InputBounds {
  const groups = groupStart[image.cores.length];
  const bounds = { excitatory: new Float64Array(groups), inhibitory: new Float64Array(groups) };
  if (image.learning !== undefined) {
    bounds.excitatory.fill(Infinity);
    bounds.inhibitory.fill(Infinity);
    return bounds;
  }
  // Per core and axon: the routes that reach it, the most packets it can take in one step, counted up to MANY.
  // A byte an axon: at CUBA 40,000 (30 M axons) this pass is most of the 0.6-1.1 s the bounds take, a route a
  // cache miss.
  const routes = image.cores.map((core) => new Uint8Array(core.axonStart.length - 1));
  for (const core of image.cores) {
    const { routeCore, routeAxon } = core;
    for (let r = 0; r < routeCore.length; r++) {
      const reach = routes[routeCore[r]];
      if (reach[routeAxon[r]] < MANY) reach[routeAxon[r]]++;
    }
  }
  image.cores.forEach((core, c) => {
    // Sums of whole numbers below 2^53: exact in doubles.
    const excitatory = new Float64Array(core.neuronCount);
    const inhibitory = new Float64Array(core.neuronCount);
    const { axonStart, axonWeightExp, synapses } = core;
    for (let a = 0; a + 1 < axonStart.length; a++) {
      const reach = routes[c][a];
      if (reach === 0) continue;
      // MANY routes or more: no bound, where a weight is not 0.
      const packets = reach === MANY ? Infinity : reach;
      for (let s = axonStart[a]; s < axonStart[a + 1]; s++) {
        const word = synapses[s];
        // As delivery weighs a synapse (cpu.ts cpuDeliver); the sign picks the slot.
        const w = synapseWeight(word) << axonWeightExp[a];
        if (w > 0) excitatory[synapseTarget(word)] += packets * w;
        else if (w < 0) inhibitory[synapseTarget(word)] -= packets * w;
      }
    }
    core.groups.forEach((g, j) => {
      if (g.kind !== 'neurons') return;
      let e = 0;
      let i = 0;
      for (let k = g.first; k < g.first + g.count; k++) {
        e = Math.max(e, excitatory[k]);
        i = Math.max(i, inhibitory[k]);
      }
      bounds.excitatory[groupStart[c] + j] = e;
      bounds.inhibitory[groupStart[c] + j] = i;
    });
  });
  return bounds;
}
