// The learning part of a chip image (section LRNG of isa/image/format.ts): the
// rules' microcode, which projections learn with which rule, where their
// plastic synapses sit on each core, and the teaching signals. Absent from an
// image without learning.
import { synapseTarget } from '../synapse.js';
import { checkProgram, decode, LearningIsaError } from './isa.js';

export interface LearningRule {
  readonly name: string;
  /** 1-based line of the `rule` keyword, 0 when unknown. */
  readonly line: number;
  /** The rule block's source text, from that line on, for `meso inspect`. */
  readonly text: string;
  /** The microcode (isa/learning/isa.ts). */
  readonly program: Uint32Array;
  /** Per instruction (not per word), the source line it came from; 0 when unknown. */
  readonly sourceLines: Uint32Array;
}

export interface PlasticProjection {
  /** Index into LearningImage.rules. */
  readonly rule: number;
  /** Presynaptic and postsynaptic populations: indices into ImageSymbols.populations. */
  readonly pre: number;
  readonly post: number;
  /** SBP: the projections (indices into LearningImage.projections) whose changes propagate back into this one; empty otherwise. */
  readonly sources: Uint32Array;
}

/** One projection's plastic synapses on one core: a contiguous run of the core's axons. */
export interface PlasticSet {
  readonly projection: number;
  readonly axonFirst: number;
  readonly axonCount: number;
  /** Per axon of the run, the presynaptic neuron's index in its population. */
  readonly axonPre: Uint32Array;
  /** Slots postFirst..postFirst+postCount-1 hold every target of the run (one piece of the post population). */
  readonly postFirst: number;
  readonly postCount: number;
}

/** `teach POP from labels { rate }`: the label neuron of POP gets a Poisson teaching train. */
export interface TeachBinding {
  /** Index into ImageSymbols.populations. */
  readonly population: number;
  /** A teaching spike at step t when random32(seed, STREAM.teach, t, key) < threshold (u32). */
  readonly threshold: number;
}

export interface LearningImage {
  readonly rules: readonly LearningRule[];
  readonly projections: readonly PlasticProjection[];
  readonly teach: readonly TeachBinding[];
  /** Per core of the image, its plastic sets (ordered by axonFirst). */
  readonly cores: readonly (readonly PlasticSet[])[];
}

// ---------------------------------------------------------------- bytes

/** Appends little-endian u32 words and padded UTF-8 strings. */
class Words {
  private out: number[] = [];
  u32(v: number, what: string): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`writeImage: learning ${what} is ${v}, which a u32 field cannot hold`);
    this.out.push(v);
  }
  u32s(a: Uint32Array): void {
    for (let i = 0; i < a.length; i++) this.out.push(a[i]);
  }
  text(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.out.push(bytes.length);
    const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    padded.set(bytes);
    const view = new DataView(padded.buffer);
    for (let i = 0; i < padded.length; i += 4) this.out.push(view.getUint32(i, true));
  }
  bytes(): Uint8Array {
    const b = new Uint8Array(this.out.length * 4);
    const view = new DataView(b.buffer);
    this.out.forEach((w, i) => view.setUint32(i * 4, w, true));
    return b;
  }
}

/** The LRNG section body: u32 words, strings as a byte length then UTF-8 padded with zeros to 4 bytes. */
export function encodeLearning(learning: LearningImage): Uint8Array {
  const w = new Words();
  w.u32(learning.rules.length, 'rule count');
  learning.rules.forEach((r, i) => {
    w.text(r.name);
    w.u32(r.line, `rule ${i} line`);
    w.text(r.text);
    w.u32(r.program.length, `rule ${i} word count`);
    w.u32s(r.program);
    w.u32(r.sourceLines.length, `rule ${i} instruction count`);
    w.u32s(r.sourceLines);
  });
  w.u32(learning.projections.length, 'projection count');
  learning.projections.forEach((p, i) => {
    w.u32(p.rule, `projection ${i} rule`);
    w.u32(p.pre, `projection ${i} pre`);
    w.u32(p.post, `projection ${i} post`);
    w.u32(p.sources.length, `projection ${i} source count`);
    w.u32s(p.sources);
  });
  w.u32(learning.teach.length, 'teach count');
  learning.teach.forEach((t, i) => {
    w.u32(t.population, `teach ${i} population`);
    w.u32(t.threshold, `teach ${i} threshold`);
  });
  w.u32(learning.cores.length, 'core count');
  learning.cores.forEach((sets, c) => {
    w.u32(sets.length, `core ${c} set count`);
    sets.forEach((s, k) => {
      const at = `core ${c} set ${k}`;
      if (s.axonPre.length !== s.axonCount) throw new Error(`writeImage: learning ${at} has ${s.axonCount} axons but ${s.axonPre.length} axonPre entries`);
      w.u32(s.projection, `${at} projection`);
      w.u32(s.axonFirst, `${at} axonFirst`);
      w.u32(s.axonCount, `${at} axonCount`);
      w.u32(s.postFirst, `${at} postFirst`);
      w.u32(s.postCount, `${at} postCount`);
      w.u32s(s.axonPre);
    });
  });
  return w.bytes();
}

