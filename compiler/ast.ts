// The AST of a .snn file: what was written, with where it was written. Names
// are unresolved and values keep their units; the checker gives them meaning.
import type { SourceSpan } from './ir.js';

export type Span = SourceSpan;

/** An identifier as written: a declared name, a reference, a key or a unit. */
export interface Name {
  readonly kind: 'Name';
  readonly text: string;
  readonly span: Span;
}

// ---- values (the right-hand side of `key = value`) ----

export interface NumberLit {
  readonly kind: 'NumberLit';
  readonly value: number;
  /** The source text, sign included, for messages. */
  readonly text: string;
  readonly unit: Name | undefined;
  readonly span: Span;
}

export interface StringLit {
  readonly kind: 'StringLit';
  /** Without the quotes. */
  readonly value: string;
  readonly span: Span;
}

export interface NameValue {
  readonly kind: 'NameValue';
  readonly name: Name;
  readonly span: Span;
}

export interface Argument {
  readonly kind: 'Argument';
  /** Undefined for a positional argument. */
  readonly name: Name | undefined;
  readonly value: Value;
  readonly span: Span;
}

export interface Call {
  readonly kind: 'Call';
  readonly callee: Name;
  readonly args: readonly Argument[];
  readonly span: Span;
}

export interface RangeLit {
  readonly kind: 'RangeLit';
  readonly low: Value;
  readonly high: Value;
  readonly span: Span;
}

export type Value = NumberLit | StringLit | NameValue | Call | RangeLit;

export interface Setting {
  readonly kind: 'Setting';
  readonly key: Name;
  /** The variable of `init v = ...` (key `init`); undefined for every other setting. */
  readonly variable?: Name;
  readonly value: Value;
  readonly span: Span;
}

// ---- rule expressions (sums of products, lowered to learning microcode later) ----

export interface NumberExpr {
  readonly kind: 'NumberExpr';
  readonly value: number;
  readonly text: string;
  readonly span: Span;
}

export interface NameExpr {
  readonly kind: 'NameExpr';
  readonly name: Name;
  readonly span: Span;
}

export type BinaryOp = '+' | '-' | '*';

