// Turns chevrotain's recognition exceptions into catalog diagnostics. The
// parser's message provider leaves only the expected token names in
// `message`; the rule stack and the tokens around the error supply the rest
// (which block a missing `}` would close, what came before a missing value).
import { EOF, tokenMatcher, type IRecognitionException, type IToken, type TokenType } from 'chevrotain';
import type { SourceSpan } from './ir.js';
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { diag, phrase, PHRASES } from './diagnostics/messages.js';
import * as T from './lexer.js';
import { closestName } from './suggest.js';

const TOKENS_BY_NAME: ReadonlyMap<string, TokenType> = new Map([...T.ALL_TOKENS, EOF].map((t) => [t.name, t]));

const isEof = (token: IToken): boolean => token.tokenType === EOF;
const isAny = (token: IToken, types: readonly TokenType[]): boolean => types.some((t) => tokenMatcher(token, t));

/** How a token reads inside a message: "the name `x`", "`}`", "the end of the file". */
export function describeToken(token: IToken): string {
  if (isEof(token)) return PHRASES.endOfFile;
  if (token.tokenType === T.Identifier) return phrase('theName', token.image);
  if (token.tokenType === T.NumberLit) return phrase('theNumber', token.image);
  if (token.tokenType === T.StringLit) return phrase('theString', token.image);
  return phrase('quoted', token.image);
}

/** How an expected token type reads: its label ("a name", "`}`"). */
function describeType(type: TokenType): string {
  return type.LABEL ?? phrase('quoted', type.name);
}

/** A one-column span just after `token`, where a missing token belongs. */
function afterToken(file: string, token: IToken | undefined): SourceSpan {
  if (token === undefined) return { file, line: 1, col: 1, length: 1 };
  const span = T.tokenSpan(file, token);
  const lines = token.image.split(/\r?\n/);
  const last = lines[lines.length - 1] ?? '';
  if (lines.length === 1) return { file, line: span.line, col: span.col + span.length, length: 1 };
  return { file, line: token.endLine ?? span.line, col: last.length + 1, length: 1 };
}

/**
 * Where to point: at the offending token, unless it is the end of the file or
 * sits on a later line than the token before it; then just after that token,
 * where the missing piece goes.
 */
function errorSpan(file: string, actual: IToken, previous: IToken | undefined): SourceSpan {
  if (isEof(actual) || (previous !== undefined && (actual.startLine ?? 0) > (previous.endLine ?? 0))) return afterToken(file, previous);
  return T.tokenSpan(file, actual);
}

/** The `{` that is still open just before index `at`, with the keyword that opened its block. */
function openBlock(tokens: readonly IToken[], at: number): { readonly keyword: string; readonly brace: IToken } | undefined {
  let depth = 0;
  for (let i = at - 1; i >= 0; i--) {
    const t = tokens[i];
    if (t.tokenType === T.RCurly) depth++;
    else if (t.tokenType === T.LCurly && depth-- === 0) {
      for (let j = i - 1; j >= 0; j--) {
        const k = tokens[j];
        if (isAny(k, T.BLOCK_KEYWORDS)) return { keyword: k.image, brace: t };
        if (k.tokenType === T.LCurly || k.tokenType === T.RCurly) break;
      }
      return undefined;
    }
  }
  return undefined;
}

/** The innermost rule that was running when the error struck. */
function currentRule(e: IRecognitionException): string {
  const stack = e.context.ruleStack;
  return stack[stack.length - 1] ?? '';
}

function mismatchDiagnostic(e: IRecognitionException, expected: TokenType | undefined, at: number, tokens: readonly IToken[], file: string): Diagnostic {
  const actual = e.token;
  const previous = tokens[at - 1];
  const found = describeToken(actual);
  const span = errorSpan(file, actual, previous);
  const rule = currentRule(e);
  // EOF is expected only after the declarations, so anything else there is stray.
  if (expected === EOF) {
    const keywords = T.DECLARATION_KEYWORDS.map((k) => k.name.replace(/^Kw_/, ''));
    const guess = actual.tokenType === T.Identifier ? closestName(actual.image, keywords) : undefined;
    return diag('expectedDeclaration', T.tokenSpan(file, actual), [found], guess === undefined ? undefined : phrase('didYouMean', guess));
  }
  if (expected === T.RCurly) {
    const block = openBlock(tokens, at);
    // At a new declaration or the end of the file, the block was simply never closed.
    if (block !== undefined && (isEof(actual) || isAny(actual, T.DECLARATION_KEYWORDS))) {
      return diag('expectedCloseBrace', span, [block.keyword, block.brace.startLine ?? 1]);
    }
    if (rule === 'settingsBlock') return diag('expectedSetting', T.tokenSpan(file, actual), [block?.keyword ?? '', found]);
    if (rule === 'ruleDecl') return diag('expectedRuleItem', T.tokenSpan(file, actual), [found]);
    if (rule === 'eventBlock') return diag('expectedUpdate', T.tokenSpan(file, actual), [found]);
    if (rule === 'probeBlock') return diag('expectedProbeItem', T.tokenSpan(file, actual), [found]);
  }
  if (expected === T.Identifier && previous !== undefined) return diag('expectedNameAfter', span, [previous.image, found]);
  return diag('expectedToken', span, [expected === undefined ? phrase('quoted', e.message) : describeType(expected), found]);
}

function noViableAltDiagnostic(e: IRecognitionException, at: number, tokens: readonly IToken[], file: string): Diagnostic {
  const actual = e.token;
  const previous = tokens[at - 1];
  const found = describeToken(actual);
  const span = errorSpan(file, actual, previous);
  switch (currentRule(e)) {
    case 'value':
    case 'numberValue':
      return previous?.tokenType === T.Equals
        ? diag('expectedValueAfterEquals', span, [], PHRASES.valueForms)
        : diag('expectedValue', span, [found], PHRASES.valueForms);
    case 'declaration':
      return diag('expectedDeclaration', span, [found]);
    case 'ruleItem':
      return diag('expectedRuleItem', span, [found]);
    case 'factor':
      return diag('expectedExpression', span, [found]);
    case 'argument':
      return diag('expectedArgument', span, [found]);
    default: {
      const expected = e.message
        .split(' ')
        .map((n) => TOKENS_BY_NAME.get(n))
        .filter((t): t is TokenType => t !== undefined)
        .map(describeType);
      return diag('expectedToken', span, [phrase('oneOf', expected.join(', ')), found]);
    }
  }
}

/** One chevrotain recognition exception as a catalog diagnostic. */
export function recognitionDiagnostic(e: IRecognitionException, tokens: readonly IToken[], file: string): Diagnostic {
  const index = tokens.indexOf(e.token);
  const at = index >= 0 ? index : tokens.length;
  switch (e.name) {
    case 'MismatchedTokenException':
      return mismatchDiagnostic(e, TOKENS_BY_NAME.get(e.message), at, tokens, file);
    case 'NotAllInputParsedException':
      return diag('unexpectedAfterEnd', T.tokenSpan(file, e.token), [describeToken(e.token)]);
    default:
      return noViableAltDiagnostic(e, at, tokens, file);
  }
}
