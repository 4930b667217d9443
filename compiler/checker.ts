// Checker: AST -> Network IR. Resolves names, reads settings with their units,
// applies defaults and checks every value against the language and the chip
// profile. A user's mistake becomes a diagnostic, never a throw; the network
// is returned only when no error was reported.
import { match } from 'ts-pattern';
import { builtinProfile, builtinProfileNames, DEFAULT_PROFILE, type ChipProfile } from '../isa/profile.js';
import type * as Ast from './ast.js';
import { hasErrors, type Diagnostic } from './diagnostics/diagnostic.js';
import { diag, phrase, PHRASES, quotedList } from './diagnostics/messages.js';
import type { EncodingIR, NetworkIR, NeuronModelIR, PatternIR, PopulationIR, ProjectionIR, SourceSpan, TargetIR, WeightIR } from './ir.js';
import {
  didYouMean,
  describeValue,
  indexSettings,
  nonNegative,
  positive,
  readChoice,
  readPlain,
  readQuantity,
  type Choice,
  type ReadContext,
} from './settings.js';
import { formatSeconds, formatSteps } from './units.js';

export interface CheckResult {
  readonly network: NetworkIR | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** Defaults of a `neuron` block (DESIGN.md section 4). */
export const NEURON_DEFAULTS: NeuronModelIR = {
  model: 'lif',
  tauMemS: 20e-3,
  tauSynS: 5e-3,
  threshold: 1.0,
  reset: 0.0,
  refractoryS: 0,
  bias: 0,
};

export const DEFAULT_DT_S = 1e-3;

const TARGET_KEYS = ['dt'] as const;
const NEURON_KEYS = ['model', 'tau_mem', 'tau_syn', 'threshold', 'reset', 'refractory', 'bias'] as const;
/** A population may override every neuron setting except the model itself. */
const POPULATION_KEYS = NEURON_KEYS.filter((k) => k !== 'model');
const INPUT_KEYS = ['encoding'] as const;
const CONNECT_KEYS = ['pattern', 'weight', 'delay', 'learn'] as const;
const PROBE_ITEMS = ['spikes'] as const;
const SEED_MAX = 0xffffffff;

interface Checker extends ReadContext {
  readonly file: string;
  readonly profile: ChipProfile;
  readonly dtS: number;
}

// ---- target ----

function checkTarget(decls: readonly Ast.TargetDecl[], file: string, report: (d: Diagnostic) => void): { target: TargetIR; profile: ChipProfile } {
  const fallback = (): ChipProfile => {
    const p = builtinProfile(DEFAULT_PROFILE);
    // The default profile ships with the compiler; its absence is a broken install, not a user error.
    if (p === undefined) throw new Error(`built-in chip profile ${DEFAULT_PROFILE} is missing`);
    return p;
  };
  const first = decls[0];
  for (const extra of decls.slice(1)) report(diag('duplicateTarget', extra.keyword, [first.keyword.line]));
  if (first === undefined) {
    return { target: { profile: DEFAULT_PROFILE, dtS: DEFAULT_DT_S, span: { file, line: 1, col: 1, length: 1 } }, profile: fallback() };
  }
  const names = builtinProfileNames();
  const chosen = builtinProfile(first.profile.value);
  if (chosen === undefined) {
    report(diag('unknownProfile', first.profile.span, [first.profile.value, quotedList(names)], didYouMean(first.profile.value, names)));
  }
  const ctx: ReadContext = { report, dtS: undefined };
  const settings = indexSettings(first.settings, 'target', TARGET_KEYS, ctx);
  const dt = settings.get('dt');
  const dtS = dt === undefined ? DEFAULT_DT_S : positive(readQuantity(dt.value, 'dt', 'time', ctx), 'dt', dt.value, ctx);
  return {
    target: { profile: first.profile.value, dtS: dtS ?? DEFAULT_DT_S, span: first.span },
    profile: chosen ?? fallback(),
  };
}

// ---- neurons ----

const MODEL_CHOICES: readonly string[] = ['lif', 'if', 'alif'];

function checkModel(setting: Ast.Setting, ctx: Checker): void {
  const v = setting.value;
  if (v.kind !== 'NameValue') {
    ctx.report(diag('expectedChoice', v.span, ['model', quotedList(MODEL_CHOICES), describeValue(v)]));
    return;
  }
  const name = v.name.text;
  if (name === 'lif') return;
  if (MODEL_CHOICES.includes(name)) ctx.report(diag('unsupportedModel', v.span, [name]));
  else ctx.report(diag('unknownChoice', v.span, [PHRASES.modelWord, name, quotedList(MODEL_CHOICES)], didYouMean(name, MODEL_CHOICES)));
}

/** Applies neuron settings over `base`; a rejected value keeps the base value. */
function applyNeuronSettings(base: NeuronModelIR, settings: ReadonlyMap<string, Ast.Setting>, ctx: Checker): NeuronModelIR {
  const read = (key: string, how: (v: Ast.Value) => number | undefined, current: number): number => {
    const s = settings.get(key);
    return s === undefined ? current : (how(s.value) ?? current);
  };
  const time = (key: string, bound: typeof positive) => (v: Ast.Value) => bound(readQuantity(v, key, 'time', ctx), key, v, ctx);
  const plain = (key: string, bound?: typeof positive) => (v: Ast.Value) => {
    const x = readPlain(v, key, ctx);
    return bound === undefined ? x : bound(x, key, v, ctx);
  };
  const model = settings.get('model');
  if (model !== undefined) checkModel(model, ctx);
  return {
    model: 'lif',
    tauMemS: read('tau_mem', time('tau_mem', positive), base.tauMemS),
    tauSynS: read('tau_syn', time('tau_syn', nonNegative), base.tauSynS),
    threshold: read('threshold', plain('threshold', positive), base.threshold),
    reset: read('reset', plain('reset'), base.reset),
    refractoryS: read('refractory', time('refractory', nonNegative), base.refractoryS),
    bias: read('bias', plain('bias'), base.bias),
  };
}

function checkSize(size: Ast.NumberLit, name: string, ctx: Checker): number | undefined {
  if (size.unit === undefined && Number.isInteger(size.value) && size.value > 0) return size.value;
  ctx.report(diag('sizeNotPositiveInteger', size.span, [name, describeValue(size)]));
  return undefined;
}

// ---- inputs ----

const ENCODINGS = (ctx: Checker): readonly Choice<EncodingIR>[] => [
  {
    name: 'poisson',
    params: ['max_rate'],
    required: ['max_rate'],
    example: 'poisson(max_rate = 100 Hz)',
    build: (args) => {
      const rate = args.get('max_rate');
      const hz = rate && positive(readQuantity(rate.value, 'max_rate', 'rate', ctx), 'max_rate', rate.value, ctx);
      return hz === undefined ? undefined : { kind: 'poisson', maxRateHz: hz };
    },
  },
  {
    name: 'periodic',
    params: ['period', 'phase'],
    required: ['period'],
    example: 'periodic(period = 50 ms)',
    build: (args) => {
      const period = args.get('period');
      const phase = args.get('phase');
      const periodS = period && positive(readQuantity(period.value, 'period', 'time', ctx), 'period', period.value, ctx);
      const phaseS = phase === undefined ? 0 : nonNegative(readQuantity(phase.value, 'phase', 'time', ctx), 'phase', phase.value, ctx);
      return periodS === undefined || phaseS === undefined ? undefined : { kind: 'periodic', periodS, phaseS };
    },
  },
];

// ---- connections ----

const PATTERNS = (ctx: Checker): readonly Choice<PatternIR>[] => [
  { name: 'all_to_all', params: [], required: [], example: 'all_to_all', build: () => ({ kind: 'all_to_all' }) },
  { name: 'one_to_one', params: [], required: [], example: 'one_to_one', build: () => ({ kind: 'one_to_one' }) },
  {
    name: 'random',
    params: ['p', 'seed'],
    required: ['p'],
    example: 'random(p = 0.1, seed = 1)',
    build: (args) => {
      const pArg = args.get('p');
      const seedArg = args.get('seed');
      const p = pArg && readPlain(pArg.value, 'p', ctx);
      if (pArg && p !== undefined && !(p > 0 && p <= 1)) ctx.report(diag('probabilityOutOfRange', pArg.value.span, [describeValue(pArg.value)]));
      const seed = seedArg === undefined ? 0 : readPlain(seedArg.value, 'seed', ctx);
      if (seedArg && seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed <= SEED_MAX)) {
        ctx.report(diag('seedNotInteger', seedArg.value.span, [describeValue(seedArg.value)]));
        return undefined;
      }
      return p === undefined || seed === undefined || !(p > 0 && p <= 1) ? undefined : { kind: 'random', p, seed };
    },
  },
  { name: 'fixed_fan_in', params: ['k', 'seed'], required: ['k'], example: 'fixed_fan_in(k = 80)', build: undefined },
  { name: 'from_file', params: ['path'], required: ['path'], example: 'from_file("edges.csv")', build: undefined },
];

