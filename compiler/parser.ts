// Parser: tokens -> AST, with chevrotain's error recovery on, so one run reports
// every independent syntax error. Chevrotain's own wording never reaches the
// user: its message provider returns only the expected token names, and
// parse-errors.ts turns each recognition exception into a catalog diagnostic.
import { EmbeddedActionsParser, EOF, type IToken, type IParserErrorMessageProvider, type TokenType } from 'chevrotain';
import type * as Ast from './ast.js';
import type { Diagnostic } from './diagnostics/diagnostic.js';
import * as T from './lexer.js';
import { recognitionDiagnostic } from './parse-errors.js';

/** Joins two spans on the same line into one; across lines the first span stands for both. */
export function joinSpans(a: Ast.Span, b: Ast.Span | undefined): Ast.Span {
  if (b === undefined || b.line !== a.line || !(b.col >= a.col)) return a;
  return { ...a, length: Math.max(a.length, b.col + b.length - a.col) };
}

const firstTokenNames = (paths: readonly (readonly TokenType[])[]): string =>
  [...new Set(paths.map((p) => p[0]?.name).filter((n): n is string => n !== undefined))].join(' ');

/** Hands chevrotain's error context to parse-errors.ts as expected token names, not prose. */
const tokenNameMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected }) => expected.name,
  buildNotAllInputParsedMessage: () => '',
  buildNoViableAltMessage: ({ expectedPathsPerAlt }) => firstTokenNames(expectedPathsPerAlt.flat()),
  buildEarlyExitMessage: ({ expectedIterationPaths }) => firstTokenNames(expectedIterationPaths),
};

class SnnParser extends EmbeddedActionsParser {
  /** The file name stamped on every span of the current parse. */
  private file = '';

  constructor() {
    super([...T.ALL_TOKENS], { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: tokenNameMessages });
    this.performSelfAnalysis();
  }

  /** Parses a token vector; the AST holds every declaration that parsed. */
  parseTokens(tokens: readonly IToken[], file: string): { readonly ast: Ast.SourceFile; readonly diagnostics: readonly Diagnostic[] } {
    this.file = file;
    this.input = [...tokens];
    const declarations = this.sourceFile() ?? [];
    const recognition = this.errors.map((e) => recognitionDiagnostic(e, tokens, file));
    return { ast: { kind: 'SourceFile', file, declarations }, diagnostics: recognition };
  }

  private span(token: IToken): Ast.Span {
    return T.tokenSpan(this.file, token);
  }

  private name(token: IToken): Ast.Name {
    return { kind: 'Name', text: token.image, span: this.span(token) };
  }

  // ---- top level ----

  private readonly sourceFile = this.RULE('sourceFile', (): Ast.Declaration[] => {
    const declarations: Ast.Declaration[] = [];
    this.MANY(() => {
      const d = this.SUBRULE(this.declaration);
      this.ACTION(() => d !== undefined && declarations.push(d));
    });
    // Expecting EOF after the loop lets chevrotain skip stray top-level tokens
    // (one error) and carry on at the next declaration, instead of stopping.
    this.CONSUME(EOF);
    return declarations;
  });

  private readonly declaration = this.RULE('declaration', (): Ast.Declaration | undefined =>
    this.OR<Ast.Declaration | undefined>([
      { ALT: () => this.SUBRULE(this.targetDecl) },
      { ALT: () => this.SUBRULE(this.neuronDecl) },
      { ALT: () => this.SUBRULE(this.inputDecl) },
      { ALT: () => this.SUBRULE(this.populationDecl) },
      { ALT: () => this.SUBRULE(this.connectDecl) },
      { ALT: () => this.SUBRULE(this.probeDecl) },
      { ALT: () => this.SUBRULE(this.ruleDecl) },
      { ALT: () => this.SUBRULE(this.teachDecl) },
      { ALT: () => this.SUBRULE(this.includeDecl) },
    ]),
  );

  private readonly includeDecl = this.RULE('includeDecl', (): Ast.IncludeDecl | undefined => {
    const kw = this.CONSUME(T.Include);
    const path = this.CONSUME(T.StringLit);
    this.OPTION(() => this.CONSUME(T.Semicolon));
    return this.ACTION(() => {
      const pathLit: Ast.StringLit = { kind: 'StringLit', value: path.image.slice(1, -1), span: this.span(path) };
      return { kind: 'IncludeDecl', keyword: this.span(kw), path: pathLit, span: joinSpans(this.span(kw), pathLit.span) };
    });
  });

