// The WebGPU backend: the time step of emulator/cpu/cpu.ts as WGSL compute
// kernels (kernels.ts), bit for bit. Synapses, routes and neuron state live in
// device memory from load to dispose; many steps go into one command buffer;
// per-step records (cycles, counters), recorded spikes and batched inputs move
// in batches, two batches in flight, so the GPU never waits for the host.
import { barrierCycles, tilesUsed } from '../../isa/profile.js';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EventLog, grow, toRecord } from '../logs.js';
import { splitExternalSpikes } from '../external-input.js';
import { addNocTotals, type MeshNoc } from '../noc.js';
import { meshNoc } from '../noc-wasm.js';
import { DECAY_ONE, STATE_MAX, STATE_MIN } from '../../isa/fixed.js';
import { synapseDelay, synapseTarget } from '../../isa/synapse.js';
import type { ChipImage } from '../../isa/image/types.js';
import type { CpuNeuronState } from '../cpu/cpu.js';
import {
  COUNTER_NAMES,
  PHASE_NAMES,
  type CounterName,
  type Counters,
  type CreateEmulator,
  type Emulator,
  type RunOptions,
  type SpikeEvents,
  type Timing,
} from '../interface.js';
import { anyGpu, WebGpuUnavailableError, type GpuHandle } from './adapter.js';
import {
  CTL,
  CTL_WORDS,
  deliverShader,
  foldShader,
  PARAM,
  PARAM_WORDS,
  RECORD_PER_CORE,
  STAT_COUNTERS,
  STAT_STRIDE,
  stepRecordWords,
  updateShader,
} from './kernels.js';
import { buildLayout, CORE_FIELDS, CORE_STRIDE, type GpuLayout, type ListGroup } from './layout.js';
import { addSbpCosts, buildLearningLayout, learnShader, type GpuLearningLayout } from './learning.js';
import { StepTimer, type NocDelta, type TimingJob, type TimingTables } from './timing.js';

// WebGPU's buffer usage and map mode bits (fixed by the specification; Node has no GPUBufferUsage global).
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const UNIFORM = 0x40;
const STORAGE = 0x80;
const INDIRECT = 0x100;
const MAP_MODE_READ = 0x1;

const COUNTERS = COUNTER_NAMES.length;
/** Where each kernel statistic goes among COUNTER_NAMES. */
const STAT_TO_COUNTER = STAT_COUNTERS.map((name) => COUNTER_NAMES.indexOf(name));
const SYNAPTIC_OPS = COUNTER_NAMES.indexOf('synaptic_ops');
const PHASES = PHASE_NAMES.length;
const PHASE_DELIVER = PHASE_NAMES.indexOf('deliver');
const PHASE_UPDATE = PHASE_NAMES.indexOf('update');
const PHASE_LEARN = PHASE_NAMES.indexOf('learn');
/** Storage bindings the learn kernels use besides the synapse chunks (learning.ts). */
const LEARN_FIXED_BINDINGS = 9;
/** Bytes of per-step data (records, spike and input bitmaps) one batch may hold per in-flight slot. */
const BATCH_BYTES = 8 << 20;
const MAX_BATCH = 256;
/** Storage bindings the deliver kernel uses besides the synapse chunks. */
const DELIVER_FIXED_BINDINGS = 6;

/** Options only this backend has: for tests that must cross batch and buffer boundaries on small networks. */
export interface WebGpuOptions extends RunOptions {
  /** Most steps per command buffer (default: as many as fit 8 MiB of per-step data, at most 256). */
  readonly batchSteps?: number;
  /** Most synapse words per storage binding (default: the adapter's limit); a power of two. */
  readonly chunkWords?: number;
  /** Worker threads that time the steps (the NoC model) while the main thread reads the next batch; 0: on the main thread. */
  readonly timingThreads?: number;
}

/** Timing threads by default: none for small networks (a message costs more than their timing) or machines with few CPUs, else up to 4. */
function defaultTimingThreads(routes: number): number {
  const cpus = availableParallelism();
  return routes < 4096 || cpus < 4 ? 0 : Math.min(4, cpus - 1);
}

/** The learn phase's buffers and pipelines (learning.ts), for an image with learning. */
interface Learn {
  readonly layout: GpuLearningLayout;
  readonly state: GPUBuffer;
  readonly scratch: GPUBuffer;
  readonly group: GPUBindGroup;
  readonly mark: GPUComputePipeline;
  readonly traces: GPUComputePipeline;
  readonly events: GPUComputePipeline;
  readonly apply: GPUComputePipeline;
  /** Per SBP projection: clear, sums, totals, gains, update. */
  readonly sbp: readonly (readonly GPUComputePipeline[])[];
  /** Per-core learn cycles of the step being timed (SBP's costs; synaptic updates are added from the record). */
  readonly cycles: Float64Array;
  /** The synapse words as learned so far, per core (synapses() is synchronous: refreshed after each run). */
  readonly synapses: Uint32Array[];
}

interface Batch {
  readonly slot: number;
  readonly start: number;
  readonly steps: number;
  readonly mapped: Promise<undefined>;
}

