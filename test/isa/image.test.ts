import { describe, expect, it } from 'vitest';
import type { NeuronParams } from '../../isa/fixed.js';
import { crc32 } from '../../isa/image/crc32.js';
import {
  checkImage,
  FORMAT_VERSION,
  ImageError,
  readImage,
  SECTION_TAGS,
  writeImage,
  type ChipImage,
  type CoreImage,
  type ImageErrorCode,
} from '../../isa/image/index.js';
import { builtinProfile, type ChipProfile } from '../../isa/profile.js';
import { packSynapse } from '../../isa/synapse.js';

const profile: ChipProfile = (() => {
  const p = builtinProfile('loihi-like');
  if (p === undefined) throw new Error('the loihi-like profile is missing');
  return p;
})();

const lif = (vth: number): NeuronParams => ({ du: 410, duInh: 300, dv: 205, vth, reset: -3, bias: 7, refractory: 2, thetaPlus: 9, dTheta: 41 });

/**
 * Three cores: core 0 holds inputs (Poisson and periodic) and two neurons, core 1
 * (slot 5) ten neurons, core 2 (slot 17) four. Spikes go 0 -> 1 -> 2 and 1 -> 0.
 */
function fixture(): ChipImage {
  const core0: CoreImage = {
    slot: 0,
    neuronCount: 6,
    groups: [
      { kind: 'input', first: 0, count: 3, encoding: { kind: 'poisson', threshold: 0x20000000 }, inputIndex: 0 },
      { kind: 'input', first: 3, count: 1, encoding: { kind: 'periodic', period: 5, phase: 2 }, inputIndex: 3 },
      { kind: 'neurons', first: 4, count: 2, params: lif(65536) },
    ],
    axonStart: new Uint32Array([0, 2]),
    axonWeightExp: new Uint8Array([3]),
    synapses: new Uint32Array([packSynapse(4, -20, 1), packSynapse(5, 127, 62)]),
    routeStart: new Uint32Array([0, 1, 2, 4, 5, 5, 5]),
    routeCore: new Uint16Array([1, 1, 1, 2, 2]),
    routeAxon: new Uint16Array([0, 1, 2, 0, 1]),
  };
  const core1: CoreImage = {
    slot: 5,
    neuronCount: 10,
    groups: [{ kind: 'neurons', first: 0, count: 10, params: lif(98304) }],
    axonStart: new Uint32Array([0, 3, 3, 6]),
    axonWeightExp: new Uint8Array([0, 16, 7]),
    synapses: new Uint32Array([
      packSynapse(0, 1, 1),
      packSynapse(9, -127, 2),
      packSynapse(4, -1, 30),
      packSynapse(0, 64, 62),
      packSynapse(1, -64, 5),
      packSynapse(2, 0, 1),
    ]),
    routeStart: new Uint32Array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2]),
    routeCore: new Uint16Array([2, 0]),
    routeAxon: new Uint16Array([1, 0]),
  };
  const core2: CoreImage = {
    slot: 17,
    neuronCount: 4,
    groups: [{ kind: 'neurons', first: 0, count: 4, params: { du: 4096, duInh: 4096, dv: 0, vth: 1, reset: 0, bias: -12, refractory: 0, thetaPlus: 0, dTheta: 0 } }],
    axonStart: new Uint32Array([0, 4, 5]),
    axonWeightExp: new Uint8Array([1, 2]),
    synapses: new Uint32Array([packSynapse(0, -5, 3), packSynapse(1, 5, 3), packSynapse(2, -100, 4), packSynapse(3, 100, 4), packSynapse(3, -128 + 1, 61)]),
    routeStart: new Uint32Array([0, 0, 0, 0, 0]),
    routeCore: new Uint16Array([]),
    routeAxon: new Uint16Array([]),
  };
  return {
    profile,
    dtS: 0.001,
    cores: [core0, core1, core2],
    symbols: {
      source: 'examples/tiny.snn',
      populations: [
        { name: 'pixels', kind: 'input', size: 4, line: 3, pieces: [{ core: 0, first: 0, count: 4, offset: 0 }] },
        {
          name: 'hidden',
          kind: 'neurons',
          size: 12,
          line: 4,
          pieces: [
            { core: 1, first: 0, count: 10, offset: 2 },
            { core: 0, first: 4, count: 2, offset: 0 },
          ],
        },
        { name: 'out', kind: 'neurons', size: 4, line: 0, pieces: [{ core: 2, first: 0, count: 4, offset: 0 }] },
      ],
      probes: ['out', 'hidden'],
    },
  };
}

