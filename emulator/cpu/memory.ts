// Bytes the CPU backend's step works on for an image: the typed arrays that a
// step of CpuCore, CpuEmulatorImpl (emulator/cpu/cpu.ts) and its MeshNoc
// (emulator/noc.ts) reads or writes, whether the emulator built them or reads
// the image's in place (routeStart; routeAxon where a route goes to an inbox),
// counted from the image so that a benchmark can report bytes per synapse
// without reaching into the emulator. The image's synapse words, which a core
// delivered by source keeps only for synapses() and no step reads, are the
// image's, as its routes' 16-bit cores are.
import { chipGrid } from '../../isa/profile.js';
import { synapseDelay } from '../../isa/synapse.js';
import { synapseTableBytes } from './synapse-table.js';
import { GROUP_WORDS, STATS_WORDS, TABLE_WORDS } from './lif-simd.js';
import { buildFanOuts, inboxRouteCount, type FanOuts } from './fan-out.js';
import type { ChipImage, CoreImage } from '../../isa/image/types.js';
import { COUNTER_NAMES } from '../interface.js';

/** Per packet of capacity: the step timing's batch, in the NoC's arrays (timing.ts, noc.ts packetArrays: src, dst: Uint16; work: Int32; ready times are per core). */
const BATCH_PACKET_BYTES = 2 * 2 + 4;
/** Per packet to a core that keeps an inbox: the inbox list (target core and axon: Uint16 each) and the two inboxes (Uint16 each). */
const INBOX_PACKET_BYTES = 2 * 2 + 2 * 2;
/**
 * The NoC's buffers per packet at most (emulator/noc-wasm.ts, which the
 * engines run): request times and list links (Int32 x 2); a link's sorted
 * and merged times and packets and run starts, a row's two streams' times,
 * packets and exit positions, a column's times, packets, list links and
 * queue (Int32 x 15). Only the requests are per packet of the batch; the rest
 * grow to the most one chain or input port is sent (MeshNoc.bufferBytes gives
 * what the memory holds, with the mesh's tables and the column slots).
 * noc.ts's MeshNoc holds as many bytes: fewer arrays, its times as Float64.
 */
const NOC_PACKET_BYTES = 2 * 4 + 15 * 4;
/** Per NoC link: latency and load (Float64), kind (Uint8), list head and tail (Int32); per tile link also its load difference and chain offset (Float64 x 2, counted for every link). */
const NOC_LINK_BYTES = 2 * 8 + 1 + 2 * 4 + 2 * 8;
/**
 * Per core: two inbox starts, two inbox counts, a fill cursor and the delay-slot
 * row of delivery by source (Int32 x 6), tile and chip position in the NoC
 * (Int32 x 4), update and learn cycles and the timing's free cycle
 * (Float64 x 3), learn phase busy cycles and running counters (Float64, three
 * of the counters in their own array: cpu.ts denseCounters), its place
 * in the chip's state arrays (start, accumulator start, size, delay slots, first
 * group: Int32 x 5), whether the table kernel updates it and its place in the
 * list of cores the compute visits (Uint8, Int32: cpu.ts CpuChipCompute).
 */
const CORE_BYTES = 6 * 4 + 4 * 4 + 3 * 8 + (1 + COUNTER_NAMES.length + 3) * 8 + 5 * 4 + 1 + 4;
/** Per slot of a core: its routes' sums, the hops east-west, north-south and chip-to-chip, and the synaptic ops (Int32 x 4: cpu.ts slotSums). */
export const SLOT_WORDS = 4;
/** Per group in the flat compute table: kind (Uint8), index (Int32), 9 parameters (Int32). */
const GROUP_BYTES = 1 + 4 + 9 * 4;

/**
 * Slots left free after the part of a core of n neurons, in each state array and after its delay slots: 512 bytes
 * where the core has at least 256 neurons, none below. The threaded engine splits the cores between threads at a
 * boundary that moves, and with these gaps CUBA 4,000 at 0.1 ms ran 0.85-0.89 of its two-thread step time (splits
 * 3-4; one thread unchanged; gaps of 192 bytes gained nothing), for a fourth 64-KiB page of chip memory there (3.76
 * to 3.96 bytes a synapse; docs/performance-log.md item (ppp)). Measured, not explained: the likeliest cause is the
 * hardware's prefetch running past the end of one thread's last core into lines the other thread writes. Small cores
 * go without: a gap after each of CUBA 40,000's five-neuron cores would take 30 MB.
 */
