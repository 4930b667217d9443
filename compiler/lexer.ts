// Lexer: .snn text -> chevrotain tokens. Units (`ms`, `Hz`) are plain
// identifiers; the parser attaches one to the number before it and the checker
// decides whether it is a unit at all, so an unknown unit gets a good message.
import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';
import type { SourceSpan } from './ir.js';
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { diag, phrase } from './diagnostics/messages.js';

const code = (text: string): string => phrase('quoted', text);

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED, line_breaks: true });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\r\n]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: Lexer.SKIPPED, line_breaks: true });
// Unterminated forms match only when the closed forms above did not; they go to
// their own group so the lexer reports them instead of a run of stray characters.
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, group: 'errors', line_breaks: true });
export const StringLit = createToken({ name: 'StringLit', pattern: /"[^"\r\n]*"/, label: phrase('aString') });
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"[^"\r\n]*/, group: 'errors' });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: phrase('aName') });
export const NumberLit = createToken({
  name: 'NumberLit',
  pattern: /(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/,
  label: phrase('aNumber'),
});

const keyword = (word: string): TokenType =>
  createToken({ name: `Kw_${word}`, pattern: new RegExp(`${word}\\b`), longer_alt: Identifier, label: code(word) });

export const Target = keyword('target');
export const Neuron = keyword('neuron');
export const Input = keyword('input');
export const Population = keyword('population');
export const Connect = keyword('connect');
export const Probe = keyword('probe');
export const Rule = keyword('rule');
export const Teach = keyword('teach');
export const Include = keyword('include');
export const From = keyword('from');
export const Trace = keyword('trace');
export const Every = keyword('every');
export const On = keyword('on');
export const Bounds = keyword('bounds');
export const In = keyword('in');

/** Keywords that begin a top-level declaration, in the order the grammar lists them. */
export const DECLARATION_KEYWORDS: readonly TokenType[] = [Target, Neuron, Input, Population, Connect, Probe, Rule, Teach, Include];
/** Keywords that open a `{ ... }` block, for naming the block in "expected `}`" messages. */
export const BLOCK_KEYWORDS: readonly TokenType[] = [...DECLARATION_KEYWORDS, Every, On];

const punct = (name: string, text: string): TokenType =>
  createToken({
    name,
    pattern: new RegExp(text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')),
    label: code(text),
  });

export const LCurly = punct('LCurly', '{');
export const RCurly = punct('RCurly', '}');
export const LBracket = punct('LBracket', '[');
export const RBracket = punct('RBracket', ']');
export const LParen = punct('LParen', '(');
export const RParen = punct('RParen', ')');
export const Comma = punct('Comma', ',');
export const Semicolon = punct('Semicolon', ';');
export const Colon = punct('Colon', ':');
export const Arrow = punct('Arrow', '->');
export const PlusEquals = punct('PlusEquals', '+=');
export const MinusEquals = punct('MinusEquals', '-=');
export const Equals = punct('Equals', '=');
export const Star = punct('Star', '*');
export const Plus = punct('Plus', '+');
export const Minus = punct('Minus', '-');
export const Dot = punct('Dot', '.');

/** Every token type, in matching order: longer punctuation before its prefixes, keywords before identifiers. */
export const ALL_TOKENS: readonly TokenType[] = [
  WhiteSpace, LineComment, BlockComment, UnterminatedComment,
  StringLit, UnterminatedString,
  ...DECLARATION_KEYWORDS, From, Trace, Every, On, Bounds, In,
  Identifier, NumberLit,
  LCurly, RCurly, LBracket, RBracket, LParen, RParen, Comma, Semicolon, Colon,
  Arrow, PlusEquals, MinusEquals, Equals, Star, Plus, Minus, Dot,
];

const snnLexer = new Lexer([...ALL_TOKENS], { positionTracking: 'full', ensureOptimizations: false });

export interface LexResult {
  readonly tokens: readonly IToken[];
  readonly diagnostics: readonly Diagnostic[];
}

/** The span of one token (a single line; a multi-line token spans to the end of its first line). */
export function tokenSpan(file: string, token: IToken): SourceSpan {
  const line = token.startLine ?? 1;
  const col = token.startColumn ?? 1;
  const sameLine = token.endLine === line && token.endColumn !== undefined;
  const firstLine = token.image.split(/\r?\n/)[0] ?? '';
  const length = sameLine ? (token.endColumn ?? col) - col + 1 : firstLine.length;
  return { file, line, col, length: Math.max(1, length) };
}

/** Splits .snn text into tokens; never throws, every problem becomes a diagnostic. */
export function lex(text: string, file: string): LexResult {
  const result = snnLexer.tokenize(text);
  const stray = result.errors.map((e) =>
    diag('unexpectedCharacter', { file, line: e.line ?? 1, col: e.column ?? 1, length: Math.max(1, e.length) }, [
      text.slice(e.offset, e.offset + e.length),
    ]),
  );
  const unterminated = (result.groups.errors ?? []).map((t) =>
    diag(t.tokenType === UnterminatedString ? 'unterminatedString' : 'unterminatedComment', tokenSpan(file, t)),
  );
  return { tokens: result.tokens, diagnostics: [...stray, ...unterminated] };
}
