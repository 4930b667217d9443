// The WGSL kernels of one time step, as text (tsc carries them into dist/).
// Each step is three dispatches in one compute pass:
//   deliver  (indirect, one workgroup per arrived packet): synapses -> delay-slot accumulators, atomicAdd on i32
//   update   (one workgroup per 64 neuron slots of one core): neurons and inputs, spikes -> packets and a spike bitmap
//   fold     (one workgroup): per-core step counters -> 64-bit totals, the step's record, the next step's setup
// The step's timing (the NoC model of emulator/noc.ts, a sequential event
// simulation) runs on the host from the spike bitmaps (the packets are the
// spiking slots' routes, in the reference's order) and the per-core update counts.
// The arithmetic mirrors emulator/cpu/cpu.ts and isa/fixed.ts, isa/synapse.ts,
// isa/random.ts to the bit; every integer operation is 32-bit, as in the reference.
import { DECAY_BITS, DECAY_ONE, STATE_MAX, STATE_MIN } from '../../isa/fixed.js';
import { STREAM } from '../../isa/random.js';
import type { CounterName } from '../interface.js';
import { BLOCK, CORE_FIELDS, CORE_STRIDE, GROUP_FIELDS, GROUP_STRIDE, KIND, NO_GROUP, ROUTE_STRIDE } from './layout.js';

/** What the kernels count per step and core, in this order; a counter not listed here stays 0 on this backend. */
export const STAT_COUNTERS = [
  'neuron_updates_active',
  'neuron_updates_inactive',
  'spikes',
  'input_spikes',
  'packets',
  'hops_east_west',
  'hops_north_south',
  'hops_chip_to_chip',
  /** Counted by the learn kernels (learning.ts); their per-core step values also time the learn phase. */
  'synaptic_updates',
  'sbp_updates',
] as const satisfies readonly CounterName[];
/** u32 words per core in the step-stats buffer (and 64-bit pairs per core in the totals). */
export const STAT_STRIDE = STAT_COUNTERS.length;
/** u32 words of one step's record: each counter's chip-wide sum (lo, hi), then per core its active and inactive updates, its synaptic updates and its SBP updates. */
export const RECORD_PER_CORE = 4;
export function stepRecordWords(cores: number): number {
  return 2 * STAT_COUNTERS.length + RECORD_PER_CORE * cores;
}

/** Layout of the control buffer (u32 words). */
export const CTL = { t: 0, batchStart: 1, slotOffset: 2, queueCount: 4 } as const;
export const CTL_WORDS = 8;

/** Layout of the uniform parameters (u32 words). */
export const PARAM = {
  seed: 0,
  cyclesSynapticOp: 1,
  cyclesActive: 2,
  cyclesInactive: 3,
  blocks: 4,
  cores: 5,
  queueCap: 6,
  maxWorkgroups: 7,
  recordWords: 8,
  inputWords: 9,
  chunkShift: 10,
  recordStride: 11,
} as const;
export const PARAM_WORDS = 12;

export const FOLD_THREADS = 128;

const u = (x: number): string => `${x >>> 0}u`;
const i = (x: number): string => (x < 0 ? `(${x + 1}i - 1i)` : `${x}i`);

const PARAMS_STRUCT = `
struct Params { w: array<vec4<u32>, ${PARAM_WORDS / 4}> }
@group(0) @binding(0) var<uniform> params: Params;
fn param(k: u32) -> u32 { return params.w[k / 4u][k % 4u]; }
`;

/** The lowbias32 counter hash and random32 of isa/random.ts, in u32 arithmetic (multiplication wraps, as Math.imul). */
export const WGSL_RANDOM = `
fn hash32(x0: u32) -> u32 {
  var x = x0;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  x = x ^ (x >> 16u);
  return x;
}
fn random32(seed: u32, stream: u32, a: u32, b: u32) -> u32 {
  var h = hash32(seed ^ 0x9e3779b9u);
  h = hash32(h + stream);
  h = hash32(h ^ a);
  return hash32(h + b);
}
`;

