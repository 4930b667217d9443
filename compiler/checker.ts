// Checker: AST -> Network IR. Resolves names, reads settings with their units,
// applies defaults and checks every value against the language and the chip
// profile. A user's mistake becomes a diagnostic, never a throw; the network
// is returned only when no error was reported.
import { match } from 'ts-pattern';
import { builtinProfile, builtinProfileNames, DEFAULT_PROFILE, type ChipProfile } from '../isa/profile.js';
import type * as Ast from './ast.js';
import { hasErrors, type Diagnostic } from './diagnostics/diagnostic.js';
import { diag, phrase, PHRASES, quotedList } from './diagnostics/messages.js';
import { readEdgeFile, readSpikeFile, type DataResult } from './datafiles.js';
import type {
  EncodingIR,
  InitIR,
  NetworkIR,
  NeuronModelIR,
  NeuronModelKind,
  PatternIR,
  PopulationIR,
  ProjectionIR,
  SourceSpan,
  TargetIR,
  WeightIR,
} from './ir.js';
import { NO_FILES, resolveRelative, type SourceReader } from './sources.js';
import {
  didYouMean,
  describeValue,
  indexSettings,
  nonNegative,
  positive,
  readChoice,
  readPlain,
  readQuantity,
  settingKey,
  type Choice,
  type ReadContext,
} from './settings.js';
import { checkLearningDeclarations } from './rules.js';
import { formatSeconds, formatSteps } from './units.js';

export interface CheckResult {
  readonly network: NetworkIR | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export interface CheckOptions {
  /** Reads included files and data files; paths come resolved relative to the file that names them. */
  readonly readFile?: SourceReader;
}

/** Defaults of a `neuron` block (DESIGN.md section 4; docs/language.md lists them). */
export const NEURON_DEFAULTS: NeuronModelIR = {
  model: 'lif',
  tauMemS: 20e-3,
  tauSynExcS: 5e-3,
  tauSynInhS: 5e-3,
  threshold: 1.0,
  reset: 0.0,
  refractoryS: 0,
  bias: 0,
  thetaPlus: 0,
  tauAdaptS: 0,
  initV: { kind: 'constant', value: 0 },
};

/** Adaptation defaults that `model = alif` brings when its block does not set them. */
export const ALIF_DEFAULTS = { thetaPlus: 0.1, tauAdaptS: 200e-3 } as const;

/** Compiler limits that keep expansion bounded (the mapper reports what the chip itself can hold). */
export const MAX_POPULATION_SIZE = 1 << 24;
export const MAX_CONNECTION_SYNAPSES = 1 << 26;

export const DEFAULT_DT_S = 1e-3;

const TARGET_KEYS = ['dt', 'chips'] as const;
const NEURON_KEYS = [
  'model',
  'tau_mem',
  'tau_syn',
  'tau_syn_exc',
  'tau_syn_inh',
  'threshold',
  'reset',
  'refractory',
  'bias',
  'theta_plus',
  'tau_adapt',
  'init v',
] as const;
const ALIF_KEYS: readonly string[] = ['theta_plus', 'tau_adapt'];
/** A population may override every neuron setting except the model itself. */
const POPULATION_KEYS = [...NEURON_KEYS.filter((k) => k !== 'model'), 'rate'];
const INPUT_KEYS = ['encoding', 'rate'] as const;
const CONNECT_KEYS = ['pattern', 'weight', 'delay', 'learn'] as const;
const PROBE_ITEMS = ['spikes'] as const;
const SEED_MAX = 0xffffffff;

interface Checker extends ReadContext {
  readonly file: string;
  readonly profile: ChipProfile;
  readonly dtS: number;
  readonly readFile: SourceReader;
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
  const chips = checkChips(settings.get('chips'), chosen, ctx);
  return {
    target: { profile: first.profile.value, dtS: dtS ?? DEFAULT_DT_S, span: first.span, ...(chips === undefined ? {} : { chips }) },
    profile: chosen ?? fallback(),
  };
}

/** `chips = N`: a whole number of chips from 1 to the profile's board maximum. */
function checkChips(setting: Ast.Setting | undefined, profile: ChipProfile | undefined, ctx: ReadContext): number | undefined {
  if (setting === undefined) return undefined;
  const n = readPlain(setting.value, 'chips', ctx);
  if (n === undefined) return undefined;
  const max = profile?.board.maxChips ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    ctx.report(diag('chipsOutOfRange', setting.value.span, [describeValue(setting.value), profile?.name ?? '?', max]));
    return undefined;
  }
  return n;
}