export interface BinaryExpr {
  readonly kind: 'BinaryExpr';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

export interface NegateExpr {
  readonly kind: 'NegateExpr';
  readonly operand: Expr;
  readonly span: Span;
}

export type Expr = NumberExpr | NameExpr | BinaryExpr | NegateExpr;

export type UpdateOp = '=' | '+=' | '-=';

/** `w += 0.002 * x1 * (teach - y1)` */
export interface Update {
  readonly kind: 'Update';
  readonly target: Name;
  readonly op: UpdateOp;
  readonly expr: Expr;
  readonly span: Span;
}

// ---- rule body items ----

/** `trace x1 : pre (tau = 20 ms)` */
export interface TraceDecl {
  readonly kind: 'TraceDecl';
  readonly name: Name;
  /** `pre` or `post` as written; the checker validates it. */
  readonly side: Name;
  readonly args: readonly Argument[];
  readonly span: Span;
}

/** `every epoch { ... }` or `on pre { ... }` */
export interface EventBlock {
  readonly kind: 'EventBlock';
  readonly trigger: 'every' | 'on';
  readonly event: Name;
  readonly updates: readonly Update[];
  readonly span: Span;
}

/** `bounds w in [-1, 1]` */
export interface BoundsDecl {
  readonly kind: 'BoundsDecl';
  readonly variable: Name;
  readonly range: RangeLit;
  readonly span: Span;
}

export type RuleItem = TraceDecl | EventBlock | BoundsDecl | Setting;

// ---- declarations ----

interface DeclBase {
  /** The span of the leading keyword, where "not supported" messages point. */
  readonly keyword: Span;
  readonly span: Span;
}

/** `target "loihi-like" { dt = 1 ms }` */
export interface TargetDecl extends DeclBase {
  readonly kind: 'TargetDecl';
  readonly profile: StringLit;
  readonly settings: readonly Setting[];
}

/** `neuron Lif { model = lif; ... }` */
export interface NeuronDecl extends DeclBase {
  readonly kind: 'NeuronDecl';
  readonly name: Name;
  readonly settings: readonly Setting[];
}

/** `input pixels[784] { encoding = ... }` */
export interface InputDecl extends DeclBase {
  readonly kind: 'InputDecl';
  readonly name: Name;
  readonly size: NumberLit;
  readonly settings: readonly Setting[];
}

/** `population hidden[500] : Lif { threshold = 1.5 }` */
export interface PopulationDecl extends DeclBase {
  readonly kind: 'PopulationDecl';
  readonly name: Name;
  readonly size: NumberLit;
  readonly neuronType: Name;
  readonly settings: readonly Setting[];
}

/** `connect a -> b { ... }` */
export interface ConnectDecl extends DeclBase {
  readonly kind: 'ConnectDecl';
  readonly pre: Name;
  readonly post: Name;
  readonly settings: readonly Setting[];
}

/** `probe digits { spikes }` or `probe digits` */
export interface ProbeDecl extends DeclBase {
  readonly kind: 'ProbeDecl';
  readonly population: Name;
  /** Empty when no block was written. */
  readonly items: readonly Name[];
}

/** `rule name (: base)? { ... }` */
export interface RuleDecl extends DeclBase {
  readonly kind: 'RuleDecl';
  readonly name: Name;
  readonly base: Name | undefined;
  readonly items: readonly RuleItem[];
}

/** `teach digits from labels { rate = 200 Hz }` */
export interface TeachDecl extends DeclBase {
  readonly kind: 'TeachDecl';
  readonly population: Name;
  readonly source: Name;
  readonly settings: readonly Setting[];
}

/** `include "layers.snn"`: the declarations of another file, resolved relative to this one. */
export interface IncludeDecl extends DeclBase {
  readonly kind: 'IncludeDecl';
  readonly path: StringLit;
}

export type Declaration = TargetDecl | NeuronDecl | InputDecl | PopulationDecl | ConnectDecl | ProbeDecl | RuleDecl | TeachDecl | IncludeDecl;

export interface SourceFile {
  readonly kind: 'SourceFile';
  readonly file: string;
  readonly declarations: readonly Declaration[];
}

export type AstNode = SourceFile | Declaration | RuleItem | Update | Expr | Value | Argument | Name;

// ---- type guards, one per node ----

type NodeOfKind<K extends AstNode['kind']> = Extract<AstNode, { readonly kind: K }>;

const guard =
  <K extends AstNode['kind']>(kind: K) =>
  (node: AstNode | undefined): node is NodeOfKind<K> =>
    node?.kind === kind;

export const isName = guard('Name');
export const isNumberLit = guard('NumberLit');
export const isStringLit = guard('StringLit');
export const isNameValue = guard('NameValue');
export const isArgument = guard('Argument');
export const isCall = guard('Call');
export const isRangeLit = guard('RangeLit');
export const isSetting = guard('Setting');
export const isNumberExpr = guard('NumberExpr');
export const isNameExpr = guard('NameExpr');
export const isBinaryExpr = guard('BinaryExpr');
export const isNegateExpr = guard('NegateExpr');
export const isUpdate = guard('Update');
export const isTraceDecl = guard('TraceDecl');
export const isEventBlock = guard('EventBlock');
export const isBoundsDecl = guard('BoundsDecl');
export const isTargetDecl = guard('TargetDecl');
export const isNeuronDecl = guard('NeuronDecl');
export const isInputDecl = guard('InputDecl');
export const isPopulationDecl = guard('PopulationDecl');
export const isConnectDecl = guard('ConnectDecl');
export const isProbeDecl = guard('ProbeDecl');
export const isRuleDecl = guard('RuleDecl');
export const isTeachDecl = guard('TeachDecl');
export const isIncludeDecl = guard('IncludeDecl');
export const isSourceFile = guard('SourceFile');
