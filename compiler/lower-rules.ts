// Lowering learning to the chip: checked rules (compiler/rules.ts) become
// microcode (isa/learning/isa.ts), and the mapped network's plastic
// projections become the image's learning section (isa/learning/image.ts):
// which axons of which core carry which projection's plastic synapses.
import { decayConstant, UNIT } from '../isa/fixed.js';
import { OPERAND_MAX, OPERAND_ONE } from '../isa/learning/constants.js';
import type { LearningImage, LearningRule, PlasticProjection, PlasticSet, TeachBinding } from '../isa/learning/image.js';
import { encode, quantizeCoefficient, quantizeGain, type Instruction } from '../isa/learning/isa.js';
import type { EventName, OperandName, TraceName } from '../isa/learning/symbols.js';
import { probabilityThreshold } from '../isa/random.js';
import { synapseTarget } from '../isa/synapse.js';
import type { CoreImage } from '../isa/image/types.js';
import { weightBound } from './connectivity.js';
import type { NetworkIR, ProjectionIR, RuleIR, WeightIR } from './ir.js';
import type { MappedNetwork } from './mapper.js';

/** A rule's microcode, with the source line of each instruction. */
export interface LoweredRule {
  readonly program: Uint32Array;
  readonly instructions: readonly Instruction[];
  readonly sourceLines: Uint32Array;
}

const clampI32 = (x: number): number => Math.max(-0x80000000, Math.min(0x7fffffff, x));

/** The microcode of one checked rule. Every value was checked to fit, so this cannot fail. */
export function lowerRule(rule: RuleIR, dtS: number): LoweredRule {
  const out: Instruction[] = [];
  const lines: number[] = [];
  const push = (ins: Instruction, line: number): void => {
    out.push(ins);
    lines.push(line);
  };
  for (const t of rule.traces) {
    const impulse = Math.min(OPERAND_MAX, Math.round(t.impulse * OPERAND_ONE));
    push({ op: 'trace', trace: t.name as TraceName, decay: decayConstant(t.tauS, dtS), impulse }, t.span.line);
  }
  push({ op: 'epoch', steps: rule.epochSteps }, rule.epochSpan?.line ?? rule.span.line);
  if (rule.bounds !== undefined) {
    push({ op: 'bounds', low: clampI32(Math.round(rule.bounds.low * UNIT)), high: clampI32(Math.round(rule.bounds.high * UNIT)) }, rule.bounds.span.line);
  }
  const sbp = rule.sbp;
  if (sbp !== undefined) {
    push(
      {
        op: 'sbp',
        mode: sbp.mode,
        normalize: sbp.normalize,
        polarity: sbp.polarity,
        source: sbp.source,
        backward: quantizeGain(sbp.backward * sbp.fraction),
        lateralPre: quantizeGain(sbp.lateralPre * sbp.fraction),
        lateralPost: quantizeGain(sbp.lateralPost * sbp.fraction),
      },
      sbp.span.line,
    );
  }
  for (const e of rule.events) {
    push({ op: 'event', event: e.event as EventName, products: e.products.length }, e.span.line);
    for (const p of e.products) {
      const coef = quantizeCoefficient(p.coefficient);
      if (coef === undefined) throw new Error(`lowerRule: the checker passed coefficient ${p.coefficient}, which has no microcode form`);
      push({ op: 'product', mantissa: coef.mantissa, exponent: coef.exponent, factors: p.factors as OperandName[] }, p.span.line);
    }
  }
  return { program: encode(out), instructions: out, sourceLines: Uint32Array.from(lines) };
}

/**
 * The weight range a plastic projection's format must hold: its initial
 * weights and its rule's bounds, so that learning can move a weight anywhere
 * in the bounds. Undefined for a fixed projection or a rule without bounds.
 */
export function plasticWeightRange(network: NetworkIR, proj: ProjectionIR): WeightIR | undefined {
  const rule = proj.learn === undefined ? undefined : network.rules?.[proj.learn];
  if (rule?.bounds === undefined) return undefined;
  const b = Math.max(weightBound(proj.weight), Math.abs(rule.bounds.low), Math.abs(rule.bounds.high));
  return { kind: 'uniform', low: -b, high: b };
}

/** The lines of a rule block, from its keyword to its closing brace when that follows the last item. */
function ruleText(rule: RuleIR, text: string | undefined): string {
  if (text === undefined) return '';
  const lines = text.split('\n');
  let end = rule.endLine;
  if (end < lines.length && lines[end].trim().startsWith('}')) end++;
  return lines.slice(rule.span.line - 1, end).join('\n');
}

/** The image's learning section; undefined when nothing learns and nothing is taught. */
export function buildLearning(network: NetworkIR, mapped: MappedNetwork, sources?: ReadonlyMap<string, string>): LearningImage | undefined {
  const rulesIR = network.rules ?? [];
  const teachIR = network.teach ?? [];
  const plastic = network.projections.flatMap((p, k) => (p.learn === undefined ? [] : [k]));
  if (rulesIR.length === 0 && teachIR.length === 0) return undefined;
  const dt = network.target.dtS;
  const rules: LearningRule[] = rulesIR.map((r) => {
    const lowered = lowerRule(r, dt);
    return { name: r.name, line: r.span.line, text: ruleText(r, sources?.get(r.span.file)), program: lowered.program, sourceLines: lowered.sourceLines };
  });
  const learnIndex = new Map(plastic.map((k, i) => [k, i]));
  const projections: PlasticProjection[] = plastic.map((k) => {
    const p = network.projections[k];
    const rule = p.learn as number;
    const source = rulesIR[rule].sbp?.source;
    const sources = source === undefined ? [] : plastic.filter((m) => network.projections[m].pre === p.post && network.projections[m].learn === source).map((m) => learnIndex.get(m) as number);
    return { rule, pre: p.pre, post: p.post, sources: Uint32Array.from(sources) };
  });
  const teach: TeachBinding[] = teachIR.map((t) => ({ population: t.population, threshold: probabilityThreshold(t.rateHz * dt) }));
  const cores = mapped.cores.map((core, c) => plasticSets(core, mapped.axonKeys[c], mapped.axonBase, learnIndex));
  return { rules, projections, teach, cores };
}

/** The runs of a core's axons that carry plastic projections. */
function plasticSets(core: CoreImage, keys: Uint32Array, axonBase: Uint32Array, learnIndex: ReadonlyMap<number, number>): PlasticSet[] {
  const projectionOf = (key: number): number => {
    let lo = 0;
    let hi = axonBase.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (axonBase[mid] <= key) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const sets: PlasticSet[] = [];
  let a = 0;
  while (a < keys.length) {
    const k = projectionOf(keys[a]);
    let end = a + 1;
    while (end < keys.length && keys[end] < axonBase[k + 1]) end++;
    const projection = learnIndex.get(k);
    if (projection !== undefined) {
      let lo = Infinity;
      let hi = -1;
      for (let s = core.axonStart[a]; s < core.axonStart[end]; s++) {
        const t = synapseTarget(core.synapses[s]);
        if (t < lo) lo = t;
        if (t > hi) hi = t;
      }
      if (hi >= 0) {
        const axonPre = new Uint32Array(end - a);
        for (let i = a; i < end; i++) axonPre[i - a] = keys[i] - axonBase[k];
        sets.push({ projection, axonFirst: a, axonCount: end - a, axonPre, postFirst: lo, postCount: hi - lo + 1 });
      }
    }
    a = end;
  }
  return sets;
}
