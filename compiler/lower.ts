// Lowering: physical values of the Network IR become the chip's fixed point
// (isa/fixed.ts). Every value is quantized here and nowhere else; one that
// loses more than 1% warns with the value it became, one that does not fit errors.
import {
  decayConstant,
  DECAY_ONE,
  maxWeightExponent,
  maxWeightMantissa,
  STATE_MAX,
  toStateUnits,
  UNIT,
  type NeuronParams,
} from '../isa/fixed.js';
import { probabilityThreshold, randomUnit, STREAM } from '../isa/random.js';
import type { InputEncoding } from '../isa/image/types.js';
import type { ChipProfile } from '../isa/profile.js';
import { match } from 'ts-pattern';
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { diag } from './diagnostics/messages.js';
import type { EncodingIR, InitIR, NeuronModelIR, SourceSpan } from './ir.js';
import { randomNormal, weightBound } from './connectivity.js';
import type { WeightIR } from './ir.js';

/** Relative error above which a quantized value warns. */
export const QUANTIZATION_TOLERANCE = 0.01;

interface Lowered<T> {
  readonly value: T;
  readonly diagnostics: readonly Diagnostic[];
}

function relativeError(wanted: number, got: number): number {
  return wanted === 0 ? Math.abs(got) : Math.abs(got - wanted) / Math.abs(wanted);
}

function percent(x: number): string {
  return (100 * x).toFixed(1);
}

/** The time constant a decay constant really gives: -dt / ln(1 - d/4096). */
function effectiveTau(d: number, dtS: number): number {
  if (d >= DECAY_ONE) return 0;
  if (d <= 0) return Infinity;
  return -dtS / Math.log(1 - d / DECAY_ONE);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'infinite';
  if (s >= 1) return `${+s.toPrecision(4)} s`;
  if (s >= 1e-3) return `${+(s * 1e3).toPrecision(4)} ms`;
  return `${+(s * 1e6).toPrecision(4)} us`;
}

export function lowerNeuron(n: NeuronModelIR, dtS: number, name: string, span: SourceSpan): Lowered<NeuronParams> {
  const diagnostics: Diagnostic[] = [];
  const tau = (setting: string, tauS: number): number => {
    const d = decayConstant(tauS, dtS);
    const eff = effectiveTau(d, dtS);
    if (tauS > 0 && Number.isFinite(tauS) && relativeError(tauS, eff) > QUANTIZATION_TOLERANCE) {
      diagnostics.push(
        diag('quantizedValue', span, [`${name}.${setting}`, formatSeconds(tauS), formatSeconds(eff), percent(relativeError(tauS, eff))]),
      );
    }
    return d;
  };
  const membrane = (setting: string, value: number): number => {
    const q = toStateUnits(value);
    if (Math.abs(q) > STATE_MAX) {
      diagnostics.push(
        diag('valueDoesNotFit', span, [`${name}.${setting}`, String(value), String(STATE_MAX / UNIT)]),
      );
      return 0;
    }
    const back = q / UNIT;
    if (relativeError(value, back) > QUANTIZATION_TOLERANCE) {
      diagnostics.push(diag('quantizedValue', span, [`${name}.${setting}`, String(value), String(back), percent(relativeError(value, back))]));
    }
    return q;
  };
  const refractory = Math.round(n.refractoryS / dtS);
  if (n.refractoryS > 0 && relativeError(n.refractoryS, refractory * dtS) > QUANTIZATION_TOLERANCE) {
    diagnostics.push(
      diag('quantizedValue', span, [`${name}.refractory`, formatSeconds(n.refractoryS), formatSeconds(refractory * dtS), percent(relativeError(n.refractoryS, refractory * dtS))]),
    );
  }
  const params: NeuronParams = {
    du: tau(n.tauSynExcS === n.tauSynInhS ? 'tau_syn' : 'tau_syn_exc', n.tauSynExcS),
    duInh: n.tauSynExcS === n.tauSynInhS ? decayConstant(n.tauSynInhS, dtS) : tau('tau_syn_inh', n.tauSynInhS),
    // `if` has no leak: v keeps everything (tauMemS is Infinity, decayConstant gives 0).
    dv: n.model === 'if' ? 0 : tau('tau_mem', n.tauMemS),
    vth: membrane('threshold', n.threshold),
    reset: membrane('reset', n.reset),
    bias: membrane('bias', n.bias),
    refractory,
    thetaPlus: n.model === 'alif' ? membrane('theta_plus', n.thetaPlus) : 0,
    dTheta: n.model === 'alif' ? tau('tau_adapt', n.tauAdaptS) : 0,
  };
  // A threshold too large to fit was reported already; only one that rounds to 0 or below is reported here.
  if (params.vth <= 0 && Math.abs(toStateUnits(n.threshold)) <= STATE_MAX) diagnostics.push(diag('thresholdNotPositive', span, [name, String(n.threshold)]));
  if (params.thetaPlus < 0) diagnostics.push(diag('valueMustBeNonNegative', span, [`${name}.theta_plus`, String(n.thetaPlus)]));
  return { value: params, diagnostics };
}