/** The `rate` hint of a population or input: a non-negative rate in Hz, for placement only. */
function checkRateHint(settings: ReadonlyMap<string, Ast.Setting>, ctx: Checker): { readonly rateHz?: number } {
  const s = settings.get('rate');
  if (s === undefined) return {};
  const hz = nonNegative(readQuantity(s.value, 'rate', 'rate', ctx), 'rate', s.value, ctx);
  return hz === undefined ? {} : { rateHz: hz };
}

// ---- neurons ----

const MODEL_CHOICES: readonly string[] = ['lif', 'if', 'alif'];

function checkModel(setting: Ast.Setting, ctx: Checker): NeuronModelKind | undefined {
  const v = setting.value;
  if (v.kind !== 'NameValue') {
    ctx.report(diag('expectedChoice', v.span, ['model', quotedList(MODEL_CHOICES), describeValue(v)]));
    return undefined;
  }
  const name = v.name.text;
  if (name === 'lif' || name === 'if' || name === 'alif') return name;
  ctx.report(diag('unknownChoice', v.span, [PHRASES.modelWord, name, quotedList(MODEL_CHOICES)], didYouMean(name, MODEL_CHOICES)));
  return undefined;
}

const INIT_CHOICES = (ctx: Checker): readonly Choice<InitIR>[] => {
  const seedOf = (arg: Ast.Argument | undefined): number | undefined => (arg === undefined ? 0 : readSeed(arg, ctx));
  return [
    {
      name: 'uniform',
      params: ['low', 'high', 'seed'],
      required: ['low', 'high'],
      example: 'uniform(0, 1)',
      build: (args, call) => {
        const low = readPlain(args.get('low')?.value ?? call, 'low', ctx);
        const high = readPlain(args.get('high')?.value ?? call, 'high', ctx);
        const seed = seedOf(args.get('seed'));
        if (low === undefined || high === undefined || seed === undefined) return undefined;
        if (low > high) {
          ctx.report(diag('uniformBoundsOrder', call.span, [low, high]));
          return undefined;
        }
        return { kind: 'uniform', low, high, seed };
      },
    },
    {
      name: 'normal',
      params: ['mu', 'sigma', 'seed'],
      required: ['mu', 'sigma'],
      example: 'normal(0, 0.1)',
      build: (args, call) => {
        const mu = readPlain(args.get('mu')?.value ?? call, 'mu', ctx);
        const sigma = readPlain(args.get('sigma')?.value ?? call, 'sigma', ctx);
        const seed = seedOf(args.get('seed'));
        if (mu === undefined || sigma === undefined || seed === undefined) return undefined;
        if (sigma < 0) {
          ctx.report(diag('normalSigmaNegative', call.span, [mu, sigma]));
          return undefined;
        }
        return { kind: 'normal', mu, sigma, seed };
      },
    },
  ];
};

/** `init v = 0.5`, `uniform(0, 1)` or `normal(0.2, 0.05)`; draws are keyed by seed (default 0), population and neuron. */
function checkInit(setting: Ast.Setting, ctx: Checker): InitIR | undefined {
  if (setting.value.kind === 'NumberLit') {
    const value = readPlain(setting.value, 'init v', ctx);
    return value === undefined ? undefined : { kind: 'constant', value };
  }
  return readChoice(setting.value, 'init v', 'initWord', INIT_CHOICES(ctx), ctx);
}

