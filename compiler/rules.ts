// Learning in the checker: `rule` blocks, `teach` declarations and `learn =
// NAME` in connections. A rule's updates are expanded into a sum of products
// of the learning engine's operands (isa/learning/symbols.ts) here, so that a
// term the engine cannot compute is reported at its place with the reason;
// compiler/lower-rules.ts then turns the checked rule into microcode.
import { COEF_EXPONENT_MAX, COEF_EXPONENT_MIN, COEF_MANTISSA_BITS, MAX_FACTORS, MAX_PRODUCTS, OPERAND_MAX, OPERAND_ONE } from '../isa/learning/constants.js';
import { quantizeCoefficient } from '../isa/learning/isa.js';
import {
  DECLARABLE_TRACES,
  EVENT_NAMES,
  EVENT_TRIGGERS,
  OPERAND_NAMES,
  RULE_SETTINGS,
  SBP_BASE,
  SBP_MODES,
  SBP_NORMALIZATIONS,
  SBP_POLARITIES,
  SBP_SETTINGS,
  TEACH_SETTINGS,
  TEACH_SOURCES,
  TRACE_ARGS,
  ADDITIVE_TRACE,
  TEACH,
  TEACH_DECAY_FROM,
  TRACE_NAMES,
  TRACES,
  WEIGHT,
  type EventName,
  type SbpMode,
  type SbpNormalization,
  type SbpPolarity,
  type TraceName,
} from '../isa/learning/symbols.js';
import type * as Ast from './ast.js';
import { diag, quotedList } from './diagnostics/messages.js';
import type { PopulationIR, ProductIR, ProjectionIR, RuleEventIR, RuleIR, SbpIR, SourceSpan, TeachIR, TraceIR } from './ir.js';
import { didYouMean, describeValue, indexSettings, positive, readPlain, readQuantity, type ReadContext } from './settings.js';

/** SBP's defaults: the authors' code (../shared/SBP.md). */
export const SBP_DEFAULTS = { fraction: 0.2, backward: 1.0, lateralPre: 1.0, lateralPost: 0.5, mode: 'gain', normalize: 'layer', polarity: 'change' } as const;
/** A plain rule learns every step unless it says otherwise (Loihi's default epoch is one step too). */
export const DEFAULT_EPOCH_STEPS = 1;
export const DEFAULT_IMPULSE = 1.0;

export interface LearningDeclarations {
  readonly rules: readonly Ast.RuleDecl[];
  readonly teach: readonly Ast.TeachDecl[];
  /** Per projection (index into `projections`), its `learn = NAME` setting. */
  readonly learnOf: ReadonlyMap<number, Ast.Setting>;
  readonly projections: readonly ProjectionIR[];
  readonly populations: readonly PopulationIR[];
}

export interface LearningChecked {
  readonly rules: readonly RuleIR[];
  readonly teach: readonly TeachIR[];
  /** Per projection, the index of the rule it learns with. */
  readonly learn: readonly (number | undefined)[];
}

// ---- expressions: sums of products ----

interface Monomial {
  readonly coefficient: number;
  /** Operand names, sorted, with repeats. */
  readonly factors: readonly string[];
  readonly span: SourceSpan;
}
type Poly = Map<string, Monomial>;

const keyOf = (factors: readonly string[]): string => factors.join('*');

function addTo(poly: Poly, m: Monomial): void {
  const key = keyOf(m.factors);
  const old = poly.get(key);
  poly.set(key, old === undefined ? m : { ...old, coefficient: old.coefficient + m.coefficient });
}

function scale(poly: Poly, k: number): Poly {
  const out: Poly = new Map();
  for (const [key, m] of poly) out.set(key, { ...m, coefficient: m.coefficient * k });
  return out;
}

/** How a term reads in a message: `0.002 * x1 * teach`. */
export function describeTerm(coefficient: number, factors: readonly string[]): string {
  const c = `${+coefficient.toPrecision(6)}`;
  if (factors.length === 0) return c;
  return coefficient === 1 ? factors.join(' * ') : coefficient === -1 ? `-${factors.join(' * ')}` : `${c} * ${factors.join(' * ')}`;
}

interface RuleScope {
  readonly rule: string;
  readonly traces: ReadonlyMap<string, TraceIR>;
  readonly ctx: ReadContext;
}

