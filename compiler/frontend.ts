// The front end: .snn text -> Network IR, running lexer -> parser -> checker.
// Like Langium's stopAfterParsingErrors, a file with syntax errors is not
// checked: its AST is partial, and checking it would only add noise.
import type { SourceFile } from './ast.js';
import { checkProgram } from './checker.js';
import { hasErrors, type Diagnostic } from './diagnostics/diagnostic.js';
import type { NetworkIR } from './ir.js';
import { lex } from './lexer.js';
import { parse } from './parser.js';

export interface ParseResult {
  /** Every declaration that parsed; partial when there are errors. */
  readonly ast: SourceFile;
  readonly diagnostics: readonly Diagnostic[];
}

export interface CheckSourceResult {
  /** Undefined when any error was reported. */
  readonly network: NetworkIR | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** Diagnostics in source order (line, then column); the sort is stable, so ties keep their order. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): readonly Diagnostic[] {
  return [...diagnostics].sort((a, b) => a.span.line - b.span.line || a.span.col - b.span.col);
}

/** Lexes and parses, reporting lexical and syntax errors together in source order. */
export function parseSource(text: string, file: string): ParseResult {
  const lexed = lex(text, file);
  const parsed = parse(lexed.tokens, file);
  return { ast: parsed.ast, diagnostics: sortDiagnostics([...lexed.diagnostics, ...parsed.diagnostics]) };
}

/** Lexes, parses and checks; stops after parsing when there are syntax errors. */
export function checkSource(text: string, file: string): CheckSourceResult {
  const parsed = parseSource(text, file);
  if (hasErrors(parsed.diagnostics)) return { network: undefined, diagnostics: parsed.diagnostics };
  const checked = checkProgram(parsed.ast);
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...checked.diagnostics]);
  return { network: hasErrors(diagnostics) ? undefined : checked.network, diagnostics };
}
