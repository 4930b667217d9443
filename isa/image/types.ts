// The chip image: everything the emulator knows about a program. The compiler
// writes it (compiler/emitter.ts), isa/image/format.ts turns it into bytes and
// back, and the emulator runs it. Plain readonly data with typed arrays.
import type { ChipProfile } from '../profile.js';
import type { LearningImage } from '../learning/image.js';
import type { NeuronParams } from '../fixed.js';

/** How an input group makes its spikes, evaluated on the chip every step. */
export type InputEncoding =
  /** Spikes when random32(seed, STREAM.poisson, step, global input index) < threshold. */
  | { readonly kind: 'poisson'; readonly threshold: number }
  /** Spikes at steps phase, phase + period, phase + 2*period, ... */
  | { readonly kind: 'periodic'; readonly period: number; readonly phase: number }
  /**
   * A fixed list of spikes (from a file): group-local neuron neurons[i] spikes at
   * step steps[i]. Sorted by step, then neuron, with no (step, neuron) pair twice.
   */
  | { readonly kind: 'spikes'; readonly steps: Uint32Array; readonly neurons: Uint32Array }
  /** Spikes fed at run time by the host (Emulator.setExternalInput); none unless fed. */
  | { readonly kind: 'external' };

/** A contiguous range of a core's neuron slots that share one behaviour. */
export type CoreGroup =
  | {
      readonly kind: 'neurons';
      readonly first: number;
      readonly count: number;
      readonly params: NeuronParams;
      /** Initial voltage of each neuron of the group (length count), state units; absent: all start at 0. */
      readonly initV?: Int32Array;
    }
  | {
      readonly kind: 'input';
      readonly first: number;
      readonly count: number;
      readonly encoding: InputEncoding;
      /** Index of the group's first neuron among all input neurons of the image (the Poisson counter). */
      readonly inputIndex: number;
    };

/**
 * One core of the image. `slot` is the physical core on the mesh (tile =
 * slot / cores_per_tile). Routes name destination cores by their position in
 * ChipImage.cores, not by slot.
 */
export interface CoreImage {
  readonly slot: number;
  /** Neuron slots in use, 0..neuronCount-1; groups cover them exactly, in order, without gaps. */
  readonly neuronCount: number;
  readonly groups: readonly CoreGroup[];
  /** Input side: axon a's synapses are synapses[axonStart[a] .. axonStart[a+1]). Length: axons + 1. */
  readonly axonStart: Uint32Array;
  /** Per axon, the shift applied to its synapses' weight mantissas (0..maxWeightExponent). */
  readonly axonWeightExp: Uint8Array;
  /** Packed synapses (isa/synapse.ts). */
  readonly synapses: Uint32Array;
  /** Output side: neuron n's routes are routeStart[n] .. routeStart[n+1]). Length: neuronCount + 1. */
  readonly routeStart: Uint32Array;
  /** Per route, the destination core (index into ChipImage.cores). */
  readonly routeCore: Uint16Array;
  /** Per route, the destination axon on that core. */
  readonly routeAxon: Uint16Array;
}

/** Where a population's neurons live: population indices offset..offset+count-1 are core slots first..first+count-1. */
export interface PopulationPiece {
  readonly core: number;
  readonly first: number;
  readonly count: number;
  readonly offset: number;
}

export interface PopulationSymbol {
  readonly name: string;
  readonly kind: 'neurons' | 'input';
  readonly size: number;
  /** 1-based line of its declaration in the source, 0 when unknown. */
  readonly line: number;
  readonly pieces: readonly PopulationPiece[];
  /** The `rate` hint of the source (Hz), when one was given: the mapper's traffic estimate. */
  readonly rateHz?: number;
}

/** Debug information: the user's names for what is on the chip. */
export interface ImageSymbols {
  /** The source file the image was compiled from (as given to the compiler). */
  readonly source: string;
  readonly populations: readonly PopulationSymbol[];
  /** Names of probed populations. */
  readonly probes: readonly string[];
}

export interface ChipImage {
  readonly profile: ChipProfile;
  /** The algorithmic time step, in seconds (for rates in reports; chip time comes from cycles). */
  readonly dtS: number;
  readonly cores: readonly CoreImage[];
  readonly symbols: ImageSymbols;
  /** On-core learning (isa/learning/image.ts): absent when nothing in the program learns. */
  readonly learning?: LearningImage;
}
