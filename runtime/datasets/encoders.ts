// Encoders turn a sample's intensities into input spikes, step by step, for an
// `external` input population. Both are pure functions of (seed, sample, step,
// pixel), so a presentation can be replayed exactly (a resumed training run
// sees the same spikes as an uninterrupted one).
import { probabilityThreshold, random32, STREAM } from '../../isa/random.js';

export interface EncoderSpec {
  readonly kind: 'poisson' | 'rate';
  /** Rate of a pixel of intensity 1, in Hz. */
  readonly maxRateHz: number;
}

/**
 * Writes the indices of the pixels that spike at `step` of the presentation into
 * `out` and returns how many. `key` identifies the presentation (e.g. epoch and
 * sample) so that every presentation draws fresh Poisson spikes.
 *  - poisson: pixel i spikes with probability intensity * maxRate * dt;
 *  - rate: deterministic, pixel i spikes at the steps where floor((step + 1) * r) > floor(step * r),
 *    r = intensity * maxRate * dt (regular trains, the same every presentation).
 */
export function encodeStep(
  spec: EncoderSpec,
  intensities: Float32Array,
  dtS: number,
  seed: number,
  key: number,
  step: number,
  out: Uint32Array,
): number {
  let n = 0;
  const scale = spec.maxRateHz * dtS;
  if (spec.kind === 'poisson') {
    for (let i = 0; i < intensities.length; i++) {
      const p = intensities[i] * scale;
      if (p > 0 && random32(seed, STREAM.encoder, key, step * intensities.length + i) < probabilityThreshold(p)) out[n++] = i;
    }
  } else {
    for (let i = 0; i < intensities.length; i++) {
      const r = intensities[i] * scale;
      if (r > 0 && Math.floor((step + 1) * r) > Math.floor(step * r)) out[n++] = i;
    }
  }
  return n;
}
