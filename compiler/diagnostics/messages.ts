// The message catalog in code: stage code names a message by key, never writes
// its text, so wording lives in messages.json and codes stay stable for tests.
import catalog from './messages.json' with { type: 'json' };
import type { SourceSpan } from '../ir.js';
import type { Diagnostic, Severity } from './diagnostic.js';

export type MessageKey = keyof typeof catalog.messages;
export type PhraseKey = keyof typeof catalog.phrases;
export type MessageArg = string | number;

export interface MessageEntry {
  readonly code: number;
  readonly category: Severity;
  readonly text: string;
}

export type Stage = 'parse' | 'check' | 'map' | 'emit' | 'runtime';

/** The code range of each stage, [first, last]. */
export const STAGE_CODE_RANGES: Readonly<Record<Stage, readonly [number, number]>> = {
  parse: [1000, 1999],
  check: [2000, 2999],
  map: [3000, 3999],
  emit: [4000, 4999],
  runtime: [5000, 5999],
};

function isSeverity(s: string): s is Severity {
  return s === 'error' || s === 'warning';
}

function loadMessages(): Readonly<Record<MessageKey, MessageEntry>> {
  const out = {} as Record<MessageKey, MessageEntry>;
  for (const key of Object.keys(catalog.messages) as MessageKey[]) {
    const { code, category, text } = catalog.messages[key];
    // A malformed catalog is our bug, not the user's: fail loudly at load.
    if (!isSeverity(category)) throw new Error(`messages.json: ${key} has category ${category}`);
    out[key] = { code, category, text };
  }
  return out;
}

export const MESSAGES: Readonly<Record<MessageKey, MessageEntry>> = loadMessages();
export const PHRASES: Readonly<Record<PhraseKey, string>> = catalog.phrases;

/** The stage whose range holds `code`, or undefined when none does. */
export function stageOfCode(code: number): Stage | undefined {
  return (Object.keys(STAGE_CODE_RANGES) as Stage[]).find((s) => code >= STAGE_CODE_RANGES[s][0] && code <= STAGE_CODE_RANGES[s][1]);
}

/** How many distinct `{n}` placeholders a text uses (they must be 0..n-1). */
export function placeholderCount(text: string): number {
  const seen = new Set([...text.matchAll(/\{(\d+)\}/g)].map((m) => Number(m[1])));
  return seen.size;
}

/** Fills `{0}`, `{1}`, ... in order. */
export function formatText(text: string, args: readonly MessageArg[]): string {
  return text.replace(/\{(\d+)\}/g, (whole, n: string) => {
    const arg = args[Number(n)];
    return arg === undefined ? whole : String(arg);
  });
}

/** The text of a message with its arguments filled in. */
export function messageText(key: MessageKey, args: readonly MessageArg[] = []): string {
  const entry: MessageEntry | undefined = MESSAGES[key];
  if (entry === undefined) throw new Error(`message ${key} is not in messages.json`);
  const expected = placeholderCount(entry.text);
  // A wrong argument count is a bug in the stage code, so it throws.
  if (args.length !== expected) throw new Error(`message ${key} takes ${expected} arguments, given ${args.length}`);
  return formatText(entry.text, args);
}

/** Makes a Diagnostic from a catalog message. */
export function diag(key: MessageKey, span: SourceSpan, args: readonly MessageArg[] = [], hint?: string): Diagnostic {
  const message = messageText(key, args);
  const entry = MESSAGES[key];
  const base = { severity: entry.category, code: entry.code, message, span };
  return hint === undefined ? base : { ...base, hint };
}

/** A phrase (a fragment or hint) with its arguments filled in. */
export function phrase(key: PhraseKey, ...args: readonly MessageArg[]): string {
  return formatText(PHRASES[key], args);
}

/** "`a`, `b` or `c`": names quoted as code, for lists inside messages. */
export function quotedList(names: readonly string[]): string {
  const quoted = names.map((n) => phrase('quoted', n));
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')}${PHRASES.or}${quoted[quoted.length - 1]}`;
}
