// The Network IR: a checked, resolved network in physical units, before it is
// quantized and mapped. The checker produces it; lower.ts and mapper.ts consume it.

export interface SourceSpan {
  readonly file: string;
  /** 1-based */
  readonly line: number;
  /** 1-based */
  readonly col: number;
  /** length in characters on that line (at least 1) */
  readonly length: number;
}

export interface TargetIR {
  /** Chip profile name, e.g. "loihi-like". */
  readonly profile: string;
  /** Time step in seconds. */
  readonly dtS: number;
  readonly span: SourceSpan;
  /** Chips of the board when the program fixes it (`chips = N`); else the mapper grows it as needed. */
  readonly chips?: number;
}

export type NeuronModelKind = 'lif' | 'if' | 'alif';

/** A random or constant initial value, drawn per neuron by the compiler (isa/random.ts STREAM.init). */
export type InitIR =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number; readonly seed: number }
  | { readonly kind: 'normal'; readonly mu: number; readonly sigma: number; readonly seed: number };

/** Neuron parameters in physical units (seconds, threshold units). */
export interface NeuronModelIR {
  readonly model: NeuronModelKind;
  /** Infinity for `if` (no leak). */
  readonly tauMemS: number;
  /** Time constant of the current fed by positive weights; 0 means it lasts one step only. */
  readonly tauSynExcS: number;
  /** Time constant of the current fed by negative weights; 0 means it lasts one step only. */
  readonly tauSynInhS: number;
  readonly threshold: number;
  readonly reset: number;
  readonly refractoryS: number;
  readonly bias: number;
  /** ALIF: threshold increment per spike (threshold units); 0 for lif and if. */
  readonly thetaPlus: number;
  /** ALIF: time constant of the threshold's return to `threshold`. */
  readonly tauAdaptS: number;
  /** Initial membrane voltage (threshold units). */
  readonly initV: InitIR;
}

/** Spikes listed in a file: neuron neurons[i] at step steps[i], sorted by (step, neuron), each pair once. */
export interface SpikeListIR {
  readonly path: string;
  readonly steps: Uint32Array;
  readonly neurons: Uint32Array;
}

export type EncodingIR =
  | { readonly kind: 'poisson'; readonly maxRateHz: number }
  | { readonly kind: 'periodic'; readonly periodS: number; readonly phaseS: number }
  | { readonly kind: 'from_file'; readonly spikes: SpikeListIR }
  | { readonly kind: 'external' };

export type PopulationIR =
  | { readonly kind: 'neurons'; readonly name: string; readonly size: number; readonly neuron: NeuronModelIR; readonly span: SourceSpan; readonly rateHz?: number }
  | { readonly kind: 'input'; readonly name: string; readonly size: number; readonly encoding: EncodingIR; readonly span: SourceSpan; readonly rateHz?: number };
// rateHz: the `rate` hint, the firing rate the mapper expects of each neuron (placement only).

/**
 * Edges read from a file, sorted by (pre, post) (file order among equal pairs):
 * (pre[i], post[i]) with weight[i] and a delay of delaySteps[i] steps (0: the
 * connection's `delay`).
 */
export interface EdgeFileIR {
  readonly path: string;
  readonly pre: Uint32Array;
  readonly post: Uint32Array;
  readonly weight: Float64Array;
  readonly delaySteps: Uint8Array;
}

export type PatternIR =
  | { readonly kind: 'all_to_all' }
  | { readonly kind: 'one_to_one' }
  | { readonly kind: 'random'; readonly p: number; readonly seed: number }
  | { readonly kind: 'fixed_fan_in'; readonly k: number; readonly seed: number }
  | { readonly kind: 'from_file'; readonly edges: EdgeFileIR };

export type WeightIR =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  | { readonly kind: 'normal'; readonly mu: number; readonly sigma: number }
  /** Each edge's own weight, from the pattern's file. */
  | { readonly kind: 'from_file'; readonly edges: EdgeFileIR };

export interface ProjectionIR {
  /** Index into NetworkIR.populations. */
  readonly pre: number;
  readonly post: number;
  readonly pattern: PatternIR;
  readonly weight: WeightIR;
  /** Seconds; at least one time step. */
  readonly delayS: number;
  readonly span: SourceSpan;
  /** Span of the weight expression, for quantization warnings. */
  readonly weightSpan: SourceSpan;
  /** `learn = NAME`: index into NetworkIR.rules; absent for a fixed projection. */
  readonly learn?: number;
}

export interface NetworkIR {
  readonly file: string;
  readonly target: TargetIR;
  readonly populations: readonly PopulationIR[];
  readonly projections: readonly ProjectionIR[];
  /** Indices of probed populations. */
  readonly probes: readonly number[];
  /** Learning rules (compiler/rules.ts), in declaration order; absent or empty when nothing learns. */
  readonly rules?: readonly RuleIR[];
  /** `teach POP from labels` declarations. */
  readonly teach?: readonly TeachIR[];
}

// ---- learning (compiler/rules.ts checks these; compiler/lower-rules.ts lowers them to microcode) ----

/** One product of a rule's sum: coefficient * factors[0] * factors[1] * ... (operand names of isa/learning/symbols.ts). */
export interface ProductIR {
  readonly coefficient: number;
  readonly factors: readonly string[];
  /** The update it came from. */
  readonly span: SourceSpan;
}

export interface RuleEventIR {
  /** 'pre' | 'post' | 'epoch' (isa/learning/symbols.ts EVENTS). */
  readonly event: string;
  readonly products: readonly ProductIR[];
  readonly span: SourceSpan;
}

export interface TraceIR {
  /** 'x1' | 'x2' | 'y1' | 'y2' | 'teach'. */
  readonly name: string;
  readonly tauS: number;
  /** Added per spike, dimensionless (1.0 by default). */
  readonly impulse: number;
  readonly span: SourceSpan;
}

export interface SbpIR {
  /** Index into NetworkIR.rules of the rule whose changes propagate back. */
  readonly source: number;
  readonly fraction: number;
  readonly backward: number;
  readonly lateralPre: number;
  readonly lateralPost: number;
  readonly mode: 'gain' | 'additive';
  readonly normalize: 'layer' | 'fanout' | 'none';
  /** isa/learning/symbols.ts SBP_POLARITIES: what counts as potentiation of a source synapse. */
  readonly polarity: 'change' | 'efficacy';
  readonly span: SourceSpan;
}

export interface RuleIR {
  readonly name: string;
  readonly span: SourceSpan;
  /** Last line of the rule block, for the source text `inspect` shows. */
  readonly endLine: number;
  readonly traces: readonly TraceIR[];
  readonly events: readonly RuleEventIR[];
  readonly epochSteps: number;
  readonly epochSpan: SourceSpan | undefined;
  /** Weight bounds in threshold units; absent: the weight's full range. */
  readonly bounds?: { readonly low: number; readonly high: number; readonly span: SourceSpan };
  readonly sbp?: SbpIR;
}

export interface TeachIR {
  /** Index into NetworkIR.populations. */
  readonly population: number;
  readonly rateHz: number;
  readonly span: SourceSpan;
}
