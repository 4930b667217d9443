// The learning engine's instruction set: what a `rule` block becomes on the
// chip. A program is a list of 32-bit words; each instruction is one to four
// words, its opcode in the top four bits of the first. encode/decode turn
// instructions into words and back; disassemble/assemble turn words into text
// and back, exactly (assemble(disassemble(w)) === w, word for word).
// docs/isa.md is the reference; engine.ts gives the arithmetic.
import {
  COEF_EXPONENT_MAX,
  COEF_EXPONENT_MIN,
  COEF_MANTISSA_MAX,
  EPOCH_MAX,
  FACTOR_CODE_BITS,
  GAIN_FRAC,
  GAIN_ONE,
  MAX_FACTORS,
  MAX_PRODUCTS,
  OPCODE_MASK,
  OPCODE_SHIFT,
  OPERAND_MAX,
  TRACE_DECAY_ONE,
} from './constants.js';
import {
  EVENTS,
  EVENT_NAMES,
  MNEMONICS,
  OPERANDS,
  OPERAND_NAMES,
  SBP_MODES,
  SBP_NORMALIZATIONS,
  SBP_POLARITIES,
  TRACES,
  TRACE_NAMES,
  type EventName,
  type OperandName,
  type SbpMode,
  type SbpNormalization,
  type SbpPolarity,
  type TraceName,
} from './symbols.js';

export const OPCODES = { trace: 1, epoch: 2, bounds: 3, event: 4, product: 5, sbp: 6 } as const;
export type Opcode = keyof typeof OPCODES;

/** Words each instruction takes. */
export const INSTRUCTION_WORDS: Readonly<Record<Opcode, number>> = { trace: 2, epoch: 1, bounds: 3, event: 1, product: 2, sbp: 4 };

export type Instruction =
  /** A trace: decays by decay/4096 per step (stochastically rounded), rises by impulse (Q12) per spike. */
  | { readonly op: 'trace'; readonly trace: TraceName; readonly decay: number; readonly impulse: number }
  /** The epoch: learning applies at the end of every `steps`-th step. */
  | { readonly op: 'epoch'; readonly steps: number }
  /** Weight bounds in state units (isa/fixed.ts UNIT per threshold unit), low <= high. */
  | { readonly op: 'bounds'; readonly low: number; readonly high: number }
  /** The start of an event's products: the next `products` instructions are PRODUCTs. */
  | { readonly op: 'event'; readonly event: EventName; readonly products: number }
  /** dw += mantissa * 2^exponent * factors[0] * factors[1] * ... */
  | { readonly op: 'product'; readonly mantissa: number; readonly exponent: number; readonly factors: readonly OperandName[] }
  /**
   * SBP: the rule inherits the changes of the rule `source` (index into the
   * image's rules). backward, lateralPre, lateralPost are lambda x fraction
   * products as Q16 fractions (65536 = 1.0).
   */
  | {
      readonly op: 'sbp';
      readonly mode: SbpMode;
      readonly normalize: SbpNormalization;
      readonly polarity: SbpPolarity;
      readonly source: number;
      readonly backward: number;
      readonly lateralPre: number;
      readonly lateralPost: number;
    };

/** A malformed word or program; `word` is the index of the offending word. */
export class LearningIsaError extends Error {
  override readonly name = 'LearningIsaError';
  constructor(
    readonly word: number,
    readonly detail: string,
  ) {
    super(`word ${word}: ${detail}`);
  }
}

const isInt = (x: number, lo: number, hi: number): boolean => Number.isInteger(x) && x >= lo && x <= hi;

const keyOf = <K extends string>(table: Readonly<Record<K, number>>, code: number): K | undefined =>
  (Object.keys(table) as K[]).find((k) => table[k] === code);