/**
 * Every core of the chip in use, with pseudo-random synapses and routes: large
 * enough that every section outgrows any small first buffer of the writer.
 */
function bigImage(): ChipImage {
  let seed = 7;
  const next = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const cores = 128;
  const inputs = 10;
  const neurons = 50;
  const axons = 20;
  const perAxon = 30;
  const coreImages = Array.from({ length: cores }, (_, c): CoreImage => ({
    slot: (c * 37) % cores,
    neuronCount: neurons,
    groups: [
      { kind: 'input', first: 0, count: inputs, encoding: { kind: 'poisson', threshold: next(1 << 30) }, inputIndex: c * inputs },
      { kind: 'neurons', first: inputs, count: 20, params: lif(1 + next(1 << 20)) },
      { kind: 'neurons', first: inputs + 20, count: neurons - inputs - 20, params: { ...lif(1 + next(1 << 20)), bias: next(1000) - 500 } },
    ],
    axonStart: Uint32Array.from({ length: axons + 1 }, (_, a) => a * perAxon),
    axonWeightExp: Uint8Array.from({ length: axons }, () => next(17)),
    synapses: Uint32Array.from({ length: axons * perAxon }, () => packSynapse(inputs + next(neurons - inputs), next(255) - 127, 1 + next(62))),
    routeStart: Uint32Array.from({ length: neurons + 1 }, (_, n) => n),
    routeCore: Uint16Array.from({ length: neurons }, () => next(cores)),
    routeAxon: Uint16Array.from({ length: neurons }, () => next(axons)),
  }));
  const pieces = (first: number, count: number) => coreImages.map((_, c) => ({ core: c, first, count, offset: c * count }));
  return {
    profile,
    dtS: 5e-4,
    cores: coreImages,
    symbols: {
      source: 'big.snn',
      populations: [
        { name: 'in', kind: 'input', size: cores * inputs, line: 1, pieces: pieces(0, inputs) },
        { name: 'all', kind: 'neurons', size: cores * (neurons - inputs), line: 2, pieces: pieces(inputs, neurons - inputs) },
      ],
      probes: ['all'],
    },
  };
}

/** The image with core `c` replaced by `change(core)`. */
function withCore(c: number, change: (core: CoreImage) => CoreImage): ChipImage {
  const image = fixture();
  return { ...image, cores: image.cores.map((core, i) => (i === c ? change(core) : core)) };
}

/** Runs `read` and returns the ImageError it throws; fails the test when it throws nothing or something else. */
function refusal(read: () => unknown): ImageError {
  try {
    read();
  } catch (e) {
    if (e instanceof ImageError) return e;
    throw new Error(`expected an ImageError, got ${String(e)}`);
  }
  throw new Error('expected an ImageError, but the image was accepted');
}

function expectRefused(bytes: Uint8Array, code: ImageErrorCode, message: RegExp): ImageError {
  const error = refusal(() => readImage(bytes, 'net.chip'));
  expect(error.code).toBe(code);
  expect(error.message).toMatch(message);
  expect(error.origin).toBe('net.chip');
  expect(error.message.startsWith('net.chip: ')).toBe(true);
  return error;
}

const u32At = (bytes: Uint8Array, at: number): number => new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);
const setU32 = (bytes: Uint8Array, at: number, value: number): void => new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value, true);

/** Stores the checksum of the (edited) body, so that a test reaches the checks behind it. */
function reseal(bytes: Uint8Array): Uint8Array {
  setU32(bytes, 20, crc32(bytes.subarray(24)));
  return bytes;
}

