// No input can crash the front end: thousands of random and mutated programs
// (deleted, duplicated and swapped tokens, random bytes, huge numbers, deep
// nesting) each end in a network or in diagnostics, never in an exception, and
// quickly. Mutations are drawn from a seeded generator, so a failure replays.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasErrors } from '../../compiler/diagnostics/diagnostic.js';
import { checkSource } from '../../compiler/frontend.js';
import { CompileStage, compileSource } from '../../compiler/index.js';
import { lex } from '../../compiler/lexer.js';
import { memoryReader } from '../../compiler/sources.js';
import { random32 } from '../../isa/random.js';
import { DESIGN_EXAMPLE, SYNFIRE } from './programs.js';

const examplesDir = new URL('../../examples/', import.meta.url);
const EXAMPLES = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.snn'))
  .map((f) => readFileSync(new URL(f, examplesDir), 'utf8'));
const SEEDS = [DESIGN_EXAMPLE, SYNFIRE, ...EXAMPLES];

/** Files the mutants may name, so includes and data files are exercised too. */
const FILES = {
  'spikes.csv': '0,1\n3,2\n',
  'edges.csv': '0,1,0.5\n1,0,-0.2,2 ms\n',
  'layers.snn': 'neuron L { model = alif }\n',
};

class Draw {
  private n = 0;
  constructor(private readonly seed: number) {}
  int(max: number): number {
    return Math.floor((random32(this.seed, 77, 0, this.n++) / 4294967296) * max);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

const HUGE = ['1e999', '99999999999999999999', '4294967296', '1e-400', '-0', '0.0000001', '123456789012345678901234567890'];
const SNIPPETS = [
  'include "layers.snn"',
  'include "net.snn"',
  'input f[3] { encoding = from_file("spikes.csv") }',
  'connect g0 -> g1 { pattern = from_file("edges.csv") }',
  'init v = uniform(0, 1)',
  'encoding = external',
  'pattern = fixed_fan_in(k = 3)',
  'weight = normal(0, 0.1)',
  'model = alif',
  'tau_syn_inh = 10 ms',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  '"',
  '/*',
];

/** One mutant of `text`: token-level edits on its tokens, or byte-level noise. */
function mutate(text: string, d: Draw): string {
  const tokens = lex(text, 'm.snn').tokens.map((t) => t.image);
  const edits = 1 + d.int(4);
  for (let e = 0; e < edits && tokens.length > 0; e++) {
    const i = d.int(tokens.length);
    switch (d.int(7)) {
      case 0:
        tokens.splice(i, 1);
        break;
      case 1:
        tokens.splice(i, 0, tokens[i]);
        break;
      case 2: {
        const j = d.int(tokens.length);
        [tokens[i], tokens[j]] = [tokens[j], tokens[i]];
        break;
      }
      case 3:
        tokens[i] = d.pick(HUGE);
        break;
      case 4:
        tokens.splice(i, 0, d.pick(SNIPPETS));
        break;
      case 5: {
        const depth = 1 + d.int(200);
        const open = d.pick(['(', '[', '{', '-']);
        const close = open === '(' ? ')' : open === '[' ? ']' : open === '{' ? '}' : '';
        tokens.splice(i, 0, `${open.repeat(depth)}1${close.repeat(d.int(depth + 1))}`);
        break;
      }
      default: {
        const bytes = Array.from({ length: 1 + d.int(12) }, () => String.fromCharCode(d.int(256)));
        tokens.splice(i, 0, bytes.join(''));
      }
    }
  }
  return tokens.join(d.int(3) === 0 ? '\n' : ' ');
}

/** Random bytes with a bias toward the language's characters. */
function noise(d: Draw): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz_0123456789 \n\t{}[]()=,;:->+*."/#';
  return Array.from({ length: d.int(400) }, () => (d.int(5) === 0 ? String.fromCharCode(d.int(0x3000)) : alphabet[d.int(alphabet.length)])).join('');
}

describe('front end fuzz', () => {
  it('ends every one of 2000 mutated and random programs in a network or diagnostics, never a throw', () => {
    const reader = memoryReader(FILES);
    let clean = 0;
    let failed = 0;
    for (let k = 0; k < 2000; k++) {
      const d = new Draw(k);
      const text = k % 10 === 9 ? noise(d) : mutate(SEEDS[k % SEEDS.length], d);
      let result: ReturnType<typeof checkSource>;
      try {
        result = checkSource(text, 'net.snn', { readFile: reader });
      } catch (err) {
        throw new Error(`program ${k} threw ${String(err)}:\n${text}`);
      }
      for (const diag of result.diagnostics) {
        expect(diag.message.length, `program ${k}`).toBeGreaterThan(0);
        expect(diag.span.line, `program ${k}`).toBeGreaterThanOrEqual(1);
        expect(diag.span.col, `program ${k}`).toBeGreaterThanOrEqual(1);
      }
      if (result.network === undefined) {
        expect(hasErrors(result.diagnostics), `program ${k} has no network and no error`).toBe(true);
        failed++;
      } else {
        // A program that checks goes on through quantization without throwing either.
        const lowered = compileSource(text, 'net.snn', { readFile: reader, stopAfter: CompileStage.Lowered });
        expect(lowered.network).toBeDefined();
        clean++;
      }
    }
    // Both outcomes occur, so the mutants are neither all broken nor all harmless.
    expect(clean).toBeGreaterThan(5);
    expect(failed).toBeGreaterThan(1000);
  });
});