/** The first problem of one instruction's fields, or undefined. */
export function checkInstruction(ins: Instruction): string | undefined {
  switch (ins.op) {
    case 'trace':
      if (!isInt(ins.decay, 0, TRACE_DECAY_ONE)) return `trace ${ins.trace}: decay ${ins.decay} is not an integer in 0..${TRACE_DECAY_ONE}`;
      if (!isInt(ins.impulse, 0, OPERAND_MAX)) return `trace ${ins.trace}: impulse ${ins.impulse} is not an integer in 0..${OPERAND_MAX}`;
      return undefined;
    case 'epoch':
      return isInt(ins.steps, 1, EPOCH_MAX) ? undefined : `epoch ${ins.steps} is not an integer in 1..${EPOCH_MAX}`;
    case 'bounds':
      if (!isInt(ins.low, -0x80000000, 0x7fffffff) || !isInt(ins.high, -0x80000000, 0x7fffffff)) return `bounds ${ins.low} ${ins.high} are not 32-bit integers`;
      return ins.low <= ins.high ? undefined : `bounds ${ins.low} ${ins.high}: the low bound is above the high bound`;
    case 'event':
      return isInt(ins.products, 0, MAX_PRODUCTS) ? undefined : `event ${ins.event}: ${ins.products} products, more than ${MAX_PRODUCTS}`;
    case 'product':
      if (!isInt(ins.mantissa, -COEF_MANTISSA_MAX, COEF_MANTISSA_MAX)) return `product mantissa ${ins.mantissa} is outside -${COEF_MANTISSA_MAX}..${COEF_MANTISSA_MAX}`;
      if (!isInt(ins.exponent, COEF_EXPONENT_MIN, COEF_EXPONENT_MAX)) return `product exponent ${ins.exponent} is outside ${COEF_EXPONENT_MIN}..${COEF_EXPONENT_MAX}`;
      if (ins.factors.length > MAX_FACTORS) return `product of ${ins.factors.length} operands, more than ${MAX_FACTORS}`;
      return undefined;
    case 'sbp':
      if (!isInt(ins.source, 0, 0xffff)) return `sbp source ${ins.source} is not a rule index in 0..65535`;
      for (const [k, v] of [['backward', ins.backward], ['lateral_pre', ins.lateralPre], ['lateral_post', ins.lateralPost]] as const) {
        if (!isInt(v, 0, GAIN_ONE)) return `sbp ${k} ${v} is not a Q16 fraction in 0..${GAIN_ONE}`;
      }
      return undefined;
  }
}

/** The words of a list of instructions. Throws LearningIsaError for a field its word cannot hold. */
export function encode(program: readonly Instruction[]): Uint32Array {
  const words: number[] = [];
  for (const ins of program) {
    const problem = checkInstruction(ins);
    if (problem !== undefined) throw new LearningIsaError(words.length, problem);
    const head = (OPCODES[ins.op] << OPCODE_SHIFT) >>> 0;
    switch (ins.op) {
      case 'trace':
        words.push((head | (TRACES[ins.trace].code << 24) | ins.decay) >>> 0, ins.impulse);
        break;
      case 'epoch':
        words.push((head | ins.steps) >>> 0);
        break;
      case 'bounds':
        words.push(head, ins.low >>> 0, ins.high >>> 0);
        break;
      case 'event':
        words.push((head | (EVENTS[ins.event] << 24) | ins.products) >>> 0);
        break;
      case 'product': {
        let codes = 0;
        ins.factors.forEach((f, k) => (codes |= OPERANDS[f] << (k * FACTOR_CODE_BITS)));
        words.push((head | (ins.factors.length << 24) | codes) >>> 0, (((ins.exponent & 0xff) << 16) | (ins.mantissa & 0xffff)) >>> 0);
        break;
      }
      case 'sbp':
        words.push((head | (SBP_MODES[ins.mode] << 24) | (SBP_NORMALIZATIONS[ins.normalize] << 25) | (SBP_POLARITIES[ins.polarity] << 27) | ins.source) >>> 0, ins.backward, ins.lateralPre, ins.lateralPost);
        break;
    }
  }
  return Uint32Array.from(words);
}

