// The learning ISA: encode/decode and assemble/disassemble round-trip exactly,
// and every malformed word or line is refused with its place.
import { describe, expect, it } from 'vitest';
import { COEF_MANTISSA_MAX, MAX_FACTORS } from '../../../isa/learning/constants.js';
import {
  assemble,
  AssembleError,
  checkProgram,
  decode,
  disassemble,
  encode,
  LearningIsaError,
  quantizeCoefficient,
  scaleRates,
  type Instruction,
} from '../../../isa/learning/isa.js';
import { random32 } from '../../../isa/random.js';
import { OPERAND_NAMES, TRACE_NAMES } from '../../../isa/learning/symbols.js';

const PROGRAM: readonly Instruction[] = [
  { op: 'trace', trace: 'x1', decay: 200, impulse: 4096 },
  { op: 'trace', trace: 'y1', decay: 4096, impulse: 65535 },
  { op: 'trace', trace: 'teach', decay: 0, impulse: 1 },
  { op: 'epoch', steps: 20 },
  { op: 'bounds', low: -65536, high: 65536 },
  { op: 'sbp', mode: 'additive', normalize: 'fanout', polarity: 'efficacy', source: 3, backward: 13107, lateralPre: 65536, lateralPost: 0 },
  { op: 'event', event: 'epoch', products: 3 },
  { op: 'product', mantissa: 16777, exponent: -23, factors: ['teach', 'x1'] },
  { op: 'product', mantissa: -32767, exponent: 127, factors: ['w', 'w', 'x0', 'y0'] },
  { op: 'product', mantissa: 1, exponent: -128, factors: [] },
  { op: 'event', event: 'pre', products: 0 },
];

