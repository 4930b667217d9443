// The compiler's one entry point: .snn text -> chip image, stage by stage,
// stopping after the first stage that reports an error.
import type { ChipImage } from '../isa/image/types.js';
import { builtinProfile, builtinProfileNames, type ChipProfile } from '../isa/profile.js';
import { hasErrors, type Diagnostic } from './diagnostics/diagnostic.js';
import { diag, quotedList } from './diagnostics/messages.js';
import { emitImage } from './emitter.js';
import { checkSource } from './frontend.js';
import type { SourceReader } from './sources.js';
import type { NetworkIR } from './ir.js';
import { lowerEncoding, lowerInit, lowerNeuron, lowerWeightFormat } from './lower.js';
import { plasticWeightRange } from './lower-rules.js';
import { mapNetwork, type LoweredNetwork, type MapOptions, type MappedNetwork } from './mapper.js';

/** The stages, in order; `stopAfter` ends compilation after one of them. */
export enum CompileStage {
  Checked = 'check',
  Lowered = 'lower',
  Mapped = 'map',
  Emitted = 'emit',
}

export interface CompileOptions {
  /** A profile that replaces the one the program's `target` names (the CLI's --chip). */
  readonly profile?: ChipProfile;
  readonly stopAfter?: CompileStage;
  /** Placement strategy and seed (the CLI's --placement and --map-seed). */
  readonly map?: MapOptions;
  /** Reads included .snn files and data files (compiler/sources.ts); the CLI passes one over the disk. */
  readonly readFile?: SourceReader;
}

export interface CompileResult {
  readonly diagnostics: readonly Diagnostic[];
  /** The text of every file the program read (itself, includes, data files), by path, for renderDiagnostic. */
  readonly sources?: ReadonlyMap<string, string>;
  readonly network?: NetworkIR;
  readonly mapped?: MappedNetwork;
  readonly image?: ChipImage;
}

export function lowerNetwork(network: NetworkIR, profile: ChipProfile): { lowered: LoweredNetwork; diagnostics: readonly Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const dt = network.target.dtS;
  const behaviour = network.populations.map((pop, p) => {
    if (pop.kind === 'neurons') {
      const r = lowerNeuron(pop.neuron, dt, pop.name, pop.span);
      const init = lowerInit(pop.neuron.initV, pop.size, p, pop.name, pop.span);
      diagnostics.push(...r.diagnostics, ...init.diagnostics);
      return init.value === undefined ? { kind: 'neurons' as const, params: r.value } : { kind: 'neurons' as const, params: r.value, initV: init.value };
    }
    const r = lowerEncoding(pop.encoding, dt, pop.name, pop.span);
    diagnostics.push(...r.diagnostics);
    return { kind: 'input' as const, encoding: r.value };
  });
  const weightFormats = network.projections.map((proj) => {
    const what = `weight of ${network.populations[proj.pre].name} -> ${network.populations[proj.post].name}`;
    // A plastic projection's format holds its rule's bounds too (compiler/lower-rules.ts).
    const r = lowerWeightFormat(plasticWeightRange(network, proj) ?? proj.weight, profile, what, proj.weightSpan);
    diagnostics.push(...r.diagnostics);
    return r.value;
  });
  const delaySteps = network.projections.map((proj) => {
    const steps = Math.round(proj.delayS / dt);
    // The checker bounds delays by the target's profile; --chip may name one with shorter delays.
    if (steps > profile.limits.maxDelaySteps) {
      diagnostics.push(diag('delayTooLong', proj.span, [String(steps), profile.name, String(profile.limits.maxDelaySteps), `${+(profile.limits.maxDelaySteps * dt * 1e3).toPrecision(6)} ms`]));
    }
    return Math.min(Math.max(steps, 1), profile.limits.maxDelaySteps);
  });
  return { lowered: { network, behaviour, weightFormats, delaySteps }, diagnostics };
}

export function compileSource(text: string, file: string, options: CompileOptions = {}): CompileResult {
  const checked = checkSource(text, file, { readFile: options.readFile });
  const diagnostics: Diagnostic[] = [...checked.diagnostics];
  const network = checked.network;
  const sources = checked.sources;
  if (!network || hasErrors(diagnostics) || options.stopAfter === CompileStage.Checked) return { diagnostics, network, sources };

  const profile = options.profile ?? builtinProfile(network.target.profile);
  if (!profile) {
    diagnostics.push(diag('unknownProfile', network.target.span, [network.target.profile, quotedList(builtinProfileNames())]));
    return { diagnostics, network, sources };
  }
  const { lowered, diagnostics: lowerDiagnostics } = lowerNetwork(network, profile);
  diagnostics.push(...lowerDiagnostics);
  if (hasErrors(diagnostics) || options.stopAfter === CompileStage.Lowered) return { diagnostics, network, sources };

  const mapResult = mapNetwork(lowered, profile, options.map);
  diagnostics.push(...mapResult.diagnostics);
  if (!mapResult.mapped || hasErrors(diagnostics) || options.stopAfter === CompileStage.Mapped) {
    return { diagnostics, network, sources, mapped: mapResult.mapped };
  }
  return { diagnostics, network, sources, mapped: mapResult.mapped, image: emitImage(network, mapResult.mapped, mapResult.mapped.profile, sources) };
}

export type { Diagnostic } from './diagnostics/diagnostic.js';
export type { ReadResult, SourceReader } from './sources.js';
export { memoryReader } from './sources.js';
export { renderDiagnostic, hasErrors } from './diagnostics/diagnostic.js';
