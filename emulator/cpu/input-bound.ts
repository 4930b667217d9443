// Which neuron groups' delay-slot sums stay inside the state range, whatever
// spikes. The neuron step clamps each input to the range before adding it
// (isa/fixed.ts), and the kernel can leave that clamp out where it provably
// changes nothing (lif-simd.ts Variant.lean). A delay slot of neuron i only
// ever sums the weights of i's synapses, each at most once per packet its axon
// takes in the step the slot belongs to, and an axon takes at most one packet a
// step per route that reaches it (a slot spikes at most once a step). So the
// excitatory slot is at most the sum, over i's synapses of weight w >= 0, of
// w times the routes to the synapse's axon, and the inhibitory slot at least
// the like sum of the negative weights. Where both sums are within STATE_MAX,
// the clamps are no-ops. Learning changes weights as it runs: an image that
// learns has no bounded group.
import { STATE_MAX } from '../../isa/fixed.js';
import type { ChipImage } from '../../isa/image/types.js';
import { synapseTarget, synapseWeight } from '../../isa/synapse.js';

/** The routes to one axon counted exactly below this; at it, as many as could be. */
const MANY = 255;

/**
 * Per group of the chip (core c's groups from groupStart[c], cpuChipLayout), 1 where the group holds neurons and no
 * delay-slot sum of any of them can leave [-STATE_MAX, STATE_MAX], else 0.
 */
export function boundedGroups(image: ChipImage, groupStart: Int32Array): Uint8Array {
  const bounded = new Uint8Array(groupStart[image.cores.length]);
  if (image.learning !== undefined) return bounded;
  // Per core and axon: the routes that reach it, the most packets it can take in one step, counted up to MANY.
  // A byte an axon: at CUBA 40,000 (30 M axons) this pass is most of the 0.6-0.8 s the bound takes, a route a
  // cache miss, and wider counts only made it slower.
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
      let within = true;
      for (let i = g.first; i < g.first + g.count && within; i++) within = excitatory[i] <= STATE_MAX && inhibitory[i] <= STATE_MAX;
      bounded[groupStart[c] + j] = within ? 1 : 0;
    });
  });
  return bounded;
}
