// Widths and fixed-point formats of the learning engine: the one place these
// numbers live (compiler, image reader, both emulator backends and the tests read
// them from here). The arithmetic that uses them is in engine.ts; docs/isa.md
// explains both.

/** Every microcode word is 32 bits; an instruction is one or more words. */
export const WORD_BITS = 32;
/** Opcode: the top four bits of an instruction's first word. */
export const OPCODE_SHIFT = 28;
export const OPCODE_MASK = 0xf;

/** Traces, spike bits, teach and |w| enter a product as unsigned Q12 values: 4096 is 1.0. */
export const OPERAND_FRAC = 12;
export const OPERAND_ONE = 1 << OPERAND_FRAC;
/** Operands saturate at 16 bits (just under 16.0), so a product of two fits an unsigned 32-bit word. */
export const OPERAND_BITS = 16;
export const OPERAND_MAX = (1 << OPERAND_BITS) - 1;

/**
 * A product of operands is kept as unsigned Q12 up to PRODUCT_MAX (just under
 * 4096.0), so x1 * y1 of two busy traces does not saturate; each further factor
 * is multiplied in two halves so that every partial product fits 32 bits.
 */
export const PRODUCT_MAX = (1 << 24) - 1;
/** Bits of the low half of a product in those split multiplications. */
export const PRODUCT_SPLIT = 12;

/** Traces are stored as the same unsigned Q12 values and saturate at OPERAND_MAX. */
export const TRACE_MAX = OPERAND_MAX;
/** Trace decay constants are 12-bit fractions, as the neuron's (isa/fixed.ts DECAY_BITS). */
export const TRACE_DECAY_BITS = 12;
export const TRACE_DECAY_ONE = 1 << TRACE_DECAY_BITS;
/** Bits of the decay field in a TRACE instruction: 0..4096 needs 13. */
export const TRACE_DECAY_FIELD_BITS = 13;

/** At most this many operands multiply in one product. */
export const MAX_FACTORS = 4;
/** Bits of one operand code inside a PRODUCT instruction. */
export const FACTOR_CODE_BITS = 4;
/** At most this many products in one event (the EVENT instruction's count field). */
export const MAX_PRODUCTS = 64;
export const PRODUCT_COUNT_BITS = 16;

/** A product's coefficient is mantissa * 2^exponent: a signed 16-bit mantissa, a signed 8-bit exponent. */
export const COEF_MANTISSA_BITS = 16;
export const COEF_MANTISSA_MAX = (1 << (COEF_MANTISSA_BITS - 1)) - 1;
export const COEF_EXPONENT_BITS = 8;
export const COEF_EXPONENT_MIN = -(1 << (COEF_EXPONENT_BITS - 1));
export const COEF_EXPONENT_MAX = (1 << (COEF_EXPONENT_BITS - 1)) - 1;

/**
 * Weight changes accumulate per synapse in a signed 32-bit word, in units of
 * the projection's weight mantissa step with DW_FRAC fractional bits, and
 * saturate at +-DW_MAX (2048 mantissa steps: far past any 8-bit weight).
 */
export const DW_FRAC = 16;
export const DW_MAX = (1 << 27) - 1;

/** Bits of the random number that stochastic rounding compares a remainder with. */
export const ROUNDING_BITS = 16;

/** EPOCH instruction: the epoch length in steps, 28 bits. */
export const EPOCH_BITS = 28;
export const EPOCH_MAX = (1 << EPOCH_BITS) - 1;

/**
 * SBP gains (lambda products) and shares are unsigned Q16 fractions: 65536 is
 * 1.0. A lambda product (fraction x backward, fraction x lateral_pre, ...) may
 * not exceed 1.0, so a gain stays within 1 + 1 and every product fits 32 bits.
 */
export const GAIN_FRAC = 16;
export const GAIN_ONE = 1 << GAIN_FRAC;

/** Trace keys: random32(seed, stream, step, core * KEY_CORE_STRIDE + local index), so keys of two cores never collide below 2^20 entries a core. */
export const KEY_CORE_STRIDE = 1 << 20;
/** Teach keys: random32(seed, STREAM.teach, step, population * KEY_POPULATION_STRIDE + neuron). */
export const KEY_POPULATION_STRIDE = 1 << 20;