const WEIGHTS = (ctx: Checker): readonly Choice<WeightIR>[] => [
  {
    name: 'uniform',
    params: ['low', 'high'],
    required: ['low', 'high'],
    example: 'uniform(0, 0.1)',
    build: (args, call) => {
      const lowArg = args.get('low');
      const highArg = args.get('high');
      const low = lowArg && readPlain(lowArg.value, 'low', ctx);
      const high = highArg && readPlain(highArg.value, 'high', ctx);
      if (low === undefined || high === undefined) return undefined;
      if (low > high) {
        ctx.report(diag('uniformBoundsOrder', call.span, [low, high]));
        return undefined;
      }
      return { kind: 'uniform', low, high };
    },
  },
  { name: 'normal', params: ['mu', 'sigma'], required: ['mu', 'sigma'], example: 'normal(0, 0.1)', build: undefined },
];

function checkWeight(value: Ast.Value, ctx: Checker): WeightIR | undefined {
  if (value.kind === 'NumberLit') {
    const w = readPlain(value, 'weight', ctx);
    return w === undefined ? undefined : { kind: 'constant', value: w };
  }
  return readChoice(value, 'weight', 'weightWord', WEIGHTS(ctx), ctx);
}

/** The delay in seconds: a whole number of steps from 1 to the profile's limit. */
function checkDelay(setting: Ast.Setting | undefined, ctx: Checker): number | undefined {
  if (setting === undefined) return ctx.dtS;
  const v = setting.value;
  const seconds = readQuantity(v, 'delay', 'time', ctx);
  if (seconds === undefined) return undefined;
  const written = v.kind === 'NumberLit' && v.unit !== undefined ? `${v.text} ${v.unit.text}` : describeValue(v);
  const exact = seconds / ctx.dtS;
  const steps = Math.round(exact);
  const max = ctx.profile.limits.maxDelaySteps;
  if (steps < 1) {
    ctx.report(diag('delayTooShort', v.span, [formatSeconds(ctx.dtS), written]));
    return undefined;
  }
  if (steps > max) {
    ctx.report(diag('delayTooLong', v.span, [formatSteps(steps), ctx.profile.name, max, formatSeconds(max * ctx.dtS)]));
    return undefined;
  }
  if (Math.abs(exact - steps) > 1e-9 * Math.max(1, exact)) {
    ctx.report(diag('delayNotWholeSteps', v.span, [written, formatSteps(exact), formatSeconds(ctx.dtS), formatSeconds(steps * ctx.dtS)]));
  }
  return steps * ctx.dtS;
}