/**
 * isa/fixed.ts in i32. Exact for every value the contract allows: state, reset
 * and bias inside the 24-bit state range (createWebGpuEmulator checks), so
 * every product and sum stays below 2^31, as in the reference.
 */
export const WGSL_FIXED = `
const STATE_MAX: i32 = ${i(STATE_MAX)};
const STATE_MIN: i32 = ${i(STATE_MIN)};
fn clampState(x: i32) -> i32 { return clamp(x, STATE_MIN, STATE_MAX); }
fn decay(x: i32, d: i32) -> i32 {
  let k = ${i(DECAY_ONE)} - d;
  let mag = select(x, -x, x < 0i);
  let r = (mag >> ${u(DECAY_BITS)}) * k + (((mag & ${i(DECAY_ONE - 1)}) * k) >> ${u(DECAY_BITS)});
  return select(r, -r, x < 0i);
}
`;

/** Synapse words, split over `chunks` storage bindings (2^chunkShift words each) to stay inside the binding limit. */
function synapseAccess(chunks: number, firstBinding: number): string {
  const decls = Array.from({ length: chunks }, (_, k) => `@group(0) @binding(${firstBinding + k}) var<storage, read> syn${k}: array<u32>;`).join('\n');
  if (chunks === 1) return `${decls}\nfn synapse(s: u32) -> u32 { return syn0[s]; }\n`;
  const cases = Array.from({ length: chunks }, (_, k) => `    case ${k}u: { return syn${k}[s & mask]; }`).join('\n');
  return `${decls}
fn synapse(s: u32) -> u32 {
  let shift = param(${PARAM.chunkShift}u);
  let mask = (1u << shift) - 1u;
  switch (s >> shift) {
${cases}
    default: { return syn${chunks - 1}[s & mask]; }
  }
}
`;
}

/** Phase 1: the packets that arrived (sent in step t - 1) add their synapses into the delay slots. */
export function deliverShader(chunks: number): string {
  return `${PARAMS_STRUCT}
@group(0) @binding(1) var<storage, read> ctl: array<u32, ${CTL_WORDS}>;
@group(0) @binding(2) var<storage, read> cores: array<u32>;
@group(0) @binding(3) var<storage, read> axons: array<u32>;
@group(0) @binding(4) var<storage, read> queue: array<u32>;
@group(0) @binding(5) var<storage, read> routes: array<u32>;
@group(0) @binding(6) var<storage, read_write> accum: array<atomic<i32>>;
${synapseAccess(chunks, 7)}
@compute @workgroup_size(${BLOCK})
fn deliver(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = ctl[${CTL.t}];
  let parity = t & 1u;
  let count = ctl[${CTL.queueCount}u + parity];
  for (var p = wid.x; p < count; p = p + nwg.x) {
    // The queue holds global route indices (in source core, slot, route order: a host-side NoC model can sort them).
    let packet = routes[queue[parity * param(${PARAM.queueCap}u) + p] * ${u(ROUTE_STRIDE)}];
    let core = packet >> 16u;
    let row = core * ${u(CORE_STRIDE)};
    let n = cores[row + ${u(CORE_FIELDS.n)}];
    let accumBase = cores[row + ${u(CORE_FIELDS.accumBase)}];
    let slots = cores[row + ${u(CORE_FIELDS.slots)}];
    let axon = cores[row + ${u(CORE_FIELDS.axonBase)}] + (packet & 0xffffu);
    let start = axons[axon * 2u];
    let end = axons[axon * 2u + 2u];
    let exp = axons[axon * 2u + 1u];
    // (t - 1 + d) mod D, with t >= 1 whenever a packet is in flight.
    let sent = (t + slots - 1u) % slots;
    for (var s = start + lid; s < end; s = s + ${u(BLOCK)}) {
      let word = synapse(s);
      var slot = sent + (word & 0xffu);
      if (slot >= slots) { slot = slot - slots; }
      let w = (bitcast<i32>(word << 16u) >> 24u) << exp;
      // The weight's sign picks the current: non-negative -> excitatory (even word), negative -> inhibitory (odd word).
      let index = (accumBase + slot * n + (word >> 16u)) * 2u + select(0u, 1u, w < 0i);
      atomicAdd(&accum[index], w);
    }
  }
}
`;
}

