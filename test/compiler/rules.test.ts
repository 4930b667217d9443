// Rules in the checker (compiler/rules.ts) and their lowering to microcode
// (compiler/lower-rules.ts): every diagnostic with its code and span, and the
// microcode of DESIGN.md's example rules.
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../compiler/frontend.js';
import { lowerRule } from '../../compiler/lower-rules.js';
import { disassemble } from '../../isa/learning/isa.js';
import { DESIGN_EXAMPLE } from './programs.js';

const HEAD = `target "loihi-like" { dt = 1 ms }
neuron Lif { model = lif; tau_mem = 20 ms; tau_syn = 5 ms; threshold = 1.0 }
input a[4] { encoding = poisson(max_rate = 50 Hz) }
population h[3] : Lif
population o[2] : Lif
`;
// HEAD is 5 lines: a rule written right after it starts on line 6.

const check = (text: string) => checkSource(text, 'r.snn');

/** The diagnostics of a program as [code, line, col, message]. */
function diagnosticsOf(text: string): (readonly [number, number, number, string])[] {
  return check(text).diagnostics.map((d) => [d.code, d.span.line, d.span.col, d.message] as const);
}

const PLAIN = `rule r {
  trace x1 : pre (tau = 20 ms)
  on post { w += 0.01 * x1 }
}
connect a -> h { weight = 0.1; learn = r }
`;

