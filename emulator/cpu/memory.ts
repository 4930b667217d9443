// Bytes the CPU backend holds for an image: the typed arrays that CpuCore,
// CpuEmulatorImpl (emulator/cpu/cpu.ts) and its MeshNoc (emulator/noc.ts)
// allocate, counted from the image so that a benchmark can report bytes per
// synapse without reaching into the emulator.
import { chipGrid } from '../../isa/profile.js';
import { SYNAPSE_BYTES, synapseDelay } from '../../isa/synapse.js';
import type { ChipImage } from '../../isa/image/types.js';
import { PHASE_NAMES } from '../interface.js';

/** Per packet of capacity: the step's batch (src, dst: Uint16; ready, work, arrival: Float64; order: Int32). */
const PACKET_BYTES = 2 + 2 + 8 + 8 + 8 + 4;
/** Per packet of the NoC's capacity: request time and merge buffers (Float64 x 3), list links, packets, run starts (Int32 x 4). */
const NOC_PACKET_BYTES = 3 * 8 + 4 * 4;
/** Per NoC link: latency and load (Float64), kind (Uint8), list head and tail, exit tile x and y, place in the serving order (Int32). */
const NOC_LINK_BYTES = 2 * 8 + 1 + 5 * 4;
/**
 * Per core: inbox start and two inbox counts (Int32 x 3), tile and chip position
 * (Int32 x 4, and x 2 in the NoC), step ops and free cycle (Float64 x 2), busy
 * cycles per phase (Float64).
 */
const CORE_BYTES = 3 * 4 + 6 * 4 + 2 * 8 + PHASE_NAMES.length * 8;

export interface CpuMemory {
  /** The packed synapse words (isa/synapse.ts): 4 bytes each. */
  readonly synapseBytes: number;
  /** Per axon: its start index and weight exponent. */
  readonly axonBytes: number;
  /** Per route: its destination core and axon, and per slot its first route (the image's tables). */
  readonly routeBytes: number;
  /** Neuron state, delay-slot accumulators, spike lists and counts. */
  readonly neuronBytes: number;
  /** Per-step packet buffers of the whole chip: the two inboxes (by route), the NoC batch and the NoC's own buffers (by packet capacity), its links, per-core tables. */
  readonly packetBytes: number;
  readonly totalBytes: number;
  readonly synapses: number;
}

/**
 * The packet buffers' starting size: a 64th of the routes (a step in which one
 * slot in 64 spikes; CUBA's 5 Hz at dt = 1 ms is one in 200), at least 256, at
 * most every route. A step that sends more grows them by doubling (cpu.ts
 * growPackets).
 */
export function initialPacketCapacity(image: ChipImage): number {
  let routes = 0;
  for (const core of image.cores) routes += core.routeCore.length;
  return Math.max(1, Math.min(routes, Math.max(256, Math.ceil(routes / 64))));
}

/**
 * The CPU backend's bytes for `image`; `packetCapacity` is the size its packet
 * buffers have grown to (CpuEmulatorImpl.packetCapacity(); by default the size
 * they start with).
 */
export function cpuMemory(image: ChipImage, packetCapacity: number = initialPacketCapacity(image)): CpuMemory {
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
    routes += core.routeCore.length;
    routeBytes += core.routeStart.byteLength + core.routeCore.byteLength + core.routeAxon.byteLength;
    // uE, uI, v, theta, ref, spikeCount, spiked: 4 bytes each; two accumulators per delay slot.
    neuronBytes += n * 4 * 7 + 2 * (maxDelay + 1) * n * 4;
  }
  const { chipsX, chipsY } = chipGrid(image.profile.board.chips);
  const links = chipsX * image.profile.mesh.tilesX * chipsY * image.profile.mesh.tilesY * 4 + 2 * image.cores.length;
  // Two Uint16 inboxes by route; the batch and the NoC's buffers by packet capacity; the NoC's links; per-core tables.
  const packetBytes = routes * 2 * 2 + packetCapacity * (PACKET_BYTES + NOC_PACKET_BYTES) + links * NOC_LINK_BYTES + image.cores.length * CORE_BYTES;
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