  private readonly targetDecl = this.RULE('targetDecl', (): Ast.TargetDecl | undefined => {
    const kw = this.CONSUME(T.Target);
    const profile = this.CONSUME(T.StringLit);
    const settings = this.OPTION(() => this.SUBRULE(this.settingsBlock)) ?? [];
    return this.ACTION(() => {
      const profileLit: Ast.StringLit = { kind: 'StringLit', value: profile.image.slice(1, -1), span: this.span(profile) };
      return { kind: 'TargetDecl', keyword: this.span(kw), profile: profileLit, settings, span: joinSpans(this.span(kw), profileLit.span) };
    });
  });

  private readonly neuronDecl = this.RULE('neuronDecl', (): Ast.NeuronDecl | undefined => {
    const kw = this.CONSUME(T.Neuron);
    const name = this.CONSUME(T.Identifier);
    const settings = this.SUBRULE(this.settingsBlock);
    return this.ACTION(() => ({
      kind: 'NeuronDecl',
      keyword: this.span(kw),
      name: this.name(name),
      settings,
      span: joinSpans(this.span(kw), this.span(name)),
    }));
  });

  private readonly inputDecl = this.RULE('inputDecl', (): Ast.InputDecl | undefined => {
    const kw = this.CONSUME(T.Input);
    const name = this.CONSUME(T.Identifier);
    const size = this.SUBRULE(this.sizeSpec);
    const settings = this.OPTION(() => this.SUBRULE(this.settingsBlock)) ?? [];
    return this.ACTION(() =>
      size === undefined
        ? undefined
        : { kind: 'InputDecl', keyword: this.span(kw), name: this.name(name), size, settings, span: joinSpans(this.span(kw), size.span) },
    );
  });

  private readonly populationDecl = this.RULE('populationDecl', (): Ast.PopulationDecl | undefined => {
    const kw = this.CONSUME(T.Population);
    const name = this.CONSUME(T.Identifier);
    const size = this.SUBRULE(this.sizeSpec);
    this.CONSUME(T.Colon);
    const type = this.CONSUME2(T.Identifier);
    const settings = this.OPTION(() => this.SUBRULE(this.settingsBlock)) ?? [];
    return this.ACTION(() =>
      size === undefined
        ? undefined
        : {
            kind: 'PopulationDecl',
            keyword: this.span(kw),
            name: this.name(name),
            size,
            neuronType: this.name(type),
            settings,
            span: joinSpans(this.span(kw), this.span(type)),
          },
    );
  });

  /** `[N]`: the size, kept as written so the checker can say what is wrong with it. */
  private readonly sizeSpec = this.RULE('sizeSpec', (): Ast.NumberLit | undefined => {
    this.CONSUME(T.LBracket);
    const size = this.SUBRULE(this.numberValue);
    this.CONSUME(T.RBracket);
    return size;
  });

  private readonly connectDecl = this.RULE('connectDecl', (): Ast.ConnectDecl | undefined => {
    const kw = this.CONSUME(T.Connect);
    const pre = this.CONSUME(T.Identifier);
    this.CONSUME(T.Arrow);
    const post = this.CONSUME2(T.Identifier);
    const settings = this.OPTION(() => this.SUBRULE(this.settingsBlock)) ?? [];
    return this.ACTION(() => ({
      kind: 'ConnectDecl',
      keyword: this.span(kw),
      pre: this.name(pre),
      post: this.name(post),
      settings,
      span: joinSpans(this.span(kw), this.span(post)),
    }));
  });

  private readonly probeDecl = this.RULE('probeDecl', (): Ast.ProbeDecl | undefined => {
    const kw = this.CONSUME(T.Probe);
    const population = this.CONSUME(T.Identifier);
    const items = this.OPTION(() => this.SUBRULE(this.probeBlock)) ?? [];
    return this.ACTION(() => ({
      kind: 'ProbeDecl',
      keyword: this.span(kw),
      population: this.name(population),
      items,
      span: joinSpans(this.span(kw), this.span(population)),
    }));
  });

