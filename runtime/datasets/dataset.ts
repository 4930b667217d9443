// A labelled dataset as the training loop sees it: samples as intensities in
// [0, 1] in one typed array, labels in another. A second dataset implements this
// interface and the training loop does not change.

export interface SampleSet {
  readonly count: number;
  /** count x inputSize intensities in [0, 1], row-major. */
  readonly inputs: Float32Array;
  /** count labels in 0..classes-1. */
  readonly labels: Uint8Array;
}

export interface Dataset {
  readonly name: string;
  /** Where the data comes from, for reports. */
  readonly source: string;
  readonly inputSize: number;
  readonly classes: number;
  readonly train: SampleSet;
  readonly test: SampleSet;
}

/** The intensities of sample i, as a view (no copy). */
export function sampleInputs(set: SampleSet, inputSize: number, i: number): Float32Array {
  return set.inputs.subarray(i * inputSize, (i + 1) * inputSize);
}

/** The first `count` samples of a set, as views (no copy). */
export function takeSamples(set: SampleSet, inputSize: number, count: number): SampleSet {
  const n = Math.min(count, set.count);
  return { count: n, inputs: set.inputs.subarray(0, n * inputSize), labels: set.labels.subarray(0, n) };
}