/** The expression as a polynomial in the operands, or undefined after reporting why it is not one. */
function expand(expr: Ast.Expr, scope: RuleScope): Poly | undefined {
  switch (expr.kind) {
    case 'NumberExpr':
      return new Map([['', { coefficient: expr.value, factors: [], span: expr.span }]]);
    case 'NameExpr': {
      const name = expr.name.text;
      if (!(OPERAND_NAMES as readonly string[]).includes(name)) {
        scope.ctx.report(diag('ruleUnknownOperand', expr.span, [name, quotedList(OPERAND_NAMES)], didYouMean(name, OPERAND_NAMES)));
        return undefined;
      }
      if ((DECLARABLE_TRACES as readonly string[]).includes(name) && !scope.traces.has(name)) {
        scope.ctx.report(diag('ruleUndeclaredTrace', expr.span, [scope.rule, name, TRACES[name as TraceName].side]));
        return undefined;
      }
      return new Map([[name, { coefficient: 1, factors: [name], span: expr.span }]]);
    }
    case 'NegateExpr': {
      const inner = expand(expr.operand, scope);
      return inner && scale(inner, -1);
    }
    case 'BinaryExpr': {
      const left = expand(expr.left, scope);
      const right = expand(expr.right, scope);
      if (left === undefined || right === undefined) return undefined;
      if (expr.op === '*') {
        const out: Poly = new Map();
        for (const a of left.values()) {
          for (const b of right.values()) {
            addTo(out, { coefficient: a.coefficient * b.coefficient, factors: [...a.factors, ...b.factors].sort(), span: expr.span });
          }
        }
        return out;
      }
      const out: Poly = new Map(left);
      for (const m of (expr.op === '-' ? scale(right, -1) : right).values()) addTo(out, m);
      return out;
    }
  }
}

/** The products of one update (`w += e`, `w -= e`, `w = e` as `w += e - w`), checked against the engine's limits. */
function updateProducts(update: Ast.Update, scope: RuleScope): ProductIR[] | undefined {
  const { ctx } = scope;
  if (update.target.text !== WEIGHT) {
    ctx.report(diag('ruleUpdateTarget', update.target.span, [update.target.text]));
    return undefined;
  }
  const poly = expand(update.expr, scope);
  if (poly === undefined) return undefined;
  const signed = update.op === '-=' ? scale(poly, -1) : poly;
  if (update.op === '=') addTo(signed, { coefficient: -1, factors: [WEIGHT], span: update.target.span });
  const products: ProductIR[] = [];
  let ok = true;
  for (const m of signed.values()) {
    if (m.coefficient === 0) continue;
    const term = describeTerm(m.coefficient, m.factors);
    if (m.factors.length > MAX_FACTORS) {
      ctx.report(diag('ruleTooManyFactors', m.span, [term, m.factors.length, MAX_FACTORS]));
      ok = false;
      continue;
    }
    if (quantizeCoefficient(m.coefficient) === undefined) {
      ctx.report(diag('ruleCoefficientRange', m.span, [term, `${m.coefficient}`, COEF_MANTISSA_BITS, COEF_EXPONENT_MIN, COEF_EXPONENT_MAX]));
      ok = false;
      continue;
    }
    products.push({ coefficient: m.coefficient, factors: m.factors, span: update.span });
  }
  return ok ? products : undefined;
}

// ---- rules ----

function lastLine(decl: Ast.RuleDecl): number {
  let line = decl.span.line;
  for (const item of decl.items) {
    line = Math.max(line, item.span.line);
    if (item.kind === 'EventBlock') for (const u of item.updates) line = Math.max(line, u.span.line);
  }
  return line;
}