describe('the DESIGN.md example', () => {
  it('checks with no errors and no warnings, with both rules resolved', () => {
    const result = check(DESIGN_EXAMPLE);
    expect(result.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`)).toEqual([]);
    const net = result.network!;
    expect(net.rules?.map((r) => r.name)).toEqual(['delta', 'hidden_sbp']);
    expect(net.projections.map((p) => p.learn)).toEqual([1, 0]);
    expect(net.teach).toEqual([{ population: 2, rateHz: 200, span: expect.objectContaining({ line: 41 }) }]);
    const sbp = net.rules![1].sbp!;
    expect(sbp).toMatchObject({ source: 0, fraction: 0.2, backward: 1, lateralPre: 1, lateralPost: 0.5, mode: 'gain', normalize: 'layer', polarity: 'change' });
    expect(net.rules![1].epochSteps).toBe(20); // inherited from its source
  });

  it('lowers the delta rule to traces, epoch, bounds and two products, each from its source line', () => {
    const rule = check(DESIGN_EXAMPLE).network!.rules![0];
    const lowered = lowerRule(rule, 1e-3);
    expect(disassemble(lowered.program).map((l) => l.replace(/\s+;.*$/, ''))).toEqual([
      'trace x1 decay=200 impulse=4096',
      'trace y1 decay=200 impulse=4096',
      'trace teach decay=200 impulse=4096',
      'epoch 20',
      'bounds -65536 65536',
      'event epoch products=2',
      'product +16777*2^-23 teach x1',
      'product -16777*2^-23 x1 y1',
    ]);
    expect([...lowered.sourceLines]).toEqual([18, 19, 19, 22, 21, 20, 20, 20]);
  });

  it('lowers `w = e` as `w += e - w` and merges equal products of one event', () => {
    const r = check(`${HEAD}rule r {\n  trace x1 : pre (tau = 10 ms)\n  every epoch { w = 0.5 * x1; w += 0.25 * x1 }\n}\nconnect a -> h { weight = 0.1; learn = r }\n`);
    expect(r.diagnostics).toEqual([]);
    const products = r.network!.rules![0].events[0].products.map((p) => [p.coefficient, p.factors.join('*')]);
    expect(products).toEqual([[0.75, 'x1'], [-1, 'w']]);
  });
});

describe('rule diagnostics', () => {
  const cases: readonly (readonly [string, string, readonly (readonly [number, number, number, RegExp])[]])[] = [
    ['an unknown base', PLAIN.replace('rule r {', 'rule r : spb {'), [[2200, 6, 10, /`spb` is not a rule base; the only base is `sbp`/]]],
    ['a trace that does not exist', PLAIN.replace('trace x1 : pre', 'trace x3 : pre'), [[2201, 7, 9, /`x3` is not a trace of the learning engine/], [2212, 8, 25, /reads `x1` but declares no such trace/]]],
    ['a trace on the wrong side', PLAIN.replace('x1 : pre', 'x1 : post'), [[2202, 7, 14, /trace `x1` follows the presynaptic neuron/], [2212, 8, 25, /declares no such trace/]]],
    ['a trace without tau', PLAIN.replace(' (tau = 20 ms)', ''), [[2204, 7, 3, /trace `x1` needs a time constant/], [2212, 8, 25, /no such trace/]]],
    ['a trace with a rate for tau', PLAIN.replace('tau = 20 ms', 'tau = 20 Hz'), [[2030, 7, 28, /`tau` expects a time/], [2212, 8, 25, /no such trace/]]],
    ['an unknown event', PLAIN.replace('on post', 'on spike'), [[2207, 8, 6, /unknown event `spike`/]]],
    ['the wrong trigger', PLAIN.replace('on post', 'every post'), [[2208, 8, 3, /write `on post`, not `every post`/]]],
    ['an update of a trace', PLAIN.replace('w += 0.01 * x1', 'x1 += 0.01'), [[2210, 8, 13, /updates only the weight `w`, not `x1`/]]],
    ['an unknown operand', PLAIN.replace('0.01 * x1', '0.01 * x11'), [[2211, 8, 25, /unknown name `x11` in a rule/]]],
    ['too many factors', PLAIN.replace('0.01 * x1', '0.01 * x1 * x1 * (w * x0 - y0) * w'), [[2213, 8, 18, /the term `0.01 \* w \* w \* x0 \* x1 \* x1` cannot be lowered to the learning engine: it multiplies 5 operands, and a product multiplies at most 4/]]],
    ['bounds of a trace', PLAIN.replace('  on post', '  bounds x1 in [0, 1]\n  on post'), [[2216, 8, 10, /`bounds` applies to the weight `w`, not `x1`/]]],
    ['an epoch that is not whole steps', PLAIN.replace('  on post', '  epoch = 2.5 ms\n  on post'), [[2218, 8, 11, /`epoch` must be a whole number of steps, at least 1; the number `2.5 ms` is 2.5 steps/]]],
    ['an SBP setting on a plain rule', PLAIN.replace('  on post', '  fraction = 0.2\n  on post'), [[2219, 8, 3, /`fraction` is a setting of an SBP rule/]]],
    ['an unknown rule in learn', PLAIN.replace('learn = r', 'learn = rr'), [[2235, 6, 6, /rule `r` is declared but no connection learns with it/], [2230, 10, 40, /unknown rule `rr`/]]],
    ['teach of an input', `${PLAIN}teach a from labels { rate = 100 Hz }\n`, [[2231, 11, 7, /`a` is an input/]]],
    ['teach without a rate', `${PLAIN}teach h from labels\n`, [[2234, 11, 1, /needs the rate of its teaching spikes/]]],
    ['teach from somewhere else', `${PLAIN}teach h from lables { rate = 100 Hz }\n`, [[2232, 11, 14, /takes its labels from `labels`, found `lables`/]]],
  ];
  for (const [what, body, expected] of cases) {
    it(`reports ${what}`, () => {
      const got = diagnosticsOf(`${HEAD}${body}`);
      expect(got.map(([code, line, col]) => [code, line, col])).toEqual(expected.map(([code, line, col]) => [code, line, col]));
      got.forEach(([, , , message], i) => expect(message).toMatch(expected[i][3]));
    });
  }

  it('gives a hint for a misspelt operand', () => {
    const d = check(`${HEAD}${PLAIN.replace('0.01 * x1', '0.01 * tech')}`).diagnostics[0];
    expect(d.hint).toBe('did you mean `teach`?');
  });

  it('reports teach read by a rule whose post population is not taught, and a teach trace without a post trace', () => {
    const reads = `rule d {\n  trace x1 : pre (tau = 20 ms)\n  trace y1 : post (tau = 20 ms)\n  every epoch { w += 0.1 * x1 * (teach - y1) }\n}\nconnect h -> o { weight = 0.1; learn = d }\n`;
    expect(diagnosticsOf(`${HEAD}${reads}`).map((d) => [d[0], d[1]])).toEqual([[2229, 11]]);
    const noPost = reads.replace('  trace y1 : post (tau = 20 ms)\n', '').replace('(teach - y1)', 'teach');
    expect(diagnosticsOf(`${HEAD}${noPost}teach o from labels { rate = 100 Hz }\n`).map((d) => [d[0], d[1]])).toEqual([[2228, 6]]);
  });
});

describe('the teaching trace', () => {
  const rule = (traces: string): string =>
    `${HEAD}rule d {\n  trace x1 : pre (tau = 20 ms)\n${traces}  every epoch { w += 0.1 * x1 * (teach - y1) }\n}\nconnect h -> o { weight = 0.1; learn = d }\nteach o from labels { rate = 100 Hz }\n`;
  const teachTrace = (text: string): string | undefined =>
    disassemble(lowerRule(check(text).network!.rules![0], 1e-3).program).find((l) => l.startsWith('trace teach'))?.replace(/\s+;.*$/, '');

  it('decays like the rule\'s y1 unless the rule declares its own time constant', () => {
    const like = rule('  trace y1 : post (tau = 20 ms)\n');
    expect(diagnosticsOf(like)).toEqual([]);
    expect(teachTrace(like)).toBe('trace teach decay=200 impulse=4096');
    // As message 2228 suggests: `trace teach : post (tau = ...)` parses and sets the teaching trace's own decay.
    const own = rule('  trace y1 : post (tau = 20 ms)\n  trace teach : post (tau = 50 ms)\n');
    expect(diagnosticsOf(own)).toEqual([]);
    expect(teachTrace(own)).toBe('trace teach decay=81 impulse=4096');
    expect(diagnosticsOf(rule('  trace y1 : post (tau = 20 ms)\n  trace teach : pre (tau = 50 ms)\n')).map((d) => d[0])).toEqual([2202]);
  });
});

describe('SBP diagnostics', () => {
  const OUT = `rule d {\n  trace x1 : pre (tau = 20 ms)\n  on post { w += 0.01 * x1 }\n  epoch = 10 steps\n}\nconnect h -> o { weight = 0.1; learn = d }\n`;
  const sbp = (settings: string, body = '  on post { w += 0.01 * x1 }\n'): string =>
    `${HEAD}${OUT}rule s : sbp {\n  trace x1 : pre (tau = 20 ms)\n${body}${settings}}\nconnect a -> h { weight = 0.1; learn = s }\n`;

  it('accepts a gain rule with a base and inherits its source epoch', () => {
    const r = check(sbp('  source = d\n'));
    expect(r.diagnostics).toEqual([]);
    expect(r.network!.rules![1].epochSteps).toBe(10);
  });
  it('says a gain rule without base terms is an error, and why', () => {
    expect(diagnosticsOf(sbp('  source = d\n', ''))).toEqual([
      [2224, 12, 6, 'SBP rule `s` is in `gain` mode, which scales the rule\'s own base change, but it has no base terms (no `every epoch`, `on pre` or `on post` update); add a base update or set `mode = additive`'],
    ]);
    expect(diagnosticsOf(sbp('  source = d\n  mode = additive\n', ''))).toEqual([]);
  });
  it('reads the polarity, `change` unless said, and suggests the choice for a misspelt one', () => {
    expect(check(sbp('  source = d\n')).network!.rules![1].sbp!.polarity).toBe('change');
    expect(check(sbp('  source = d\n  polarity = efficacy\n')).network!.rules![1].sbp!.polarity).toBe('efficacy');
    const bad = check(sbp('  source = d\n  polarity = eficacy\n')).diagnostics;
    expect(bad.map((d) => [d.code, d.span.line])).toEqual([[2035, 16]]);
    expect(bad[0].hint).toBe('did you mean `efficacy`?');
  });
  it('needs x1 in additive mode', () => {
    expect(diagnosticsOf(sbp('  source = d\n  mode = additive\n', '').replace('  trace x1 : pre (tau = 20 ms)\n}', '}').replace('rule s : sbp {\n  trace x1 : pre (tau = 20 ms)\n', 'rule s : sbp {\n')).map((d) => d[0])).toEqual([2225]);
  });
  it('reports a missing, unknown or self source', () => {
    expect(diagnosticsOf(sbp('')).map((d) => d[0])).toEqual([2220]);
    expect(diagnosticsOf(sbp('  source = dd\n')).map((d) => [d[0], d[3]])).toEqual([[2221, 'unknown rule `dd` as the source of SBP rule `s`']]);
    expect(diagnosticsOf(sbp('  source = s\n')).map((d) => d[0])).toEqual([2222]);
  });
  it('reports gains above one, a wrong mode, and an epoch that differs from its source', () => {
    expect(diagnosticsOf(sbp('  source = d\n  fraction = 0.5\n  backward = 3\n')).map((d) => [d[0], d[3]])).toEqual([
      [2223, '`backward` times `fraction` is 1.5, but the learning engine\'s SBP gains hold at most 1 (`fraction` is 0.5); lower one of them'],
    ]);
    expect(diagnosticsOf(sbp('  source = d\n  mode = gian\n')).map((d) => d[0])).toEqual([2035]);
    expect(diagnosticsOf(sbp('  source = d\n  epoch = 5 steps\n')).map((d) => d[0])).toEqual([2226]);
  });
  it('needs a connection leaving its post population that learns with its source', () => {
    const text = sbp('  source = d\n').replace('connect h -> o { weight = 0.1; learn = d }', 'connect a -> o { weight = 0.1; learn = d }');
    expect(diagnosticsOf(text).map((d) => [d[0], d[3]])).toEqual([
      [2227, 'SBP rule `s` inherits the changes of `d`, but no connection leaving `h` learns with `d`; add `learn = d` to one'],
    ]);
  });
});
