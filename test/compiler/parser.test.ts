import { describe, expect, it } from 'vitest';
import * as Ast from '../../compiler/ast.js';
import { renderDiagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { parseSource } from '../../compiler/frontend.js';
import { DESIGN_EXAMPLE, SYNFIRE } from './programs.js';

const parseOk = (text: string): Ast.SourceFile => {
  const { ast, diagnostics } = parseSource(text, 't.snn');
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  return ast;
};

const errors = (text: string) => parseSource(text, 't.snn').diagnostics.map((d) => ({ code: d.code, line: d.span.line, col: d.span.col, message: d.message }));

const only = <T>(items: readonly T[]): T => {
  expect(items).toHaveLength(1);
  return items[0];
};

function setting(settings: readonly Ast.Setting[], key: string): Ast.Value {
  const s = settings.find((x) => x.key.text === key);
  if (s === undefined) throw new Error(`no setting ${key}`);
  return s.value;
}

/** An expression as a parenthesised string, to compare tree shapes. */
function show(e: Ast.Expr): string {
  switch (e.kind) {
    case 'NumberExpr':
      return e.text;
    case 'NameExpr':
      return e.name.text;
    case 'NegateExpr':
      return `(-${show(e.operand)})`;
    case 'BinaryExpr':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
  }
}

describe('parser: declarations', () => {
  it('parses the synfire chain into one node per declaration', () => {
    const ast = parseOk(SYNFIRE);
    expect(ast.declarations.map((d) => d.kind)).toEqual([
      'TargetDecl', 'NeuronDecl', 'InputDecl', 'PopulationDecl', 'PopulationDecl', 'ConnectDecl', 'ConnectDecl', 'ProbeDecl', 'ProbeDecl',
    ]);
  });

  it('records names, sizes, types and spans of a population', () => {
    const ast = parseOk('\npopulation g1[100] : Lif { threshold = 1.2 }');
    const pop = only(ast.declarations);
    if (!Ast.isPopulationDecl(pop)) throw new Error('not a population');
    expect(pop.name).toEqual({ kind: 'Name', text: 'g1', span: { file: 't.snn', line: 2, col: 12, length: 2 } });
    expect(pop.size.value).toBe(100);
    expect(pop.neuronType.text).toBe('Lif');
    expect(pop.neuronType.span).toMatchObject({ line: 2, col: 22 });
    expect(pop.keyword).toEqual({ file: 't.snn', line: 2, col: 1, length: 10 });
    const threshold = setting(pop.settings, 'threshold');
    expect(Ast.isNumberLit(threshold) && threshold.value).toBe(1.2);
  });

  it('makes the block of population, connect, input and target optional, and probe items too', () => {
    const ast = parseOk('population a[3] : Lif\nconnect a -> a\nprobe a\ninput k[2]\ntarget "loihi-like"');
    expect(ast.declarations.map((d) => d.kind)).toEqual(['PopulationDecl', 'ConnectDecl', 'ProbeDecl', 'InputDecl', 'TargetDecl']);
    const probe = ast.declarations[2];
    expect(Ast.isProbeDecl(probe) && probe.items).toEqual([]);
  });

  it('reads probe items separated by spaces, commas or semicolons', () => {
    const probe = only(parseOk('probe d { spikes, voltage; x y }').declarations);
    expect(Ast.isProbeDecl(probe) && probe.items.map((i) => i.text)).toEqual(['spikes', 'voltage', 'x', 'y']);
  });

  it('reads the connect endpoints and the teach source', () => {
    const [c, t] = parseOk('connect pixels -> hidden { weight = 1 }\nteach digits from labels { rate = 200 Hz }').declarations;
    expect(Ast.isConnectDecl(c) && [c.pre.text, c.post.text]).toEqual(['pixels', 'hidden']);
    expect(Ast.isConnectDecl(c) && c.span).toEqual({ file: 't.snn', line: 1, col: 1, length: 24 });
    expect(Ast.isTeachDecl(t) && [t.population.text, t.source.text]).toEqual(['digits', 'labels']);
  });
});

describe('parser: values', () => {
  const values = (body: string): readonly Ast.Setting[] => {
    const d = only(parseOk(`neuron N {\n${body}\n}`).declarations);
    if (!Ast.isNeuronDecl(d)) throw new Error('not a neuron');
    return d.settings;
  };

  it('attaches a unit to a number, and a sign', () => {
    const s = values('a = 20 ms; b = -0.05; c = 3 steps; d = 1e-3 kHz');
    const a = setting(s, 'a');
    expect(a).toMatchObject({ kind: 'NumberLit', value: 20, unit: { text: 'ms' } });
    expect(a.span).toEqual({ file: 't.snn', line: 2, col: 5, length: 5 });
    expect(setting(s, 'b')).toMatchObject({ kind: 'NumberLit', value: -0.05, text: '-0.05', unit: undefined });
    expect(setting(s, 'c')).toMatchObject({ value: 3, unit: { text: 'steps' } });
    expect(setting(s, 'd')).toMatchObject({ value: 1e-3, unit: { text: 'kHz' } });
  });

  it('does not take the next setting key for a unit when `;` is left out', () => {
    const s = values('threshold = 1.0\nreset = 0.0\ntau = 2 ms bias = 1');
    expect(s.map((x) => x.key.text)).toEqual(['threshold', 'reset', 'tau', 'bias']);
    expect(setting(s, 'threshold')).toMatchObject({ value: 1, unit: undefined });
    expect(setting(s, 'tau')).toMatchObject({ value: 2, unit: { text: 'ms' } });
  });

  it('reads names, strings, ranges and calls with positional and named arguments', () => {
    const s = values('m = lif; f = "edges.csv"; r = [-1, 1]; u = uniform(-0.05, 0.05); p = random(p = 0.02, seed = 7); e = poisson(max_rate = 100 Hz); z = f()');
    expect(setting(s, 'm')).toMatchObject({ kind: 'NameValue', name: { text: 'lif' } });
    expect(setting(s, 'f')).toMatchObject({ kind: 'StringLit', value: 'edges.csv' });
    expect(setting(s, 'r')).toMatchObject({ kind: 'RangeLit', low: { value: -1 }, high: { value: 1 } });
    const u = setting(s, 'u');
    expect(Ast.isCall(u) && u.args.map((a) => [a.name, a.value.kind === 'NumberLit' && a.value.value])).toEqual([
      [undefined, -0.05],
      [undefined, 0.05],
    ]);
    const p = setting(s, 'p');
    expect(Ast.isCall(p) && p.args.map((a) => a.name?.text)).toEqual(['p', 'seed']);
    expect(setting(s, 'e')).toMatchObject({ kind: 'Call', callee: { text: 'poisson' }, args: [{ name: { text: 'max_rate' }, value: { value: 100, unit: { text: 'Hz' } } }] });
    expect(setting(s, 'z')).toMatchObject({ kind: 'Call', args: [] });
  });
});

describe('parser: rules', () => {
  it('parses the DESIGN.md section 4 example with no syntax errors', () => {
    const ast = parseOk(DESIGN_EXAMPLE);
    expect(ast.declarations.map((d) => d.kind)).toEqual([
      'TargetDecl', 'NeuronDecl', 'InputDecl', 'PopulationDecl', 'PopulationDecl', 'RuleDecl', 'RuleDecl', 'ConnectDecl', 'ConnectDecl', 'TeachDecl', 'ProbeDecl',
    ]);
  });

  it('builds rule bodies: traces, events with expression trees, bounds and settings', () => {
    const [delta, sbp] = parseOk(DESIGN_EXAMPLE).declarations.filter(Ast.isRuleDecl);
    expect(delta.name.text).toBe('delta');
    expect(delta.base).toBeUndefined();
    expect(delta.items.map((i) => i.kind)).toEqual(['TraceDecl', 'TraceDecl', 'EventBlock', 'BoundsDecl', 'Setting']);
    const [x1] = delta.items.filter(Ast.isTraceDecl);
    expect([x1.name.text, x1.side.text, x1.args[0].name?.text]).toEqual(['x1', 'pre', 'tau']);
    expect(x1.args[0].value).toMatchObject({ value: 20, unit: { text: 'ms' } });
    const every = only(delta.items.filter(Ast.isEventBlock));
    expect([every.trigger, every.event.text]).toEqual(['every', 'epoch']);
    const update = only(every.updates);
    expect([update.target.text, update.op]).toEqual(['w', '+=']);
    expect(show(update.expr)).toBe('((0.002 * x1) * (teach - y1))');
    const bounds = only(delta.items.filter(Ast.isBoundsDecl));
    expect([bounds.variable.text, bounds.range.low, bounds.range.high]).toMatchObject(['w', { value: -1 }, { value: 1 }]);
    const epoch = only(delta.items.filter(Ast.isSetting));
    expect(epoch.value).toMatchObject({ value: 20, unit: { text: 'steps' } });

    expect(sbp.base?.text).toBe('sbp');
    const sbpUpdate = only(only(sbp.items.filter(Ast.isEventBlock)).updates);
    expect(show(sbpUpdate.expr)).toBe('((0.001 * (x1 - (0.5 * w))) * y1)');
    expect(sbp.items.filter(Ast.isSetting).map((s) => s.key.text)).toEqual(['source', 'fraction', 'backward', 'lateral_pre', 'lateral_post', 'mode', 'normalize']);
  });

  it('parses `on` events, several updates, `-=`, `=` and unary minus', () => {
    const rule = only(parseOk('rule r { on pre { w -= 0.1 * -y1  x0 = 1; w += x1 - 2 * (y1 + 1) } }').declarations);
    if (!Ast.isRuleDecl(rule)) throw new Error('not a rule');
    const on = only(rule.items.filter(Ast.isEventBlock));
    expect(on.trigger).toBe('on');
    expect(on.updates.map((u) => `${u.target.text} ${u.op} ${show(u.expr)}`)).toEqual([
      'w -= (0.1 * (-y1))',
      'x0 = 1',
      'w += (x1 - (2 * (y1 + 1)))',
    ]);
  });
});

describe('parser: syntax errors', () => {
  it('reports three independent syntax errors, all of them, in source order', () => {
    const text = [
      'target "loihi-like" { dt = 1 ms }',
      'neuron Lif { model = lif; tau_mem = ; }',
      'population a[10] : { threshold = 1.5 }',
      'connect a -> b { weight = 0.5 ]',
      'probe a',
    ].join('\n');
    expect(errors(text)).toEqual([
      { code: 1102, line: 2, col: 37, message: 'expected a value after `=`' },
      { code: 1110, line: 3, col: 20, message: 'expected a name after `:`, found `{`' },
      { code: 1106, line: 4, col: 31, message: 'expected a setting `key = value` or `}` in the `connect` block, found `]`' },
    ]);
  });

  it('names the block a missing `}` would close and points just after the last token', () => {
    const text = 'target "loihi-like" { dt = 1 ms }\nneuron Lif { model = lif }\npopulation hidden[500] : Lif { threshold = 1.5\nprobe hidden\n';
    const { ast, diagnostics } = parseSource(text, 't.snn');
    const d = only(diagnostics);
    expect(d).toMatchObject({ severity: 'error', code: 1101, message: 'expected `}` to close the `population` block that starts at line 3' });
    expect(d.span).toEqual({ file: 't.snn', line: 3, col: 47, length: 1 });
    // Recovery inserts the `}` and goes on: the probe after it still parses.
    expect(ast.declarations.map((x) => x.kind)).toContain('ProbeDecl');
  });

  it('finds an unclosed block at the end of the file, nested blocks included', () => {
    expect(errors('rule r {\n  every epoch { w += x1 }\n  bounds w in [0, 1]\n')).toEqual([
      { code: 1101, line: 3, col: 21, message: 'expected `}` to close the `rule` block that starts at line 1' },
    ]);
    expect(errors('rule r {\n  every epoch { w += x1\n}\n')).toEqual([
      { code: 1101, line: 3, col: 2, message: 'expected `}` to close the `rule` block that starts at line 1' },
    ]);
  });

  it('says a value is missing when `=` ends a line, and hints at the forms of a value', () => {
    const { diagnostics } = parseSource('neuron A {\n  tau_mem =\n  tau_syn = 5 ms\n}', 't.snn');
    const d = only(diagnostics);
    expect(d).toMatchObject({ code: 1102, message: 'expected a value after `=`', span: { line: 2, col: 12 } });
    expect(d.hint).toContain('a number with an optional unit');
  });

  it('skips stray top-level tokens as one error and suggests a keyword for a misspelt one', () => {
    const { ast, diagnostics } = parseSource('neurn Lif { model = lif }\npopulation a[3] : Lif\n} }\nprobe a', 't.snn');
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.col, d.hint])).toEqual([
      [1105, 1, 1, 'did you mean `neuron`?'],
      [1105, 3, 1, undefined],
    ]);
    expect(diagnostics[0].message).toBe(
      'expected a declaration (`target`, `neuron`, `input`, `population`, `connect`, `probe`, `rule`, `teach` or `include`), found the name `neurn`',
    );
    expect(ast.declarations.map((d) => d.kind)).toEqual(['PopulationDecl', 'ProbeDecl']);
  });

  it('reports a bad expression and a bad rule item in our words', () => {
    expect(errors('rule r { every epoch { w += * 3 } }')).toEqual([{ code: 1108, line: 1, col: 29, message: 'expected an expression, found `*`' }]);
    expect(errors('rule r { 5 }')).toEqual([
      { code: 1107, line: 1, col: 10, message: 'expected `trace`, `every`, `on`, `bounds`, a setting `key = value` or `}` in the rule, found the number `5`' },
    ]);
  });

  it('never lets chevrotain wording through, and never throws', () => {
    const broken = [
      'neuron', 'neuron A', 'neuron A {', 'input x[', 'input x[3', 'population p[3] :', 'connect a ->', 'connect a -> b { pattern = random(p = ) }',
      'rule r : { }', 'rule r { trace x : (tau = 1 ms) }', 'rule r { bounds w [0, 1] }', 'teach d labels', 'target { }', 'x = [1, ]',
      'probe p { 3 }', 'neuron A { a = b c = d e }', '= = =', ')', '',
    ];
    for (const text of broken) {
      const { diagnostics } = parseSource(text, 't.snn');
      for (const d of diagnostics) {
        expect(d.message).not.toMatch(/Expecting|but found|token of type|-->/);
        expect(d.code).toBeGreaterThanOrEqual(1000);
        expect(d.code).toBeLessThan(2000);
        expect(Number.isFinite(d.span.line) && Number.isFinite(d.span.col)).toBe(true);
      }
      if (text !== '') expect(diagnostics.length).toBeGreaterThan(0);
    }
  });

  it('survives token soup: no throw, every error in our words, positions in order', () => {
    const vocabulary = ['neuron', 'population', 'connect', 'rule', 'every', 'on', 'trace', 'teach', 'from', 'x', 'Lif', '3', '-', '->', '=', '+=',
      '{', '}', '[', ']', '(', ')', ',', ';', ':', '*', '"s"', 'ms', '\n'];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 300; i++) {
      const text = Array.from({ length: 30 }, () => vocabulary[next() % vocabulary.length]).join(' ');
      const { diagnostics } = parseSource(text, 'soup.snn');
      for (const d of diagnostics) {
        expect(d.message, text).not.toMatch(/Expecting|but found|token of type/);
        expect([d.span.line, d.span.col, d.span.length].every((n) => Number.isInteger(n) && n >= 1), text).toBe(true);
      }
      const positions = diagnostics.map((d) => d.span.line * 1e4 + d.span.col);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
  });

  it('renders a syntax error with the source line and a caret', () => {
    const text = 'neuron Lif { model = lif; tau_mem = ; }';
    const d = only(parseSource(text, 'net.snn').diagnostics);
    expect(renderDiagnostic(d, text)).toBe(
      [
        'net.snn:1:37: error: expected a value after `=` [E1102]',
        '  |',
        '1 | neuron Lif { model = lif; tau_mem = ; }',
        '  |                                     ^',
        '  = hint: a value is a number with an optional unit (`20 ms`), a name (`lif`), a string, a call (`uniform(0, 0.1)`) or a range (`[-1, 1]`)',
      ].join('\n'),
    );
  });
});