/** Instructions of a word list, each with the index of its first word. Throws LearningIsaError on any malformed word. */
export function decode(words: Uint32Array): { readonly instructions: readonly Instruction[]; readonly offsets: readonly number[] } {
  const instructions: Instruction[] = [];
  const offsets: number[] = [];
  let i = 0;
  while (i < words.length) {
    const w0 = words[i];
    const op = keyOf(OPCODES, (w0 >>> OPCODE_SHIFT) & OPCODE_MASK);
    if (op === undefined) throw new LearningIsaError(i, `unknown opcode ${(w0 >>> OPCODE_SHIFT) & OPCODE_MASK}`);
    const n = INSTRUCTION_WORDS[op];
    if (i + n > words.length) throw new LearningIsaError(i, `a ${op} instruction needs ${n} words, but the program ends after ${words.length - i}`);
    const reserved = (mask: number): void => {
      if ((w0 & mask) !== 0) throw new LearningIsaError(i, `reserved bits of a ${op} instruction are set (0x${(w0 >>> 0).toString(16)})`);
    };
    let ins: Instruction;
    switch (op) {
      case 'trace': {
        reserved(0x08ffe000);
        const trace = TRACE_NAMES.find((t) => TRACES[t].code === ((w0 >>> 24) & 0x7));
        if (trace === undefined) throw new LearningIsaError(i, `unknown trace code ${(w0 >>> 24) & 0x7}`);
        ins = { op, trace, decay: w0 & 0x1fff, impulse: words[i + 1] };
        break;
      }
      case 'epoch':
        ins = { op, steps: w0 & EPOCH_MAX };
        break;
      case 'bounds':
        reserved(0x0fffffff);
        ins = { op, low: words[i + 1] | 0, high: words[i + 2] | 0 };
        break;
      case 'event': {
        reserved(0x0cff0000);
        const event = keyOf(EVENTS, (w0 >>> 24) & 0x3);
        if (event === undefined) throw new LearningIsaError(i, `unknown event code ${(w0 >>> 24) & 0x3}`);
        ins = { op, event, products: w0 & 0xffff };
        break;
      }
      case 'product': {
        reserved(0x08ff0000);
        const count = (w0 >>> 24) & 0x7;
        if (count > MAX_FACTORS) throw new LearningIsaError(i, `a product of ${count} operands, more than ${MAX_FACTORS}`);
        const factors: OperandName[] = [];
        for (let k = 0; k < MAX_FACTORS; k++) {
          const code = (w0 >>> (k * FACTOR_CODE_BITS)) & 0xf;
          if (k >= count) {
            if (code !== 0) throw new LearningIsaError(i, `operand slot ${k} is ${code} in a product of ${count} operands`);
            continue;
          }
          const name = OPERAND_NAMES.find((o) => OPERANDS[o] === code);
          if (name === undefined) throw new LearningIsaError(i, `unknown operand code ${code}`);
          factors.push(name);
        }
        const w1 = words[i + 1];
        if ((w1 & 0xff000000) !== 0) throw new LearningIsaError(i + 1, `reserved bits of a product's coefficient are set (0x${w1.toString(16)})`);
        ins = { op, mantissa: (w1 << 16) >> 16, exponent: (w1 << 8) >> 24, factors };
        break;
      }
      case 'sbp': {
        reserved(0x00ff0000);
        const mode = keyOf(SBP_MODES, (w0 >>> 24) & 0x1);
        const normalize = keyOf(SBP_NORMALIZATIONS, (w0 >>> 25) & 0x3);
        const polarity = keyOf(SBP_POLARITIES, (w0 >>> 27) & 0x1);
        if (mode === undefined || normalize === undefined || polarity === undefined) throw new LearningIsaError(i, `unknown sbp normalization code ${(w0 >>> 25) & 0x3}`);
        ins = { op, mode, normalize, polarity, source: w0 & 0xffff, backward: words[i + 1], lateralPre: words[i + 2], lateralPost: words[i + 3] };
        break;
      }
    }
    const problem = checkInstruction(ins);
    if (problem !== undefined) throw new LearningIsaError(i, problem);
    instructions.push(ins);
    offsets.push(i);
    i += n;
  }
  return { instructions, offsets };
}

/** A rule's learning epoch in steps: its EPOCH instruction's, or 1 (every step) without one. */
export function epochSteps(program: readonly Instruction[]): number {
  for (const ins of program) if (ins.op === 'epoch') return ins.steps;
  return 1;
}

/**
 * Whether a rule computes changes of its own: it has at least one product. One
 * without (an additive SBP rule that learns from SBP alone) has no write-back
 * sweep of its own (docs/isa.md, "Counted").
 */