class WebGpuEmulatorImpl implements WebGpuEmulator {
  readonly backend = 'webgpu' as const;
  readonly adapter: string;
  private readonly device: GPUDevice;
  private readonly layout: GpuLayout;
  private readonly image: ChipImage;
  private readonly barrier: number;
  private readonly tick: number;
  private readonly batchMax: number;
  /** u32 words of one step's record (stepRecordWords). */
  private readonly record: number;
  /** The NoC model (its running totals), the timer that uses it on this thread, and the timing workers (timing.ts). */
  private readonly noc: MeshNoc;
  private readonly timer: StepTimer;
  private readonly workers: Worker[] = [];
  private readonly jobWaiters = new Map<number, { readonly done: (latency: Float64Array, delta: NocDelta) => void; readonly fail: (err: Error) => void }>();
  private timingJobs: Promise<void>[] = [];
  private jobId = 0;
  /** A batch's packets as global route indices. */
  private routeBuffer: Uint32Array;
  private readonly phaseCycles: Float64Array;
  private latency = new Float64Array(1024);
  private readonly buffers: GPUBuffer[] = [];
  private readonly ctl: GPUBuffer;
  private readonly args: GPUBuffer;
  private readonly stepsBuf: GPUBuffer;
  private readonly recordBits: GPUBuffer;
  private readonly inputBits: GPUBuffer;
  private readonly totals: GPUBuffer;
  private readonly state: GPUBuffer;
  private readonly state2: GPUBuffer;
  private readonly stats: GPUBuffer;
  private readonly staging: readonly GPUBuffer[];
  private readonly pipelines: { readonly deliver: GPUComputePipeline; readonly update: GPUComputePipeline; readonly fold: GPUComputePipeline };
  private readonly groups: { readonly deliver: GPUBindGroup; readonly update: GPUBindGroup; readonly fold: GPUBindGroup };
  private readonly updateGrid: readonly [number, number];
  /** Spike lists (image lists and external inputs): per list, the steps and slots and the first not yet sent. */
  private readonly listSteps: Uint32Array[];
  private readonly listNeurons: Uint32Array[];
  private readonly listNext: Int32Array;
  private t = 0;
  private slot = 0;
  private cycles = new Float64Array(1024);
  private stepLog = new Float64Array(1024 * COUNTERS);
  private readonly events = new EventLog();
  private totalsByCore: Float64Array;
  private spikeCountsByCore: Uint32Array[];
  private disposed = false;
  private running = false;
  private readonly learn: Learn | undefined;
  private readonly synBuffers: readonly GPUBuffer[];
  private readonly chunkWords: number;
  private readonly maxWorkgroups: number;
  /** setPlasticity: weights learn (the default) or not; a run reads it when it encodes its steps. */
  private plastic = true;