/** Applies neuron settings over `base`; a rejected value keeps the base value. `owner` names the block in messages. */
function applyNeuronSettings(base: NeuronModelIR, settings: ReadonlyMap<string, Ast.Setting>, owner: string, ctx: Checker): NeuronModelIR {
  const read = (key: string, how: (v: Ast.Value) => number | undefined, current: number): number => {
    const s = settings.get(key);
    return s === undefined ? current : (how(s.value) ?? current);
  };
  const time = (key: string, bound: typeof positive) => (v: Ast.Value) => bound(readQuantity(v, key, 'time', ctx), key, v, ctx);
  const plain = (key: string, bound?: typeof positive) => (v: Ast.Value) => {
    const x = readPlain(v, key, ctx);
    return bound === undefined ? x : bound(x, key, v, ctx);
  };
  const modelSetting = settings.get('model');
  const model = (modelSetting && checkModel(modelSetting, ctx)) ?? base.model;
  // Switching to alif brings its adaptation defaults; other models have none.
  const adaptBase = model !== 'alif' ? { thetaPlus: 0, tauAdaptS: 0 } : base.model === 'alif' ? base : ALIF_DEFAULTS;
  if (model !== 'alif') {
    for (const key of ALIF_KEYS) {
      const s = settings.get(key);
      if (s !== undefined) ctx.report(diag('alifOnlySetting', s.key.span, [key, owner, model]));
    }
  }
  const tauMem = settings.get('tau_mem');
  if (model === 'if' && tauMem !== undefined) ctx.report(diag('ifIgnoresTauMem', tauMem.key.span, [owner]));
  // `tau_syn` sets both currents; `tau_syn_exc` and `tau_syn_inh` set one each and win over it.
  const tauSyn = read('tau_syn', time('tau_syn', nonNegative), Number.NaN);
  const initSetting = settings.get('init v');
  return {
    model,
    tauMemS: model === 'if' ? Infinity : read('tau_mem', time('tau_mem', positive), Number.isFinite(base.tauMemS) ? base.tauMemS : NEURON_DEFAULTS.tauMemS),
    tauSynExcS: read('tau_syn_exc', time('tau_syn_exc', nonNegative), Number.isNaN(tauSyn) ? base.tauSynExcS : tauSyn),
    tauSynInhS: read('tau_syn_inh', time('tau_syn_inh', nonNegative), Number.isNaN(tauSyn) ? base.tauSynInhS : tauSyn),
    threshold: read('threshold', plain('threshold', positive), base.threshold),
    reset: read('reset', plain('reset'), base.reset),
    refractoryS: read('refractory', time('refractory', nonNegative), base.refractoryS),
    bias: read('bias', plain('bias'), base.bias),
    thetaPlus: model === 'alif' ? read('theta_plus', plain('theta_plus', nonNegative), adaptBase.thetaPlus) : 0,
    tauAdaptS: model === 'alif' ? read('tau_adapt', time('tau_adapt', positive), adaptBase.tauAdaptS) : 0,
    initV: (initSetting && checkInit(initSetting, ctx)) ?? base.initV,
  };
}

function checkSize(size: Ast.NumberLit, name: string, ctx: Checker): number | undefined {
  if (size.unit === undefined && Number.isInteger(size.value) && size.value > MAX_POPULATION_SIZE) {
    ctx.report(diag('sizeTooLarge', size.span, [name, size.text, MAX_POPULATION_SIZE]));
    return undefined;
  }
  if (size.unit === undefined && Number.isInteger(size.value) && size.value > 0) return size.value;
  ctx.report(diag('sizeNotPositiveInteger', size.span, [name, describeValue(size)]));
  return undefined;
}

// ---- inputs ----

