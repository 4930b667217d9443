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
}

/** Neuron parameters in physical units (seconds, threshold units). */
export interface NeuronModelIR {
  readonly model: 'lif';
  readonly tauMemS: number;
  /** 0 means the current lasts one step only. */
  readonly tauSynS: number;
  readonly threshold: number;
  readonly reset: number;
  readonly refractoryS: number;
  readonly bias: number;
}

export type EncodingIR =
  | { readonly kind: 'poisson'; readonly maxRateHz: number }
  | { readonly kind: 'periodic'; readonly periodS: number; readonly phaseS: number };

export type PopulationIR =
  | { readonly kind: 'neurons'; readonly name: string; readonly size: number; readonly neuron: NeuronModelIR; readonly span: SourceSpan }
  | { readonly kind: 'input'; readonly name: string; readonly size: number; readonly encoding: EncodingIR; readonly span: SourceSpan };

export type PatternIR =
  | { readonly kind: 'all_to_all' }
  | { readonly kind: 'one_to_one' }
  | { readonly kind: 'random'; readonly p: number; readonly seed: number };

export type WeightIR =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number };

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
}

export interface NetworkIR {
  readonly file: string;
  readonly target: TargetIR;
  readonly populations: readonly PopulationIR[];
  readonly projections: readonly ProjectionIR[];
  /** Indices of probed populations. */
  readonly probes: readonly number[];
}
