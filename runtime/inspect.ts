// `meso inspect`: what is on the chip, in the user's names: populations and
// where they live, each core's use of its limits, neuron parameters, routing.
import { match } from 'ts-pattern';
import { DECAY_ONE, UNIT } from '../isa/fixed.js';
import type { ChipImage, CoreGroup, CoreImage } from '../isa/image/types.js';
import { corePosition, tilesUsed } from '../isa/profile.js';
import { synapseMemoryBytes } from '../isa/synapse.js';
import { formatLearning } from './inspect-learning.js';
import { buildMapReport, formatMapReport } from '../compiler/map-report.js';
import type { MapDecisions } from '../compiler/mapper.js';
import { imageRates, type PopulationRate } from '../compiler/traffic.js';

function pct(used: number, limit: number): string {
  return `${((100 * used) / limit).toFixed(1)}%`;
}

function describeGroup(g: CoreGroup, image: ChipImage): string {
  const range = `slots ${g.first}..${g.first + g.count - 1}`;
  return match(g)
    .with({ kind: 'neurons' }, ({ params: p, initV }) => {
      const dt = image.dtS;
      const tau = (d: number): string => (d === 0 ? 'none' : d >= DECAY_ONE ? '0' : `${((-dt / Math.log(1 - d / DECAY_ONE)) * 1e3).toFixed(2)} ms`);
      const model = p.thetaPlus > 0 ? 'alif' : p.dv === 0 ? 'if' : 'lif';
      const adapt = p.thetaPlus > 0 ? ` theta_plus=${p.thetaPlus / UNIT} dTheta=${p.dTheta} (tau_adapt ${tau(p.dTheta)})` : '';
      const init = initV === undefined ? '' : ' v initialised per neuron';
      return `${range}: ${model} du=${p.du} (tau_syn_exc ${tau(p.du)}) duInh=${p.duInh} (tau_syn_inh ${tau(p.duInh)}) dv=${p.dv} (tau_mem ${tau(p.dv)}) vth=${p.vth} (${p.vth / UNIT}) reset=${p.reset / UNIT} bias=${p.bias / UNIT} refractory=${p.refractory} steps${adapt}${init}`;
    })
    .with({ kind: 'input' }, ({ encoding }) =>
      match(encoding)
        .with({ kind: 'poisson' }, ({ threshold }) => `${range}: input poisson, p=${(threshold / 4294967296).toPrecision(4)} per step (${(threshold / 4294967296 / image.dtS).toPrecision(4)} Hz)`)
        .with({ kind: 'periodic' }, ({ period, phase }) => `${range}: input periodic, every ${period} steps from step ${phase}`)
        .with({ kind: 'spikes' }, ({ steps }) => `${range}: input from a file, ${steps.length} spikes`)
        .with({ kind: 'external' }, () => `${range}: input external (fed at run time)`)
        .exhaustive(),
    )
    .exhaustive();
}

function describeCore(core: CoreImage, index: number, image: ChipImage): string[] {
  const { limits } = image.profile;
  const pos = corePosition(image.profile, core.slot);
  const axons = core.axonStart.length - 1;
  const bytes = synapseMemoryBytes(core.synapses.length);
  const lines = [
    `core ${index} (slot ${core.slot}, tile ${pos.tile} at x=${pos.x} y=${pos.y})`,
    `  neurons        ${String(core.neuronCount).padStart(8)} / ${limits.neuronsPerCore}  ${pct(core.neuronCount, limits.neuronsPerCore)}`,
    `  synapse memory ${String(bytes).padStart(8)} / ${limits.synapseMemoryBytes} B  ${pct(bytes, limits.synapseMemoryBytes)}  (${core.synapses.length} synapses)`,
    `  input axons    ${String(axons).padStart(8)} / ${limits.inputAxonsPerCore}  ${pct(axons, limits.inputAxonsPerCore)}`,
    `  output routes  ${String(core.routeCore.length).padStart(8)} / ${limits.outputAxonsPerCore}  ${pct(core.routeCore.length, limits.outputAxonsPerCore)}`,
  ];
  const dests = new Map<number, number>();
  for (let r = 0; r < core.routeCore.length; r++) dests.set(core.routeCore[r], (dests.get(core.routeCore[r]) ?? 0) + 1);
  if (dests.size > 0) {
    lines.push(`  routes to      ${[...dests.entries()].sort((a, b) => a[0] - b[0]).map(([c, n]) => `core ${c} (${n})`).join(', ')}`);
  }
  for (const g of core.groups) lines.push(`  ${describeGroup(g, image)}`);
  return lines;
}

/**
 * What `meso inspect` prints. `rates`: the expected rate per population for the
 * map section (from the program when inspecting a .snn; else read from the image).
 */
export function formatInspect(image: ChipImage, rates?: readonly PopulationRate[], decisions?: MapDecisions): string {
  const synapses = image.cores.reduce((n, c) => n + c.synapses.length, 0);
  const lines = [
    `image of ${image.symbols.source}`,
    `chip ${image.profile.name}: ${image.profile.description}`,
    `dt ${image.dtS * 1e3} ms; ${image.cores.length} cores in ${tilesUsed(image)} tiles; ${synapses} synapses`,
    '',
    'populations',
  ];
  for (const pop of image.symbols.populations) {
    const where = pop.pieces.map((p) => `core ${p.core} slots ${p.first}..${p.first + p.count - 1}`).join(', ');
    const probed = image.symbols.probes.includes(pop.name) ? ', probed' : '';
    lines.push(`  ${pop.name}[${pop.size}] ${pop.kind}${probed} (line ${pop.line}): ${where}`);
  }
  image.cores.forEach((core, i) => lines.push('', ...describeCore(core, i, image)));
  const learning = formatLearning(image);
  if (learning.length > 0) lines.push('', ...learning);
  const map = buildMapReport(image, rates ?? imageRates(image), decisions);
  lines.push('', 'map', formatMapReport(map, image));
  return lines.join('\n');
}
