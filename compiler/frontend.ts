// The front end: .snn text -> Network IR, running lexer -> parser -> checker.
// Like Langium's stopAfterParsingErrors, a program with syntax errors is not
// checked: its AST is partial, and checking it would only add noise.
// `include "file.snn"` splices another file's declarations in at the include;
// files are read through an injected reader, relative to the including file.
import type { IToken } from 'chevrotain';
import type { Declaration, SourceFile } from './ast.js';
import { checkProgram } from './checker.js';
import { hasErrors, type Diagnostic } from './diagnostics/diagnostic.js';
import { diag } from './diagnostics/messages.js';
import type { NetworkIR } from './ir.js';
import * as T from './lexer.js';
import { lex } from './lexer.js';
import { parse } from './parser.js';
import { NO_FILES, resolveRelative, type SourceReader } from './sources.js';

export interface ParseResult {
  /** Every declaration that parsed; partial when there are errors. */
  readonly ast: SourceFile;
  readonly diagnostics: readonly Diagnostic[];
}

export interface CheckSourceOptions {
  /** Reads included .snn files and data files (CSV); without it, a program that names a file gets an error. */
  readonly readFile?: SourceReader;
}

export interface CheckSourceResult {
  /** Undefined when any error was reported. */
  readonly network: NetworkIR | undefined;
  readonly diagnostics: readonly Diagnostic[];
  /** The text of every file read (the program, its includes, its data files), for rendering diagnostics. */
  readonly sources: ReadonlyMap<string, string>;
}

/**
 * Brackets and unary minus signs nest this deep at most. The parser descends
 * recursively, so without a bound a hostile file could exhaust the stack; no
 * real program comes near it.
 */
export const MAX_NESTING = 64;

/** Diagnostics in source order (file, then line, then column); the sort is stable, so ties keep their order. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[], fileOrder: readonly string[] = []): readonly Diagnostic[] {
  const rank = (file: string): number => {
    const i = fileOrder.indexOf(file);
    return i < 0 ? fileOrder.length : i;
  };
  return [...diagnostics].sort((a, b) => rank(a.span.file) - rank(b.span.file) || a.span.line - b.span.line || a.span.col - b.span.col);
}

/** The first token at which brackets (or a run of `-`) nest deeper than MAX_NESTING, with that depth. */
function tooDeep(tokens: readonly IToken[]): { readonly token: IToken; readonly depth: number } | undefined {
  let depth = 0;
  let minuses = 0;
  for (const t of tokens) {
    const type = t.tokenType;
    if (type === T.LParen || type === T.LBracket || type === T.LCurly) depth++;
    else if (type === T.RParen || type === T.RBracket || type === T.RCurly) depth = Math.max(0, depth - 1);
    minuses = type === T.Minus ? minuses + 1 : 0;
    if (depth + minuses > MAX_NESTING) return { token: t, depth: depth + minuses };
  }
  return undefined;
}

/** Lexes and parses one file, reporting lexical and syntax errors together in source order. */
export function parseSource(text: string, file: string): ParseResult {
  const lexed = lex(text, file);
  const deep = tooDeep(lexed.tokens);
  if (deep !== undefined) {
    const d = diag('nestingTooDeep', T.tokenSpan(file, deep.token), [deep.depth, MAX_NESTING]);
    return { ast: { kind: 'SourceFile', file, declarations: [] }, diagnostics: sortDiagnostics([...lexed.diagnostics, d]) };
  }
  const parsed = parse(lexed.tokens, file);
  return { ast: parsed.ast, diagnostics: sortDiagnostics([...lexed.diagnostics, ...parsed.diagnostics]) };
}

interface Loading {
  readonly read: SourceReader;
  readonly sources: Map<string, string>;
  readonly diagnostics: Diagnostic[];
  readonly declarations: Declaration[];
}

/** Parses `file` and, depth first, every file it includes; `chain` is the include path that led here. */
function load(text: string, file: string, chain: readonly string[], state: Loading): void {
  const parsed = parseSource(text, file);
  state.diagnostics.push(...parsed.diagnostics);
  for (const d of parsed.ast.declarations) {
    if (d.kind !== 'IncludeDecl') {
      state.declarations.push(d);
      continue;
    }
    const path = resolveRelative(file, d.path.value);
    const cycleStart = chain.indexOf(path);
    if (cycleStart >= 0) {
      state.diagnostics.push(diag('includeCycle', d.path.span, [[...chain.slice(cycleStart), path].join(' -> ')]));
      continue;
    }
    // A file included twice (a diamond, not a cycle) contributes its declarations once.
    if (state.sources.has(path)) continue;
    const read = state.read(path);
    if (!read.ok) {
      state.diagnostics.push(diag('cannotReadFile', d.path.span, [path, read.reason]));
      continue;
    }
    state.sources.set(path, read.text);
    load(read.text, path, [...chain, path], state);
  }
}

/** Lexes, parses (with includes) and checks; stops after parsing when there are syntax errors. */
export function checkSource(text: string, file: string, options: CheckSourceOptions = {}): CheckSourceResult {
  const sources = new Map<string, string>([[file, text]]);
  const read = options.readFile ?? NO_FILES;
  // Data files are read through the same reader and kept, so their diagnostics render with their lines.
  const recording: SourceReader = (path) => {
    const r = read(path);
    if (r.ok) sources.set(path, r.text);
    return r;
  };
  const state: Loading = { read: recording, sources, diagnostics: [], declarations: [] };
  load(text, file, [file], state);
  const order = (): string[] => [...sources.keys()];
  if (hasErrors(state.diagnostics)) return { network: undefined, diagnostics: sortDiagnostics(state.diagnostics, order()), sources };
  const ast: SourceFile = { kind: 'SourceFile', file, declarations: state.declarations };
  const checked = checkProgram(ast, { readFile: recording });
  const diagnostics = sortDiagnostics([...state.diagnostics, ...checked.diagnostics], order());
  return { network: hasErrors(diagnostics) ? undefined : checked.network, diagnostics, sources };
}
