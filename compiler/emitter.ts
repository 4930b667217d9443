// The emitter: a mapped network becomes a chip image, with the symbol section
// that lets reports, probes and `inspect` speak the user's names.
import type { ChipImage, ImageSymbols } from '../isa/image/types.js';
import type { ChipProfile } from '../isa/profile.js';
import type { NetworkIR } from './ir.js';
import { buildLearning } from './lower-rules.js';
import type { MappedNetwork } from './mapper.js';

/** `sources` (file text by path) lets the learning section carry each rule's source lines for `inspect`. */
export function emitImage(network: NetworkIR, mapped: MappedNetwork, profile: ChipProfile, sources?: ReadonlyMap<string, string>): ChipImage {
  const symbols: ImageSymbols = {
    source: network.file,
    populations: network.populations.map((pop, p) => ({
      name: pop.name,
      kind: pop.kind,
      size: pop.size,
      line: pop.span.line,
      pieces: mapped.pieces[p],
      ...(pop.rateHz === undefined ? {} : { rateHz: pop.rateHz }),
    })),
    probes: network.probes.map((p) => network.populations[p].name),
  };
  const learning = buildLearning(network, mapped, sources);
  const image: ChipImage = { profile, dtS: network.target.dtS, cores: mapped.cores, symbols };
  return learning === undefined ? image : { ...image, learning };
}