function checkTrace(t: Ast.TraceDecl, ctx: ReadContext): TraceIR | undefined {
  const name = t.name.text;
  const declarable: readonly string[] = [...DECLARABLE_TRACES, TEACH];
  if (!declarable.includes(name)) {
    ctx.report(diag('ruleTraceName', t.name.span, [name, quotedList(declarable)], didYouMean(name, declarable)));
    return undefined;
  }
  const side = TRACES[name as TraceName].side;
  if (t.side.text !== side) {
    ctx.report(diag('ruleTraceSide', t.side.span, [name, side]));
    return undefined;
  }
  let tauS: number | undefined;
  let impulse: number = DEFAULT_IMPULSE;
  let ok = true;
  for (const arg of t.args) {
    const key = arg.name?.text ?? (tauS === undefined ? 'tau' : 'impulse');
    if (key === 'tau') tauS = positive(readQuantity(arg.value, 'tau', 'time', ctx), 'tau', arg.value, ctx);
    else if (key === 'impulse') {
      const v = readPlain(arg.value, 'impulse', ctx);
      const max = OPERAND_MAX / OPERAND_ONE;
      if (v !== undefined && !(v >= 0 && v <= max)) {
        ctx.report(diag('ruleImpulseRange', arg.value.span, [+max.toFixed(4), describeValue(arg.value)]));
        ok = false;
      } else if (v !== undefined) impulse = v;
      else ok = false;
    } else {
      ctx.report(diag('ruleTraceArgument', arg.span, [key, quotedList(TRACE_ARGS)], didYouMean(key, TRACE_ARGS)));
      ok = false;
    }
  }
  if (tauS === undefined) {
    if (!t.args.some((a) => (a.name?.text ?? 'tau') === 'tau')) ctx.report(diag('ruleTraceNeedsTau', t.span, [name, side]));
    return undefined;
  }
  return ok ? { name, tauS, impulse, span: t.name.span } : undefined;
}

interface PartialRule {
  readonly decl: Ast.RuleDecl;
  readonly rule: Omit<RuleIR, 'sbp' | 'epochSteps'> & { readonly epochSteps: number | undefined };
  readonly sbpSettings: ReadonlyMap<string, Ast.Setting> | undefined;
}