export function hasProducts(program: readonly Instruction[]): boolean {
  return program.some((ins) => ins.op === 'product');
}

/**
 * Whether SBP's update pass skips an input axon whose x1 trace is 0. In
 * additive mode synapse i -> j changes by lambda * x1_i * share_j plus the
 * rule's own change, scaled; a rule without products has no change of its own,
 * so such a row changes by nothing, and the learning engine, which walks the
 * synapses axon by axon, reads the axon's trace and moves on. sbp_updates
 * counts the synapses of the rows it visits (docs/isa.md, "Counted").
 */
export function sbpSkipsIdleRows(program: readonly Instruction[]): boolean {
  return !hasProducts(program) && program.some((ins) => ins.op === 'sbp' && ins.mode === 'additive');
}

/** Whether `factor` can scale a program's rates (scaleRates): above 0 and at most 1. */
export function isRateFactor(factor: number): boolean {
  return factor > 0 && factor <= 1;
}

/**
 * The program with its learning rates times `factor` (0 < factor <= 1): every
 * product's coefficient, requantized, and in `additive` mode SBP's backward
 * gain (Q16, rounded), which is the rate of the propagated share there. The
 * other SBP gains scale the rule's own change d (d·(1 + g)), which the products
 * already scale, so they are kept, as are traces, the epoch and the bounds.
 * This is what a host does between training epochs to anneal the rates
 * (runtime/train/loop.ts); a coefficient that falls below the format's smallest
 * becomes 0.
 */
export function scaleRates(program: readonly Instruction[], factor: number): Instruction[] {
  if (!isRateFactor(factor)) throw new RangeError(`scaleRates: the factor must be in (0, 1], got ${factor}`);
  return program.map((ins): Instruction => {
    if (ins.op === 'product') {
      const q = quantizeCoefficient(coefficientValue(ins.mantissa, ins.exponent) * factor) ?? { mantissa: 0, exponent: 0 };
      return { ...ins, mantissa: q.mantissa, exponent: q.exponent };
    }
    if (ins.op === 'sbp' && ins.mode === 'additive') return { ...ins, backward: Math.round(ins.backward * factor) };
    return ins;
  });
}

/**
 * The first problem of a whole program, or undefined: traces first (each once),
 * then at most one epoch, one bounds and one sbp, then event blocks (each event
 * once), each followed by exactly its count of products, whose operands name
 * only declared traces.
 */
export function checkProgram(program: readonly Instruction[]): string | undefined {
  const declared = new Set<string>(['w', 'x0', 'y0']);
  const seen = new Set<string>();
  let phase = 0; // 0 header, 1 events
  let pending = 0;
  for (let k = 0; k < program.length; k++) {
    const ins = program[k];
    const at = `instruction ${k} (${ins.op})`;
    if (ins.op === 'product') {
      if (pending === 0) return `${at}: a product outside an event's count`;
      pending--;
      const missing = ins.factors.find((f) => !declared.has(f));
      if (missing !== undefined) return `${at}: operand ${missing} has no trace instruction`;
      continue;
    }
    if (pending > 0) return `${at}: the event before it still expects ${pending} products`;
    if (ins.op === 'event') {
      if (seen.has(`event ${ins.event}`)) return `${at}: a second block for event ${ins.event}`;
      seen.add(`event ${ins.event}`);
      phase = 1;
      pending = ins.products;
      continue;
    }
    if (phase === 1) return `${at}: ${ins.op} must come before the first event`;
    const key = ins.op === 'trace' ? `trace ${ins.trace}` : ins.op;
    if (seen.has(key)) return `${at}: a second ${key}`;
    seen.add(key);
    if (ins.op === 'trace') declared.add(ins.trace);
  }
  return pending > 0 ? `the last event expects ${pending} more products` : undefined;
}

// ---------------------------------------------------------------- text

/** The value of a coefficient, mantissa * 2^exponent. */
export function coefficientValue(mantissa: number, exponent: number): number {
  return mantissa * 2 ** exponent;
}

/** A short decimal for comments. */
function decimal(x: number): string {
  return `${+x.toPrecision(6)}`;
}

export interface DisassembleOptions {
  /** The time step, to show each trace's time constant in a comment. */
  readonly dtS?: number;
  /** Rule names by index, to name an sbp source in a comment. */
  readonly ruleNames?: readonly string[];
}