describe('encode and decode', () => {
  it('round-trip a program that uses every instruction and field extreme', () => {
    const words = encode(PROGRAM);
    expect(words.length).toBe(2 + 2 + 2 + 1 + 3 + 4 + 1 + 2 + 2 + 2 + 1);
    expect(decode(words).instructions).toEqual(PROGRAM);
    expect(encode(decode(words).instructions)).toEqual(words);
    expect(checkProgram(PROGRAM)).toBeUndefined();
  });

  it('lays out a product as documented: opcode 5, count, 4-bit operand codes; then exponent and mantissa', () => {
    const [w0, w1] = encode([{ op: 'product', mantissa: -2, exponent: -3, factors: ['x1', 'y1'] }]);
    // x1 = 3, y1 = 6: codes 0x63 in the low byte; 2 factors at bit 24; opcode 5 at bit 28.
    expect(w0).toBe(0x52000063);
    expect(w1).toBe(0x00fdfffe);
  });

  it('refuses unknown opcodes, set reserved bits and truncated instructions, naming the word', () => {
    const words = encode(PROGRAM);
    const bad = (mutate: (w: Uint32Array) => void): LearningIsaError => {
      const copy = words.slice();
      mutate(copy);
      try {
        decode(copy);
      } catch (e) {
        if (e instanceof LearningIsaError) return e;
        throw e;
      }
      throw new Error('decoded a malformed program');
    };
    expect(bad((w) => (w[0] = 0xf0000000)).message).toMatch(/^word 0: unknown opcode 15/);
    expect(bad((w) => (w[14] |= 0x00100000)).message).toMatch(/^word 14: reserved bits of a event/);
    expect(decode.bind(null, words.subarray(0, 1))).toThrow(/needs 2 words/);
    expect(bad((w) => (w[1] = 70000)).message).toMatch(/impulse 70000/);
  });

  it('decodes random words either into instructions that re-encode to the same words, or refuses them', () => {
    let accepted = 0;
    for (let n = 0; n < 20000; n++) {
      const words = Uint32Array.from({ length: 4 }, (_, k) => {
        const r = random32(7, 1, n, k);
        // Bias the opcode into range so that many words decode.
        return k === 0 ? ((r & 0x0fffffff) | (((r >>> 28) % 7) << 28)) >>> 0 : r;
      });
      let decoded: readonly Instruction[] | undefined;
      try {
        decoded = decode(words).instructions;
      } catch (e) {
        expect(e).toBeInstanceOf(LearningIsaError);
      }
      if (decoded !== undefined) {
        accepted++;
        expect(encode(decoded)).toEqual(words);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('checks program structure', () => {
    expect(checkProgram([{ op: 'event', event: 'pre', products: 1 }])).toMatch(/expects 1 more/);
    expect(checkProgram([{ op: 'event', event: 'pre', products: 0 }, { op: 'epoch', steps: 2 }])).toMatch(/before the first event/);
    expect(checkProgram([{ op: 'event', event: 'pre', products: 1 }, { op: 'product', mantissa: 1, exponent: 0, factors: ['x2'] }])).toMatch(/x2 has no trace/);
    expect(checkProgram([{ op: 'epoch', steps: 2 }, { op: 'epoch', steps: 3 }])).toMatch(/a second epoch/);
  });
});

describe('assemble and disassemble', () => {
  it('round-trip exactly: text -> words -> the same text, words -> text -> the same words', () => {
    const words = encode(PROGRAM);
    const text = disassemble(words, { dtS: 1e-3, ruleNames: ['a', 'b', 'c', 'delta'] });
    expect(assemble(text)).toEqual(words);
    expect(disassemble(assemble(text), { dtS: 1e-3, ruleNames: ['a', 'b', 'c', 'delta'] })).toEqual(text);
    expect(text[7]).toBe('product +16777*2^-23 teach x1               ; + 0.00199997 * teach * x1');
    expect(text[0]).toMatch(/^trace x1 decay=200 impulse=4096\s+; keeps 0.951172 per step, tau 19.9758 ms, \+1 per spike$/);
  });

  it('ignores comments and blank lines, and names the line of a mistake', () => {
    expect(assemble('  ; nothing\n\nepoch 3 ; three\n')).toEqual(encode([{ op: 'epoch', steps: 3 }]));
    const cases: readonly (readonly [string, RegExp])[] = [
      ['epoch 0', /line 1: epoch 0 is not an integer in 1\.\./],
      ['epoch 3\nprodct +1*2^0 x1', /line 2: unknown instruction prodct/],
      ['product 1*2^0 x1', /coefficient as \+M\*2\^E/],
      ['product +1*2^0 x3', /an operand must be one of/],
      ['trace z1 decay=1 impulse=1', /the trace must be one of/],
      ['trace x1 impulse=1 decay=1', /argument 1 of trace must be decay=/],
      [`product +1*2^0 ${'x1 '.repeat(MAX_FACTORS + 1)}`, /more than 4/],
      [`product +${COEF_MANTISSA_MAX + 1}*2^0`, /mantissa 32768 is outside/],
    ];
    for (const [text, message] of cases) {
      let error: unknown;
      try {
        assemble(text);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(AssembleError);
      expect((error as Error).message, text).toMatch(message);
    }
  });

  it('names every operand and trace the symbols list', () => {
    expect(OPERAND_NAMES).toEqual(['w', 'x0', 'x1', 'x2', 'y0', 'y1', 'y2', 'teach']);
    expect(TRACE_NAMES).toEqual(['x1', 'x2', 'y1', 'y2', 'teach']);
  });
});

describe('quantizeCoefficient', () => {
  it('keeps 15 bits of precision from large to tiny constants', () => {
    for (const v of [0.002, -0.0005, 1, 3.7, -1e-7, 123456, 2 ** -100]) {
      const q = quantizeCoefficient(v);
      expect(q).toBeDefined();
      const back = q!.mantissa * 2 ** q!.exponent;
      expect(Math.abs(back - v) / Math.abs(v), String(v)).toBeLessThan(2 ** -14);
      expect(Math.abs(q!.mantissa)).toBeLessThanOrEqual(COEF_MANTISSA_MAX);
    }
    expect(quantizeCoefficient(0)).toEqual({ mantissa: 0, exponent: 0 });
    expect(quantizeCoefficient(2 ** -160)).toBeUndefined();
    expect(quantizeCoefficient(2 ** 150)).toBeUndefined();
  });
});

describe('scaleRates', () => {
  const program: Instruction[] = [
    { op: 'trace', trace: 'x1', decay: 200, impulse: 4096 },
    { op: 'trace', trace: 'y1', decay: 200, impulse: 4096 },
    { op: 'trace', trace: 'teach', decay: 200, impulse: 4096 },
    { op: 'epoch', steps: 170 },
    { op: 'bounds', low: -6554, high: 6554 },
    { op: 'sbp', mode: 'additive', normalize: 'fanout', polarity: 'efficacy', source: 0, backward: 131, lateralPre: 13107, lateralPost: 0 },
    { op: 'event', event: 'pre', products: 2 },
    { op: 'product', ...quantizeCoefficient(0.00004)!, factors: ['teach'] },
    { op: 'product', ...quantizeCoefficient(-0.00004)!, factors: ['y1'] },
  ];

  it('scales every product coefficient and the additive SBP share\'s gain, and nothing else', () => {
    const half = scaleRates(program, 0.5);
    expect(checkProgram(program)).toBeUndefined();
    expect(checkProgram(half)).toBeUndefined();
    expect(half.map((i) => i.op)).toEqual(program.map((i) => i.op));
    for (let k = 0; k < program.length; k++) {
      const a = program[k];
      const b = half[k];
      if (a.op === 'product' && b.op === 'product') {
        // Halving is exact in mantissa * 2^exponent: the same mantissa, one exponent less.
        expect(b.mantissa * 2 ** b.exponent).toBe((a.mantissa * 2 ** a.exponent) / 2);
        expect(b.factors).toEqual(a.factors);
      } else if (a.op === 'sbp' && b.op === 'sbp') {
        // The lateral gain multiplies the rule's own change, which the products scale already.
        expect([b.backward, b.lateralPre, b.lateralPost]).toEqual([66, 13107, 0]);
        expect({ ...b, backward: 0 }).toEqual({ ...a, backward: 0 });
      } else {
        expect(b).toEqual(a);
      }
    }
    expect(Array.from(encode(scaleRates(program, 1)))).toEqual(Array.from(encode(program)));
    // In gain mode every SBP gain is relative to the rule's own change: none is scaled.
    const gainMode = program.map((i): Instruction => (i.op === 'sbp' ? { ...i, mode: 'gain' } : i));
    expect(scaleRates(gainMode, 0.5).find((i) => i.op === 'sbp')).toEqual(gainMode.find((i) => i.op === 'sbp'));
    const tenth = scaleRates(program, 0.1).find((i) => i.op === 'product');
    // A factor that is not a power of two requantizes: within the format's 15 bits of 0.1 x 0.00004.
    const value = tenth?.op === 'product' ? tenth.mantissa * 2 ** tenth.exponent : 0;
    expect(Math.abs(value - 0.000004) / 0.000004).toBeLessThan(2 ** -14);
  });

  it('refuses a factor outside (0, 1]', () => {
    expect(() => scaleRates(program, 0)).toThrow(RangeError);
    expect(() => scaleRates(program, 1.5)).toThrow(RangeError);
  });
});
