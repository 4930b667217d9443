// The names of the learning engine's operands, events and settings: the one
// place these strings live. The compiler reads `.snn` rule text with them, the
// disassembler prints them and the assembler reads them back.

/** Operands a product multiplies, with their code in a PRODUCT instruction (0 is no operand). */
export const OPERANDS = {
  w: 1,
  x0: 2,
  x1: 3,
  x2: 4,
  y0: 5,
  y1: 6,
  y2: 7,
  teach: 8,
} as const;
export type OperandName = keyof typeof OPERANDS;
export const OPERAND_NAMES = Object.keys(OPERANDS) as readonly OperandName[];

/** The weight, the one variable a rule updates. */
export const WEIGHT: OperandName = 'w';

/** Traces a rule may declare, with the side whose spikes feed them and their code in a TRACE instruction. */
export const TRACES = {
  x1: { side: 'pre', code: 0 },
  x2: { side: 'pre', code: 1 },
  y1: { side: 'post', code: 2 },
  y2: { side: 'post', code: 3 },
  teach: { side: 'post', code: 4 },
} as const;
export type TraceName = keyof typeof TRACES;
export const TRACE_NAMES = Object.keys(TRACES) as readonly TraceName[];
/** The teaching trace, fed by `teach POP from labels`. */
export const TEACH: TraceName = 'teach';
/** The presynaptic trace additive SBP multiplies its share by. */
export const ADDITIVE_TRACE: TraceName = 'x1';
/** Post traces whose decay the teaching trace takes, in order of preference, when a rule does not declare it. */
export const TEACH_DECAY_FROM: readonly TraceName[] = ['y1', 'y2'];

/** Traces a `trace` declaration may name (teach is declared by `teach POP from labels`). */
export const DECLARABLE_TRACES: readonly TraceName[] = ['x1', 'x2', 'y1', 'y2'];
/** Spike bits: 1.0 in the step the neuron's spike arrives (pre) or fires (post). */
export const SPIKE_BITS: readonly OperandName[] = ['x0', 'y0'];
export const SIDES = ['pre', 'post'] as const;
export type Side = (typeof SIDES)[number];

/** Events that run a rule's products, with their code in an EVENT instruction. */
export const EVENTS = { pre: 0, post: 1, epoch: 2 } as const;
export type EventName = keyof typeof EVENTS;
export const EVENT_NAMES = Object.keys(EVENTS) as readonly EventName[];
/** How each event is written in a rule: `on pre`, `on post`, `every epoch`. */
export const EVENT_TRIGGERS: Readonly<Record<EventName, 'on' | 'every'>> = { pre: 'on', post: 'on', epoch: 'every' };

/** SBP settings. */
export const SBP_BASE = 'sbp';
export const SBP_MODES = { gain: 0, additive: 1 } as const;
export type SbpMode = keyof typeof SBP_MODES;
export const SBP_NORMALIZATIONS = { layer: 0, fanout: 1, none: 2 } as const;
export type SbpNormalization = keyof typeof SBP_NORMALIZATIONS;
/**
 * What counts as potentiation of an output synapse when its changes travel back:
 * `change`, a positive change of w (the authors' code); `efficacy`, a growth of
 * |w| (the sign of dw * w: as biology calls an inhibitory synapse potentiated
 * when it inhibits more).
 */
export const SBP_POLARITIES = { change: 0, efficacy: 1 } as const;
export type SbpPolarity = keyof typeof SBP_POLARITIES;

/** Settings of a `rule` block, and the extra ones of a `rule NAME : sbp` block. */
export const RULE_SETTINGS = ['epoch'] as const;
export const SBP_SETTINGS = ['source', 'fraction', 'backward', 'lateral_pre', 'lateral_post', 'mode', 'normalize', 'polarity'] as const;
/** Trace arguments. */
export const TRACE_ARGS = ['tau', 'impulse'] as const;
/** Settings of a `teach` block. */
export const TEACH_SETTINGS = ['rate'] as const;
/** The label source a `teach` block names. */
export const TEACH_SOURCES = ['labels'] as const;

/** Mnemonics of the instructions (docs/isa.md). */
export const MNEMONICS = {
  trace: 'trace',
  epoch: 'epoch',
  bounds: 'bounds',
  event: 'event',
  product: 'product',
  sbp: 'sbp',
} as const;
