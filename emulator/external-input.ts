// Spikes the host feeds to an `encoding = external` input (Emulator.setExternalInput):
// checked once, sorted and split by the population's pieces, for either backend.
import type { ImageSymbols, PopulationPiece } from '../isa/image/types.js';

export interface PieceSpikes {
  readonly piece: PopulationPiece;
  /** Spike steps, ascending; at equal steps the neurons ascend; no (step, neuron) twice. */
  readonly steps: Uint32Array;
  /** Each spike's neuron as an index within the piece (0..piece.count-1). */
  readonly locals: Uint32Array;
}

/**
 * Validates (step, neuron) spikes of population `population` from step `nextStep`
 * on, and splits them by piece. The step loop relies on one spike per slot and
 * step, so repeats are dropped.
 */
export function splitExternalSpikes(symbols: ImageSymbols, population: string, nextStep: number, steps: Uint32Array, neurons: Uint32Array): readonly PieceSpikes[] {
  const pop = symbols.populations.find((p) => p.name === population);
  if (pop === undefined) throw new Error(`setExternalInput: the image has no population \`${population}\``);
  if (steps.length !== neurons.length) throw new RangeError(`setExternalInput: ${steps.length} steps but ${neurons.length} neurons`);
  for (let i = 0; i < steps.length; i++) {
    if (neurons[i] >= pop.size) throw new RangeError(`setExternalInput: neuron ${neurons[i]} is outside \`${population}\` (${pop.size} neurons)`);
    if (steps[i] < nextStep) throw new RangeError(`setExternalInput: step ${steps[i]} has already run (the next step is ${nextStep})`);
  }
  const order = Array.from(steps.keys()).sort((a, b) => steps[a] - steps[b] || neurons[a] - neurons[b]);
  return pop.pieces.map((piece) => {
    const pickSteps: number[] = [];
    const pickLocals: number[] = [];
    for (const k of order) {
      const local = neurons[k] - piece.offset;
      if (local < 0 || local >= piece.count) continue;
      const last = pickSteps.length - 1;
      if (last >= 0 && pickSteps[last] === steps[k] && pickLocals[last] === local) continue;
      pickSteps.push(steps[k]);
      pickLocals.push(local);
    }
    return { piece, steps: Uint32Array.from(pickSteps), locals: Uint32Array.from(pickLocals) };
  });
}