/** A path argument: a string, resolved relative to the file that names it, then read. */
function readDataFile(arg: Ast.Argument | undefined, what: string, ctx: Checker): { readonly path: string; readonly text: string } | undefined {
  if (arg === undefined) return undefined;
  const v = arg.value;
  if (v.kind !== 'StringLit') {
    ctx.report(diag('expectedString', v.span, [what, describeValue(v)]));
    return undefined;
  }
  const path = resolveRelative(v.span.file, v.value);
  const read = ctx.readFile(path);
  if (!read.ok) {
    ctx.report(diag('cannotReadFile', v.span, [path, read.reason]));
    return undefined;
  }
  return { path, text: read.text };
}

/** A data file's value, its diagnostics passed on. */
function take<T>(result: DataResult<T>, ctx: Checker): T | undefined {
  for (const d of result.diagnostics) ctx.report(d);
  return result.value;
}

/** A `seed` argument: a whole number in 0..2^32-1. */
function readSeed(arg: Ast.Argument, ctx: Checker): number | undefined {
  const seed = readPlain(arg.value, 'seed', ctx);
  if (seed === undefined) return undefined;
  if (Number.isInteger(seed) && seed >= 0 && seed <= SEED_MAX) return seed;
  ctx.report(diag('seedNotInteger', arg.value.span, [describeValue(arg.value)]));
  return undefined;
}

interface InputShape {
  readonly name: string;
  readonly size: number | undefined;
}

const ENCODINGS = (ctx: Checker, input: InputShape): readonly Choice<EncodingIR>[] => [
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
  {
    name: 'from_file',
    params: ['path'],
    required: ['path'],
    example: 'from_file("spikes.csv")',
    build: (args) => {
      const file = readDataFile(args.get('path'), 'path', ctx);
      if (file === undefined || input.size === undefined) return undefined;
      const spikes = take(readSpikeFile(file.text, file.path, input.name, input.size), ctx);
      return spikes === undefined ? undefined : { kind: 'from_file', spikes };
    },
  },
  { name: 'external', params: [], required: [], example: 'external', build: () => ({ kind: 'external' }) },
];

// ---- connections ----

/** The two ends of a connection, as far as they resolved. */
interface ConnectionShape {
  readonly pre: string;
  readonly preSize: number | undefined;
  readonly post: string;
  readonly postSize: number | undefined;
}

const PATTERNS = (ctx: Checker, ends: ConnectionShape): readonly Choice<PatternIR>[] => [
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
      const seed = seedArg === undefined ? 0 : readSeed(seedArg, ctx);
      return p === undefined || seed === undefined || !(p > 0 && p <= 1) ? undefined : { kind: 'random', p, seed };
    },
  },
  {
    name: 'fixed_fan_in',
    params: ['k', 'seed'],
    required: ['k'],
    example: 'fixed_fan_in(k = 80, seed = 1)',
    build: (args) => {
      const kArg = args.get('k');
      const seedArg = args.get('seed');
      const k = kArg && readPlain(kArg.value, 'k', ctx);
      const seed = seedArg === undefined ? 0 : readSeed(seedArg, ctx);
      if (kArg === undefined || k === undefined || seed === undefined) return undefined;
      if (!(Number.isInteger(k) && k >= 1)) {
        ctx.report(diag('fanInNotInteger', kArg.value.span, [describeValue(kArg.value)]));
        return undefined;
      }
      if (ends.preSize !== undefined && k > ends.preSize) {
        ctx.report(diag('fanInTooLarge', kArg.value.span, [k, ends.pre, ends.preSize]));
        return undefined;
      }
      return { kind: 'fixed_fan_in', k, seed };
    },
  },
  {
    name: 'from_file',
    params: ['path'],
    required: ['path'],
    example: 'from_file("edges.csv")',
    build: (args) => {
      const file = readDataFile(args.get('path'), 'path', ctx);
      if (file === undefined || ends.preSize === undefined || ends.postSize === undefined) return undefined;
      const edges = take(
        readEdgeFile(file.text, file.path, {
          pre: ends.pre,
          preSize: ends.preSize,
          post: ends.post,
          postSize: ends.postSize,
          dtS: ctx.dtS,
          maxDelaySteps: ctx.profile.limits.maxDelaySteps,
          profileName: ctx.profile.name,
        }),
        ctx,
      );
      return edges === undefined ? undefined : { kind: 'from_file', edges };
    },
  },
];

