// The chip image flattened into the tables the WGSL kernels read: every core's
// neurons, axons, synapses and routes concatenated into global arrays, once,
// when the image is loaded. Pure host code (no GPU), so it is tested on its own.
//
// Neuron slots: core c's slots occupy padded indices nbase[c] .. nbase[c] + n[c],
// nbase a multiple of BLOCK, so every workgroup of the update kernel lies in
// one core and reduces its counters in workgroup memory before one global add.
import { routeHops } from '../../isa/profile.js';
import { synapseDelay } from '../../isa/synapse.js';
import type { ChipImage } from '../../isa/image/types.js';

/** Neuron slots per update workgroup (and the padding unit of each core's slots). */
export const BLOCK = 64;
/** Slot with no neuron (padding) in slotGroup. */
export const NO_GROUP = 0xffffffff;

/** Group kinds, as the update kernel switches on them. */
export const KIND = { neurons: 0, poisson: 1, periodic: 2, list: 3 } as const;

/** u32 columns of one core in coreTable. */
export const CORE_FIELDS = { nbase: 0, n: 1, accumBase: 2, slots: 3, axonBase: 4, recordWord: 5 } as const;
export const CORE_STRIDE = 8;

/** 32-bit columns of one group in groupTable (signed fields stored as their bits). */
export const GROUP_FIELDS = {
  kind: 0,
  core: 1,
  localFirst: 2,
  globalFirst: 3,
  du: 4,
  duInh: 5,
  dv: 6,
  vth: 7,
  reset: 8,
  bias: 9,
  refractory: 10,
  thetaPlus: 11,
  dTheta: 12,
  /** poisson: the u32 threshold; periodic: the period */
  a: 13,
  /** poisson: the global input index of the first neuron; periodic: the phase; list: the first bit in the input bitmap */
  b: 14,
} as const;
export const GROUP_STRIDE = 16;

/** u32 columns of one route: the packet (destination core << 16 | axon) and its east-west, north-south and chip-to-chip hops. */
export const ROUTE_STRIDE = 4;

/** A spike-list input group (a file's list, or the host's external input), fed per batch as a bitmap. */
export interface ListGroup {
  readonly core: number;
  /** Index into the image core's groups. */
  readonly group: number;
  readonly count: number;
  /** First bit of the group in one step's input bitmap. */
  readonly bitBase: number;
  readonly external: boolean;
  readonly steps: Uint32Array;
  readonly neurons: Uint32Array;
}

export interface GpuLayout {
  readonly cores: number;
  readonly nbase: Uint32Array;
  readonly coreTable: Uint32Array;
  /** Padded neuron slots (a multiple of BLOCK) and blocks. */
  readonly slots: number;
  readonly blocks: number;
  readonly slotGroup: Uint32Array;
  readonly groupTable: Uint32Array;
  /** i32 words of the delay-slot accumulators: two (excitatory, inhibitory) per slot, neuron and core. */
  readonly accumWords: number;
  /** Per global axon, (first synapse, weight exponent); each core has axons + 1 entries, the last holding its end. */
  readonly axonTable: Uint32Array;
  readonly synapses: Uint32Array;
  readonly routeStart: Uint32Array;
  readonly routeTable: Uint32Array;
  readonly routes: number;
  /** Per global route (in source core, slot, route order, the CPU's packet order): source and target core and synapses reached. */
  readonly routeSrc: Uint16Array;
  readonly routeDst: Uint16Array;
  readonly routeSynapses: Float64Array;
  /** Initial (uE, uI, v, theta) per padded slot. */
  readonly initState: Int32Array;
  /** u32 words of one step's spike bitmap (every slot of every core). */
  readonly recordWords: number;
  /** Per core, 1 when its spikes are kept as events (RunOptions.recordCores). */
  readonly recorded: Uint8Array;
  /** u32 words of one step's input bitmap of the spike-list groups. */
  readonly inputWords: number;
  readonly lists: readonly ListGroup[];
}

/**
 * Flattens an image. Throws when a per-step per-core count could leave 32 bits
 * (the kernels count in u32 per step and core, and fold into 64-bit totals).
 */
