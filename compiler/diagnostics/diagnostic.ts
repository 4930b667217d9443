// Diagnostics are data: every stage returns them, none throws for a user's mistake.
import type { SourceSpan } from '../ir.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable code from compiler/diagnostics/messages.json, e.g. 1001; the CLI prints it as E1001 / W1001. */
  readonly code: number;
  readonly message: string;
  readonly span: SourceSpan;
  /** A next step, e.g. "did you mean `hidden`?" */
  readonly hint?: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/**
 * Renders a diagnostic as `file:line:col: error: message [E1001]` (the form the
 * issues fix; the code last, so editors' `file:line:col: error:` matchers work),
 * then the source line and a caret under the span, then the hint.
 */
export function renderDiagnostic(d: Diagnostic, sourceText: string | undefined): string {
  const code = `${d.severity === 'error' ? 'E' : 'W'}${d.code}`;
  const lines = [`${d.span.file}:${d.span.line}:${d.span.col}: ${d.severity}: ${d.message} [${code}]`];
  const line = sourceText?.split(/\r?\n/)[d.span.line - 1];
  if (line !== undefined) {
    const gutter = String(d.span.line);
    const pad = ' '.repeat(gutter.length);
    const visible = line.replace(/\t/g, ' ');
    const width = Math.max(1, Math.min(d.span.length, Math.max(1, visible.length - d.span.col + 1)));
    lines.push(`${pad} |`, `${gutter} | ${visible}`, `${pad} | ${' '.repeat(Math.max(0, d.span.col - 1))}${'^'.repeat(width)}`);
  }
  if (d.hint) lines.push(`  = hint: ${d.hint}`);
  return lines.join('\n');
}