function checkRuleBody(decl: Ast.RuleDecl, ctx: ReadContext): PartialRule | undefined {
  const name = decl.name.text;
  let ok = true;
  const isSbp = decl.base !== undefined && decl.base.text === SBP_BASE;
  if (decl.base !== undefined && !isSbp) {
    ctx.report(diag('ruleUnknownBase', decl.base.span, [decl.base.text, name], didYouMean(decl.base.text, [SBP_BASE])));
    ok = false;
  }
  const traces = new Map<string, TraceIR>();
  for (const item of decl.items) {
    if (item.kind !== 'TraceDecl') continue;
    const earlier = traces.get(item.name.text);
    if (earlier !== undefined) {
      ctx.report(diag('ruleTraceDuplicate', item.name.span, [item.name.text, earlier.span.line]));
      ok = false;
      continue;
    }
    const t = checkTrace(item, ctx);
    if (t === undefined) ok = false;
    else traces.set(t.name, t);
  }
  const scope: RuleScope = { rule: name, traces, ctx };
  const events = new Map<EventName, RuleEventIR>();
  let readsTeach = false;
  for (const item of decl.items) {
    if (item.kind !== 'EventBlock') continue;
    const ev = item.event.text;
    if (!(EVENT_NAMES as readonly string[]).includes(ev)) {
      ctx.report(diag('ruleUnknownEvent', item.event.span, [ev], didYouMean(ev, EVENT_NAMES)));
      ok = false;
      continue;
    }
    const event = ev as EventName;
    if (EVENT_TRIGGERS[event] !== item.trigger) {
      ctx.report(diag('ruleWrongTrigger', item.span, [EVENT_TRIGGERS[event], event, item.trigger]));
      ok = false;
      continue;
    }
    const earlier = events.get(event);
    if (earlier !== undefined) {
      ctx.report(diag('ruleDuplicateEvent', item.event.span, [`${item.trigger} ${event}`, earlier.span.line]));
      ok = false;
      continue;
    }
    const products: ProductIR[] = [];
    for (const u of item.updates) {
      const p = updateProducts(u, scope);
      if (p === undefined) ok = false;
      else products.push(...p);
    }
    // Products of several updates in one event add up; merge equal operand lists.
    const merged = new Map<string, ProductIR>();
    for (const p of products) {
      const key = keyOf(p.factors);
      const old = merged.get(key);
      merged.set(key, old === undefined ? p : { ...old, coefficient: old.coefficient + p.coefficient });
    }
    const list = [...merged.values()].filter((p) => p.coefficient !== 0);
    if (list.length > MAX_PRODUCTS) {
      ctx.report(diag('ruleTooManyProducts', item.span, [list.length, MAX_PRODUCTS]));
      ok = false;
    }
    if (list.some((p) => p.factors.includes(TEACH))) readsTeach = true;
    events.set(event, { event, products: list, span: item.span });
  }
  if (readsTeach && !traces.has(TEACH)) {
    // The teaching trace decays with the rule's post trace, so that `teach - y1` compares like with like.
    const like = TEACH_DECAY_FROM.map((t) => traces.get(t)).find((t) => t !== undefined);
    if (like === undefined) {
      ctx.report(diag('ruleTeachNoTrace', decl.name.span, [name]));
      ok = false;
    } else traces.set(TEACH, { ...like, name: TEACH });
  }
  let bounds: RuleIR['bounds'];
  for (const item of decl.items) {
    if (item.kind !== 'BoundsDecl') continue;
    if (bounds !== undefined) {
      ctx.report(diag('duplicateSetting', item.span, ['bounds', bounds.span.line]));
      ok = false;
      continue;
    }
    if (item.variable.text !== WEIGHT) {
      ctx.report(diag('ruleBoundsVariable', item.variable.span, [item.variable.text]));
      ok = false;
      continue;
    }
    const low = readPlain(item.range.low, 'bounds', ctx);
    const high = readPlain(item.range.high, 'bounds', ctx);
    if (low === undefined || high === undefined) {
      ok = false;
      continue;
    }
    if (low > high) {
      ctx.report(diag('ruleBoundsOrder', item.range.span, [low, high]));
      ok = false;
      continue;
    }
    bounds = { low, high, span: item.span };
  }
  const settings = indexSettings(
    decl.items.filter((i): i is Ast.Setting => i.kind === 'Setting'),
    'rule',
    [...RULE_SETTINGS, ...SBP_SETTINGS],
    ctx,
  );
  if (!isSbp) {
    for (const key of SBP_SETTINGS) {
      const s = settings.get(key);
      if (s !== undefined) {
        ctx.report(diag('ruleSbpSettingOnPlain', s.key.span, [key, name]));
        ok = false;
      }
    }
  }
  let epochSteps: number | undefined;
  const epoch = settings.get('epoch');
  if (epoch !== undefined) {
    const seconds = readQuantity(epoch.value, 'epoch', 'time', ctx);
    if (seconds === undefined || ctx.dtS === undefined) ok = false;
    else {
      const steps = seconds / ctx.dtS;
      const whole = Math.round(steps);
      if (whole < 1 || Math.abs(steps - whole) > 1e-9 * Math.max(1, steps)) {
        ctx.report(diag('ruleEpochSteps', epoch.value.span, [describeValue(epoch.value), +steps.toPrecision(6)]));
        ok = false;
      } else epochSteps = whole;
    }
  }
  if (!ok) return undefined;
  const order = (t: TraceIR): number => TRACE_NAMES.indexOf(t.name as TraceName);
  return {
    decl,
    rule: {
      name,
      span: decl.name.span,
      endLine: lastLine(decl),
      traces: [...traces.values()].sort((a, b) => order(a) - order(b)),
      events: EVENT_NAMES.flatMap((e) => events.get(e) ?? []),
      epochSteps,
      epochSpan: epoch?.value.span,
      ...(bounds === undefined ? {} : { bounds }),
    },
    sbpSettings: isSbp ? settings : undefined,
  };
}