export function buildLayout(image: ChipImage, recordCores: readonly boolean[] | undefined): GpuLayout {
  const cores = image.cores;
  const C = cores.length;
  const nbase = new Uint32Array(C + 1);
  for (let c = 0; c < C; c++) nbase[c + 1] = nbase[c] + Math.ceil(cores[c].neuronCount / BLOCK) * BLOCK;
  const slots = nbase[C];

  const coreTable = new Uint32Array(C * CORE_STRIDE);
  let accumBase = 0;
  let axonBase = 0;
  let recordWords = 0;
  const recorded = new Uint8Array(C);
  const synBase = new Float64Array(C + 1);
  for (let c = 0; c < C; c++) {
    const core = cores[c];
    let maxDelay = 1;
    for (let s = 0; s < core.synapses.length; s++) maxDelay = Math.max(maxDelay, synapseDelay(core.synapses[s]));
    const D = maxDelay + 1;
    const row = c * CORE_STRIDE;
    coreTable[row + CORE_FIELDS.nbase] = nbase[c];
    coreTable[row + CORE_FIELDS.n] = core.neuronCount;
    coreTable[row + CORE_FIELDS.accumBase] = accumBase;
    coreTable[row + CORE_FIELDS.slots] = D;
    coreTable[row + CORE_FIELDS.axonBase] = axonBase;
    // Every core's spikes come back as a bitmap: the host needs them all to time the step (packets from spikes).
    coreTable[row + CORE_FIELDS.recordWord] = recordWords;
    recordWords += (nbase[c + 1] - nbase[c]) / 32;
    recorded[c] = recordCores?.[c] === true ? 1 : 0;
    accumBase += D * core.neuronCount;
    axonBase += core.axonStart.length;
    synBase[c + 1] = synBase[c] + core.synapses.length;
  }
  if (accumBase * 2 > 0xffffffff || synBase[C] > 0xffffffff) throw new Error('the image is too large for the webgpu backend (2^32 accumulator or synapse words)');

  const axonTable = new Uint32Array(axonBase * 2);
  const synapses = new Uint32Array(synBase[C]);
  for (let c = 0; c < C; c++) {
    const core = cores[c];
    const first = coreTable[c * CORE_STRIDE + CORE_FIELDS.axonBase];
    for (let a = 0; a < core.axonStart.length; a++) {
      axonTable[(first + a) * 2] = synBase[c] + core.axonStart[a];
      axonTable[(first + a) * 2 + 1] = a < core.axonWeightExp.length ? core.axonWeightExp[a] : 0;
    }
    synapses.set(core.synapses, synBase[c]);
  }

  // Groups, slots and spike lists.
  const groupRows: number[][] = [];
  const slotGroup = new Uint32Array(slots).fill(NO_GROUP);
  const initState = new Int32Array(slots * 4);
  const lists: ListGroup[] = [];
  let inputBits = 0;
  for (let c = 0; c < C; c++) {
    cores[c].groups.forEach((g, k) => {
      const row = new Array<number>(GROUP_STRIDE).fill(0);
      row[GROUP_FIELDS.core] = c;
      row[GROUP_FIELDS.localFirst] = g.first;
      row[GROUP_FIELDS.globalFirst] = nbase[c] + g.first;
      if (g.kind === 'neurons') {
        const p = g.params;
        row[GROUP_FIELDS.kind] = KIND.neurons;
        row[GROUP_FIELDS.du] = p.du;
        row[GROUP_FIELDS.duInh] = p.duInh;
        row[GROUP_FIELDS.dv] = p.dv;
        row[GROUP_FIELDS.vth] = p.vth >>> 0;
        row[GROUP_FIELDS.reset] = p.reset >>> 0;
        row[GROUP_FIELDS.bias] = p.bias >>> 0;
        row[GROUP_FIELDS.refractory] = p.refractory >>> 0;
        row[GROUP_FIELDS.thetaPlus] = p.thetaPlus >>> 0;
        row[GROUP_FIELDS.dTheta] = p.dTheta;
        if (g.initV !== undefined) for (let i = 0; i < g.count; i++) initState[(nbase[c] + g.first + i) * 4 + 2] = g.initV[i];
      } else if (g.encoding.kind === 'poisson') {
        row[GROUP_FIELDS.kind] = KIND.poisson;
        row[GROUP_FIELDS.a] = g.encoding.threshold >>> 0;
        row[GROUP_FIELDS.b] = g.inputIndex >>> 0;
      } else if (g.encoding.kind === 'periodic') {
        row[GROUP_FIELDS.kind] = KIND.periodic;
        row[GROUP_FIELDS.a] = g.encoding.period >>> 0;
        row[GROUP_FIELDS.b] = g.encoding.phase >>> 0;
      } else {
        row[GROUP_FIELDS.kind] = KIND.list;
        row[GROUP_FIELDS.b] = inputBits;
        const external = g.encoding.kind === 'external';
        lists.push({
          core: c,
          group: k,
          count: g.count,
          bitBase: inputBits,
          external,
          steps: g.encoding.kind === 'spikes' ? g.encoding.steps : new Uint32Array(0),
          neurons: g.encoding.kind === 'spikes' ? g.encoding.neurons : new Uint32Array(0),
        });
        inputBits += g.count;
      }
      slotGroup.fill(groupRows.length, nbase[c] + g.first, nbase[c] + g.first + g.count);
      groupRows.push(row);
    });
  }
  const groupTable = new Uint32Array(Math.max(1, groupRows.length) * GROUP_STRIDE);
  groupRows.forEach((row, i) => groupTable.set(row.map((x) => x >>> 0), i * GROUP_STRIDE));

  // Routes: per padded slot, with the hops the CPU reference charges (X-then-Y on the board's tile mesh).
  const routeStart = new Uint32Array(slots + 1);
  let routes = 0;
  for (let c = 0; c < C; c++) {
    const core = cores[c];
    for (let i = 0; i < nbase[c + 1] - nbase[c]; i++) {
      routeStart[nbase[c] + i] = routes;
      if (i < core.neuronCount) routes += core.routeStart[i + 1] - core.routeStart[i];
    }
  }
  routeStart[slots] = routes;
  const routeTable = new Uint32Array(Math.max(1, routes) * ROUTE_STRIDE);
  const routeSrc = new Uint16Array(routes);
  const routeDst = new Uint16Array(routes);
  const routeSynapses = new Float64Array(routes);
  // Per destination core, the synapses a step can deliver at most: one packet per incoming route.
  const opsBound = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const core = cores[c];
    const base = routeStart[nbase[c]];
    for (let r = 0; r < core.routeCore.length; r++) {
      const dest = core.routeCore[r];
      const axon = core.routeAxon[r];
      const hops = routeHops(image.profile, core.slot, cores[dest].slot);
      const row = (base + r) * ROUTE_STRIDE;
      routeTable[row] = ((dest << 16) | axon) >>> 0;
      routeTable[row + 1] = hops.eastWest;
      routeTable[row + 2] = hops.northSouth;
      routeTable[row + 3] = hops.chipToChip;
      const destAxons = cores[dest].axonStart;
      routeSrc[base + r] = c;
      routeDst[base + r] = dest;
      routeSynapses[base + r] = destAxons[axon + 1] - destAxons[axon];
      opsBound[dest] += destAxons[axon + 1] - destAxons[axon];
    }
  }
  for (let c = 0; c < C; c++) {
    if (opsBound[c] > 0xffffffff) throw new Error(`core ${c} can receive ${opsBound[c]} synaptic ops in one step, more than the webgpu backend counts in 32 bits`);
  }

  return {
    cores: C,
    nbase,
    coreTable,
    slots,
    blocks: slots / BLOCK,
    slotGroup,
    groupTable,
    accumWords: accumBase * 2,
    axonTable,
    synapses,
    routeStart,
    routeTable,
    routes,
    routeSrc,
    routeDst,
    routeSynapses,
    initState,
    recordWords,
    recorded,
    inputWords: Math.ceil(inputBits / 32),
    lists,
  };
}