export const coreGap = (n: number): number => (n >= 256 ? 128 : 0);

/**
 * Array lengths of a core's CpuCoreMemory (n per neuron array, slots * n per accumulator), and the slots its part
 * takes in the chip's state arrays and delay slots, its gap included (coreGap): cpu.ts cpuChipLayout lays the cores
 * out by them, and cpuMemory counts them.
 */
export function cpuCoreShape(core: CoreImage): { readonly n: number; readonly slots: number; readonly stateSlots: number; readonly accumSlots: number } {
  let maxDelay = 1;
  for (let s = 0; s < core.synapses.length; s++) maxDelay = Math.max(maxDelay, synapseDelay(core.synapses[s]));
  const n = core.neuronCount;
  const slots = maxDelay + 1;
  return { n, slots, stateSlots: n + coreGap(n), accumSlots: n * slots + coreGap(n) };
}

/** Bytes of a WebAssembly memory page: the chip memory is allocated in whole pages. */
export const WASM_PAGE = 65536;
/** Pages a 32-bit WebAssembly memory can hold (4 GiB). */
export const WASM_MAX_PAGES = 65536;
/** The SIMD kernel's vector width in bytes: each state array starts on it. */
const VECTOR_BYTES = 16;

/**
 * Where the chip's state arrays lie in their WebAssembly memory (cpu.ts
 * cpuChipMemory). The SIMD kernel reads up to 3 lanes past a group's last
 * neuron (lif-simd.ts tail), so every array it reads is followed by another
 * one: spiked, which it only writes, comes last.
 */
export interface ChipMemoryPlan {
  /** Per array (uE, uI, v, theta, ref, accum, accumInh, spiked, then the neuron kernel's tables of cores and groups and the cores' step counts: lif-simd.ts TABLE_WORDS, GROUP_WORDS, STATS_WORDS): byte offset and length in elements. */
  readonly starts: readonly number[];
  readonly lengths: readonly number[];
  readonly pages: number;
}

export function chipMemoryPlan(neurons: number, accums: number, cores = 0, groups = 0): ChipMemoryPlan {
  const lengths = [neurons, neurons, neurons, neurons, neurons, accums, accums, neurons, cores * TABLE_WORDS, groups * GROUP_WORDS, cores * STATS_WORDS];
  const starts: number[] = [];
  let bytes = 0;
  for (const length of lengths) {
    starts.push(bytes);
    bytes += Math.ceil((length * 4) / VECTOR_BYTES) * VECTOR_BYTES;
  }
  return { starts, lengths, pages: Math.max(1, Math.ceil(bytes / WASM_PAGE)) };
}

export interface CpuMemory {
  /**
   * Per synapse: an 8-bit target where every core delivered by source has at
   * most 256 neurons, else a 16-bit one (and, where an axon's synapses have
   * their own weights, an 8-bit mantissa) in the fan-out tables of the cores
   * delivered by source (fan-out.ts), or a byte a route where the routes are
   * crossbar rows; the 32-bit words of the cores that deliver for themselves.
   */
  readonly synapseBytes: number;
  /** The axon offsets and exponents of the cores that deliver for themselves; the palette of route weights. */
  readonly axonBytes: number;
  /** Per route: its destination core as a step from the previous route's (8 bits where the chip's routes allow), its axon where some route of its core goes to an inbox (the image's table), its synapse count (none where the routes are crossbar rows) and weight (8 bits where the palette is small; per slot where each slot's routes share one); per slot its first route, first route's core and first synapse. */
  readonly routeBytes: number;
  /** Neuron state, delay-slot accumulators and spike lists (whole WebAssembly pages), spike counts and the sent list. */
  readonly neuronBytes: number;
  /** Per-step packet buffers of the whole chip (the inboxes, the inbox list, the timing's batch and the NoC's own buffers), the NoC's links, per-core tables. */
  readonly packetBytes: number;
  readonly totalBytes: number;
  readonly synapses: number;
}