/** The SBP part of a rule, once every rule's name is known. */
function checkSbp(p: PartialRule, ruleIndex: ReadonlyMap<string, number>, ctx: ReadContext): SbpIR | undefined {
  const settings = p.sbpSettings;
  if (settings === undefined) return undefined;
  const name = p.rule.name;
  let ok = true;
  const sourceSetting = settings.get('source');
  let source: number | undefined;
  if (sourceSetting === undefined) {
    ctx.report(diag('ruleSbpNeedsSource', p.decl.name.span, [name]));
    ok = false;
  } else if (sourceSetting.value.kind !== 'NameValue') {
    ctx.report(diag('expectedChoice', sourceSetting.value.span, ['source', 'a rule name', describeValue(sourceSetting.value)]));
    ok = false;
  } else {
    const s = sourceSetting.value.name.text;
    source = ruleIndex.get(s);
    if (source === undefined) {
      ctx.report(diag('ruleSbpUnknownSource', sourceSetting.value.span, [s, name], didYouMean(s, [...ruleIndex.keys()])));
      ok = false;
    } else if (s === name) {
      ctx.report(diag('ruleSbpSelfSource', sourceSetting.value.span, [name]));
      ok = false;
    }
  }
  const number = (key: string, fallback: number): number => {
    const s = settings.get(key);
    if (s === undefined) return fallback;
    const v = readPlain(s.value, key, ctx);
    if (v === undefined) {
      ok = false;
      return fallback;
    }
    if (v < 0) {
      ctx.report(diag('valueMustBeNonNegative', s.value.span, [key, describeValue(s.value)]));
      ok = false;
    }
    return v;
  };
  const choice = <K extends string>(key: string, options: readonly K[], fallback: K): K => {
    const s = settings.get(key);
    if (s === undefined) return fallback;
    const found = s.value.kind === 'NameValue' ? options.find((o) => o === (s.value as Ast.NameValue).name.text) : undefined;
    if (found === undefined) {
      const written = s.value.kind === 'NameValue' ? s.value.name.text : '';
      ctx.report(diag('expectedChoice', s.value.span, [key, quotedList(options), describeValue(s.value)], didYouMean(written, options)));
      ok = false;
      return fallback;
    }
    return found;
  };
  const fraction = number('fraction', SBP_DEFAULTS.fraction);
  const backward = number('backward', SBP_DEFAULTS.backward);
  const lateralPre = number('lateral_pre', SBP_DEFAULTS.lateralPre);
  const lateralPost = number('lateral_post', SBP_DEFAULTS.lateralPost);
  const mode = choice<SbpMode>('mode', Object.keys(SBP_MODES) as SbpMode[], SBP_DEFAULTS.mode);
  const normalize = choice<SbpNormalization>('normalize', Object.keys(SBP_NORMALIZATIONS) as SbpNormalization[], SBP_DEFAULTS.normalize);
  const polarity = choice<SbpPolarity>('polarity', Object.keys(SBP_POLARITIES) as SbpPolarity[], SBP_DEFAULTS.polarity);
  for (const [key, lambda] of [['backward', backward], ['lateral_pre', lateralPre], ['lateral_post', lateralPost]] as const) {
    if (lambda * fraction > 1) {
      ctx.report(diag('ruleSbpLambdaRange', (settings.get(key) ?? settings.get('fraction'))?.value.span ?? p.decl.name.span, [key, +(lambda * fraction).toPrecision(6), fraction]));
      ok = false;
    }
  }
  if (mode === 'gain' && p.rule.events.every((e) => e.products.length === 0)) {
    ctx.report(diag('ruleSbpGainWithoutBase', settings.get('mode')?.value.span ?? p.decl.name.span, [name]));
    ok = false;
  }
  if (mode === 'additive' && !p.rule.traces.some((t) => t.name === ADDITIVE_TRACE)) {
    ctx.report(diag('ruleSbpAdditiveNeedsX1', settings.get('mode')?.value.span ?? p.decl.name.span, [name]));
    ok = false;
  }
  if (!ok || source === undefined) return undefined;
  return { source, fraction, backward, lateralPre, lateralPost, mode, normalize, polarity, span: p.decl.name.span };
}

function checkTeach(decls: readonly Ast.TeachDecl[], populations: readonly PopulationIR[], ctx: ReadContext): TeachIR[] {
  const out: TeachIR[] = [];
  const names = populations.map((p) => p.name);
  for (const d of decls) {
    const index = names.indexOf(d.population.text);
    let ok = true;
    if (index < 0) {
      ctx.report(diag('unknownPopulation', d.population.span, [d.population.text], didYouMean(d.population.text, names)));
      ok = false;
    } else if (populations[index].kind !== 'neurons') {
      ctx.report(diag('teachNotNeurons', d.population.span, [d.population.text]));
      ok = false;
    }
    if (!(TEACH_SOURCES as readonly string[]).includes(d.source.text)) {
      ctx.report(diag('teachUnknownSource', d.source.span, [d.source.text, quotedList(TEACH_SOURCES)], didYouMean(d.source.text, TEACH_SOURCES)));
      ok = false;
    }
    const settings = indexSettings(d.settings, 'teach', TEACH_SETTINGS, ctx);
    const rate = settings.get('rate');
    let rateHz: number | undefined;
    if (rate === undefined) {
      ctx.report(diag('teachNeedsRate', d.span, [d.population.text]));
      ok = false;
    } else {
      rateHz = positive(readQuantity(rate.value, 'rate', 'rate', ctx), 'rate', rate.value, ctx);
      if (rateHz === undefined) ok = false;
    }
    const earlier = out.find((t) => t.population === index);
    if (earlier !== undefined) {
      ctx.report(diag('teachDuplicate', d.population.span, [d.population.text, earlier.span.line]));
      ok = false;
    }
    if (ok && rateHz !== undefined) out.push({ population: index, rateHz, span: d.population.span });
  }
  return out;
}

