// Bytes the CPU backend holds for an image: the typed arrays that CpuCore and
// CpuEmulatorImpl (emulator/cpu/cpu.ts) allocate, counted from the image so that
// a benchmark can report bytes per synapse without reaching into the emulator.
import { SYNAPSE_BYTES, synapseDelay } from '../../isa/synapse.js';
import type { ChipImage } from '../../isa/image/types.js';

export interface CpuMemory {
  /** The packed synapse words (isa/synapse.ts): 4 bytes each. */
  readonly synapseBytes: number;
  /** Per axon: its start index and weight exponent. */
  readonly axonBytes: number;
  /** Per route: start index, destination core and axon, hop counts, target synapse count. */
  readonly routeBytes: number;
  /** Neuron state, delay-slot accumulators, spike lists and counts. */
  readonly neuronBytes: number;
  /** Per-step packet buffers of the whole chip (inboxes, the NoC batch), sized by the route count. */
  readonly packetBytes: number;
  readonly totalBytes: number;
  readonly synapses: number;
}

export function cpuMemory(image: ChipImage): CpuMemory {
  let synapses = 0;
  let axonBytes = 0;
  let routeBytes = 0;
  let neuronBytes = 0;
  let routes = 0;
  for (const core of image.cores) {
    const n = core.neuronCount;
    let maxDelay = 1;
    for (let s = 0; s < core.synapses.length; s++) maxDelay = Math.max(maxDelay, synapseDelay(core.synapses[s]));
    synapses += core.synapses.length;
    axonBytes += core.axonStart.byteLength + core.axonWeightExp.byteLength;
    const r = core.routeCore.length;
    routes += r;
    // routeStart, routeCore, routeAxon, then three Uint16 hop counts and a Uint32 synapse count per route.
    routeBytes += core.routeStart.byteLength + core.routeCore.byteLength + core.routeAxon.byteLength + r * (3 * 2 + 4);
    // uE, uI, v, theta, ref, spikeCount, spiked: 4 bytes each; two accumulators per delay slot.
    neuronBytes += n * 4 * 7 + 2 * (maxDelay + 1) * n * 4;
  }
  // Two Uint16 inboxes, the batch's src and dst (Uint16), ready, work and arrival (Float64), order (Int32).
  const packetBytes = routes * (2 * 2 + 2 * 2 + 3 * 8 + 4);
  const synapseBytes = synapses * SYNAPSE_BYTES;
  return {
    synapseBytes,
    axonBytes,
    routeBytes,
    neuronBytes,
    packetBytes,
    totalBytes: synapseBytes + axonBytes + routeBytes + neuronBytes + packetBytes,
    synapses,
  };
}