// ---- names ----

interface Declared<D> {
  readonly decl: D;
  readonly name: Ast.Name;
}

/** Declared names in one namespace; a second declaration of a name is reported and dropped. */
function declare<D>(items: readonly D[], nameOf: (d: D) => Ast.Name, report: (d: Diagnostic) => void, taken = new Map<string, Ast.Name>()): Map<string, Declared<D>> {
  const out = new Map<string, Declared<D>>();
  for (const decl of items) {
    const name = nameOf(decl);
    const first = taken.get(name.text);
    if (first !== undefined) {
      report(diag('duplicateDeclaration', name.span, [name.text, first.span.line]));
      continue;
    }
    taken.set(name.text, name);
    out.set(name.text, { decl, name });
  }
  return out;
}

function unknownNameHint(name: string, known: readonly string[]): string {
  if (known.length === 0) return PHRASES.noneDeclared;
  return didYouMean(name, known) ?? phrase('declaredNames', quotedList(known));
}

// ---- the program ----

type PopulationDeclaration = Ast.InputDecl | Ast.PopulationDecl;

/** Checks a parsed file and builds its Network IR. */
export function checkProgram(ast: Ast.SourceFile): CheckResult {
  const diagnostics: Diagnostic[] = [];
  const report = (d: Diagnostic): void => {
    diagnostics.push(d);
  };
  const of = <K extends Ast.Declaration['kind']>(kind: K): Extract<Ast.Declaration, { kind: K }>[] =>
    ast.declarations.filter((d): d is Extract<Ast.Declaration, { kind: K }> => d.kind === kind);

  const { target, profile } = checkTarget(of('TargetDecl'), ast.file, report);
  const ctx: Checker = { file: ast.file, report, dtS: target.dtS, profile };

  // Names: neuron types, populations (inputs included) and rules are separate namespaces.
  const neuronTypes = declare(of('NeuronDecl'), (d) => d.name, report);
  const populationDecls = ast.declarations.filter((d): d is PopulationDeclaration => d.kind === 'InputDecl' || d.kind === 'PopulationDecl');
  const populations = declare(populationDecls, (d) => d.name, report);
  declare(of('RuleDecl'), (d) => d.name, report);
  const populationNames = [...populations.keys()];

  const neuronModels = new Map<string, NeuronModelIR>();
  for (const [name, { decl }] of neuronTypes) {
    neuronModels.set(name, applyNeuronSettings(NEURON_DEFAULTS, indexSettings(decl.settings, 'neuron', NEURON_KEYS, ctx), ctx));
  }

  const popIR: PopulationIR[] = [];
  const indexOf = new Map<string, number>();
  for (const [name, { decl }] of populations) {
    const size = checkSize(decl.size, name, ctx);
    const built = match<PopulationDeclaration, PopulationIR | undefined>(decl)
      .with({ kind: 'InputDecl' }, (d) => {
        const settings = indexSettings(d.settings, 'input', INPUT_KEYS, ctx);
        const enc = settings.get('encoding');
        if (enc === undefined) report(diag('missingSetting', d.name.span, [name, 'encoding', PHRASES.exampleEncoding]));
        const encoding = enc && readChoice(enc.value, 'encoding', 'encodingWord', ENCODINGS(ctx), ctx);
        return size === undefined || encoding === undefined ? undefined : { kind: 'input', name, size, encoding, span: d.name.span };
      })
      .with({ kind: 'PopulationDecl' }, (d) => {
        const typeName = d.neuronType.text;
        const base = neuronModels.get(typeName);
        if (base === undefined) {
          report(diag('unknownNeuronType', d.neuronType.span, [typeName], unknownNameHint(typeName, [...neuronTypes.keys()])));
        }
        const overrides = indexSettings(d.settings, 'population', POPULATION_KEYS, ctx);
        const neuron = applyNeuronSettings(base ?? NEURON_DEFAULTS, overrides, ctx);
        return size === undefined || base === undefined ? undefined : { kind: 'neurons', name, size, neuron, span: d.name.span };
      })
      .exhaustive();
    if (built !== undefined) {
      indexOf.set(name, popIR.length);
      popIR.push(built);
    }
  }

  /** Resolves a population reference; reports unknown names and names of neuron types. */
  const resolve = (ref: Ast.Name): Declared<PopulationDeclaration> | undefined => {
    const found = populations.get(ref.text);
    if (found !== undefined) return found;
    if (neuronTypes.has(ref.text)) report(diag('notAPopulation', ref.span, [ref.text]));
    else report(diag('unknownPopulation', ref.span, [ref.text], unknownNameHint(ref.text, populationNames)));
    return undefined;
  };

  const projections: ProjectionIR[] = [];
  for (const c of of('ConnectDecl')) {
    const pre = resolve(c.pre);
    const post = resolve(c.post);
    if (post?.decl.kind === 'InputDecl') report(diag('connectToInput', c.post.span, [c.post.text]));
    const settings = indexSettings(c.settings, 'connect', CONNECT_KEYS, ctx);
    const learn = settings.get('learn');
    if (learn !== undefined) report(diag('learnNotSupported', learn.key.span));
    const patternSetting = settings.get('pattern');
    const pattern: PatternIR | undefined =
      patternSetting === undefined ? { kind: 'all_to_all' } : readChoice(patternSetting.value, 'pattern', 'patternWord', PATTERNS(ctx), ctx);
    if (pattern?.kind === 'one_to_one' && pre !== undefined && post !== undefined && patternSetting !== undefined) {
      const preSize = pre.decl.size.value;
      const postSize = post.decl.size.value;
      if (preSize !== postSize) report(diag('oneToOneSizes', patternSetting.value.span, [pre.name.text, preSize, post.name.text, postSize]));
    }
    const weightSetting = settings.get('weight');
    if (weightSetting === undefined) report(diag('missingSetting', c.span, [phrase('connection', c.pre.text, c.post.text), 'weight', PHRASES.exampleWeight]));
    const weight = weightSetting && checkWeight(weightSetting.value, ctx);
    const delayS = checkDelay(settings.get('delay'), ctx);
    const preIndex = indexOf.get(c.pre.text);
    const postIndex = indexOf.get(c.post.text);
    if (preIndex === undefined || postIndex === undefined || pattern === undefined || weight === undefined || delayS === undefined || weightSetting === undefined) continue;
    projections.push({ pre: preIndex, post: postIndex, pattern, weight, delayS, span: c.span, weightSpan: weightSetting.value.span });
  }

  const probes: number[] = [];
  const probedAt = new Map<string, SourceSpan>();
  for (const p of of('ProbeDecl')) {
    for (const item of p.items) {
      if (!(PROBE_ITEMS as readonly string[]).includes(item.text)) {
        report(diag('unknownProbeItem', item.span, [item.text, quotedList(PROBE_ITEMS)], didYouMean(item.text, PROBE_ITEMS)));
      }
    }
    if (resolve(p.population) === undefined) continue;
    const earlier = probedAt.get(p.population.text);
    if (earlier !== undefined) {
      report(diag('duplicateProbe', p.population.span, [p.population.text, earlier.line]));
      continue;
    }
    probedAt.set(p.population.text, p.population.span);
    const index = indexOf.get(p.population.text);
    if (index !== undefined) probes.push(index);
  }

  // Learning arrives with the learning engine; until then say so at the keyword.
  for (const d of [...of('RuleDecl'), ...of('TeachDecl')]) {
    report(diag('declarationNotSupported', d.keyword, [d.kind === 'RuleDecl' ? 'rule' : 'teach']));
  }

  const network: NetworkIR = { file: ast.file, target, populations: popIR, projections, probes };
  return { network: hasErrors(diagnostics) ? undefined : network, diagnostics };
}