/**
 * The initial voltage of each neuron of a population, in state units, or
 * undefined when every neuron starts at 0 (the image then stores nothing).
 * Random draws are keyed (seed, STREAM.init, population index, neuron), so they
 * do not depend on the mapping. Values beyond the state range saturate.
 */
export function lowerInit(init: InitIR, size: number, population: number, name: string, span: SourceSpan): Lowered<Int32Array | undefined> {
  const diagnostics: Diagnostic[] = [];
  const what = `${name}.init v`;
  const clamp = (x: number): number => Math.max(-STATE_MAX, Math.min(STATE_MAX, Math.round(x * UNIT)));
  const fits = (bound: number, shown: string): boolean => {
    if (Math.abs(bound) * UNIT <= STATE_MAX) return true;
    diagnostics.push(diag('valueDoesNotFit', span, [what, shown, String(STATE_MAX / UNIT)]));
    return false;
  };
  const value = match(init)
    .with({ kind: 'constant' }, ({ value: x }): Int32Array | undefined => {
      if (x === 0 || !fits(x, String(x))) return undefined;
      const q = clamp(x);
      if (relativeError(x, q / UNIT) > QUANTIZATION_TOLERANCE) {
        diagnostics.push(diag('quantizedValue', span, [what, String(x), String(q / UNIT), percent(relativeError(x, q / UNIT))]));
      }
      return new Int32Array(size).fill(q);
    })
    .with({ kind: 'uniform' }, ({ low, high, seed }): Int32Array | undefined => {
      if (!fits(Math.max(Math.abs(low), Math.abs(high)), `uniform(${low}, ${high})`)) return undefined;
      const out = new Int32Array(size);
      for (let i = 0; i < size; i++) out[i] = clamp(low + (high - low) * randomUnit(seed, STREAM.init, population, i));
      return out;
    })
    .with({ kind: 'normal' }, ({ mu, sigma, seed }): Int32Array | undefined => {
      if (!fits(mu, `normal(${mu}, ${sigma})`)) return undefined;
      const out = new Int32Array(size);
      for (let i = 0; i < size; i++) out[i] = clamp(mu + sigma * randomNormal(seed, STREAM.init, population, i));
      return out;
    })
    .exhaustive();
  return { value: value !== undefined && value.every((x) => x === 0) ? undefined : value, diagnostics };
}

/** The initial voltages of population indices offset..offset+count-1, as a group's field. */
export function sliceInit(initV: Int32Array | undefined, offset: number, count: number): { readonly initV?: Int32Array } {
  return initV === undefined ? {} : { initV: initV.slice(offset, offset + count) };
}

/** An input encoding for the group holding population indices offset..offset+count-1 (a spike list keeps its own neurons, renumbered). */
export function sliceEncoding(encoding: InputEncoding, offset: number, count: number): InputEncoding {
  if (encoding.kind !== 'spikes') return encoding;
  const steps: number[] = [];
  const neurons: number[] = [];
  for (let i = 0; i < encoding.steps.length; i++) {
    const local = encoding.neurons[i] - offset;
    if (local >= 0 && local < count) {
      steps.push(encoding.steps[i]);
      neurons.push(local);
    }
  }
  return { kind: 'spikes', steps: Uint32Array.from(steps), neurons: Uint32Array.from(neurons) };
}

