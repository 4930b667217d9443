// How one synapse is stored: a 32-bit word, the layout both backends read.
//   bits 31..16  target neuron, local to the core (16 bits)
//   bits 15..8   weight mantissa, two's complement (8 bits)
//   bits  7..0   delay in steps (8 bits, 1..max_delay_steps)
// The weight's exponent is per axon (one per projection and source neuron).

export const SYNAPSE_BYTES = 4;
export const TARGET_BITS = 16;
export const WEIGHT_FIELD_BITS = 8;
export const DELAY_BITS = 8;

export function packSynapse(target: number, weightMantissa: number, delay: number): number {
  return ((target << 16) | ((weightMantissa & 0xff) << 8) | (delay & 0xff)) >>> 0;
}

export function synapseTarget(word: number): number {
  return word >>> 16;
}

export function synapseWeight(word: number): number {
  return (word << 16) >> 24;
}

export function synapseDelay(word: number): number {
  return word & 0xff;
}

/** Synapse memory a core uses for `synapses` synapses, in bytes, as the image stores them. */
export function synapseMemoryBytes(synapses: number): number {
  return synapses * SYNAPSE_BYTES;
}
