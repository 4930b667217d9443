// The timing of one CPU step (docs/chip-model.md; cpu.ts step()): the step's
// packets, listed again from its sent list (fan-out.ts) in the order the
// reference lists them (by source core, spiking slot, route), cross the NoC
// (emulator/noc.ts); each target core delivers them in order of arrival from
// the end of its update, then learns; the step lasts until the last core is
// done, plus the barrier (noc.ts stepLatency, which the WebGPU backend's timer
// uses too). A step's timing depends on that step alone (the links start free
// every step), so whichever thread holds its sent list could time it.
import { barrierCycles, tilesUsed } from '../../isa/profile.js';
import type { ChipImage } from '../../isa/image/types.js';
import { stepLatency, type MeshNoc } from '../noc.js';
import { meshNoc } from '../noc-wasm.js';
import { ROUTE_SYNAPSES_MORE, ROW_SYNAPSES, type FanOuts, type RouteTables, type SentSpikes } from './fan-out.js';
import { axonSynapses, type SynapseTable } from './synapse-table.js';

export class StepTiming {
  readonly noc: MeshNoc;
  /** The chip's barrier at the end of every step, in cycles. */
  readonly barrier: number;
  /**
   * The step's packets (the NoC batch: its cores' ready cycles are their update cycles, set per step) and,
   * per packet, its delivery's cycles on the target core: listed in the NoC's arrays (MeshNoc.packetArrays,
   * grown to a step's packets and an eighth more), which the NoC in WebAssembly reads without a copy.
   */
  private readonly packets: { count: number; src: Uint16Array; dst: Uint16Array; coreReady: Float64Array };
  private work: Int32Array;
  /** Per core: when it is next free (from the end of its update). */
  private readonly free: Float64Array;
  private readonly opCycles: number;

  /** `routes` are `image`'s (fan-out.ts routeTables); `fan` and `tables` give each route's synaptic ops. */
  constructor(
    image: ChipImage,
    private readonly routes: RouteTables,
    private readonly fan: FanOuts,
    private readonly tables: readonly SynapseTable[],
    capacity: number,
  ) {
    this.noc = meshNoc(image.profile, image.cores.map((core) => core.slot), Math.max(1, capacity));
    this.barrier = barrierCycles(image.profile, tilesUsed(image));
    const { src, dst, work } = this.noc.packetArrays(0);
    this.packets = { count: 0, src, dst, coreReady: new Float64Array(0) };
    this.work = work;
    this.free = new Float64Array(image.cores.length);
    this.opCycles = image.profile.cycles.synaptic_op;
  }

  /**
   * The latency of the step whose spikes are sent[0..count), into out[at]: the
   * last core done, plus the barrier. update[c]: core c's update cycles;
   * learn[c] its learn cycles.
   */
  latency(sent: SentSpikes, count: number, update: Float64Array, learn: Float64Array, out: Float64Array, at: number): void {
    this.free.set(update);
    this.packets.coreReady = update;
    this.list(sent, count);
    stepLatency(this.noc, this.packets, this.work, this.free, learn, 0, this.barrier, out, at);
  }

  /** Lists the step's packets into the batch (each ready at the end of its source's update: coreReady). */
  private list(sent: SentSpikes, count: number): void {
    const { delay, cores: fans, crossbar } = this.fan;
    const { routeStart, routeAxon } = this.routes;
    const opCycles = this.opCycles;
    let packets = 0;
    for (let k = 0; k < count; k++) packets += routeStart[sent.core[k]][sent.slot[k] + 1] - routeStart[sent.core[k]][sent.slot[k]];
    // The arrays as they are now: the NoC's memory may have grown since the last step.
    const { src, dst, work } = this.noc.packetArrays(packets);
    this.packets.src = src;
    this.packets.dst = dst;
    this.work = work;
    let p = 0;
    for (let k = 0; k < count; k++) {
      const c = sent.core[k];
      const i = sent.slot[k];
      const first = routeStart[c][i];
      const end = routeStart[c][i + 1];
      const { slotCore, routeStep, routeSynapses, routeRow } = fans[c];
      let d = slotCore[i];
      for (let r = first; r < end; r++) {
        d = (d + routeStep[r]) & 0xffff;
        // fan-out.ts routeOps, written out: called here, once a packet, it cost 1.5-2% of a random-1m step.
        let ops = crossbar ? ROW_SYNAPSES[routeRow[r]] : routeSynapses[r];
        if (ops === ROUTE_SYNAPSES_MORE && delay[d] === 0) ops = axonSynapses(this.tables[d], routeAxon[c][r]);
        src[p] = c;
        dst[p] = d;
        work[p] = ops * opCycles;
        p++;
      }
    }
    this.packets.count = p;
  }

  /** Packets the batch holds before it next grows. */
  capacity(): number {
    return this.noc.packetCapacity();
  }

  /** Bytes of the batch and the NoC's per-packet buffers as they are now, all the NoC's (emulator/cpu/memory.ts counts them). */
  bufferBytes(): number {
    return this.noc.bufferBytes();
  }
}