  private readonly probeBlock = this.RULE('probeBlock', (): Ast.Name[] => {
    const items: Ast.Name[] = [];
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      const item = this.CONSUME(T.Identifier);
      this.ACTION(() => items.push(this.name(item)));
      this.OPTION(() => this.OR([{ ALT: () => this.CONSUME(T.Comma) }, { ALT: () => this.CONSUME(T.Semicolon) }]));
    });
    this.CONSUME(T.RCurly);
    return items;
  });

  private readonly teachDecl = this.RULE('teachDecl', (): Ast.TeachDecl | undefined => {
    const kw = this.CONSUME(T.Teach);
    const population = this.CONSUME(T.Identifier);
    this.CONSUME(T.From);
    const source = this.CONSUME2(T.Identifier);
    const settings = this.OPTION(() => this.SUBRULE(this.settingsBlock)) ?? [];
    return this.ACTION(() => ({
      kind: 'TeachDecl',
      keyword: this.span(kw),
      population: this.name(population),
      source: this.name(source),
      settings,
      span: joinSpans(this.span(kw), this.span(source)),
    }));
  });

  // ---- settings and values ----

  private readonly settingsBlock = this.RULE('settingsBlock', (): Ast.Setting[] => {
    const settings: Ast.Setting[] = [];
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      const s = this.SUBRULE(this.setting);
      this.ACTION(() => s !== undefined && settings.push(s));
    });
    this.CONSUME(T.RCurly);
    return settings;
  });

  private readonly setting = this.RULE('setting', (): Ast.Setting | undefined => {
    const key = this.CONSUME(T.Identifier);
    // `init v = ...`: a key followed by the name of the variable it sets.
    const variable = this.OPTION({ GATE: () => this.LA(2).tokenType === T.Equals, DEF: () => this.CONSUME2(T.Identifier) });
    this.CONSUME(T.Equals);
    const value = this.SUBRULE(this.value);
    this.OPTION2(() => this.CONSUME(T.Semicolon));
    return this.ACTION(() => {
      if (value === undefined) return undefined;
      const span = joinSpans(this.span(key), value.span);
      return variable === undefined
        ? { kind: 'Setting', key: this.name(key), value, span }
        : { kind: 'Setting', key: this.name(key), variable: this.name(variable), value, span };
    });
  });

  private readonly value = this.RULE('value', (): Ast.Value | undefined =>
    this.OR<Ast.Value | undefined>([
      { ALT: () => this.SUBRULE(this.numberValue) },
      {
        ALT: () => {
          const s = this.CONSUME(T.StringLit);
          return this.ACTION(() => ({ kind: 'StringLit', value: s.image.slice(1, -1), span: this.span(s) }));
        },
      },
      // A name followed by `=` is the next setting's key, not this value.
      { GATE: () => this.LA(2).tokenType !== T.Equals, ALT: () => this.SUBRULE(this.nameOrCall) },
      { ALT: () => this.SUBRULE(this.range) },
    ]),
  );

  /** `20 ms`, `-0.05`, `1e-3`: a unit is a name on the same line that is not the next setting's key. */
  private readonly numberValue = this.RULE('numberValue', (): Ast.NumberLit | undefined => {
    const minus = this.OPTION(() => this.CONSUME(T.Minus));
    const num = this.CONSUME(T.NumberLit);
    const unit = this.OPTION2({
      GATE: () => {
        const next = this.LA(1);
        const after = this.LA(2).tokenType;
        return next.startLine === num.endLine && after !== T.Equals && after !== T.PlusEquals && after !== T.MinusEquals && after !== T.Colon;
      },
      DEF: () => this.CONSUME(T.Identifier),
    });
    return this.ACTION(() => {
      const first = this.span(minus ?? num);
      const last = unit === undefined ? this.span(num) : this.span(unit);
      const magnitude = Number(num.image);
      return {
        kind: 'NumberLit',
        value: minus === undefined ? magnitude : -magnitude,
        text: minus === undefined ? num.image : `-${num.image}`,
        unit: unit === undefined ? undefined : this.name(unit),
        span: joinSpans(first, last),
      };
    });
  });

  private readonly nameOrCall = this.RULE('nameOrCall', (): Ast.NameValue | Ast.Call | undefined => {
    const id = this.CONSUME(T.Identifier);
    const call = this.OPTION(() => {
      this.CONSUME(T.LParen);
      const args = this.SUBRULE(this.argumentList);
      const close = this.CONSUME(T.RParen);
      return { args, close };
    });
    return this.ACTION(() => {
      const callee = this.name(id);
      if (call === undefined) return { kind: 'NameValue', name: callee, span: callee.span };
      return { kind: 'Call', callee, args: call.args, span: joinSpans(callee.span, this.span(call.close)) };
    });
  });

  private readonly argumentList = this.RULE('argumentList', (): Ast.Argument[] => {
    const args: Ast.Argument[] = [];
    this.MANY_SEP({
      SEP: T.Comma,
      DEF: () => {
        const a = this.SUBRULE(this.argument);
        this.ACTION(() => a !== undefined && args.push(a));
      },
    });
    return args;
  });

  private readonly argument = this.RULE('argument', (): Ast.Argument | undefined =>
    this.OR<Ast.Argument | undefined>([
      {
        ALT: () => {
          const key = this.CONSUME(T.Identifier);
          this.CONSUME(T.Equals);
          const value = this.SUBRULE(this.value);
          return this.ACTION(() =>
            value === undefined ? undefined : { kind: 'Argument', name: this.name(key), value, span: joinSpans(this.span(key), value.span) },
          );
        },
      },
      {
        ALT: () => {
          const value = this.SUBRULE2(this.value);
          return this.ACTION(() => (value === undefined ? undefined : { kind: 'Argument', name: undefined, value, span: value.span }));
        },
      },
    ]),
  );

  private readonly range = this.RULE('range', (): Ast.RangeLit | undefined => {
    const open = this.CONSUME(T.LBracket);
    const low = this.SUBRULE(this.value);
    this.CONSUME(T.Comma);
    const high = this.SUBRULE2(this.value);
    const close = this.CONSUME(T.RBracket);
    return this.ACTION(() =>
      low === undefined || high === undefined
        ? undefined
        : { kind: 'RangeLit', low, high, span: joinSpans(this.span(open), this.span(close)) },
    );
  });

  // ---- rules (learning) ----

  private readonly ruleDecl = this.RULE('ruleDecl', (): Ast.RuleDecl | undefined => {
    const kw = this.CONSUME(T.Rule);
    const name = this.CONSUME(T.Identifier);
    const base = this.OPTION(() => {
      this.CONSUME(T.Colon);
      return this.CONSUME2(T.Identifier);
    });
    const items: Ast.RuleItem[] = [];
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      const item = this.SUBRULE(this.ruleItem);
      this.ACTION(() => item !== undefined && items.push(item));
    });
    this.CONSUME(T.RCurly);
    return this.ACTION(() => ({
      kind: 'RuleDecl',
      keyword: this.span(kw),
      name: this.name(name),
      base: base === undefined ? undefined : this.name(base),
      items,
      span: joinSpans(this.span(kw), this.span(base ?? name)),
    }));
  });

  private readonly ruleItem = this.RULE('ruleItem', (): Ast.RuleItem | undefined =>
    this.OR<Ast.RuleItem | undefined>([
      { ALT: () => this.SUBRULE(this.traceDecl) },
      { ALT: () => this.SUBRULE(this.eventBlock) },
      { ALT: () => this.SUBRULE(this.boundsDecl) },
      { ALT: () => this.SUBRULE(this.setting) },
    ]),
  );

  private readonly traceDecl = this.RULE('traceDecl', (): Ast.TraceDecl | undefined => {
    const kw = this.CONSUME(T.Trace);
    // `teach` is a keyword, and a rule may declare its teaching trace's time constant.
    const name = this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.CONSUME(T.Teach) }]);
    this.CONSUME(T.Colon);
    const side = this.CONSUME2(T.Identifier);
    const args =
      this.OPTION(() => {
        this.CONSUME(T.LParen);
        const list = this.SUBRULE(this.argumentList);
        this.CONSUME(T.RParen);
        return list;
      }) ?? [];
    return this.ACTION(() => ({
      kind: 'TraceDecl',
      name: this.name(name),
      side: this.name(side),
      args,
      span: joinSpans(this.span(kw), this.span(side)),
    }));
  });

  private readonly eventBlock = this.RULE('eventBlock', (): Ast.EventBlock | undefined => {
    const trigger = this.OR([{ ALT: () => this.CONSUME(T.Every) }, { ALT: () => this.CONSUME(T.On) }]);
    const event = this.CONSUME(T.Identifier);
    const updates: Ast.Update[] = [];
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      const u = this.SUBRULE(this.update);
      this.ACTION(() => u !== undefined && updates.push(u));
    });
    this.CONSUME(T.RCurly);
    return this.ACTION(() => ({
      kind: 'EventBlock',
      trigger: trigger.tokenType === T.Every ? 'every' : 'on',
      event: this.name(event),
      updates,
      span: joinSpans(this.span(trigger), this.span(event)),
    }));
  });

  private readonly update = this.RULE('update', (): Ast.Update | undefined => {
    const target = this.CONSUME(T.Identifier);
    const op = this.OR([
      { ALT: () => this.CONSUME(T.PlusEquals) },
      { ALT: () => this.CONSUME(T.MinusEquals) },
      { ALT: () => this.CONSUME(T.Equals) },
    ]);
    const expr = this.SUBRULE(this.expr);
    this.OPTION(() => this.CONSUME(T.Semicolon));
    return this.ACTION(() => {
      if (expr === undefined) return undefined;
      const updateOp: Ast.UpdateOp = op.tokenType === T.PlusEquals ? '+=' : op.tokenType === T.MinusEquals ? '-=' : '=';
      return { kind: 'Update', target: this.name(target), op: updateOp, expr, span: joinSpans(this.span(target), expr.span) };
    });
  });

  private readonly boundsDecl = this.RULE('boundsDecl', (): Ast.BoundsDecl | undefined => {
    const kw = this.CONSUME(T.Bounds);
    const variable = this.CONSUME(T.Identifier);
    this.CONSUME(T.In);
    const range = this.SUBRULE(this.range);
    return this.ACTION(() =>
      range === undefined ? undefined : { kind: 'BoundsDecl', variable: this.name(variable), range, span: joinSpans(this.span(kw), range.span) },
    );
  });

  // ---- expressions: sums of products ----

  private binary(op: Ast.BinaryOp, left: Ast.Expr | undefined, right: Ast.Expr | undefined): Ast.Expr | undefined {
    if (left === undefined || right === undefined) return undefined;
    return { kind: 'BinaryExpr', op, left, right, span: joinSpans(left.span, right.span) };
  }

  private readonly expr = this.RULE('expr', (): Ast.Expr | undefined => {
    let left = this.SUBRULE(this.term);
    this.MANY(() => {
      const op = this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
      const right = this.SUBRULE2(this.term);
      this.ACTION(() => {
        left = this.binary(op.tokenType === T.Plus ? '+' : '-', left, right);
      });
    });
    return left;
  });

  private readonly term = this.RULE('term', (): Ast.Expr | undefined => {
    let left = this.SUBRULE(this.factor);
    this.MANY(() => {
      this.CONSUME(T.Star);
      const right = this.SUBRULE2(this.factor);
      this.ACTION(() => {
        left = this.binary('*', left, right);
      });
    });
    return left;
  });

  private readonly factor = this.RULE('factor', (): Ast.Expr | undefined =>
    this.OR<Ast.Expr | undefined>([
      {
        ALT: () => {
          const n = this.CONSUME(T.NumberLit);
          return this.ACTION(() => ({ kind: 'NumberExpr', value: Number(n.image), text: n.image, span: this.span(n) }));
        },
      },
      {
        ALT: () => {
          const id = this.CONSUME(T.Identifier);
          return this.ACTION(() => ({ kind: 'NameExpr', name: this.name(id), span: this.span(id) }));
        },
      },
      {
        // `teach` is a keyword at the top level and the teaching trace inside a rule.
        ALT: () => {
          const id = this.CONSUME(T.Teach);
          return this.ACTION(() => ({ kind: 'NameExpr', name: this.name(id), span: this.span(id) }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          const inner = this.SUBRULE(this.expr);
          this.CONSUME(T.RParen);
          return inner;
        },
      },
      {
        ALT: () => {
          const minus = this.CONSUME(T.Minus);
          const operand = this.SUBRULE(this.factor);
          return this.ACTION(() =>
            operand === undefined ? undefined : { kind: 'NegateExpr', operand, span: joinSpans(this.span(minus), operand.span) },
          );
        },
      },
    ]),
  );
}

// Building a chevrotain parser runs its grammar analysis, so one instance serves every parse.
let shared: SnnParser | undefined;

/** Parses tokens from lex(); never throws on user input. */
export function parse(tokens: readonly IToken[], file: string): { readonly ast: Ast.SourceFile; readonly diagnostics: readonly Diagnostic[] } {
  shared ??= new SnnParser();
  return shared.parseTokens(tokens, file);
}