const tagName = (tag: number): string => String.fromCharCode(tag & 0xff, (tag >>> 8) & 0xff, (tag >>> 16) & 0xff, tag >>> 24);
const tagOf = (name: string): number =>
  (name.charCodeAt(0) | (name.charCodeAt(1) << 8) | (name.charCodeAt(2) << 16) | (name.charCodeAt(3) << 24)) >>> 0;

interface RawSection {
  readonly tag: number;
  readonly body: Uint8Array;
}

/** The sections of a file, in directory order, as written. */
function splitSections(bytes: Uint8Array): RawSection[] {
  const count = u32At(bytes, 12);
  return Array.from({ length: count }, (_, i) => {
    const entry = 24 + i * 12;
    const offset = u32At(bytes, entry + 4);
    return { tag: u32At(bytes, entry), body: bytes.slice(offset, offset + u32At(bytes, entry + 8)) };
  });
}

/** A well-formed file (header, directory, aligned sections, checksum) around arbitrary sections. */
function assemble(sections: readonly RawSection[]): Uint8Array {
  const align = (n: number): number => Math.ceil(n / 4) * 4;
  let end = 24 + sections.length * 12;
  const offsets = sections.map((s) => {
    const at = end;
    end = align(end + s.body.length);
    return at;
  });
  const out = new Uint8Array(end);
  out.set(new TextEncoder().encode('MESOCHIP'), 0);
  new DataView(out.buffer).setUint16(8, 1, true);
  setU32(out, 12, sections.length);
  setU32(out, 16, end);
  sections.forEach((s, i) => {
    setU32(out, 24 + i * 12, s.tag);
    setU32(out, 24 + i * 12 + 4, offsets[i]);
    setU32(out, 24 + i * 12 + 8, s.body.length);
    out.set(s.body, offsets[i]);
  });
  return reseal(out);
}