const S = (name: (typeof STAT_COUNTERS)[number]): string => u(STAT_COUNTERS.indexOf(name));

/** Phase 2: every neuron slot of every core: the neuron update or the input generator, then the spike's packets. */
export function updateShader(): string {
  const G = GROUP_FIELDS;
  return `${PARAMS_STRUCT}${WGSL_RANDOM}${WGSL_FIXED}
@group(0) @binding(1) var<storage, read_write> ctl: array<atomic<u32>, ${CTL_WORDS}>;
@group(0) @binding(2) var<storage, read> cores: array<u32>;
@group(0) @binding(3) var<storage, read> slotGroup: array<u32>;
@group(0) @binding(4) var<storage, read> groups: array<u32>;
@group(0) @binding(5) var<storage, read_write> accum: array<i32>;
@group(0) @binding(6) var<storage, read_write> state: array<vec4<i32>>;
@group(0) @binding(7) var<storage, read_write> state2: array<vec2<u32>>;
@group(0) @binding(8) var<storage, read> routeStart: array<u32>;
@group(0) @binding(9) var<storage, read> routes: array<u32>;
@group(0) @binding(10) var<storage, read_write> queue: array<u32>;
@group(0) @binding(11) var<storage, read_write> stats: array<atomic<u32>>;
@group(0) @binding(12) var<storage, read_write> recordBits: array<u32>;
@group(0) @binding(13) var<storage, read> inputBits: array<u32>;

var<workgroup> wStats: array<atomic<u32>, ${STAT_STRIDE}>;
var<workgroup> wBits: array<atomic<u32>, ${BLOCK / 32}>;

fn g(group: u32, field: u32) -> u32 { return groups[group * ${u(GROUP_STRIDE)} + field]; }
fn gi(group: u32, field: u32) -> i32 { return bitcast<i32>(g(group, field)); }

/** cpuLifStep for one slot; returns whether it spiked and counts it active or inactive. */
fn lifStep(group: u32, slot: u32, accumIndex: u32) -> bool {
  let inE = accum[accumIndex];
  let inI = accum[accumIndex + 1u];
  accum[accumIndex] = 0i;
  accum[accumIndex + 1u] = 0i;
  let s = state[slot];
  let e0 = s.x;
  let i0 = s.y;
  let v0 = s.z;
  let th0 = s.w;
  let r = bitcast<i32>(state2[slot].x);
  let bias = gi(group, ${u(G.bias)});
  if ((e0 | i0 | v0 | th0 | inE | inI | bias | r) != 0i) {
    atomicAdd(&wStats[${S('neuron_updates_active')}], 1u);
  } else {
    atomicAdd(&wStats[${S('neuron_updates_inactive')}], 1u);
  }
  let e1 = clampState(decay(e0, gi(group, ${u(G.du)})) + clampState(inE));
  let i1 = clampState(decay(i0, gi(group, ${u(G.duInh)})) + clampState(inI));
  var v1 = clampState(decay(v0, gi(group, ${u(G.dv)})) + e1 + i1 + bias);
  var th1 = decay(th0, gi(group, ${u(G.dTheta)}));
  var fired = false;
  var r1 = r;
  let reset = gi(group, ${u(G.reset)});
  if (r > 0i) {
    v1 = reset;
    r1 = r - 1i;
  } else if (v1 - th0 >= gi(group, ${u(G.vth)})) {
    fired = true;
    v1 = reset;
    r1 = gi(group, ${u(G.refractory)});
    th1 = min(th1 + gi(group, ${u(G.thetaPlus)}), STATE_MAX);
  }
  state[slot] = vec4<i32>(e1, i1, v1, th1);
  state2[slot].x = bitcast<u32>(r1);
  return fired;
}

@compute @workgroup_size(${BLOCK})
fn update(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let block = wid.x + wid.y * param(${PARAM.maxWorkgroups}u);
  let inRange = block < param(${PARAM.blocks}u);
  let t = atomicLoad(&ctl[${CTL.t}]);
  let stepIndex = atomicLoad(&ctl[${CTL.slotOffset}]) + t - atomicLoad(&ctl[${CTL.batchStart}]);
  var core = 0u;
  if (inRange) {
    let slot = block * ${u(BLOCK)} + lid;
    // A block's first slot always holds a neuron: blocks start at a core's first slot.
    core = g(slotGroup[block * ${u(BLOCK)}], ${u(G.core)});
    let group = slotGroup[slot];
    if (group != ${u(NO_GROUP)}) {
      let k = slot - g(group, ${u(G.globalFirst)});
      let kind = g(group, ${u(G.kind)});
      var fired = false;
      if (kind == ${u(KIND.neurons)}) {
        let row = core * ${u(CORE_STRIDE)};
        let n = cores[row + ${u(CORE_FIELDS.n)}];
        let local = g(group, ${u(G.localFirst)}) + k;
        let accumIndex = (cores[row + ${u(CORE_FIELDS.accumBase)}] + (t % cores[row + ${u(CORE_FIELDS.slots)}]) * n + local) * 2u;
        fired = lifStep(group, slot, accumIndex);
        if (fired) { atomicAdd(&wStats[${S('spikes')}], 1u); }
      } else {
        if (kind == ${u(KIND.poisson)}) {
          fired = random32(param(${PARAM.seed}u), ${u(STREAM.poisson)}, t, g(group, ${u(G.b)}) + k) < g(group, ${u(G.a)});
        } else if (kind == ${u(KIND.periodic)}) {
          let phase = g(group, ${u(G.b)});
          fired = t >= phase && (t - phase) % g(group, ${u(G.a)}) == 0u;
        } else {
          let bit = g(group, ${u(G.b)}) + k;
          fired = ((inputBits[stepIndex * param(${PARAM.inputWords}u) + (bit >> 5u)] >> (bit & 31u)) & 1u) == 1u;
        }
        if (fired) { atomicAdd(&wStats[${S('input_spikes')}], 1u); }
      }
      if (fired) {
        state2[slot].y = state2[slot].y + 1u;
        atomicOr(&wBits[lid >> 5u], 1u << (lid & 31u));
        // One packet per route, into the queue that step t + 1 delivers.
        let parity = (t + 1u) & 1u;
        let base = parity * param(${PARAM.queueCap}u);
        let end = routeStart[slot + 1u];
        var hopsEW = 0u;
        var hopsNS = 0u;
        var hopsChip = 0u;
        for (var r = routeStart[slot]; r < end; r = r + 1u) {
          let at = atomicAdd(&ctl[${CTL.queueCount}u + parity], 1u);
          let row = r * ${u(ROUTE_STRIDE)};
          queue[base + at] = r;
          hopsEW = hopsEW + routes[row + 1u];
          hopsNS = hopsNS + routes[row + 2u];
          hopsChip = hopsChip + routes[row + 3u];
        }
        let packets = end - routeStart[slot];
        if (packets > 0u) {
          atomicAdd(&wStats[${S('packets')}], packets);
          atomicAdd(&wStats[${S('hops_east_west')}], hopsEW);
          atomicAdd(&wStats[${S('hops_north_south')}], hopsNS);
          atomicAdd(&wStats[${S('hops_chip_to_chip')}], hopsChip);
        }
      }
    }
  }
  workgroupBarrier();
  if (inRange && lid == 0u) {
    for (var k = 0u; k < ${u(STAT_STRIDE)}; k = k + 1u) {
      let x = atomicLoad(&wStats[k]);
      if (x != 0u) { atomicAdd(&stats[core * ${u(STAT_STRIDE)} + k], x); }
    }
    let at = stepIndex * param(${PARAM.recordWords}u) + cores[core * ${u(CORE_STRIDE)} + ${u(CORE_FIELDS.recordWord)}] + (block * ${u(BLOCK)} - cores[core * ${u(CORE_STRIDE)} + ${u(CORE_FIELDS.nbase)}]) / 32u;
    for (var w = 0u; w < ${u(BLOCK / 32)}; w = w + 1u) { recordBits[at + w] = atomicLoad(&wBits[w]); }
  }
}
`;
}

