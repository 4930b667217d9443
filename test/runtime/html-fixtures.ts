// Hand-made inputs for the HTML report tests. The training report stands in for
// what `meso train --compare --report` (issue 7) will write: its numbers are
// invented to exercise the renderer, not results of any run.

/** A meso.train/v1 comparison: the same network trained with and without SBP, five epochs each. */
export const TRAIN_COMPARE_FIXTURE = {
  schema: 'meso.train/v1',
  source: 'examples/mnist_sbp.snn',
  chip: 'loihi-like',
  runs: [
    {
      sbp: false,
      energy_per_sample_j: 2.41e-4,
      energy_per_inference_j: 1.02e-4,
      epochs: [
        { epoch: 1, train_accuracy: 0.781, test_accuracy: 0.802, energy_j: { total: 1.93, by_category: { synaptic: 0.61, neuron: 0.52, routing: 0.04, learning: 0.41, static: 0.35 } } },
        { epoch: 2, train_accuracy: 0.866, test_accuracy: 0.871, energy_j: { total: 1.95 } },
        { epoch: 3, train_accuracy: 0.898, test_accuracy: 0.9, energy_j: { total: 1.94 } },
        { epoch: 4, train_accuracy: 0.913, test_accuracy: 0.912, energy_j: { total: 1.96 } },
        { epoch: 5, train_accuracy: 0.921, test_accuracy: 0.918, energy_j: { total: 1.95 } },
      ],
    },
    {
      sbp: true,
      energy_per_sample_j: 1.37e-4,
      energy_per_inference_j: 1.01e-4,
      epochs: [
        { epoch: 1, train_accuracy: 0.812, test_accuracy: 0.836, energy_j: { total: 1.52 } },
        { epoch: 2, train_accuracy: 0.889, test_accuracy: 0.894, energy_j: { total: 1.11 } },
        { epoch: 3, train_accuracy: 0.917, test_accuracy: 0.915, energy_j: 0.93 },
        { epoch: 4, train_accuracy: 0.929, test_accuracy: 0.927, energy_j: 0.84 },
        { epoch: 5, train_accuracy: 0.936, test_accuracy: 0.931, energy_j: 0.8 },
      ],
    },
  ],
} as const;