  constructor(gpu: GpuHandle, image: ChipImage, options: WebGpuOptions, layout: GpuLayout) {
    this.device = gpu.device;
    this.adapter = gpu.description;
    this.image = image;
    this.layout = layout;
    const device = gpu.device;
    const limits = gpu.limits;
    this.barrier = barrierCycles(image.profile, tilesUsed(image));
    this.tick = image.profile.tickCycles;
    this.record = stepRecordWords(layout.cores);
    const queueCap = Math.max(1, layout.routes);
    const perStep = (this.record + layout.recordWords + layout.inputWords) * 4;
    this.batchMax = Math.max(1, Math.min(options.batchSteps ?? MAX_BATCH, MAX_BATCH, Math.floor(BATCH_BYTES / perStep)));
    this.noc = meshNoc(image.profile, image.cores.map((core) => core.slot));
    const tables: TimingTables = {
      profile: image.profile,
      coreSlots: Uint16Array.from(image.cores, (core) => core.slot),
      routeSrc: layout.routeSrc,
      routeDst: layout.routeDst,
      routeWork: Int32Array.from(layout.routeSynapses, (x) => x * image.profile.cycles.synaptic_op),
      barrier: this.barrier,
    };
    this.timer = new StepTimer(tables, this.noc);
    this.routeBuffer = new Uint32Array(queueCap);
    // Timing workers run the compiled worker (dist/); from TypeScript sources (tests) the timing stays on this thread.
    const workerFile = new URL('./timing-worker.js', import.meta.url);
    const threads = existsSync(fileURLToPath(workerFile)) ? (options.timingThreads ?? defaultTimingThreads(layout.routes)) : 0;
    for (let w = 0; w < threads; w++) {
      const worker = new Worker(workerFile, { workerData: tables });
      worker.unref();
      worker.on('message', (msg: { readonly id: number; readonly latency: Float64Array; readonly delta: NocDelta }) => {
        const waiter = this.jobWaiters.get(msg.id);
        this.jobWaiters.delete(msg.id);
        waiter?.done(msg.latency, msg.delta);
      });
      // A worker that dies fails the run instead of leaving it waiting.
      worker.on('error', (err) => {
        for (const waiter of this.jobWaiters.values()) waiter.fail(err instanceof Error ? err : new Error(String(err)));
        this.jobWaiters.clear();
      });
      this.workers.push(worker);
    }
    this.phaseCycles = new Float64Array(layout.cores * PHASES);
    this.totalsByCore = new Float64Array(layout.cores * COUNTERS);
    this.spikeCountsByCore = image.cores.map((c) => new Uint32Array(c.neuronCount));
    this.listSteps = layout.lists.map((l) => l.steps);
    this.listNeurons = layout.lists.map((l) => l.neurons);
    this.listNext = new Int32Array(layout.lists.length);

    const bindingLimit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    const make = (what: string, bytes: number, usage: number, data?: ArrayBufferView): GPUBuffer => {
      const size = Math.max(16, Math.ceil(bytes / 4) * 4);
      if ((usage & STORAGE) !== 0 && size > bindingLimit) {
        throw new Error(`the network needs ${size} bytes of ${what} in one buffer; this GPU binds at most ${bindingLimit} (run it with --backend cpu, or on a GPU with larger limits)`);
      }
      const buffer = device.createBuffer({ size, usage, mappedAtCreation: data !== undefined });
      if (data !== undefined) {
        new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        buffer.unmap();
      }
      this.buffers.push(buffer);
      return buffer;
    };
    const ro = (what: string, data: Uint32Array | Int32Array): GPUBuffer => make(what, data.byteLength, STORAGE, data);

    const maxWorkgroups = limits.maxComputeWorkgroupsPerDimension;
    // Synapses: split into power-of-two chunks, each inside the binding limit.
    let chunkWords = 2 ** Math.floor(Math.log2(bindingLimit / 4));
    if (options.chunkWords !== undefined) chunkWords = Math.min(chunkWords, 2 ** Math.floor(Math.log2(options.chunkWords)));
    const synWords = layout.synapses.length;
    const chunks = Math.max(1, Math.ceil(synWords / chunkWords));
    const chunkSlots = limits.maxStorageBuffersPerShaderStage - DELIVER_FIXED_BINDINGS;
    if (chunks > chunkSlots) {
      throw new Error(`the network's ${synWords} synapses need ${chunks} storage bindings of ${chunkWords} words; this GPU allows ${chunkSlots} (use --backend cpu)`);
    }
    // Learning rewrites the weights: the synapses are then read back after each run (synapses()).
    const synUsage = image.learning === undefined ? STORAGE : STORAGE | COPY_SRC;
    const synBuffers = Array.from({ length: chunks }, (_, k) => {
      const words = layout.synapses.subarray(k * chunkWords, Math.min(synWords, (k + 1) * chunkWords));
      return make('synapses', words.byteLength, synUsage, words);
    });
    this.synBuffers = synBuffers;
    this.chunkWords = chunkWords;
    this.maxWorkgroups = maxWorkgroups;

    const params = new Uint32Array(PARAM_WORDS);
    params[PARAM.seed] = options.seed >>> 0;
    params[PARAM.cyclesSynapticOp] = image.profile.cycles.synaptic_op;
    params[PARAM.cyclesActive] = image.profile.cycles.neuron_update_active;
    params[PARAM.cyclesInactive] = image.profile.cycles.neuron_update_inactive;
    params[PARAM.blocks] = layout.blocks;
    params[PARAM.cores] = layout.cores;
    params[PARAM.queueCap] = Math.max(1, layout.routes);
    params[PARAM.maxWorkgroups] = maxWorkgroups;
    params[PARAM.recordWords] = layout.recordWords;
    params[PARAM.inputWords] = layout.inputWords;
    params[PARAM.chunkShift] = Math.log2(chunkWords);
    params[PARAM.recordStride] = this.record;
    const paramBuf = make('parameters', params.byteLength, UNIFORM, params);
    this.ctl = make('control', CTL_WORDS * 4, STORAGE | COPY_DST, new Uint32Array(CTL_WORDS));
    this.args = make('dispatch arguments', 16, STORAGE | INDIRECT, Uint32Array.of(0, 1, 1, 0));
    const cores = ro('core table', layout.coreTable);
    const axons = ro('axon table', layout.axonTable);
    const slotGroup = ro('slot table', layout.slotGroup);
    const groupTable = ro('group table', layout.groupTable);
    const routeStart = ro('route index', layout.routeStart);
    const routes = ro('routes', layout.routeTable);
    const queue = make('packet queues', 2 * Math.max(1, layout.routes) * 4, STORAGE);
    const accum = make('delay-slot accumulators', layout.accumWords * 4, STORAGE);
    this.state = make('neuron state', layout.initState.byteLength, STORAGE | COPY_SRC, layout.initState);
    this.state2 = make('refractory counts and spike counts', layout.slots * 8, STORAGE | COPY_SRC);
    const stats = make('step counters', layout.cores * STAT_STRIDE * 4, STORAGE);
    this.stats = stats;
    this.totals = make('counter totals', layout.cores * STAT_STRIDE * 8, STORAGE | COPY_SRC);
    this.stepsBuf = make('step records', 2 * this.batchMax * this.record * 4, STORAGE | COPY_SRC);
    this.recordBits = make('spike bitmaps', 2 * this.batchMax * layout.recordWords * 4, STORAGE | COPY_SRC);
    this.inputBits = make('input bitmaps', 2 * this.batchMax * layout.inputWords * 4, STORAGE | COPY_DST);
    const stagingBytes = this.batchMax * (this.record + layout.recordWords) * 4;
    this.staging = [make('staging', stagingBytes, MAP_READ | COPY_DST), make('staging', stagingBytes, MAP_READ | COPY_DST)];

    const pipeline = (code: string, entryPoint: string): GPUComputePipeline =>
      device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint } });
    this.pipelines = { deliver: pipeline(deliverShader(chunks), 'deliver'), update: pipeline(updateShader(), 'update'), fold: pipeline(foldShader(), 'fold') };
    const bind = (p: GPUComputePipeline, list: readonly GPUBuffer[]): GPUBindGroup =>
      device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: list.map((buffer, binding) => ({ binding, resource: { buffer } })) });
    this.groups = {
      deliver: bind(this.pipelines.deliver, [paramBuf, this.ctl, cores, axons, queue, routes, accum, ...synBuffers]),
      update: bind(this.pipelines.update, [paramBuf, this.ctl, cores, slotGroup, groupTable, accum, this.state, this.state2, routeStart, routes, queue, this.stats, this.recordBits, this.inputBits]),
      fold: bind(this.pipelines.fold, [paramBuf, this.ctl, stats, this.totals, this.stepsBuf, this.args]),
    };
    const x = Math.min(layout.blocks, maxWorkgroups);
    this.updateGrid = [x, x === 0 ? 0 : Math.ceil(layout.blocks / x)];

    if (image.learning === undefined) this.learn = undefined;
    else {
      if (chunks > limits.maxStorageBuffersPerShaderStage - LEARN_FIXED_BINDINGS) {
        throw new Error(`the network's ${synWords} synapses need ${chunks} storage bindings of ${chunkWords} words; with learning this GPU allows ${limits.maxStorageBuffersPerShaderStage - LEARN_FIXED_BINDINGS} (use --backend cpu)`);
      }
      const l = buildLearningLayout(image, image.learning, layout);
      const table = ro('learning tables', l.table);
      const lstate = make('traces, arrivals and pending changes', l.stateWords * 4, STORAGE | COPY_DST);
      const scratch = make('SBP sums and teach labels', l.scratchWords * 4, STORAGE | COPY_DST);
      device.queue.writeBuffer(scratch, l.teachLabelsAt * 4, new Uint32Array(Math.max(1, l.teachPopulations.length)).fill(0xffffffff));
      const storage = (readOnly: boolean): GPUBindGroupLayoutEntry => ({ binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: readOnly ? 'read-only-storage' : 'storage' } });
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility: 4, buffer: { type: 'uniform' } },
        ...[true, true, true, true, true, true, false, false, false].map((ro, k) => ({ ...storage(ro), binding: k + 1 })),
        ...synBuffers.map((_, k) => ({ ...storage(false), binding: 10 + k })),
      ];
      const bgl = device.createBindGroupLayout({ entries });
      const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [bgl] });
      const module = device.createShaderModule({ code: learnShader(l, chunks) });
      const entry = (entryPoint: string, constants?: Record<string, number>): GPUComputePipeline =>
        device.createComputePipeline({ layout: pipelineLayout, compute: { module, entryPoint, constants } });
      const buffers = [paramBuf, this.ctl, queue, routes, this.recordBits, table, axons, lstate, scratch, this.stats, ...synBuffers];
      this.learn = {
        layout: l,
        state: lstate,
        scratch,
        group: device.createBindGroup({ layout: bgl, entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) }),
        mark: entry('mark'),
        traces: entry('traces'),
        events: entry('events'),
        apply: entry('apply'),
        sbp: l.sbp.map((_, p) => ['sbpClear', 'sbpSums', 'sbpTotals', 'sbpGains', 'sbpUpdate'].map((name) => entry(name, { PROJ: p }))),
        cycles: new Float64Array(layout.cores),
        synapses: image.cores.map((core) => core.synapses.slice()),
      };
    }
  }

  /** Workgroups (x, y) for `threads` threads of 64. */
  private grid(threads: number): readonly [number, number] {
    const blocks = Math.ceil(threads / 64);
    const x = Math.min(blocks, this.maxWorkgroups);
    return [x, x === 0 ? 0 : Math.ceil(blocks / x)];
  }

  /** Whether some plastic set's epoch ends at step t (the reference's `epochEnds`, before plasticity). */
  private epochEnds(t: number): boolean {
    return this.learn !== undefined && this.learn.layout.epochs.some((e) => (t + 1) % e === 0);
  }

  /** The learn phase of step t (emulator/cpu/learning.ts step()) into the pass, after the update. */
  private encodeLearn(pass: GPUComputePassEncoder, t: number): void {
    const learn = this.learn;
    if (learn === undefined) return;
    const l = learn.layout;
    const dispatch = (pipeline: GPUComputePipeline, threads: number): void => {
      const [x, y] = this.grid(threads);
      if (x === 0) return;
      pass.setPipeline(pipeline);
      pass.dispatchWorkgroups(x, y);
    };
    pass.setBindGroup(0, learn.group);
    pass.setPipeline(learn.mark);
    pass.dispatchWorkgroupsIndirect(this.args, 0);
    dispatch(learn.traces, l.elements);
    if (!this.plastic) return;
    const ends = this.epochEnds(t);
    // events, apply and SBP's sums and update run one workgroup of 64 per plastic axon.
    if (ends || l.hasPrePost) dispatch(learn.events, l.plasticAxons * 64);
    if (!ends) return;
    l.sbp.forEach((s, p) => {
      if (s.epoch === 0 || (t + 1) % s.epoch !== 0) return;
      const [clear, sums, totals, gains, update] = learn.sbp[p];
      dispatch(clear, s.scratchWords);
      dispatch(sums, s.sumThreads * 64);
      if (s.layer) dispatch(totals, s.neurons);
      dispatch(gains, s.neurons);
      dispatch(update, s.ownCount * 64);
    });
    dispatch(learn.apply, l.plasticAxons * 64);
  }

  async run(steps: number): Promise<void> {
    this.assertLive();
    if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`steps must be a non-negative integer, got ${steps}`);
    if (this.t + steps > 0xffffffff) throw new RangeError('a run is limited to 2^32 steps (events store the step in 32 bits)');
    if (this.running) throw new Error('run() is already in progress on this emulator');
    if (this.t + steps > this.cycles.length) this.cycles = grow(this.cycles, this.t + steps);
    if ((this.t + steps) * COUNTERS > this.stepLog.length) this.stepLog = grow(this.stepLog, (this.t + steps) * COUNTERS);
    if (this.t + steps > this.latency.length) this.latency = grow(this.latency, this.t + steps);
    this.running = true;
    const device = this.device;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    try {
      const pending: Batch[] = [];
      let done = 0;
      while (done < steps) {
        if (pending.length === 2) await this.finish(pending.shift() as Batch);
        const count = Math.min(this.batchMax, steps - done);
        pending.push(this.submit(this.t + done, count));
        done += count;
      }
      while (pending.length > 0) {
        await this.finish(pending.shift() as Batch);
      }
      await Promise.all(this.timingJobs);
      this.timingJobs = [];
      this.t += steps;
      await this.readTotals();
      if (this.learn !== undefined) await this.readSynapses();
    } finally {
      const validation = await device.popErrorScope();
      const memory = await device.popErrorScope();
      this.running = false;
      const error = validation ?? memory;
      if (error !== null) throw new Error(`webgpu backend: the GPU rejected a command: ${error.message}`);
    }
  }

  readonly stepsRun = (): number => this.t;

  counters(): Counters {
    const byCore: Readonly<Record<CounterName, number>>[] = [];
    const sum = new Float64Array(COUNTERS);
    for (let c = 0; c < this.layout.cores; c++) {
      const values = this.totalsByCore.subarray(c * COUNTERS, (c + 1) * COUNTERS);
      for (let k = 0; k < COUNTERS; k++) sum[k] += values[k];
      byCore.push(toRecord(values));
    }
    return { total: toRecord(sum), byCore };
  }

  stepCycles(): Float64Array {
    return this.cycles.slice(0, this.t);
  }

  timing(): Timing {
    return {
      stepLatencyCycles: this.latency.slice(0, this.t),
      barrierCycles: this.barrier,
      tickCycles: this.tick,
      phaseCyclesByCore: this.phaseCycles.slice(),
      noc: this.noc.stats(),
    };
  }

  stepCounters(): Float64Array {
    return this.stepLog.slice(0, this.t * COUNTERS);
  }

  spikeCounts(): readonly Uint32Array[] {
    return this.spikeCountsByCore.map((c) => c.slice());
  }

  spikeEvents(): SpikeEvents {
    return this.events.snapshot();
  }

  async neuronState(core: number): Promise<CpuNeuronState> {
    this.assertLive();
    const n = this.image.cores[core].neuronCount;
    const first = this.layout.nbase[core];
    const state = new Int32Array(await this.read(this.state, first * 16, n * 16));
    const state2 = new Int32Array(await this.read(this.state2, first * 8, n * 8));
    const pick = (from: Int32Array, stride: number, k: number): Int32Array => Int32Array.from({ length: n }, (_, i) => from[i * stride + k]);
    const uExc = pick(state, 4, 0);
    const uInh = pick(state, 4, 1);
    return { u: uExc.map((e, i) => e + uInh[i]), uExc, uInh, v: pick(state, 4, 2), theta: pick(state, 4, 3), refractory: pick(state2, 2, 0) };
  }

  setExternalInput(population: string, steps: Uint32Array, neurons: Uint32Array): void {
    this.assertLive();
    for (const { piece, steps: at, locals } of splitExternalSpikes(this.image.symbols, population, this.t, steps, neurons)) {
      const groups = this.image.cores[piece.core].groups;
      const group = groups.findIndex((g) => g.first <= piece.first && piece.first < g.first + g.count);
      const list = this.layout.lists.findIndex((l) => l.core === piece.core && l.group === group);
      if (list < 0 || !this.layout.lists[list].external) throw new Error(`setExternalInput: \`${population}\` is not an input with encoding = external`);
      const shift = piece.first - groups[group].first;
      this.listSteps[list] = at;
      this.listNeurons[list] = locals.map((local) => local + shift);
      this.listNext[list] = 0;
    }
  }

  /** Turns the teaching signal of `population` on for neuron `label`, or off (emulator/cpu/learning.ts setTeacher). */
  setTeacher(population: string, label: number | undefined): void {
    this.assertLive();
    const learn = this.learn;
    if (learn === undefined) throw new Error(`setTeacher: the image teaches no population (it has no \`teach ${population} from labels\`)`);
    const names = learn.layout.teachPopulations;
    const b = names.indexOf(population);
    if (b < 0) {
      const taught = names.length === 0 ? 'none is' : names.map((p) => `\`${p}\``).join(', ') + (names.length === 1 ? ' is' : ' are');
      throw new Error(`setTeacher: \`${population}\` has no \`teach ${population} from labels\` declaration (${taught} taught)`);
    }
    let value = 0xffffffff;
    if (label !== undefined && label >= 0) {
      if (!Number.isInteger(label) || label >= learn.layout.teachSizes[b]) throw new RangeError(`setTeacher: label ${label} is outside \`${population}\` (${learn.layout.teachSizes[b]} neurons)`);
      value = label;
    }
    this.device.queue.writeBuffer(learn.scratch, (learn.layout.teachLabelsAt + b) * 4, Uint32Array.of(value));
  }

  /** Weight learning on or off; off drops the current epoch's partial changes (traces keep following spikes). */
  setPlasticity(on: boolean): void {
    this.assertLive();
    const learn = this.learn;
    if (learn === undefined) return;
    if (!on) {
      const l = learn.layout;
      const encoder = this.device.createCommandEncoder();
      const bytes = (l.stateWords - l.pendingAt) * 4;
      if (bytes > 0) encoder.clearBuffer(learn.state, l.pendingAt * 4, bytes);
      this.device.queue.submit([encoder.finish()]);
    }
    this.plastic = on;
  }

  /** The current synapse words of every core, learned weights included (copies, as of the end of the last run). */
  synapses(): readonly Uint32Array[] {
    if (this.learn !== undefined) return this.learn.synapses.map((s) => s.slice());
    return this.image.cores.map((core) => core.synapses.slice());
  }

  /** After a run with learning: the weights back from the GPU into the per-core copies synapses() returns. */
  private async readSynapses(): Promise<void> {
    const learn = this.learn;
    if (learn === undefined) return;
    const total = this.layout.synapses.length;
    const all = new Uint32Array(total);
    for (let k = 0; k < this.synBuffers.length; k++) {
      const first = k * this.chunkWords;
      const words = Math.min(total, first + this.chunkWords) - first;
      if (words > 0) all.set(new Uint32Array(await this.read(this.synBuffers[k], 0, words * 4)), first);
    }
    let at = 0;
    for (const core of learn.synapses) {
      core.set(all.subarray(at, at + core.length));
      at += core.length;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.buffers) b.destroy();
    for (const w of this.workers) void w.terminate();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('the emulator has been disposed');
  }

  /** Encodes and submits steps start .. start + count - 1 as one command buffer; its readback maps when done. */
  private submit(start: number, count: number): Batch {
    const { device, layout, batchMax } = this;
    const slot = this.slot;
    this.slot ^= 1;
    if (layout.inputWords > 0) device.queue.writeBuffer(this.inputBits, slot * batchMax * layout.inputWords * 4, this.inputBatch(start, count));
    device.queue.writeBuffer(this.ctl, 0, Uint32Array.of(start, start, slot * batchMax));
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const [x, y] = this.updateGrid;
    for (let s = 0; s < count; s++) {
      pass.setPipeline(this.pipelines.deliver);
      pass.setBindGroup(0, this.groups.deliver);
      pass.dispatchWorkgroupsIndirect(this.args, 0);
      if (x > 0) {
        pass.setPipeline(this.pipelines.update);
        pass.setBindGroup(0, this.groups.update);
        pass.dispatchWorkgroups(x, y);
      }
      this.encodeLearn(pass, start + s);
      pass.setPipeline(this.pipelines.fold);
      pass.setBindGroup(0, this.groups.fold);
      pass.dispatchWorkgroups(1);
    }
    pass.end();
    const staging = this.staging[slot];
    encoder.copyBufferToBuffer(this.stepsBuf, slot * batchMax * this.record * 4, staging, 0, count * this.record * 4);
    if (layout.recordWords > 0) {
      encoder.copyBufferToBuffer(this.recordBits, slot * batchMax * layout.recordWords * 4, staging, batchMax * this.record * 4, count * layout.recordWords * 4);
    }
    device.queue.submit([encoder.finish()]);
    return { slot, start, steps: count, mapped: staging.mapAsync(MAP_MODE_READ) };
  }

  /** The spike-list inputs of steps start .. start + count - 1 as one bitmap per step. */
  private inputBatch(start: number, count: number): Uint32Array {
    const words = this.layout.inputWords;
    const bits = new Uint32Array(count * words);
    this.layout.lists.forEach((list: ListGroup, k) => {
      const steps = this.listSteps[k];
      const neurons = this.listNeurons[k];
      let next = this.listNext[k];
      while (next < steps.length && steps[next] < start) next++;
      for (; next < steps.length && steps[next] < start + count; next++) {
        const bit = list.bitBase + neurons[next];
        bits[(steps[next] - start) * words + (bit >>> 5)] |= 1 << (bit & 31);
      }
      this.listNext[k] = next;
    });
    return bits;
  }

  /**
   * Reads a finished batch: each step's counters and spike bitmap. The bitmap
   * gives the recorded events and the step's packets (each spiking slot's
   * routes, in source core, slot, route order, as cpu.ts sends them). Synaptic
   * ops and per-phase cycles are summed here; the NoC timing of the batch
   * (timing.ts) runs here or, split by steps, on worker threads while this
   * thread reads the next batch.
   */
  private async finish(batch: Batch): Promise<void> {
    await batch.mapped;
    const { layout, batchMax, record, phaseCycles } = this;
    const cyc = this.image.profile.cycles;
    const staging = this.staging[batch.slot];
    const data = new Uint32Array(staging.getMappedRange(), 0, batchMax * (record + layout.recordWords));
    const C = layout.cores;
    const n = batch.steps;
    const routeStart = new Uint32Array(n + 1);
    const update = new Float64Array(n * C);
    const learnCycles = new Float64Array(n * C);
    const learn = this.learn;
    let p = 0;
    for (let j = 0; j < n; j++) {
      const t = batch.start + j;
      const log = t * COUNTERS;
      const rec = j * record;
      for (let k = 0; k < COUNTERS; k++) this.stepLog[log + k] = 0;
      for (let k = 0; k < STAT_COUNTERS.length; k++) this.stepLog[log + STAT_TO_COUNTER[k]] = data[rec + 2 * k] + data[rec + 2 * k + 1] * 4294967296;
      if (p + layout.routes > this.routeBuffer.length) this.routeBuffer = grow(this.routeBuffer, p + layout.routes);
      const routes = this.routeBuffer;
      const stepFirst = p;
      const bits0 = batchMax * record + j * layout.recordWords;
      for (let c = 0; c < C; c++) {
        const first = layout.nbase[c];
        const words = (layout.nbase[c + 1] - first) / 32;
        const at = bits0 + layout.coreTable[c * CORE_STRIDE + CORE_FIELDS.recordWord];
        for (let w = 0; w < words; w++) {
          let bits = data[at + w];
          while (bits !== 0) {
            const low = bits & -bits;
            const slot = w * 32 + 31 - Math.clz32(low);
            bits = (bits ^ low) >>> 0;
            if (layout.recorded[c] === 1) this.events.push(t, c, slot);
            const end = layout.routeStart[first + slot + 1];
            for (let r = layout.routeStart[first + slot]; r < end; r++) routes[p++] = r;
          }
        }
      }
      routeStart[j + 1] = p;
      // Synaptic ops, counted on the target core when the packet is sent (cpu.ts send()).
      let ops = 0;
      for (let q = stepFirst; q < p; q++) {
        const r = routes[q];
        const to = layout.routeDst[r];
        const synapses = layout.routeSynapses[r];
        this.totalsByCore[to * COUNTERS + SYNAPTIC_OPS] += synapses;
        ops += synapses;
        phaseCycles[to * PHASES + PHASE_DELIVER] += synapses * cyc.synaptic_op;
      }
      this.stepLog[log + SYNAPTIC_OPS] = ops;
      const counts = rec + 2 * STAT_COUNTERS.length;
      for (let c = 0; c < C; c++) {
        const u = data[counts + RECORD_PER_CORE * c] * cyc.neuron_update_active + data[counts + RECORD_PER_CORE * c + 1] * cyc.neuron_update_inactive;
        update[j * C + c] = u;
        phaseCycles[c * PHASES + PHASE_UPDATE] += u;
      }
      if (learn !== undefined) {
        // The learn phase: SBP's fixed costs where a projection's epoch ends (they depend only on the mapping), then the synaptic updates.
        const lc = learn.cycles;
        lc.fill(0);
        if (this.plastic && this.epochEnds(t)) {
          for (const s of learn.layout.sbp) if (s.epoch !== 0 && (t + 1) % s.epoch === 0) addSbpCosts(s, cyc, this.totalsByCore, this.stepLog, log, lc);
        }
        for (let c = 0; c < C; c++) {
          const cycles = lc[c] + data[counts + RECORD_PER_CORE * c + 2] * cyc.synaptic_update + data[counts + RECORD_PER_CORE * c + 3] * cyc.sbp_update;
          learnCycles[j * C + c] = cycles;
          phaseCycles[c * PHASES + PHASE_LEARN] += cycles;
        }
      }
    }
    staging.unmap();
    const job: TimingJob = { steps: n, routeStart, routes: this.routeBuffer.slice(0, p), update, learn: learnCycles };
    if (this.workers.length === 0) {
      const latency = new Float64Array(n);
      this.timer.timeJob(job, latency);
      this.setLatency(batch.start, latency);
    } else this.timeOnWorkers(batch.start, job);
  }

  /** Step latencies from `start` on, and the cycles they give (at least the tick). */
  private setLatency(start: number, latency: Float64Array): void {
    for (let j = 0; j < latency.length; j++) {
      this.latency[start + j] = latency[j];
      this.cycles[start + j] = latency[j] > this.tick ? latency[j] : this.tick;
    }
  }

  /** Splits a batch's timing by steps over the worker threads; run() waits for the answers before it returns. */
  private timeOnWorkers(start: number, job: TimingJob): void {
    const W = this.workers.length;
    const C = this.layout.cores;
    const per = Math.ceil(job.steps / W);
    for (let w = 0; w < W && w * per < job.steps; w++) {
      const a = w * per;
      const b = Math.min(job.steps, a + per);
      const r0 = job.routeStart[a];
      const part: TimingJob = {
        steps: b - a,
        routeStart: job.routeStart.slice(a, b + 1).map((x) => x - r0),
        routes: job.routes.slice(r0, job.routeStart[b]),
        update: job.update.slice(a * C, b * C),
        learn: job.learn.slice(a * C, b * C),
      };
      const id = this.jobId++;
      const waiting = new Promise<void>((resolve, reject) =>
        this.jobWaiters.set(id, {
          done: (latency, delta) => {
            this.setLatency(start + a, latency);
            addNocTotals(this.noc, delta);
            resolve();
          },
          fail: (err) => reject(new Error(`webgpu backend: a timing worker failed: ${err.message}`)),
        }),
      );
      // run() awaits it; if run() fails first, the rejection must not go unhandled.
      waiting.catch(() => undefined);
      this.timingJobs.push(waiting);
      this.workers[w].postMessage({ id, job: part }, [part.routeStart.buffer as ArrayBuffer, part.routes.buffer as ArrayBuffer, part.update.buffer as ArrayBuffer, part.learn.buffer as ArrayBuffer]);
    }
  }

  /** After a run: every core's 64-bit counter totals and every slot's spike count. */
  private async readTotals(): Promise<void> {
    const { layout } = this;
    const totals = new Uint32Array(await this.read(this.totals, 0, layout.cores * STAT_STRIDE * 8));
    for (let c = 0; c < layout.cores; c++) {
      for (let k = 0; k < STAT_COUNTERS.length; k++) {
        const at = (c * STAT_STRIDE + k) * 2;
        this.totalsByCore[c * COUNTERS + STAT_TO_COUNTER[k]] = totals[at] + totals[at + 1] * 4294967296;
      }
    }
    const state2 = new Uint32Array(await this.read(this.state2, 0, layout.slots * 8));
    this.image.cores.forEach((core, c) => {
      const first = layout.nbase[c];
      const counts = this.spikeCountsByCore[c];
      for (let i = 0; i < core.neuronCount; i++) counts[i] = state2[(first + i) * 2 + 1];
    });
  }

  private async read(buffer: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    if (bytes === 0) return new ArrayBuffer(0);
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.device.createBuffer({ size, usage: MAP_READ | COPY_DST });
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, offset, staging, 0, size);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MAP_MODE_READ);
    const copy = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    staging.destroy();
    return copy;
  }
}