/** The written fixture with one section's body replaced. */
function withSection(name: string, body: Uint8Array): Uint8Array {
  return assemble(splitSections(writeImage(fixture())).map((s) => (s.tag === tagOf(name) ? { tag: s.tag, body } : s)));
}

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe('writeImage and readImage', () => {
  it('the fixture is a valid image', () => {
    expect(checkImage(fixture())).toBeUndefined();
  });

  it('round-trips the image, typed arrays included', () => {
    const image = fixture();
    const back = readImage(writeImage(image), 'net.chip');
    expect(back).toEqual(image);
    back.cores.forEach((core) => {
      expect(core.axonStart).toBeInstanceOf(Uint32Array);
      expect(core.axonWeightExp).toBeInstanceOf(Uint8Array);
      expect(core.synapses).toBeInstanceOf(Uint32Array);
      expect(core.routeStart).toBeInstanceOf(Uint32Array);
      expect(core.routeCore).toBeInstanceOf(Uint16Array);
      expect(core.routeAxon).toBeInstanceOf(Uint16Array);
    });
    expect(back.profile.limits).toEqual(profile.limits);
    expect(back.profile.cycles).toEqual(profile.cycles);
  });

  it('writes the same bytes for the image it reads back', () => {
    const first = writeImage(fixture());
    const second = writeImage(readImage(first, 'net.chip'));
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
  });

  it('writes the same bytes whatever the key order of the symbols', () => {
    const image = fixture();
    const shuffled: ChipImage = {
      ...image,
      symbols: {
        probes: image.symbols.probes,
        populations: image.symbols.populations.map((p) => ({ pieces: p.pieces, line: p.line, size: p.size, kind: p.kind, name: p.name })),
        source: image.symbols.source,
      },
    };
    expect(Buffer.from(writeImage(shuffled)).equals(Buffer.from(writeImage(image)))).toBe(true);
  });

  it('lays out the header, directory and sections as documented', () => {
    const bytes = writeImage(fixture());
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('MESOCHIP');
    expect(view.getUint16(8, true)).toBe(FORMAT_VERSION);
    expect(view.getUint16(10, true)).toBe(0);
    expect(view.getUint32(16, true)).toBe(bytes.length);
    expect(view.getUint32(20, true)).toBe(crc32(bytes.subarray(24)));
    const sections = splitSections(bytes);
    expect(sections.map((s) => tagName(s.tag))).toEqual(['PROF', 'META', 'CORE', 'NPAR', 'SYNS', 'ROUT', 'SYMB']);
    expect(Object.keys(SECTION_TAGS).map((name) => tagName(SECTION_TAGS[name as keyof typeof SECTION_TAGS]))).toEqual(Object.keys(SECTION_TAGS));
    for (let i = 0; i < sections.length; i++) expect(u32At(bytes, 24 + i * 12 + 4) % 4).toBe(0);
    expect(bytes.length % 4).toBe(0);
    const meta = sections[1].body;
    expect(new DataView(meta.buffer).getFloat64(0, true)).toBe(0.001);
    expect(u32At(meta, 8)).toBe(3);
    const core = sections[2].body;
    expect(Array.from({ length: 6 }, (_, i) => u32At(core, 24 + i * 4))).toEqual([5, 10, 1, 3, 6, 2]);
    expect(JSON.parse(new TextDecoder().decode(sections[0].body))).toEqual(profile.source);
  });

  it('reads an image from a view at an odd offset of a larger buffer', () => {
    const bytes = writeImage(fixture());
    const big = new Uint8Array(bytes.length + 7);
    big.set(bytes, 3);
    expect(readImage(big.subarray(3, 3 + bytes.length), 'net.chip')).toEqual(fixture());
  });

  it('round-trips a large image, every core of the chip in use', () => {
    const image = bigImage();
    expect(checkImage(image)).toBeUndefined();
    const bytes = writeImage(image);
    const back = readImage(bytes, 'big.chip');
    expect(back).toEqual(image);
    expect(Buffer.from(writeImage(back)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('round-trips an image without cores or symbols', () => {
    const empty: ChipImage = { profile, dtS: 1e-4, cores: [], symbols: { source: '', populations: [], probes: [] } };
    expect(readImage(writeImage(empty), 'empty.chip')).toEqual(empty);
  });

  it('refuses to write a value its field cannot hold', () => {
    expect(() => writeImage(withCore(0, (c) => ({ ...c, slot: -1 })))).toThrow(/core 0 slot is -1/);
    expect(() => writeImage(withCore(1, (c) => ({ ...c, routeStart: new Uint32Array(3) })))).toThrow(/routeStart/);
  });
});

describe('readImage refuses damaged files', () => {
  const bytes = writeImage(fixture());

  it('refuses every truncation, saying how many bytes of how many are there', () => {
    for (let n = 0; n < bytes.length; n++) {
      const error = refusal(() => readImage(bytes.subarray(0, n), 'net.chip'));
      expect(error.code).toBe('length');
      expect(error.message).toContain(`truncated: ${n} bytes of ${n >= 20 ? bytes.length : 'at least 24'}`);
    }
  });

  it('refuses trailing bytes', () => {
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    expectRefused(longer, 'length', /4 unexpected bytes/);
  });

  it('refuses every single-byte change, in the header or the body', () => {
    for (const mask of [0x01, 0x80, 0xff]) {
      for (let i = 0; i < bytes.length; i++) {
        const damaged = bytes.slice();
        damaged[i] ^= mask;
        const error = refusal(() => readImage(damaged, 'net.chip'));
        if (i >= 24) expect(error.code).toBe('checksum');
      }
    }
  });

  it('says the checksum does not match', () => {
    const damaged = bytes.slice();
    damaged[bytes.length - 10] ^= 4;
    expectRefused(damaged, 'checksum', /checksum does not match.*altered or damaged.*meso compile/);
  });

  it('refuses a file that is not a chip image', () => {
    expectRefused(new TextEncoder().encode('MESOCHIQ and more text here, enough for a header'), 'magic', /not a Meso chip image: it starts with "MESOCHIQ"/);
    expectRefused(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), 'magic', /89 50 4e 47 0d 0a 1a 0a/);
    expectRefused(new TextEncoder().encode('MZ'), 'magic', /not a Meso chip image/);
  });

  it('refuses a newer format version, saying which version this build reads', () => {
    const newer = bytes.slice();
    newer[8] = 2;
    expectRefused(newer, 'version', /format version 2, but this build of Meso reads version 1/);
    const zero = bytes.slice();
    zero[8] = 0;
    expectRefused(zero, 'version', /version 0 does not exist/);
  });

  it('refuses header flags version 1 does not define', () => {
    const flagged = bytes.slice();
    flagged[10] = 1;
    expectRefused(flagged, 'version', /flags are 0x0001/);
  });
});

describe('readImage refuses a malformed layout (with a correct checksum)', () => {
  const sections = (): RawSection[] => splitSections(writeImage(fixture()));

  it('reassembling the written sections gives the written file (the test helper is faithful)', () => {
    expect(Buffer.from(assemble(sections())).equals(Buffer.from(writeImage(fixture())))).toBe(true);
  });

  it('refuses an unknown section type', () => {
    const bytes = assemble([...sections(), { tag: tagOf('MCOD'), body: new Uint8Array(8) }]);
    expectRefused(bytes, 'layout', /directory entry 7 \(byte 108\): unknown section type "MCOD"/);
  });

  it('refuses a duplicate section', () => {
    const all = sections();
    expectRefused(assemble([...all, all[1]]), 'layout', /a second META section \(entry 1 is the first\)/);
  });

  it('refuses a missing section', () => {
    expectRefused(assemble(sections().filter((s) => tagName(s.tag) !== 'ROUT')), 'layout', /no ROUT section/);
  });

  it('refuses a misaligned or misplaced section', () => {
    const misaligned = writeImage(fixture());
    setU32(misaligned, 24 + 12 + 4, u32At(misaligned, 24 + 12 + 4) + 1);
    expectRefused(reseal(misaligned), 'layout', /section META starts at byte \d+, which is not a multiple of 4/);
    const misplaced = writeImage(fixture());
    setU32(misplaced, 24 + 12 + 4, u32At(misplaced, 24 + 12 + 4) + 4);
    expectRefused(reseal(misplaced), 'layout', /section META starts at byte \d+, but must start at byte \d+/);
  });

  it('refuses a section that runs past the end of the file', () => {
    const bytes = writeImage(fixture());
    setU32(bytes, 24 + 6 * 12 + 8, 0x7fffffff);
    expectRefused(reseal(bytes), 'layout', /section SYMB \(2147483647 bytes from byte \d+\) runs past the end/);
  });

  it('refuses a section count larger than the file can hold', () => {
    const bytes = writeImage(fixture());
    setU32(bytes, 12, 0xffffffff);
    expectRefused(bytes, 'layout', /lists 4294967295 sections/);
  });

  it('refuses a profile that is not valid', () => {
    expectRefused(withSection('PROF', json({ ...profile.source, limits: {} })), 'profile', /section PROF: the chip profile is invalid: missing "limits.neurons_per_core"/);
    expectRefused(withSection('PROF', new TextEncoder().encode('{"schema": ')), 'layout', /section PROF: is not valid JSON/);
    expectRefused(withSection('PROF', new Uint8Array([0x7b, 0xff, 0x7d])), 'layout', /section PROF: is not valid UTF-8/);
  });

  it('refuses symbols of the wrong shape, naming the field', () => {
    expectRefused(withSection('SYMB', json({ source: 'x', populations: 5, probes: [] })), 'layout', /section SYMB: populations must be an array, found 5/);
    const symbols = fixture().symbols;
    const badPiece = { ...symbols, populations: [{ ...symbols.populations[0], pieces: [{ core: 0, first: -1, count: 4, offset: 0 }] }] };
    expectRefused(withSection('SYMB', json(badPiece)), 'layout', /populations\[0\]\.pieces\[0\]\.first must be a non-negative integer, found -1/);
    const badKind = { ...symbols, populations: [{ ...symbols.populations[0], kind: 'neuron' }] };
    expectRefused(withSection('SYMB', json(badKind)), 'layout', /populations\[0\]\.kind must be "neurons" or "input", found "neuron"/);
  });

  it('refuses extra bytes inside a section', () => {
    const meta = sections()[1].body;
    const longer = new Uint8Array(meta.length + 4);
    longer.set(meta);
    expectRefused(withSection('META', longer), 'layout', /section META: 4 unexpected bytes at its end/);
  });

  it('refuses counts that overrun their section, without allocating them', () => {
    const core = sections()[2].body.slice();
    setU32(core, 4, 0xffffffff); // core 0's neuron count
    expectRefused(withSection('CORE', core), 'layout', /section ROUT, core 0: routeStart \(4294967296 u32\) needs 17179869184 bytes/);
  });

  it('refuses an unknown group kind', () => {
    const groups = sections()[3].body.slice();
    setU32(groups, 0, 7);
    expectRefused(withSection('NPAR', groups), 'layout', /section NPAR, core 0: group 0 \(byte \d+\): unknown group kind 7/);
  });

  it('refuses non-zero padding', () => {
    const syns = sections()[4].body.slice();
    syns[8 + 1] = 1; // core 0: axonStart is 8 bytes, then one exponent and three bytes of padding
    expectRefused(withSection('SYNS', syns), 'layout', /section SYNS, core 0: the padding after axonWeightExp has a non-zero byte/);
  });

  it('never throws anything but ImageError, whatever the bytes after the header say', () => {
    const original = writeImage(fixture());
    const profileEnd = u32At(original, 24 + 4) + u32At(original, 24 + 8);
    // Mostly past the profile text, where the binary structure lives, but the directory too.
    const targets = [...Array.from({ length: 12 * 7 }, (_, i) => 24 + i), ...Array.from({ length: original.length - profileEnd }, (_, i) => profileEnd + i)];
    const values = [0, 1, 2, 3, 4, 0x7f, 0x80, 0xff];
    let seed = 0x9e3779b9;
    const next = (n: number): number => {
      seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      return seed % n;
    };
    let accepted = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const bytes = original.slice();
      const edits = 1 + next(4);
      for (let e = 0; e < edits; e++) {
        const at = targets[next(targets.length)];
        bytes[at] = next(2) === 0 ? values[next(values.length)] : next(256);
      }
      try {
        const image = readImage(reseal(bytes), 'fuzz.chip');
        expect(checkImage(image)).toBeUndefined();
        accepted++;
      } catch (e) {
        if (!(e instanceof ImageError)) throw new Error(`trial ${trial}: ${String(e)}`);
      }
    }
    expect(accepted).toBeLessThan(3000);
  });
});

describe('readImage refuses an impossible chip program (with a correct checksum)', () => {
  const cases: readonly (readonly [string, () => ChipImage, RegExp])[] = [
    ['a synapse targeting neuron 999 of a 10-neuron core', () => withCore(1, (c) => ({ ...c, synapses: c.synapses.map((w, i) => (i === 2 ? packSynapse(999, -1, 30) : w)) })),
      /core 1 \(slot 5\): synapse 2 \(axon 0\) targets neuron 999, but the core has 10 neurons/],
    ['a synapse targeting an input slot', () => withCore(0, (c) => ({ ...c, synapses: new Uint32Array([packSynapse(1, 3, 1), c.synapses[1]]) })),
      /core 0 \(slot 0\): synapse 0 \(axon 0\) targets neuron 1, an input slot \(group 0\)/],
    ['a delay of 0', () => withCore(2, (c) => ({ ...c, synapses: c.synapses.map((w, i) => (i === 4 ? packSynapse(3, 1, 0) : w)) })),
      /core 2 \(slot 17\): synapse 4 \(axon 1\) has a delay of 0 steps, outside 1\.\.62/],
    ['a delay past the profile limit', () => withCore(2, (c) => ({ ...c, synapses: c.synapses.map((w, i) => (i === 0 ? packSynapse(0, 1, 63) : w)) })),
      /core 2 \(slot 17\): synapse 0 \(axon 0\) has a delay of 63 steps/],
    ['a weight mantissa of -128', () => withCore(1, (c) => ({ ...c, synapses: c.synapses.map((w, i) => (i === 5 ? packSynapse(2, -128, 1) : w)) })),
      /core 1 \(slot 5\): synapse 5 \(axon 2\) has weight mantissa -128, outside -127\.\.127/],
    ['a weight exponent past the limit', () => withCore(1, (c) => ({ ...c, axonWeightExp: new Uint8Array([0, 17, 7]) })),
      /core 1 \(slot 5\): axon 1 has weight exponent 17, more than 16/],
    ['a route to a missing core', () => withCore(0, (c) => ({ ...c, routeCore: new Uint16Array([1, 1, 1, 7, 2]) })),
      /core 0 \(slot 0\): route 3 \(of neuron 2\) goes to core 7, but the image has 3 cores/],
    ['a route to a missing axon', () => withCore(1, (c) => ({ ...c, routeAxon: new Uint16Array([2, 0]) })),
      /core 1 \(slot 5\): route 0 \(of neuron 3\) goes to axon 2 of core 2, which has 2 axons/],
    ['a gap in the groups', () => withCore(0, (c) => ({ ...c, groups: [c.groups[0], c.groups[1], { ...c.groups[2], first: 5, count: 1 }] })),
      /core 0 \(slot 0\), group 2 starts at neuron 5, leaving neurons 4\.\.4 in no group/],
    ['overlapping groups', () => withCore(0, (c) => ({ ...c, groups: [c.groups[0], { ...c.groups[1], first: 2, count: 2 }, c.groups[2]] })),
      /core 0 \(slot 0\), group 1 starts at neuron 2, overlapping the group before it/],
    ['groups that stop short', () => withCore(1, (c) => ({ ...c, groups: [{ ...c.groups[0], count: 9 }] })),
      /core 1 \(slot 5\): its groups cover 9 of its 10 neurons/],
    ['a voltage decay past 4096', () => withCore(2, (c) => ({ ...c, groups: [{ kind: 'neurons', first: 0, count: 4, params: { ...lif(1), dv: 5000 } }] })),
      /core 2 \(slot 17\), group 0: neuron parameter dv is 5000/],
    ['a threshold of 0', () => withCore(2, (c) => ({ ...c, groups: [{ kind: 'neurons', first: 0, count: 4, params: lif(0) }] })),
      /core 2 \(slot 17\), group 0: neuron parameter vth is 0; it must be a positive/],
    ['a negative refractory period', () => withCore(2, (c) => ({ ...c, groups: [{ kind: 'neurons', first: 0, count: 4, params: { ...lif(1), refractory: -1 } }] })),
      /core 2 \(slot 17\), group 0: neuron parameter refractory is -1/],
    ['a period of 0', () => withCore(0, (c) => ({ ...c, groups: [c.groups[0], { kind: 'input', first: 3, count: 1, encoding: { kind: 'periodic', period: 0, phase: 0 }, inputIndex: 3 }, c.groups[2]] })),
      /core 0 \(slot 0\), group 1: the period 0 is not a positive integer/],
    ['a slot past the chip', () => withCore(2, (c) => ({ ...c, slot: 128 })),
      /core 2 sits in slot 128, but the 'loihi-like' chip has slots 0\.\.127/],
    ['two cores in one slot', () => withCore(2, (c) => ({ ...c, slot: 5 })),
      /core 2 and core 1 both sit in slot 5/],
    ['an axonStart that does not end at the synapse count', () => withCore(1, (c) => ({ ...c, axonStart: new Uint32Array([0, 3, 3, 5]) })),
      /core 1 \(slot 5\): axonStart ends at 5, but there are 6 entries/],
    ['an axonStart that decreases', () => withCore(1, (c) => ({ ...c, axonStart: new Uint32Array([0, 4, 3, 6]) })),
      /core 1 \(slot 5\): axonStart decreases at axon 1/],
    ['an axonStart that does not start at 0', () => withCore(1, (c) => ({ ...c, axonStart: new Uint32Array([1, 3, 3, 6]) })),
      /core 1 \(slot 5\): axonStart starts at 1, not 0/],
    ['a routeStart that does not end at the route count', () => withCore(1, (c) => ({ ...c, routeStart: new Uint32Array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]) })),
      /core 1 \(slot 5\): routeStart ends at 1, but there are 2 entries/],
    ['more neurons than a core holds', () => withCore(2, (c) => ({ ...c, neuronCount: 1025, groups: [{ ...c.groups[0], count: 1025 }], routeStart: new Uint32Array(1026) })),
      /core 2 \(slot 17\) has 1025 neurons, more than the 1024/],
    ['more input axons than a core has', () => withCore(2, (c) => ({ ...c, axonStart: new Uint32Array(4098).fill(5, 2), axonWeightExp: new Uint8Array(4097) })),
      /core 2 \(slot 17\) has 4097 input axons, more than the 4096/],
    ['more output routes than a core has', () => withCore(1, (c) => ({ ...c, routeStart: new Uint32Array([0, 4097, 4097, 4097, 4097, 4097, 4097, 4097, 4097, 4097, 4097]), routeCore: new Uint16Array(4097).fill(2), routeAxon: new Uint16Array(4097) })),
      /core 1 \(slot 5\) has 4097 output routes, more than the 4096/],
    ['more synapse memory than a core has', () => withCore(2, (c) => ({ ...c, axonStart: new Uint32Array([0, 32769, 32769]), synapses: new Uint32Array(32769).fill(packSynapse(0, 1, 1)) })),
      /core 2 \(slot 17\): its 32769 synapses need 131076 bytes of synapse memory, more than the 131072/],
    ['a time step of 0', () => ({ ...fixture(), dtS: 0 }), /the time step \(dtS\) is 0 s/],
    ['an infinite time step', () => ({ ...fixture(), dtS: Infinity }), /the time step \(dtS\) is Infinity s/],
    ['a population piece on a missing core', () => {
      const image = fixture();
      const [pixels, hidden, out] = image.symbols.populations;
      return { ...image, symbols: { ...image.symbols, populations: [pixels, hidden, { ...out, pieces: [{ core: 9, first: 0, count: 4, offset: 0 }] }] } };
    }, /symbols: population 'out', piece 0 is on core 9, but the image has 3 cores/],
    ['a population piece past its core', () => {
      const image = fixture();
      const [pixels, hidden, out] = image.symbols.populations;
      return { ...image, symbols: { ...image.symbols, populations: [pixels, hidden, { ...out, pieces: [{ core: 2, first: 1, count: 4, offset: 0 }] }] } };
    }, /symbols: population 'out', piece 0 holds neurons 1\.\.4 of core 2, which has 4 neurons/],
    ['a gap in a population', () => {
      const image = fixture();
      const [pixels, hidden, out] = image.symbols.populations;
      return { ...image, symbols: { ...image.symbols, populations: [pixels, { ...hidden, pieces: [hidden.pieces[0]] }, out] } };
    }, /symbols: population 'hidden': no piece holds its neurons 0\.\.1/],
    ['a population too large for its pieces', () => {
      const image = fixture();
      const [pixels, hidden, out] = image.symbols.populations;
      return { ...image, symbols: { ...image.symbols, populations: [pixels, hidden, { ...out, size: 5 }] } };
    }, /symbols: population 'out': no piece holds its neurons 4\.\.4/],
    ['two populations on one slot', () => {
      const image = fixture();
      const [pixels, hidden, out] = image.symbols.populations;
      return { ...image, symbols: { ...image.symbols, populations: [pixels, hidden, { ...out, pieces: [{ core: 1, first: 6, count: 4, offset: 0 }] }] } };
    }, /symbols: population 'out', piece 0 holds neuron 6 of core 1, which population 'hidden' holds too/],
    ['a population on slots of the other kind', () => {
      const image = fixture();
      const [pixels, hidden, out] = image.symbols.populations;
      return { ...image, symbols: { ...image.symbols, populations: [{ ...pixels, size: 5, pieces: [{ core: 0, first: 0, count: 5, offset: 0 }] }, hidden, out] } };
    }, /symbols: population 'pixels', piece 0 holds neurons of core 0 from a 'neurons' group, but the population's kind is 'input'/],
    ['a probe of a missing population', () => {
      const image = fixture();
      return { ...image, symbols: { ...image.symbols, probes: ['out', 'digits'] } };
    }, /symbols: the probe names population 'digits', which the image does not have/],
  ];

  it.each(cases)('refuses %s', (_, build, message) => {
    const image = build();
    expectRefused(writeImage(image), 'structure', message);
    expect(checkImage(image)).toMatch(message);
  });
});