export function lowerEncoding(e: EncodingIR, dtS: number, name: string, span: SourceSpan): Lowered<InputEncoding> {
  const diagnostics: Diagnostic[] = [];
  const value = match(e)
    .with({ kind: 'poisson' }, ({ maxRateHz }): InputEncoding => {
      const p = maxRateHz * dtS;
      if (p > 1) diagnostics.push(diag('rateAboveStepRate', span, [name, String(maxRateHz), String(1 / dtS)]));
      return { kind: 'poisson', threshold: probabilityThreshold(p) };
    })
    .with({ kind: 'periodic' }, ({ periodS, phaseS }): InputEncoding => {
      const period = Math.max(1, Math.round(periodS / dtS));
      const phase = Math.max(0, Math.round(phaseS / dtS));
      if (relativeError(periodS, period * dtS) > QUANTIZATION_TOLERANCE) {
        diagnostics.push(diag('quantizedValue', span, [`${name}.period`, formatSeconds(periodS), formatSeconds(period * dtS), percent(relativeError(periodS, period * dtS))]));
      }
      return { kind: 'periodic', period, phase };
    })
    // Spike times are whole steps already (the checker read them so).
    .with({ kind: 'from_file' }, ({ spikes }): InputEncoding => ({ kind: 'spikes', steps: spikes.steps, neurons: spikes.neurons }))
    .with({ kind: 'external' }, (): InputEncoding => ({ kind: 'external' }))
    .exhaustive();
  return { value, diagnostics };
}

/** A projection's weights on the chip: mantissa << exponent state units. */
export interface WeightFormat {
  readonly exponent: number;
  /** Real weight (threshold units) of one mantissa step. */
  readonly step: number;
}

/**
 * Chooses the smallest exponent whose mantissa range holds the largest weight,
 * so that small weights keep as much precision as the chip allows.
 */
export function lowerWeightFormat(weight: WeightIR, profile: ChipProfile, what: string, span: SourceSpan): Lowered<WeightFormat> {
  const diagnostics: Diagnostic[] = [];
  const maxMant = maxWeightMantissa(profile.limits.weightBits);
  const maxExp = maxWeightExponent(profile.limits.weightBits);
  const bound = weightBound(weight) * UNIT;
  let exponent = 0;
  while (exponent < maxExp && Math.round(bound / 2 ** exponent) > maxMant) exponent++;
  const fits = Math.round(bound / 2 ** exponent) <= maxMant;
  if (!fits) diagnostics.push(diag('valueDoesNotFit', span, [what, String(weightBound(weight)), String((maxMant * 2 ** maxExp) / UNIT)]));
  const format = { exponent, step: 2 ** exponent / UNIT };
  if (fits && weight.kind === 'constant') {
    const back = quantizeWeight(weight.value, format, maxMant) * format.step;
    if (relativeError(weight.value, back) > QUANTIZATION_TOLERANCE) {
      diagnostics.push(diag('quantizedValue', span, [what, String(weight.value), String(back), percent(relativeError(weight.value, back))]));
    }
  }
  if (fits && weight.kind === 'from_file') {
    // One warning per file, for the edge that loses the most.
    let worst = -1;
    let worstError = QUANTIZATION_TOLERANCE;
    const w = weight.edges.weight;
    for (let e = 0; e < w.length; e++) {
      const err = relativeError(w[e], quantizeWeight(w[e], format, maxMant) * format.step);
      if (err > worstError) {
        worst = e;
        worstError = err;
      }
    }
    if (worst >= 0) {
      const back = quantizeWeight(w[worst], format, maxMant) * format.step;
      diagnostics.push(diag('quantizedValue', span, [`${what} (${weight.edges.path}, edge ${weight.edges.pre[worst]} -> ${weight.edges.post[worst]})`, String(w[worst]), String(back), percent(worstError)]));
    }
  }
  return { value: format, diagnostics };
}

/** The mantissa of one weight, rounded to nearest and saturated to the mantissa range. */
export function quantizeWeight(w: number, format: WeightFormat, maxMant: number): number {
  const m = Math.round(w / format.step);
  return m > maxMant ? maxMant : m < -maxMant ? -maxMant : m;
}