/** One line per instruction: the canonical text the assembler reads back, with a `;` comment in plain units. */
export function disassembleInstruction(ins: Instruction, options: DisassembleOptions = {}): string {
  const line = (text: string, comment: string): string => `${text.padEnd(44)}; ${comment}`;
  switch (ins.op) {
    case 'trace': {
      const k = 1 - ins.decay / TRACE_DECAY_ONE;
      const tau = options.dtS === undefined || k <= 0 ? '' : k >= 1 ? ', no decay' : `, tau ${decimal((-options.dtS / Math.log(k)) * 1e3)} ms`;
      return line(`${MNEMONICS.trace} ${ins.trace} decay=${ins.decay} impulse=${ins.impulse}`, `keeps ${decimal(k)} per step${tau}, +${decimal(ins.impulse / 4096)} per spike`);
    }
    case 'epoch':
      return line(`${MNEMONICS.epoch} ${ins.steps}`, `learn every ${ins.steps} step${ins.steps === 1 ? '' : 's'}`);
    case 'bounds':
      return line(`${MNEMONICS.bounds} ${ins.low} ${ins.high}`, `w in [${decimal(ins.low / 65536)}, ${decimal(ins.high / 65536)}]`);
    case 'event':
      return line(`${MNEMONICS.event} ${ins.event} products=${ins.products}`, `${ins.event === 'epoch' ? 'every epoch' : `on ${ins.event}`}: dw += the next ${ins.products}`);
    case 'product': {
      const value = coefficientValue(ins.mantissa, ins.exponent);
      const sign = ins.mantissa < 0 ? '-' : '+';
      return line(
        `${MNEMONICS.product} ${sign}${Math.abs(ins.mantissa)}*2^${ins.exponent}${ins.factors.map((f) => ` ${f}`).join('')}`,
        `${value < 0 ? '-' : '+'} ${decimal(Math.abs(value))}${ins.factors.map((f) => ` * ${f}`).join('')}`,
      );
    }
    case 'sbp': {
      const q = (v: number): string => decimal(v / GAIN_ONE);
      const source = options.ruleNames?.[ins.source] ?? `rule ${ins.source}`;
      return line(
        `${MNEMONICS.sbp} mode=${ins.mode} normalize=${ins.normalize} polarity=${ins.polarity} source=${ins.source} backward=${ins.backward} lateral_pre=${ins.lateralPre} lateral_post=${ins.lateralPost}`,
        `inherits ${source}; gains ${q(ins.backward)}, ${q(ins.lateralPre)}, ${q(ins.lateralPost)}`,
      );
    }
  }
}

/** The program as text, one instruction per line. */
export function disassemble(words: Uint32Array, options: DisassembleOptions = {}): string[] {
  return decode(words).instructions.map((ins) => disassembleInstruction(ins, options));
}

/** A line the assembler cannot read; `line` is 1-based. */
export class AssembleError extends Error {
  override readonly name = 'AssembleError';
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
  }
}