/** How many synapses a pattern makes (exact, or the expectation for `random`), to refuse runaway expansions. */
function expectedSynapses(pattern: PatternIR, preSize: number, postSize: number): number {
  return match(pattern)
    .with({ kind: 'all_to_all' }, () => preSize * postSize)
    .with({ kind: 'one_to_one' }, () => Math.min(preSize, postSize))
    .with({ kind: 'random' }, ({ p }) => p * preSize * postSize)
    .with({ kind: 'fixed_fan_in' }, ({ k }) => k * postSize)
    .with({ kind: 'from_file' }, ({ edges }) => edges.pre.length)
    .exhaustive();
}

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
  {
    name: 'normal',
    params: ['mu', 'sigma'],
    required: ['mu', 'sigma'],
    example: 'normal(0, 0.1)',
    build: (args, call) => {
      const muArg = args.get('mu');
      const sigmaArg = args.get('sigma');
      const mu = muArg && readPlain(muArg.value, 'mu', ctx);
      const sigma = sigmaArg && readPlain(sigmaArg.value, 'sigma', ctx);
      if (mu === undefined || sigma === undefined) return undefined;
      if (sigma < 0) {
        ctx.report(diag('normalSigmaNegative', call.span, [mu, sigma]));
        return undefined;
      }
      return { kind: 'normal', mu, sigma };
    },
  },
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
export function checkProgram(ast: Ast.SourceFile, options: CheckOptions = {}): CheckResult {
  const diagnostics: Diagnostic[] = [];
  const report = (d: Diagnostic): void => {
    diagnostics.push(d);
  };
  const of = <K extends Ast.Declaration['kind']>(kind: K): Extract<Ast.Declaration, { kind: K }>[] =>
    ast.declarations.filter((d): d is Extract<Ast.Declaration, { kind: K }> => d.kind === kind);

  const { target, profile } = checkTarget(of('TargetDecl'), ast.file, report);
  const ctx: Checker = { file: ast.file, report, dtS: target.dtS, profile, readFile: options.readFile ?? NO_FILES };

  // Names: neuron types, populations (inputs included) and rules are separate namespaces.
  const neuronTypes = declare(of('NeuronDecl'), (d) => d.name, report);
  const populationDecls = ast.declarations.filter((d): d is PopulationDeclaration => d.kind === 'InputDecl' || d.kind === 'PopulationDecl');
  const populations = declare(populationDecls, (d) => d.name, report);
  declare(of('RuleDecl'), (d) => d.name, report);
  const populationNames = [...populations.keys()];

  const neuronModels = new Map<string, NeuronModelIR>();
  for (const [name, { decl }] of neuronTypes) {
    neuronModels.set(name, applyNeuronSettings(NEURON_DEFAULTS, indexSettings(decl.settings, 'neuron', NEURON_KEYS, ctx), name, ctx));
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
        const encoding = enc && readChoice(enc.value, 'encoding', 'encodingWord', ENCODINGS(ctx, { name, size }), ctx);
        return size === undefined || encoding === undefined ? undefined : { kind: 'input', name, size, encoding, span: d.name.span, ...checkRateHint(settings, ctx) };
      })
      .with({ kind: 'PopulationDecl' }, (d) => {
        const typeName = d.neuronType.text;
        const base = neuronModels.get(typeName);
        if (base === undefined) {
          report(diag('unknownNeuronType', d.neuronType.span, [typeName], unknownNameHint(typeName, [...neuronTypes.keys()])));
        }
        const overrides = indexSettings(d.settings, 'population', POPULATION_KEYS, ctx);
        const neuron = applyNeuronSettings(base ?? NEURON_DEFAULTS, overrides, name, ctx);
        return size === undefined || base === undefined ? undefined : { kind: 'neurons', name, size, neuron, span: d.name.span, ...checkRateHint(overrides, ctx) };
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
  /** `learn = NAME` of each projection, resolved once the rules are checked (compiler/rules.ts). */
  const learnOf = new Map<number, Ast.Setting>();
  for (const c of of('ConnectDecl')) {
    const pre = resolve(c.pre);
    const post = resolve(c.post);
    if (post?.decl.kind === 'InputDecl') report(diag('connectToInput', c.post.span, [c.post.text]));
    const settings = indexSettings(c.settings, 'connect', CONNECT_KEYS, ctx);
    const learn = settings.get('learn');
    const patternSetting = settings.get('pattern');
    const sizeOf = (d: Declared<PopulationDeclaration> | undefined): number | undefined => {
      const n = d?.decl.size.value;
      return n !== undefined && Number.isInteger(n) && n > 0 && n <= MAX_POPULATION_SIZE ? n : undefined;
    };
    const ends: ConnectionShape = { pre: c.pre.text, preSize: sizeOf(pre), post: c.post.text, postSize: sizeOf(post) };
    const pattern: PatternIR | undefined =
      patternSetting === undefined ? { kind: 'all_to_all' } : readChoice(patternSetting.value, 'pattern', 'patternWord', PATTERNS(ctx, ends), ctx);
    if (pattern !== undefined && ends.preSize !== undefined && ends.postSize !== undefined) {
      const synapses = expectedSynapses(pattern, ends.preSize, ends.postSize);
      if (synapses > MAX_CONNECTION_SYNAPSES) {
        report(diag('tooManySynapses', (patternSetting ?? c).span, [phrase('connection', c.pre.text, c.post.text), Math.round(synapses).toExponential(2), MAX_CONNECTION_SYNAPSES]));
      }
    }
    if (pattern?.kind === 'one_to_one' && pre !== undefined && post !== undefined && patternSetting !== undefined) {
      const preSize = pre.decl.size.value;
      const postSize = post.decl.size.value;
      if (preSize !== postSize) report(diag('oneToOneSizes', patternSetting.value.span, [pre.name.text, preSize, post.name.text, postSize]));
    }
    const weightSetting = settings.get('weight');
    const fromFile = patternSetting?.value.kind === 'Call' && patternSetting.value.callee.text === 'from_file';
    if (fromFile && weightSetting !== undefined) report(diag('fromFileTakesNoWeight', weightSetting.key.span));
    if (!fromFile && weightSetting === undefined) report(diag('missingSetting', c.span, [phrase('connection', c.pre.text, c.post.text), 'weight', PHRASES.exampleWeight]));
    // A file gives every edge its own weight; the warnings about them point at the pattern.
    const weight: WeightIR | undefined =
      pattern?.kind === 'from_file' ? { kind: 'from_file', edges: pattern.edges } : weightSetting && !fromFile ? checkWeight(weightSetting.value, ctx) : undefined;
    const weightSpan = (fromFile ? patternSetting?.value.span : weightSetting?.value.span) ?? c.span;
    const delayS = checkDelay(settings.get('delay'), ctx);
    const preIndex = indexOf.get(c.pre.text);
    const postIndex = indexOf.get(c.post.text);
    if (preIndex === undefined || postIndex === undefined || pattern === undefined || weight === undefined || delayS === undefined) continue;
    if (learn !== undefined) learnOf.set(projections.length, learn);
    projections.push({ pre: preIndex, post: postIndex, pattern, weight, delayS, span: c.span, weightSpan });
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

  // Rules, teaching and `learn` settings (compiler/rules.ts).
  const learning = checkLearningDeclarations({ rules: of('RuleDecl'), teach: of('TeachDecl'), learnOf, projections, populations: popIR }, ctx);
  const learnt = projections.map((p, k) => (learning.learn[k] === undefined ? p : { ...p, learn: learning.learn[k] }));

  const network: NetworkIR = { file: ast.file, target, populations: popIR, projections: learnt, probes, rules: learning.rules, teach: learning.teach };
  return { network: hasErrors(diagnostics) ? undefined : network, diagnostics };
}
