// Reading `key = value` settings: which keys a block allows, numbers with
// units, and choices such as `poisson(max_rate = 100 Hz)`. Every reader
// reports through `report` and returns undefined for a value it rejected, so
// one mistake gives one diagnostic and later checks skip that value.
import { match } from 'ts-pattern';
import type * as Ast from './ast.js';
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { diag, phrase, PHRASES, quotedList, type PhraseKey } from './diagnostics/messages.js';
import { closestName } from './suggest.js';
import { ALL_UNITS, STEPS_UNIT, unitInfo, unitsOf, type Dimension } from './units.js';

export interface ReadContext {
  readonly report: (d: Diagnostic) => void;
  /** Seconds per step, for `steps`; undefined while reading `dt` itself. */
  readonly dtS: number | undefined;
}

/** "did you mean `x`?" when a candidate is close, else undefined. */
export function didYouMean(name: string, candidates: readonly string[]): string | undefined {
  const guess = closestName(name, candidates);
  return guess === undefined ? undefined : phrase('didYouMean', guess);
}

/** How a value reads inside a message: "the name `lif`", "the number `3 ms`". */
export function describeValue(value: Ast.Value): string {
  return match(value)
    .with({ kind: 'NumberLit' }, (n) => phrase('theNumber', n.unit === undefined ? n.text : `${n.text} ${n.unit.text}`))
    .with({ kind: 'StringLit' }, (s) => phrase('theString', JSON.stringify(s.value)))
    .with({ kind: 'NameValue' }, (n) => phrase('theName', n.name.text))
    .with({ kind: 'Call' }, (c) => phrase('theCall', c.callee.text))
    .with({ kind: 'RangeLit' }, () => PHRASES.aRange)
    .exhaustive();
}

/**
 * Indexes a block's settings by key. Unknown keys and keys set twice are
 * reported; the first setting of a key wins.
 */
export function indexSettings(
  settings: readonly Ast.Setting[],
  blockWord: string,
  keys: readonly string[],
  ctx: ReadContext,
): ReadonlyMap<string, Ast.Setting> {
  const byKey = new Map<string, Ast.Setting>();
  for (const s of settings) {
    const key = settingKey(s);
    const first = byKey.get(key);
    const span = s.variable === undefined || s.variable.span.line !== s.key.span.line ? s.key.span : { ...s.key.span, length: s.variable.span.col + s.variable.span.length - s.key.span.col };
    if (!keys.includes(key)) ctx.report(diag('unknownSetting', span, [key, blockWord, quotedList(keys)], didYouMean(key, keys)));
    else if (first !== undefined) ctx.report(diag('duplicateSetting', s.key.span, [key, first.key.span.line]));
    else byKey.set(key, s);
  }
  return byKey;
}

/** A setting's key as blocks list it: `tau_mem`, or `init v` for `init v = ...`. */
export function settingKey(s: Ast.Setting): string {
  return s.variable === undefined ? s.key.text : `${s.key.text} ${s.variable.text}`;
}

/** The value as a finite number literal, or a report that a number was expected. */
function numberLit(value: Ast.Value, key: string, ctx: ReadContext): Ast.NumberLit | undefined {
  if (value.kind === 'NumberLit' && !Number.isFinite(value.value)) {
    ctx.report(diag('numberTooLarge', value.span, [value.text]));
    return undefined;
  }
  if (value.kind === 'NumberLit') return value;
  ctx.report(diag('expectedNumber', value.span, [key, describeValue(value)]));
  return undefined;
}

/** A dimensionless number (threshold units, probabilities, seeds): a unit is an error. */
export function readPlain(value: Ast.Value, key: string, ctx: ReadContext): number | undefined {
  const n = numberLit(value, key, ctx);
  if (n === undefined) return undefined;
  if (n.unit !== undefined) {
    ctx.report(diag('unitOnDimensionless', n.unit.span, [key, n.unit.text]));
    return undefined;
  }
  return n.value;
}

/** A time in seconds or a rate in hertz; the unit must exist and be of that dimension. */
export function readQuantity(value: Ast.Value, key: string, dimension: Dimension, ctx: ReadContext): number | undefined {
  const n = numberLit(value, key, ctx);
  if (n === undefined) return undefined;
  const dimensionWord = PHRASES[dimension];
  const units = unitsOf(dimension).filter((u) => ctx.dtS !== undefined || u !== STEPS_UNIT);
  if (n.unit === undefined) {
    ctx.report(diag('missingUnit', n.span, [key, dimensionWord, quotedList(units)]));
    return undefined;
  }
  const unit = n.unit.text;
  const info = unitInfo(unit);
  if (info === undefined) {
    ctx.report(diag('unknownUnit', n.unit.span, [unit, quotedList(ALL_UNITS)], didYouMean(unit, ALL_UNITS)));
    return undefined;
  }
  if (info.dimension !== dimension) {
    ctx.report(diag('wrongUnitKind', n.unit.span, [key, dimensionWord, unit, PHRASES[info.dimension], quotedList(units)]));
    return undefined;
  }
  if (unit === STEPS_UNIT) {
    if (ctx.dtS === undefined) {
      ctx.report(diag('dtInSteps', n.unit.span, [quotedList(units)]));
      return undefined;
    }
    return n.value * ctx.dtS;
  }
  return n.value * info.scale;
}

