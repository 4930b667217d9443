import { describe, expect, it } from 'vitest';
import { lex, tokenSpan } from '../../compiler/lexer.js';

const types = (text: string): string[] => lex(text, 't.snn').tokens.map((t) => t.tokenType.name);
const images = (text: string): string[] => lex(text, 't.snn').tokens.map((t) => t.image);

describe('lexer', () => {
  it('reads integers, decimals and exponents as one number token each', () => {
    expect(images('1 1.5 1e-3 2.5E+2 .5 784')).toEqual(['1', '1.5', '1e-3', '2.5E+2', '.5', '784']);
    expect(new Set(types('1 1.5 1e-3 2.5E+2 .5'))).toEqual(new Set(['NumberLit']));
  });

  it('keeps a unit written against its number as a separate identifier', () => {
    expect(types('20ms 100 Hz')).toEqual(['NumberLit', 'Identifier', 'NumberLit', 'Identifier']);
    expect(images('20ms')).toEqual(['20', 'ms']);
  });

  it('tells keywords from identifiers that start with them', () => {
    expect(types('population populations from from_file input inputs teach')).toEqual([
      'Kw_population', 'Identifier', 'Kw_from', 'Identifier', 'Kw_input', 'Identifier', 'Kw_teach',
    ]);
  });

  it('reads every punctuation mark, the longest first', () => {
    expect(images('{ } [ ] ( ) , ; : = -> += -= * + - .')).toEqual(['{', '}', '[', ']', '(', ')', ',', ';', ':', '=', '->', '+=', '-=', '*', '+', '-', '.']);
    expect(types('a->b')).toEqual(['Identifier', 'Arrow', 'Identifier']);
    expect(types('w-=x')).toEqual(['Identifier', 'MinusEquals', 'Identifier']);
  });

  it('reads strings with their quotes', () => {
    const { tokens, diagnostics } = lex('target "loihi-like"', 't.snn');
    expect(diagnostics).toEqual([]);
    expect(tokens[1].tokenType.name).toBe('StringLit');
    expect(tokens[1].image).toBe('"loihi-like"');
  });

  it('skips line and block comments and still counts lines and columns', () => {
    const text = '// heading\nneuron /* a\n long\n comment */ Lif // trailing\n  {';
    const { tokens, diagnostics } = lex(text, 't.snn');
    expect(diagnostics).toEqual([]);
    expect(tokens.map((t) => [t.image, t.startLine, t.startColumn])).toEqual([
      ['neuron', 2, 1],
      ['Lif', 4, 13],
      ['{', 5, 3],
    ]);
  });

  it('counts Windows line endings as one line break', () => {
    const { tokens } = lex('neuron A\r\n{\r\n  x = 1 }', 't.snn');
    expect(tokens.map((t) => [t.image, t.startLine, t.startColumn])).toEqual([
      ['neuron', 1, 1], ['A', 1, 8], ['{', 2, 1], ['x', 3, 3], ['=', 3, 5], ['1', 3, 7], ['}', 3, 9],
    ]);
  });

  it('gives 1-based spans with the token length', () => {
    const { tokens } = lex('\n  population hidden', 'net.snn');
    expect(tokenSpan('net.snn', tokens[1])).toEqual({ file: 'net.snn', line: 2, col: 14, length: 6 });
  });

  it('reports a stray character as E1001 at its position and goes on', () => {
    const { tokens, diagnostics } = lex('neuron A {\n  x = 3 # 4\n}', 't.snn');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ severity: 'error', code: 1001, message: 'unexpected character `#`' });
    expect(diagnostics[0].span).toEqual({ file: 't.snn', line: 2, col: 9, length: 1 });
    expect(images('x = 3 # 4')).toEqual(['x', '=', '3', '4']);
    expect(tokens.at(-1)?.image).toBe('}');
  });

  it('reports an unterminated string as E1002 and an unterminated comment as E1003', () => {
    const { diagnostics } = lex('target "loihi\nneuron A { } /* never closed\n', 't.snn');
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.col])).toEqual([
      [1002, 1, 8],
      [1003, 2, 14],
    ]);
    expect(diagnostics[0].message).toContain('unterminated string');
    expect(diagnostics[1].message).toBe('unterminated comment: `/*` has no matching `*/`');
  });

  it('never throws, whatever the input', () => {
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 200; i++) {
      const text = Array.from({ length: 40 }, () => String.fromCharCode(9 + (next() % 120))).join('');
      expect(() => lex(text, 'fuzz.snn')).not.toThrow();
    }
  });
});
