// Step timing of the WebGPU backend on the host: the NoC model (emulator/noc.ts)
// and the deliveries, as emulator/cpu/cpu.ts time() computes them. One step's
// timing depends only on that step (its packets, each core's update and learn
// cycles; the NoC's link state starts free every step), and the running NoC
// totals are sums of integers and a maximum, so the steps of a batch can be
// timed in any order, on any thread, with the same result to the bit.
import { stepLatency, takeNocTotals, type MeshNoc, type NocTotals, type PacketBatch } from '../noc.js';
import { meshNoc } from '../noc-wasm.js';
import type { ChipProfile } from '../../isa/profile.js';

/** What a timer needs besides the profile: per global route its source and target core and its delivery cycles. */
export interface TimingTables {
  readonly profile: ChipProfile;
  readonly coreSlots: Uint16Array;
  readonly routeSrc: Uint16Array;
  readonly routeDst: Uint16Array;
  readonly routeWork: Int32Array;
  readonly barrier: number;
}

/** A batch of steps to time: step j's packets are routes[routeStart[j] .. routeStart[j + 1]]; update and learn cycles per core, step-major. */
export interface TimingJob {
  readonly steps: number;
  readonly routeStart: Uint32Array;
  readonly routes: Uint32Array;
  readonly update: Float64Array;
  readonly learn: Float64Array;
}

/** NoC totals a timer gathered (to add into the backend's MeshNoc). */
export type NocDelta = NocTotals;

export class StepTimer {
  readonly noc: MeshNoc;
  private readonly cores: number;
  private readonly packets: PacketBatch & { count: number; readonly src: Uint16Array; readonly dst: Uint16Array; coreReady: Float64Array };
  private readonly work: Int32Array;
  private readonly free: Float64Array;
  /** Per core, the step's update cycles: when its packets are ready. */
  private readonly ready: Float64Array;

  constructor(private readonly tables: TimingTables, noc?: MeshNoc) {
    this.noc = noc ?? meshNoc(tables.profile, tables.coreSlots);
    this.cores = tables.coreSlots.length;
    const cap = Math.max(1, tables.routeSrc.length);
    this.ready = new Float64Array(this.cores);
    this.packets = { count: 0, src: new Uint16Array(cap), dst: new Uint16Array(cap), coreReady: this.ready };
    this.work = new Int32Array(cap);
    this.free = new Float64Array(this.cores);
  }

  /** Each step's latency (the last core done, plus the barrier) into latency[0 .. job.steps). */
  timeJob(job: TimingJob, latency: Float64Array): void {
    const { routeSrc, routeDst, routeWork, barrier } = this.tables;
    const { src, dst } = this.packets;
    const C = this.cores;
    const free = this.free;
    const ready = this.ready;
    for (let j = 0; j < job.steps; j++) {
      for (let c = 0; c < C; c++) ready[c] = free[c] = job.update[j * C + c];
      const first = job.routeStart[j];
      const count = job.routeStart[j + 1] - first;
      for (let p = 0; p < count; p++) {
        const r = job.routes[first + p];
        src[p] = routeSrc[r];
        dst[p] = routeDst[r];
        this.work[p] = routeWork[r];
      }
      this.packets.count = count;
      stepLatency(this.noc, this.packets, this.work, free, job.learn, j * C, barrier, latency, j);
    }
  }

  /** The totals gathered since the last call, and a fresh start (a worker's timer reports them per job). */
  takeDelta(): NocDelta {
    return takeNocTotals(this.noc);
  }
}