/** Keeps `v` when `ok`, else reports the bound it broke at `span`. */
function bounded(v: number | undefined, ok: (x: number) => boolean, key: string, value: Ast.Value, ctx: ReadContext, broke: 'valueMustBePositive' | 'valueMustBeNonNegative'): number | undefined {
  if (v === undefined) return undefined;
  if (ok(v)) return v;
  ctx.report(diag(broke, value.span, [key, describeValue(value)]));
  return undefined;
}

export const positive = (v: number | undefined, key: string, value: Ast.Value, ctx: ReadContext): number | undefined =>
  bounded(v, (x) => x > 0, key, value, ctx, 'valueMustBePositive');

export const nonNegative = (v: number | undefined, key: string, value: Ast.Value, ctx: ReadContext): number | undefined =>
  bounded(v, (x) => x >= 0, key, value, ctx, 'valueMustBeNonNegative');

// ---- choices: a name, or a call with arguments ----

export interface Choice<T> {
  readonly name: string;
  /** Parameter names in positional order; empty for a bare name such as `all_to_all`. */
  readonly params: readonly string[];
  readonly required: readonly string[];
  /** How to write it, for "takes arguments" messages. */
  readonly example: string;
  /** Undefined marks a choice the language names but this compiler does not support yet. */
  readonly build: ((args: ReadonlyMap<string, Ast.Argument>, call: Ast.Value) => T | undefined) | undefined;
}

/** Binds a call's positional and named arguments to parameter names; undefined if any was wrong. */
export function bindArguments(call: Ast.Call, choice: Choice<unknown>, ctx: ReadContext): ReadonlyMap<string, Ast.Argument> | undefined {
  const bound = new Map<string, Ast.Argument>();
  let ok = true;
  const callee = call.callee.text;
  call.args.forEach((arg, i) => {
    const name = arg.name?.text ?? choice.params[i];
    if (name === undefined) {
      ctx.report(diag('tooManyArguments', arg.span, [callee, choice.params.length, call.args.length]));
      ok = false;
    } else if (!choice.params.includes(name)) {
      ctx.report(diag('unknownArgument', arg.name?.span ?? arg.span, [callee, name, quotedList(choice.params)], didYouMean(name, choice.params)));
      ok = false;
    } else if (bound.has(name)) {
      ctx.report(diag('duplicateArgument', arg.name?.span ?? arg.span, [name]));
      ok = false;
    } else bound.set(name, arg);
  });
  for (const name of choice.required) {
    if (ok && !bound.has(name)) {
      ctx.report(diag('missingArgument', call.span, [callee, name]));
      ok = false;
    }
  }
  return ok ? bound : undefined;
}

/**
 * Reads a value that names one of `choices`, bare (`all_to_all`) or called
 * (`random(p = 0.1)`). `what` names the kind of choice in messages.
 */
export function readChoice<T>(value: Ast.Value, key: string, what: PhraseKey, choices: readonly Choice<T>[], ctx: ReadContext): T | undefined {
  const supported = choices.filter((c) => c.build !== undefined).map((c) => c.name);
  if (value.kind !== 'NameValue' && value.kind !== 'Call') {
    ctx.report(diag('expectedChoice', value.span, [key, quotedList(supported), describeValue(value)]));
    return undefined;
  }
  const name = value.kind === 'NameValue' ? value.name : value.callee;
  const choice = choices.find((c) => c.name === name.text);
  if (choice === undefined) {
    ctx.report(diag('unknownChoice', name.span, [PHRASES[what], name.text, quotedList(supported)], didYouMean(name.text, choices.map((c) => c.name))));
    return undefined;
  }
  if (choice.build === undefined) {
    ctx.report(diag('unsupportedChoice', name.span, [PHRASES[what], name.text, quotedList(supported)]));
    return undefined;
  }
  if (value.kind === 'NameValue') {
    if (choice.required.length > 0) {
      ctx.report(diag('callNeedsArguments', value.span, [name.text, choice.example]));
      return undefined;
    }
    return choice.build(new Map(), value);
  }
  if (choice.params.length === 0) {
    ctx.report(diag('choiceTakesNoArguments', value.span, [name.text]));
    return undefined;
  }
  const args = bindArguments(value, choice, ctx);
  return args === undefined ? undefined : choice.build(args, value);
}
