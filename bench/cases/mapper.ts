// The mapper on a large network: 50,000 neurons, over 5 million synapses, 40
// modules with mixed rates, declared the way people write them (every input
// first, then every population), which puts each input far from its module
// when cores are filled in order. Figures: the traffic cost of the placement
// against in-order (target: at most half), the hops per spike the emulator
// measures on both images, compile time (target: under 30 s on the 2-core
// machine), peak memory, and the bytes per synapse of the synapse tables.
import { compileSource, hasErrors, renderDiagnostic } from '../../compiler/index.js';
import type { MappedNetwork } from '../../compiler/mapper.js';
import { createEmulator } from '../../emulator/index.js';
import type { ChipImage } from '../../isa/image/types.js';
import { SYNAPSE_BYTES } from '../../isa/synapse.js';
import { peakRssBytes, timed, type BenchCase, type BenchContext } from '../harness.js';

export const MODULES = 40;
const INPUT_SIZE = 250;
const MODULE_SIZE = 1000;
const STEPS = 300;

/** The benchmark's program: MODULES x (input[250] -> exc[1000], recurrent, and a chain to the next module). */
export function largeNetworkSource(modules = MODULES): string {
  const rates = [20, 50, 100];
  const lines = [
    'target "loihi-like" { dt = 1 ms }',
    'neuron Exc { model = lif; tau_mem = 20 ms; tau_syn = 5 ms; threshold = 1.0; reset = 0.0; refractory = 2 ms }',
  ];
  for (let m = 0; m < modules; m++) lines.push(`input in${m}[${INPUT_SIZE}] { encoding = poisson(max_rate = ${rates[m % 3]} Hz) }`);
  for (let m = 0; m < modules; m++) lines.push(`population e${m}[${MODULE_SIZE}] : Exc { rate = ${m % 2 === 0 ? 20 : 5} Hz }`);
  for (let m = 0; m < modules; m++) {
    lines.push(`connect in${m} -> e${m} { pattern = random(p = 0.2, seed = ${m + 1}); weight = uniform(0, 0.012) }`);
    lines.push(`connect e${m} -> e${m} { pattern = random(p = 0.06, seed = ${1000 + m}); weight = uniform(-0.02, 0.01) }`);
    if (m + 1 < modules) lines.push(`connect e${m} -> e${m + 1} { pattern = random(p = 0.02, seed = ${2000 + m}); weight = uniform(0, 0.01); delay = 2 ms }`);
  }
  return `${lines.join('\n')}\n`;
}

function compileOrThrow(text: string, placement: 'traffic' | 'in-order'): { image: ChipImage; mapped: MappedNetwork } {
  const r = compileSource(text, 'bench/mapper-large.snn', { map: { placement, seed: 1 } });
  if (hasErrors(r.diagnostics) || !r.image || !r.mapped) {
    throw new Error(`the benchmark network does not compile:\n${r.diagnostics.map((d) => renderDiagnostic(d, text)).join('\n')}`);
  }
  return { image: r.image, mapped: r.mapped };
}

/** Runs an image on the CPU emulator; hops per spike and per packet from its counters. */
async function measureHops(image: ChipImage): Promise<{ spikes: number; packets: number; hops: number; chipHops: number }> {
  const emulator = await createEmulator('cpu', image, { seed: 1 });
  try {
    await emulator.run(STEPS);
    const c = emulator.counters().total;
    return {
      spikes: c.spikes + c.input_spikes,
      packets: c.packets,
      hops: c.hops_east_west + c.hops_north_south + c.hops_chip_to_chip,
      chipHops: c.hops_chip_to_chip,
    };
  } finally {
    emulator.dispose();
  }
}

async function run(ctx: BenchContext): Promise<void> {
  const text = largeNetworkSource();
  const placed = await timed(() => compileOrThrow(text, 'traffic'));
  const { image, mapped } = placed.value;
  const inOrder = compileOrThrow(text, 'in-order');
  const synapses = image.cores.reduce((n, c) => n + c.synapses.length, 0);
  const neurons = image.cores.reduce((n, c) => n + c.neuronCount, 0);
  // Bytes of the synapse tables as the image stores them: packed synapses, plus each axon's start and exponent.
  const tableBytes = image.cores.reduce((n, c) => n + c.synapses.length * SYNAPSE_BYTES + c.axonStart.length * 4 + c.axonWeightExp.length, 0);
  const d = mapped.decisions;
  ctx.log(`network: ${neurons} neurons, ${synapses} synapses, ${image.symbols.populations.length} populations; ${image.cores.length} cores on ${d.chips} chip(s) of ${d.coresPerChip}`);
  ctx.log(`compile (traffic placement): ${placed.seconds.toFixed(2)} s (target < 30 s); fill passes ${d.fillPasses}; peak RSS ${(peakRssBytes() / 2 ** 20).toFixed(0)} MiB`);
  const cost = d.placement.cost;
  ctx.log(`traffic cost: final ${cost.final.toFixed(1)}, greedy ${cost.greedy.toFixed(1)}, in-order ${cost.inOrder.toFixed(1)}: final / in-order = ${(cost.final / cost.inOrder).toFixed(3)} (target <= 0.5)`);
  ctx.log(`synapse tables: ${(synapses * SYNAPSE_BYTES / synapses).toFixed(2)} B per synapse of synapse memory, ${(tableBytes / synapses).toFixed(3)} B with the axon index (16-bit targets: every core holds <= 1024 neurons)`);
  const a = await timed(() => measureHops(image));
  const b = await timed(() => measureHops(inOrder.image));
  const per = (x: number, n: number): string => (n > 0 ? (x / n).toFixed(3) : 'n/a');
  ctx.log(`emulator, ${STEPS} steps: placed ${a.value.spikes} spikes, ${a.value.packets} packets, ${per(a.value.hops, a.value.spikes)} hops per spike (${per(a.value.hops, a.value.packets)} per packet, ${a.value.chipHops} chip-to-chip) in ${a.seconds.toFixed(1)} s`);
  ctx.log(`                     in-order ${b.value.spikes} spikes, ${b.value.packets} packets, ${per(b.value.hops, b.value.spikes)} hops per spike (${per(b.value.hops, b.value.packets)} per packet, ${b.value.chipHops} chip-to-chip) in ${b.seconds.toFixed(1)} s`);
  ctx.record('neurons', neurons, 'neurons');
  ctx.record('synapses', synapses, 'synapses');
  ctx.record('cores', image.cores.length, 'cores');
  ctx.record('chips', d.chips, 'chips');
  ctx.record('compile_s', placed.seconds, 's');
  ctx.record('peak_rss_bytes', peakRssBytes(), 'B');
  ctx.record('traffic_cost_final', cost.final, 'packet-hops/step');
  ctx.record('traffic_cost_in_order', cost.inOrder, 'packet-hops/step');
  ctx.record('traffic_cost_ratio', cost.final / cost.inOrder, 'ratio');
  ctx.record('synapse_memory_bytes_per_synapse', SYNAPSE_BYTES, 'B');
  ctx.record('synapse_table_bytes_per_synapse', tableBytes / synapses, 'B');
  ctx.record('hops_per_spike_placed', a.value.hops / Math.max(1, a.value.spikes), 'hops');
  ctx.record('hops_per_spike_in_order', b.value.hops / Math.max(1, b.value.spikes), 'hops');
}

export const MAPPER_CASE: BenchCase = {
  name: 'mapper',
  description: `partition, place and route ${MODULES * (INPUT_SIZE + MODULE_SIZE)} neurons / 5M+ synapses; traffic cost and hops per spike vs in-order`,
  run,
};