/** Checks every rule, teach and learn setting; rules that fail are left out and their errors reported. */
export function checkLearningDeclarations(input: LearningDeclarations, ctx: ReadContext): LearningChecked {
  const seen = new Set<string>();
  const partial: PartialRule[] = [];
  const failed = new Set<string>();
  for (const decl of input.rules) {
    if (seen.has(decl.name.text)) continue; // the checker reported the duplicate
    seen.add(decl.name.text);
    const p = checkRuleBody(decl, ctx);
    if (p === undefined) failed.add(decl.name.text);
    else partial.push(p);
  }
  const ruleIndex = new Map(partial.map((p, i) => [p.rule.name, i]));
  // A source that failed its own checks resolves to -1: already reported, so no second error.
  const sourceIndex = new Map([...seen].map((n) => [n, ruleIndex.get(n) ?? -1]));
  const rules: RuleIR[] = [];
  partial.forEach((p) => {
    const sbp = checkSbp(p, sourceIndex, ctx);
    rules.push({ ...p.rule, epochSteps: p.rule.epochSteps ?? DEFAULT_EPOCH_STEPS, ...(sbp === undefined ? {} : { sbp }) });
  });
  // SBP rules inherit their source's epoch; an explicit one must match it.
  rules.forEach((r, i) => {
    const sbp = r.sbp;
    if (sbp === undefined || sbp.source < 0) return;
    const source = rules[sbp.source];
    const own = partial[i].rule.epochSteps;
    if (own === undefined) rules[i] = { ...r, epochSteps: source.epochSteps };
    else if (own !== source.epochSteps) {
      ctx.report(diag('ruleSbpEpochMismatch', r.epochSpan ?? r.span, [r.name, own, source.name, source.epochSteps]));
    }
  });
  const teach = checkTeach(input.teach, input.populations, ctx);

  const learn: (number | undefined)[] = input.projections.map(() => undefined);
  for (const [k, setting] of input.learnOf) {
    const v = setting.value;
    if (v.kind !== 'NameValue') {
      ctx.report(diag('expectedChoice', v.span, ['learn', 'a rule name', describeValue(v)]));
      continue;
    }
    const name = v.name.text;
    const index = ruleIndex.get(name);
    if (index === undefined) {
      if (!failed.has(name)) ctx.report(diag('unknownRule', v.span, [name], didYouMean(name, [...seen])));
      continue;
    }
    learn[k] = index;
    const rule = rules[index];
    const proj = input.projections[k];
    const post = input.populations[proj.post];
    if (rule.events.some((e) => e.products.some((p) => p.factors.includes(TEACH))) && !teach.some((t) => t.population === proj.post)) {
      ctx.report(diag('ruleTeachNotTaught', v.span, [name, post.name]));
    }
  }
  // Every SBP projection needs output synapses that learn with its source rule.
  input.projections.forEach((proj, k) => {
    const r = learn[k];
    if (r === undefined) return;
    const sbp = rules[r].sbp;
    if (sbp === undefined || sbp.source < 0) return;
    const has = input.projections.some((q, m) => q.pre === proj.post && learn[m] === sbp.source);
    if (!has) {
      const setting = input.learnOf.get(k);
      ctx.report(diag('ruleSbpNoSourceProjection', setting?.value.span ?? proj.span, [rules[r].name, rules[sbp.source].name, input.populations[proj.post].name]));
    }
  });
  rules.forEach((r, i) => {
    if (!learn.includes(i)) ctx.report(diag('ruleUnused', r.span, [r.name]));
  });
  return { rules, teach, learn };
}