/**
 * What the kernels rely on beyond the image format: state-range parameters
 * (so every i32 sum is exact) and in-range indices (a GPU clamps a bad index
 * silently instead of failing). A failure is a bug in the image writer or reader.
 */
function assertRunnableOnGpu(image: ChipImage, options: RunOptions): void {
  const problems: string[] = [];
  const inState = (x: number): boolean => Number.isInteger(x) && x >= STATE_MIN && x <= STATE_MAX;
  const isDecay = (d: number): boolean => Number.isInteger(d) && d >= 0 && d <= DECAY_ONE;
  if (image.cores.length > 1 << 16) problems.push(`${image.cores.length} cores: at most 65536`);
  if (options.recordCores !== undefined && options.recordCores.length > image.cores.length) problems.push(`recordCores has ${options.recordCores.length} entries for ${image.cores.length} cores`);
  image.cores.forEach((core, c) => {
    const at = `core ${c}`;
    let next = 0;
    core.groups.forEach((g, k) => {
      if (g.first !== next || !Number.isInteger(g.count) || g.count < 0) problems.push(`${at} group ${k}: covers ${g.first}..+${g.count}, expected to start at ${next}`);
      next = g.first + g.count;
      if (g.kind === 'neurons') {
        const p = g.params;
        if (![p.du, p.duInh, p.dv, p.dTheta].every(isDecay)) problems.push(`${at} group ${k}: decay constants must be integers in 0..${DECAY_ONE}`);
        if (!inState(p.reset) || !inState(p.bias) || !inState(p.thetaPlus) || p.thetaPlus < 0) problems.push(`${at} group ${k}: reset, bias and thetaPlus must lie in the state range (isa/fixed.ts)`);
        if (!Number.isInteger(p.vth) || p.vth > 0x7fffffff || p.vth < -0x80000000 || !Number.isInteger(p.refractory) || p.refractory < 0 || p.refractory > 0x7fffffff) problems.push(`${at} group ${k}: vth and refractory must be 32-bit integers (refractory >= 0)`);
        if (g.initV !== undefined && (g.initV.length !== g.count || g.initV.some((x) => !inState(x)))) problems.push(`${at} group ${k}: initV must hold ${g.count} values in the state range`);
      } else if (g.encoding.kind === 'periodic' && !(Number.isInteger(g.encoding.period) && g.encoding.period >= 1 && g.encoding.phase >= 0)) {
        problems.push(`${at} group ${k}: periodic input needs an integer period >= 1 and phase >= 0`);
      } else if (g.encoding.kind === 'spikes' && g.encoding.neurons.some((x) => x >= g.count)) {
        problems.push(`${at} group ${k}: its spike list names a neuron outside the group`);
      }
    });
    if (next !== core.neuronCount) problems.push(`${at}: groups cover ${next} slots, neuronCount is ${core.neuronCount}`);
    const axons = core.axonStart.length - 1;
    if (axons < 0 || core.axonStart[0] !== 0 || core.axonStart[axons] !== core.synapses.length || core.axonWeightExp.length !== axons) problems.push(`${at}: axon table does not cover its ${core.synapses.length} synapses`);
    for (let s = 0; s < core.synapses.length; s++) {
      const word = core.synapses[s];
      if (synapseTarget(word) >= core.neuronCount || synapseDelay(word) < 1) {
        problems.push(`${at}: synapse ${s} targets slot ${synapseTarget(word)} of ${core.neuronCount} with delay ${synapseDelay(word)}`);
        break;
      }
    }
    if (core.routeStart.length !== core.neuronCount + 1 || core.routeStart[core.neuronCount] !== core.routeCore.length) problems.push(`${at}: routeStart must have neuronCount + 1 entries`);
    for (let r = 0; r < core.routeCore.length; r++) {
      const dest = image.cores[core.routeCore[r]];
      if (dest === undefined || core.routeAxon[r] >= dest.axonStart.length - 1) {
        problems.push(`${at}: route ${r} goes to a missing core or axon`);
        break;
      }
    }
  });
  if (problems.length > 0) throw new Error(`chip image cannot run on the webgpu backend:\n${problems.slice(0, 20).map((p) => `  - ${p}`).join('\n')}`);
}