/** Reads an LRNG body; `fail(detail)` makes the error to throw (the image reader's ImageError). */
export function decodeLearning(body: Uint8Array, fail: (detail: string) => Error): LearningImage {
  if (body.length % 4 !== 0) throw fail(`its length ${body.length} is not a multiple of 4`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const words = body.length / 4;
  let pos = 0;
  const u32 = (what: string): number => {
    if (pos >= words) throw fail(`${what} lies past the section's end (byte ${body.length})`);
    return view.getUint32(4 * pos++, true);
  };
  const u32s = (n: number, what: string): Uint32Array => {
    if (n > words - pos) throw fail(`${what} (${n} u32) runs past the section's end (byte ${body.length})`);
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getUint32(4 * (pos + i), true);
    pos += n;
    return out;
  };
  const text = (what: string): string => {
    const n = u32(`${what}'s length`);
    const padded = Math.ceil(n / 4);
    if (padded > words - pos) throw fail(`${what} (${n} bytes) runs past the section's end`);
    const bytes = body.subarray(4 * pos, 4 * pos + n);
    for (let b = 4 * pos + n; b < 4 * (pos + padded); b++) if (body[b] !== 0) throw fail(`the padding after ${what} has a non-zero byte`);
    pos += padded;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw fail(`${what} is not valid UTF-8`);
    }
  };
  const count = (what: string, each: number): number => {
    const n = u32(what);
    if (n * each > words - pos) throw fail(`${what} ${n} is more than the section can hold`);
    return n;
  };
  const rules: LearningRule[] = [];
  const ruleCount = count('the rule count', 5);
  for (let i = 0; i < ruleCount; i++) {
    const name = text(`rule ${i}'s name`);
    const line = u32(`rule ${i}'s line`);
    const source = text(`rule ${i}'s text`);
    const program = u32s(u32(`rule ${i}'s word count`), `rule ${i}'s program`);
    const sourceLines = u32s(u32(`rule ${i}'s instruction count`), `rule ${i}'s source lines`);
    rules.push({ name, line, text: source, program, sourceLines });
  }
  const projections: PlasticProjection[] = [];
  const projectionCount = count('the projection count', 4);
  for (let i = 0; i < projectionCount; i++) {
    const rule = u32(`projection ${i}'s rule`);
    const pre = u32(`projection ${i}'s pre`);
    const post = u32(`projection ${i}'s post`);
    const sources = u32s(u32(`projection ${i}'s source count`), `projection ${i}'s sources`);
    projections.push({ rule, pre, post, sources });
  }
  const teach: TeachBinding[] = [];
  const teachCount = count('the teach count', 2);
  for (let i = 0; i < teachCount; i++) teach.push({ population: u32(`teach ${i}'s population`), threshold: u32(`teach ${i}'s threshold`) });
  const cores: PlasticSet[][] = [];
  const coreCount = count('the core count', 1);
  for (let c = 0; c < coreCount; c++) {
    const sets: PlasticSet[] = [];
    const setCount = count(`core ${c}'s set count`, 5);
    for (let k = 0; k < setCount; k++) {
      const at = `core ${c} set ${k}`;
      const projection = u32(`${at}'s projection`);
      const axonFirst = u32(`${at}'s axonFirst`);
      const axonCount = u32(`${at}'s axonCount`);
      const postFirst = u32(`${at}'s postFirst`);
      const postCount = u32(`${at}'s postCount`);
      sets.push({ projection, axonFirst, axonCount, postFirst, postCount, axonPre: u32s(axonCount, `${at}'s axonPre`) });
    }
    cores.push(sets);
  }
  if (pos !== words) throw fail(`${4 * (words - pos)} unexpected bytes at its end, from byte ${4 * pos}`);
  return { rules, projections, teach, cores };
}

// ---------------------------------------------------------------- structure