/** Phase 3: fold the step's per-core counts into 64-bit totals, record the step, set up step t + 1. */
export function foldShader(): string {
  return `${PARAMS_STRUCT}
@group(0) @binding(1) var<storage, read_write> ctl: array<u32, ${CTL_WORDS}>;
@group(0) @binding(2) var<storage, read_write> stats: array<u32>;
@group(0) @binding(3) var<storage, read_write> totals: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> steps: array<u32>;
@group(0) @binding(5) var<storage, read_write> args: array<u32, 4>;

const COUNTERS: u32 = ${u(STAT_COUNTERS.length)};
var<workgroup> wSum: array<array<vec2<u32>, ${STAT_COUNTERS.length}>, ${FOLD_THREADS}>;

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

@compute @workgroup_size(${FOLD_THREADS})
fn fold(@builtin(local_invocation_index) lid: u32) {
  let t = ctl[${CTL.t}];
  let at = (ctl[${CTL.slotOffset}] + t - ctl[${CTL.batchStart}]) * param(${PARAM.recordStride}u);
  var sums: array<vec2<u32>, ${STAT_COUNTERS.length}>;
  for (var c = lid; c < param(${PARAM.cores}u); c = c + ${u(FOLD_THREADS)}) {
    let row = c * ${u(STAT_STRIDE)};
    for (var k = 0u; k < COUNTERS; k = k + 1u) {
      let x = stats[row + k];
      totals[row + k] = add64(totals[row + k], vec2<u32>(x, 0u));
      sums[k] = add64(sums[k], vec2<u32>(x, 0u));
    }
    // The host times the step from each core's update work (emulator/noc.ts runs there).
    steps[at + 2u * COUNTERS + ${u(RECORD_PER_CORE)} * c] = stats[row + ${S('neuron_updates_active')}];
    steps[at + 2u * COUNTERS + ${u(RECORD_PER_CORE)} * c + 1u] = stats[row + ${S('neuron_updates_inactive')}];
    steps[at + 2u * COUNTERS + ${u(RECORD_PER_CORE)} * c + 2u] = stats[row + ${S('synaptic_updates')}];
    steps[at + 2u * COUNTERS + ${u(RECORD_PER_CORE)} * c + 3u] = stats[row + ${S('sbp_updates')}];
    for (var k = 0u; k < COUNTERS; k = k + 1u) { stats[row + k] = 0u; }
  }
  wSum[lid] = sums;
  workgroupBarrier();
  for (var half = ${u(FOLD_THREADS / 2)}; half > 0u; half = half >> 1u) {
    if (lid < half) {
      for (var k = 0u; k < COUNTERS; k = k + 1u) { wSum[lid][k] = add64(wSum[lid][k], wSum[lid + half][k]); }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    for (var k = 0u; k < COUNTERS; k = k + 1u) {
      steps[at + 2u * k] = wSum[0][k].x;
      steps[at + 2u * k + 1u] = wSum[0][k].y;
    }
    // The queue delivered in step t is refilled in step t + 1; the one filled in step t is delivered next.
    ctl[${CTL.queueCount}u + (t & 1u)] = 0u;
    args[0] = min(ctl[${CTL.queueCount}u + ((t + 1u) & 1u)], param(${PARAM.maxWorkgroups}u));
    args[1] = 1u;
    args[2] = 1u;
    ctl[${CTL.t}] = t + 1u;
  }
}
`;
}
