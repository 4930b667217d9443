// What the training loop needs to know about a compiled program: which
// population the host feeds (the `encoding = external` input), which one is
// taught and read out, and the image with other weights or without SBP.
import { decode, encode, epochSteps, hasProducts, scaleRates } from '../../isa/learning/isa.js';
import type { ChipImage, PopulationSymbol } from '../../isa/image/types.js';
import { UserError } from '../errors.js';

export interface TrainableNetwork {
  readonly image: ChipImage;
  /** The external input population the samples are fed to. */
  readonly input: PopulationSymbol;
  /** The taught population, read out by spike counts. */
  readonly output: PopulationSymbol;
  /** Whether any rule of the image propagates changes by SBP. */
  readonly hasSbp: boolean;
}

function isExternal(image: ChipImage, pop: PopulationSymbol): boolean {
  return pop.kind === 'input' && pop.pieces.length > 0 && pop.pieces.every((piece) =>
    image.cores[piece.core].groups.some((g) => g.kind === 'input' && g.encoding.kind === 'external' && g.first <= piece.first && piece.first < g.first + g.count));
}

/** Finds the input and the output of a trainable image, or says what the program lacks. */
export function trainableNetwork(image: ChipImage, file: string): TrainableNetwork {
  const pops = image.symbols.populations;
  const learning = image.learning;
  if (learning === undefined || learning.teach.length === 0) {
    throw new UserError(`${file}: nothing to train: the program has no \`teach POP from labels { rate = ... }\` (the output population to teach); see examples/mnist_sbp.snn`);
  }
  if (learning.teach.length > 1) {
    throw new UserError(`${file}: \`meso train\` reads out one taught population, and ${learning.teach.length} are taught (${learning.teach.map((t) => pops[t.population].name).join(', ')}); keep one \`teach\``);
  }
  const output = pops[learning.teach[0].population];
  const inputs = pops.filter((p) => isExternal(image, p));
  if (inputs.length !== 1) {
    const found = inputs.length === 0 ? 'none' : inputs.map((p) => `\`${p.name}\``).join(', ');
    throw new UserError(`${file}: \`meso train\` feeds the samples to one input declared \`encoding = external\`, found ${found}; declare e.g. \`input pixels[784] { encoding = external }\``);
  }
  const hasSbp = learning.rules.some((r) => decode(r.program).instructions.some((i) => i.op === 'sbp'));
  return { image, input: inputs[0], output, hasSbp };
}

/**
 * The same image with its rules' SBP instruction removed (--no-sbp): each rule
 * keeps its own local change, nothing propagates back, and SBP costs nothing.
 * A projection whose rule is left with no product to compute (an additive SBP
 * rule without base terms) stops being plastic: a learning engine would not
 * sweep synapses that cannot change, so the run without SBP is not billed for
 * it. Mapping, initial weights and the rest of the program are unchanged, so
 * the comparison with SBP differs in SBP alone.
 */
export function withoutSbp(image: ChipImage): ChipImage {
  const learning = image.learning;
  if (learning === undefined) return image;
  const inert: boolean[] = [];
  const rules = learning.rules.map((rule) => {
    const instructions = decode(rule.program).instructions;
    const keep = instructions.map((ins) => ins.op !== 'sbp');
    inert.push(!hasProducts(instructions));
    return {
      ...rule,
      program: encode(instructions.filter((_, k) => keep[k])),
      sourceLines: Uint32Array.from(Array.from(rule.sourceLines).filter((_, k) => keep[k])),
    };
  });
  // New index of each projection that stays plastic, -1 for one that does not.
  const renumber: number[] = [];
  let kept = 0;
  for (const p of learning.projections) renumber.push(inert[p.rule] ? -1 : kept++);
  const projections = learning.projections.filter((p) => !inert[p.rule]).map((p) => ({ ...p, sources: new Uint32Array(0) }));
  const cores = learning.cores.map((sets) => sets.filter((s) => renumber[s.projection] >= 0).map((s) => ({ ...s, projection: renumber[s.projection] })));
  return { ...image, learning: { ...learning, rules, projections, cores } };
}

/**
 * What to say of each learning rule whose epoch does not line up with a
 * presentation of `stepsPerPresentation` steps (sample and rest): its epochs
 * would straddle two samples and mix their changes (SBP sends one sum per epoch).
 */
export function straddledEpochs(image: ChipImage, stepsPerPresentation: number): string[] {
  const learning = image.learning;
  if (learning === undefined) return [];
  const used = new Set(learning.projections.map((p) => p.rule));
  const out: string[] = [];
  learning.rules.forEach((rule, r) => {
    if (!used.has(r)) return;
    const steps = epochSteps(decode(rule.program).instructions);
    if (stepsPerPresentation % steps === 0) return;
    out.push(
      `rule \`${rule.name}\` has epochs of ${steps} steps, but a sample and its rest last ${stepsPerPresentation} steps, so its epochs straddle samples; ` +
        `set \`epoch = ${stepsPerPresentation} steps\` or choose --steps-per-sample and --rest that add up to a multiple of ${steps}`,
    );
  });
  return out;
}

/** The image with every core's synapse words replaced (learned weights). */
export function withSynapses(image: ChipImage, synapses: readonly Uint32Array[]): ChipImage {
  if (synapses.length !== image.cores.length || synapses.some((s, c) => s.length !== image.cores[c].synapses.length)) {
    throw new Error('withSynapses: the weights do not fit the image (core or synapse counts differ)');
  }
  return { ...image, cores: image.cores.map((core, c) => ({ ...core, synapses: synapses[c] })) };
}

/**
 * The image with every rule's learning rates times `factor` (isa/learning/isa.ts
 * scaleRates): the host reprogramming the learning engine between training
 * epochs. The same instructions in the same order, so each keeps its source line.
 */
export function withRateScale(image: ChipImage, factor: number): ChipImage {
  const learning = image.learning;
  if (learning === undefined || factor === 1) return image;
  const rules = learning.rules.map((rule) => ({ ...rule, program: encode(scaleRates(decode(rule.program).instructions, factor)) }));
  return { ...image, learning: { ...learning, rules } };
}

/** Spike counts of a population's neurons from an Emulator.spikeCounts() snapshot, added into `out`. */
export function populationCounts(pop: PopulationSymbol, counts: readonly Uint32Array[], out: Float64Array, sign: number): void {
  for (const piece of pop.pieces) {
    const core = counts[piece.core];
    for (let k = 0; k < piece.count; k++) out[piece.offset + k] += sign * core[piece.first + k];
  }
}
