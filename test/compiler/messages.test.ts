import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  diag,
  formatText,
  MESSAGES,
  PHRASES,
  placeholderCount,
  quotedList,
  STAGE_CODE_RANGES,
  stageOfCode,
  type MessageKey,
  type Stage,
} from '../../compiler/diagnostics/messages.js';

const keys = Object.keys(MESSAGES) as MessageKey[];
const span = { file: 'a.snn', line: 3, col: 5, length: 2 };

/** Message keys named anywhere in a source file. */
function keysUsedIn(path: string): MessageKey[] {
  const text = readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
  return [...text.matchAll(/'(\w+)'/g)].map((m) => m[1]).filter((k): k is MessageKey => Object.hasOwn(MESSAGES, k));
}

describe('message catalog', () => {
  it('gives every message a unique code', () => {
    const seen = new Map<number, string>();
    for (const key of keys) {
      const code = MESSAGES[key].code;
      expect(seen.get(code), `${key} reuses code ${code}`).toBeUndefined();
      seen.set(code, key);
    }
  });

  it('puts every code in the range of a stage', () => {
    for (const key of keys) expect(stageOfCode(MESSAGES[key].code), key).toBeDefined();
    expect(stageOfCode(999)).toBeUndefined();
    expect(stageOfCode(1001)).toBe('parse');
    expect(stageOfCode(3500)).toBe('map');
  });

  it('has each stage use only codes of its own range', () => {
    const stageFiles: Readonly<Record<string, Stage>> = {
      'compiler/lexer.ts': 'parse',
      'compiler/parser.ts': 'parse',
      'compiler/parse-errors.ts': 'parse',
      'compiler/checker.ts': 'check',
      'compiler/settings.ts': 'check',
    };
    for (const [file, stage] of Object.entries(stageFiles)) {
      const used = keysUsedIn(file);
      if (file !== 'compiler/parser.ts') expect(used.length, file).toBeGreaterThan(0);
      for (const key of used) {
        const [low, high] = STAGE_CODE_RANGES[stage];
        expect(MESSAGES[key].code, `${file} uses ${key}`).toBeGreaterThanOrEqual(low);
        expect(MESSAGES[key].code, `${file} uses ${key}`).toBeLessThanOrEqual(high);
      }
    }
  });

  it('numbers placeholders {0}..{n-1} with no gaps, in messages and phrases', () => {
    for (const text of [...keys.map((k) => MESSAGES[k].text), ...Object.values(PHRASES)]) {
      const used = [...text.matchAll(/\{(\d+)\}/g)].map((m) => Number(m[1]));
      const n = placeholderCount(text);
      expect(new Set(used), text).toEqual(new Set(Array.from({ length: n }, (_, i) => i)));
    }
  });

  it('marks every message an error or a warning', () => {
    for (const key of keys) expect(['error', 'warning'], key).toContain(MESSAGES[key].category);
  });
});

describe('making diagnostics', () => {
  it('fills the placeholders and takes severity and code from the catalog', () => {
    expect(diag('unknownPopulation', span, ['hiden'], 'did you mean `hidden`?')).toEqual({
      severity: 'error',
      code: 2011,
      message: 'unknown population `hiden`',
      span,
      hint: 'did you mean `hidden`?',
    });
    expect(diag('delayNotWholeSteps', span, ['2.5 ms', 2.5, '1 ms', '3 ms'])).toMatchObject({ severity: 'warning', code: 2070 });
  });

  it('leaves the hint out when there is none', () => {
    expect('hint' in diag('expectedValueAfterEquals', span)).toBe(false);
  });

  it('throws on a wrong number of arguments, which is a bug in the caller', () => {
    expect(() => diag('unknownPopulation', span, [])).toThrow(/takes 1 arguments/);
    expect(() => diag('unknownPopulation', span, ['a', 'b'])).toThrow();
  });

  it('formats text and code lists', () => {
    expect(formatText('{1} before {0}, {1} again', ['a', 7])).toBe('7 before a, 7 again');
    expect(quotedList(['ms'])).toBe('`ms`');
    expect(quotedList(['us', 'ms', 's'])).toBe('`us`, `ms` or `s`');
    expect(quotedList([])).toBe('');
  });
});