/** The webgpu backend's emulator, with what tests and benchmarks read besides the Emulator interface. */
export interface WebGpuEmulator extends Emulator {
  /** The adapter it runs on (name, driver and Dawn backend). */
  readonly adapter: string;
  /** A copy of core `core`'s neuron state, as the CPU reference's neuronState() gives it. */
  neuronState(core: number): Promise<CpuNeuronState>;
  setExternalInput(population: string, steps: Uint32Array, neurons: Uint32Array): void;
}

/** Creates a WebGPU emulator; throws WebGpuUnavailableError when no adapter exists. */
export async function createWebGpuEmulatorWithOptions(image: ChipImage, options: WebGpuOptions): Promise<WebGpuEmulator> {
  assertRunnableOnGpu(image, options);
  const layout = buildLayout(image, options.recordCores);
  const gpu = await anyGpu();
  if ('reason' in gpu) throw new WebGpuUnavailableError(gpu.reason);
  gpu.device.pushErrorScope('validation');
  let emulator: WebGpuEmulatorImpl;
  try {
    emulator = new WebGpuEmulatorImpl(gpu, image, options, layout);
  } finally {
    const error = await gpu.device.popErrorScope();
    if (error !== null) throw new Error(`webgpu backend: the GPU rejected the kernels or buffers: ${error.message}`);
  }
  return emulator;
}

export const createWebGpuEmulator: CreateEmulator = (image, options) => createWebGpuEmulatorWithOptions(image, options);