/** What the check needs of the rest of the image. */
export interface LearningContext {
  readonly cores: readonly { readonly neuronCount: number; readonly axonStart: Uint32Array; readonly synapses: Uint32Array }[];
  readonly populations: readonly { readonly name: string; readonly kind: string; readonly size: number }[];
}

/** The first structural problem of the learning section, or undefined. */
export function checkLearning(learning: LearningImage, image: LearningContext): string | undefined {
  const rules = learning.rules;
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r];
    const at = `learning: rule ${r} ('${rule.name}')`;
    let decoded;
    try {
      decoded = decode(rule.program);
    } catch (e) {
      if (e instanceof LearningIsaError) return `${at}: microcode ${e.message}`;
      throw e;
    }
    const problem = checkProgram(decoded.instructions);
    if (problem !== undefined) return `${at}: microcode ${problem}`;
    if (rule.sourceLines.length !== decoded.instructions.length) {
      return `${at} has ${decoded.instructions.length} instructions but ${rule.sourceLines.length} source lines`;
    }
    const sbp = decoded.instructions.find((i) => i.op === 'sbp');
    if (sbp !== undefined && sbp.op === 'sbp' && (sbp.source >= rules.length || sbp.source === r)) {
      return `${at}: its sbp source is rule ${sbp.source}, but the image has rules 0..${rules.length - 1} (and a rule cannot be its own source)`;
    }
  }
  const pops = image.populations;
  for (let p = 0; p < learning.projections.length; p++) {
    const proj = learning.projections[p];
    const at = `learning: projection ${p}`;
    if (proj.rule >= rules.length) return `${at} uses rule ${proj.rule}, but the image has ${rules.length} rules`;
    if (proj.pre >= pops.length || proj.post >= pops.length) return `${at} joins populations ${proj.pre} -> ${proj.post}, but the image has ${pops.length}`;
    if (pops[proj.post].kind !== 'neurons') return `${at} ends at '${pops[proj.post].name}', which is not a population of neurons`;
    for (const s of proj.sources) {
      if (s >= learning.projections.length) return `${at} names source projection ${s}, but there are ${learning.projections.length}`;
      if (learning.projections[s].pre !== proj.post) return `${at}: source projection ${s} does not leave its post population '${pops[proj.post].name}'`;
    }
  }
  for (let t = 0; t < learning.teach.length; t++) {
    const teach = learning.teach[t];
    if (teach.population >= pops.length || pops[teach.population].kind !== 'neurons') return `learning: teach ${t} names population ${teach.population}, which is not a population of neurons`;
    if (learning.teach.findIndex((u) => u.population === teach.population) !== t) return `learning: population '${pops[teach.population].name}' is taught twice`;
  }
  if (learning.cores.length !== image.cores.length) return `learning: it describes ${learning.cores.length} cores, but the image has ${image.cores.length}`;
  for (let c = 0; c < learning.cores.length; c++) {
    const core = image.cores[c];
    const axons = core.axonStart.length - 1;
    let next = 0;
    for (let k = 0; k < learning.cores[c].length; k++) {
      const set = learning.cores[c][k];
      const at = `learning: core ${c} set ${k}`;
      if (set.projection >= learning.projections.length) return `${at} belongs to projection ${set.projection}, but there are ${learning.projections.length}`;
      if (set.axonFirst < next) return `${at} starts at axon ${set.axonFirst}, overlapping the set before it (sets are ordered by axon and do not overlap)`;
      if (set.axonCount < 1 || set.axonFirst + set.axonCount > axons) return `${at} holds axons ${set.axonFirst}..${set.axonFirst + set.axonCount - 1}, but the core has ${axons}`;
      next = set.axonFirst + set.axonCount;
      if (set.postCount < 1 || set.postFirst + set.postCount > core.neuronCount) return `${at} holds slots ${set.postFirst}..${set.postFirst + set.postCount - 1}, but the core has ${core.neuronCount} neurons`;
      const pre = pops[learning.projections[set.projection].pre];
      for (let a = 0; a < set.axonCount; a++) if (set.axonPre[a] >= pre.size) return `${at}: axon ${set.axonFirst + a} comes from neuron ${set.axonPre[a]} of '${pre.name}', which has ${pre.size}`;
      for (let s = core.axonStart[set.axonFirst]; s < core.axonStart[next]; s++) {
        const target = synapseTarget(core.synapses[s]);
        if (target < set.postFirst || target >= set.postFirst + set.postCount) return `${at}: synapse ${s} targets slot ${target}, outside the set's slots ${set.postFirst}..${set.postFirst + set.postCount - 1}`;
      }
    }
  }
  return undefined;
}