/**
 * The packet buffers' starting size: a 64th of the routes (a step in which one
 * slot in 64 spikes; CUBA's 5 Hz at dt = 1 ms is one in 200), at least 256, at
 * most every route. A step that sends more grows them to its packets and an
 * eighth more (timing.ts StepTiming and the NoC, logs.ts packetRoom), or by
 * doubling (cpu.ts's inbox list).
 */
export function initialPacketCapacity(image: ChipImage): number {
  let routes = 0;
  for (const core of image.cores) routes += core.routeCore.length;
  return Math.max(1, Math.min(routes, Math.max(256, Math.ceil(routes / 64))));
}

/**
 * The packet buffers before any step has run, as an estimate
 * (CpuEmulatorImpl.packetBufferBytes() gives them as they are): the batch at
 * the starting capacity, the NoC's buffers at their most for that many
 * packets (NOC_PACKET_BYTES: once steps have run they hold less,
 * MeshNoc.bufferBytes), the inboxes at that capacity or every route to a core
 * that keeps one, whichever is fewer.
 */
export function initialPacketBufferBytes(image: ChipImage, fan: FanOuts): number {
  const capacity = initialPacketCapacity(image);
  return capacity * (BATCH_PACKET_BYTES + NOC_PACKET_BYTES) + Math.min(capacity, inboxRouteCount(fan)) * INBOX_PACKET_BYTES;
}

/**
 * The CPU backend's bytes for `image`; `fan` its fan-out tables
 * (CpuEmulatorImpl.fanOuts(); by default built here); `packetBufferBytes`
 * what its per-step packet buffers hold (CpuEmulatorImpl.packetBufferBytes();
 * by default initialPacketBufferBytes); `arenaBytes` the chip memory's bytes
 * past the state arrays that hold none of the tables counted here (the
 * engine's delivery arena: CpuEmulatorImpl.arenaOverheadBytes()).
 */
export function cpuMemory(image: ChipImage, fan: FanOuts = buildFanOuts(image), packetBufferBytes: number = initialPacketBufferBytes(image, fan), arenaBytes = 0): CpuMemory {
  let synapses = 0;
  let synapseBytes = 0;
  let axonBytes = fan.palette.byteLength + fan.delay.byteLength;
  let routeBytes = 0;
  let neurons = 0;
  // The chip memory's arrays as cpuChipLayout lays them out, with the gaps after large cores.
  let slots = 0;
  let accumSlots = 0;
  image.cores.forEach((core, c) => {
    const shape = cpuCoreShape(core);
    synapses += core.synapses.length;
    const out = fan.cores[c];
    synapseBytes += out.targets.byteLength + out.mantissas.byteLength + out.routeRow.byteLength;
    if (fan.delay[c] === 0) {
      const table = synapseTableBytes(core);
      synapseBytes += table.synapses;
      axonBytes += table.axons;
    }
    // The route's axon is read only on the way to an inbox.
    const axons = out.inboxRoutes > 0 ? core.routeAxon.byteLength : 0;
    routeBytes += core.routeStart.byteLength + SLOT_WORDS * 4 * (core.routeStart.length - 1) + out.slotCore.byteLength + out.routeStep.byteLength + axons + out.routeSynapses.byteLength + out.routeWeight.byteLength + out.slotWeight.byteLength + out.slotStart.byteLength;
    neurons += shape.n;
    slots += shape.stateSlots;
    accumSlots += shape.accumSlots;
  });
  let groups = 0;
  for (const core of image.cores) groups += core.groups.length;
  // The chip memory's pages, each core's spike counts (4 bytes a neuron) and the sent list (fan-out.ts SentSpikes: 6 bytes a slot of the layout).
  const neuronBytes = chipMemoryPlan(slots, accumSlots, image.cores.length, groups).pages * WASM_PAGE + 4 * neurons + 6 * slots + arenaBytes;
  const { chipsX, chipsY } = chipGrid(image.profile.board.chips);
  const links = chipsX * image.profile.mesh.tilesX * chipsY * image.profile.mesh.tilesY * 4 + 2 * image.cores.length;
  // The packet buffers (the threaded engine's shared inboxes hold every route to an inbox), the NoC's links, per-core tables.
  const packetBytes = packetBufferBytes + links * NOC_LINK_BYTES + image.cores.length * CORE_BYTES + groups * GROUP_BYTES;
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