/** Reads the disassembler's text (comments after `;` and blank lines ignored) back into words. */
export function assemble(text: string | readonly string[]): Uint32Array {
  const lines = typeof text === 'string' ? text.split('\n') : text;
  const program: Instruction[] = [];
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const body = raw.replace(/;.*$/, '').trim();
    if (body === '') return;
    const [mnemonic, ...args] = body.split(/\s+/);
    const fail = (detail: string): never => {
      throw new AssembleError(lineNo, detail);
    };
    const int = (s: string | undefined, what: string): number => {
      if (s === undefined || !/^[+-]?\d+$/.test(s)) return fail(`${what} must be an integer, found ${s ?? 'nothing'}`);
      return Number(s);
    };
    const named = (expected: readonly string[]): Record<string, string> => {
      const out: Record<string, string> = {};
      if (args.length !== expected.length) fail(`${mnemonic} takes ${expected.map((e) => `${e}=`).join(' ')}, found ${args.length} arguments`);
      args.forEach((a, k) => {
        const [key, value] = a.split('=');
        if (key !== expected[k] || value === undefined) fail(`argument ${k + 1} of ${mnemonic} must be ${expected[k]}=..., found ${a}`);
        out[key] = value;
      });
      return out;
    };
    const choice = <K extends string>(s: string | undefined, options: readonly K[], what: string): K =>
      options.find((o) => o === s) ?? fail(`${what} must be one of ${options.join(', ')}, found ${s ?? 'nothing'}`);
    let ins: Instruction;
    switch (mnemonic) {
      case MNEMONICS.trace: {
        const trace = choice(args.shift(), TRACE_NAMES, 'the trace');
        const a = named(['decay', 'impulse']);
        ins = { op: 'trace', trace, decay: int(a.decay, 'decay'), impulse: int(a.impulse, 'impulse') };
        break;
      }
      case MNEMONICS.epoch:
        if (args.length !== 1) fail('epoch takes one number of steps');
        ins = { op: 'epoch', steps: int(args[0], 'the epoch') };
        break;
      case MNEMONICS.bounds:
        if (args.length !== 2) fail('bounds takes a low and a high bound');
        ins = { op: 'bounds', low: int(args[0], 'the low bound'), high: int(args[1], 'the high bound') };
        break;
      case MNEMONICS.event: {
        const event = choice(args.shift(), EVENT_NAMES, 'the event');
        ins = { op: 'event', event, products: int(named(['products']).products, 'products') };
        break;
      }
      case MNEMONICS.product: {
        const coef = /^([+-])(\d+)\*2\^([+-]?\d+)$/.exec(args[0] ?? '') ?? fail(`a product starts with its coefficient as +M*2^E, found ${args[0] ?? 'nothing'}`);
        const factors = args.slice(1).map((f) => choice(f, OPERAND_NAMES, 'an operand'));
        ins = { op: 'product', mantissa: (coef[1] === '-' ? -1 : 1) * Number(coef[2]), exponent: Number(coef[3]), factors };
        break;
      }
      case MNEMONICS.sbp: {
        const a = named(['mode', 'normalize', 'polarity', 'source', 'backward', 'lateral_pre', 'lateral_post']);
        ins = {
          op: 'sbp',
          mode: choice(a.mode, Object.keys(SBP_MODES) as SbpMode[], 'mode'),
          normalize: choice(a.normalize, Object.keys(SBP_NORMALIZATIONS) as SbpNormalization[], 'normalize'),
          polarity: choice(a.polarity, Object.keys(SBP_POLARITIES) as SbpPolarity[], 'polarity'),
          source: int(a.source, 'source'),
          backward: int(a.backward, 'backward'),
          lateralPre: int(a.lateral_pre, 'lateral_pre'),
          lateralPost: int(a.lateral_post, 'lateral_post'),
        };
        break;
      }
      default:
        return fail(`unknown instruction ${mnemonic}; the instructions are ${Object.values(MNEMONICS).join(', ')}`);
    }
    const problem = checkInstruction(ins);
    if (problem !== undefined) fail(problem);
    program.push(ins);
  });
  return encode(program);
}

/** A real coefficient as mantissa * 2^exponent with the largest mantissa that fits, or undefined when none does. */
export function quantizeCoefficient(value: number): { readonly mantissa: number; readonly exponent: number } | undefined {
  if (value === 0) return { mantissa: 0, exponent: 0 };
  if (!Number.isFinite(value)) return undefined;
  // The largest exponent keeping |mantissa| <= COEF_MANTISSA_MAX, clipped to the field.
  let exponent = Math.floor(Math.log2(Math.abs(value) / COEF_MANTISSA_MAX)) + 1;
  let mantissa = Math.round(value / 2 ** exponent);
  while (Math.abs(mantissa) > COEF_MANTISSA_MAX) {
    exponent++;
    mantissa = Math.round(value / 2 ** exponent);
  }
  if (exponent < COEF_EXPONENT_MIN) {
    exponent = COEF_EXPONENT_MIN;
    mantissa = Math.round(value / 2 ** exponent);
  }
  if (exponent > COEF_EXPONENT_MAX || mantissa === 0) return undefined;
  return { mantissa, exponent };
}

/** A lambda product as a Q16 gain. */
export function quantizeGain(value: number): number {
  return Math.round(value * 2 ** GAIN_FRAC);
}
