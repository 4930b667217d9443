// The learning section of the chip image (LRNG): written and read back
// byte for byte, absent when nothing learns, and every structural fault named.
import { describe, expect, it } from 'vitest';
import { compileSource } from '../../../compiler/index.js';
import { checkImage, readImage, writeImage, ImageError } from '../../../isa/image/format.js';
import type { ChipImage } from '../../../isa/image/types.js';
import { crc32 } from '../../../isa/image/crc32.js';

const PROGRAM = `target "loihi-like" { dt = 1 ms }
neuron Lif { model = lif; tau_mem = 20 ms; tau_syn = 5 ms; threshold = 1.0 }
input a[5] { encoding = poisson(max_rate = 50 Hz) }
population h[3] : Lif
population o[2] : Lif
rule delta {
  trace x1 : pre (tau = 20 ms)
  trace y1 : post (tau = 20 ms)
  every epoch { w += 0.01 * x1 * (teach - y1) }
  bounds w in [-1, 1]
  epoch = 10 steps
}
rule hs : sbp {
  trace x1 : pre (tau = 20 ms)
  trace y1 : post (tau = 10 ms)
  on post { w += 0.01 * x1 }
  source = delta
}
connect a -> h { weight = 0.2; learn = hs }
connect h -> o { weight = 0.1; learn = delta }
teach o from labels { rate = 100 Hz }
`;

function image(text = PROGRAM): ChipImage {
  const r = compileSource(text, 'l.snn');
  if (r.image === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.image;
}

/** Bytes with the header's CRC made right again, so that the reader gets past the checksum to the structure. */
function resealed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(20, crc32(out.subarray(24)), true);
  return out;
}

describe('the LRNG section', () => {
  it('round-trips byte for byte, with the rules, projections, sets and teaching', () => {
    const img = image();
    const bytes = writeImage(img);
    const back = readImage(bytes, 'l.chip');
    expect(writeImage(back)).toEqual(bytes);
    const l = back.learning!;
    expect(l.rules.map((r) => r.name)).toEqual(['delta', 'hs']);
    expect(l.rules[0].text.split('\n')[0]).toBe('rule delta {');
    expect(l.projections.map((p) => [p.rule, p.pre, p.post, [...p.sources]])).toEqual([[1, 0, 1, [1]], [0, 1, 2, []]]);
    expect(l.teach).toEqual([{ population: 2, threshold: Math.round(0.1 * 2 ** 32) }]);
    expect(l.cores[0].map((s) => [s.projection, s.axonFirst, s.axonCount, [...s.axonPre], s.postFirst, s.postCount])).toEqual([
      [0, 0, 5, [0, 1, 2, 3, 4], 5, 3],
      [1, 5, 3, [0, 1, 2], 8, 2],
    ]);
  });

  it('is absent from an image without learning', () => {
    const plain = image(PROGRAM.replace('; learn = hs', '').replace('; learn = delta', '').replace(/rule delta[\s\S]*?\n}\nrule hs[\s\S]*?\n}\n/, '').replace(/teach .*\n/, ''));
    expect(plain.learning).toBeUndefined();
    const bytes = writeImage(plain);
    expect(new TextDecoder().decode(bytes).includes('LRNG')).toBe(false);
    expect(readImage(bytes, 'p.chip').learning).toBeUndefined();
  });

  it('names malformed microcode, sets and teaching', () => {
    const img = image();
    const l = img.learning!;
    const broken = (learning: typeof l): string | undefined => checkImage({ ...img, learning });
    const badWord = l.rules[0].program.slice();
    badWord[0] = 0xf0000000;
    expect(broken({ ...l, rules: [{ ...l.rules[0], program: badWord }, l.rules[1]] })).toMatch(/rule 0 \('delta'\): microcode word 0: unknown opcode 15/);
    expect(broken({ ...l, cores: [[{ ...l.cores[0][0], axonCount: 9, axonPre: new Uint32Array(9) }]] })).toMatch(/holds axons 0\.\.8, but the core has 8/);
    expect(broken({ ...l, cores: [[l.cores[0][1], l.cores[0][0]]] })).toMatch(/overlapping the set before it/);
    expect(broken({ ...l, cores: [[{ ...l.cores[0][0], postFirst: 6, postCount: 2 }]] })).toMatch(/synapse 0 targets slot 5, outside the set's slots 6\.\.7/);
    expect(broken({ ...l, teach: [{ population: 0, threshold: 1 }] })).toMatch(/teach 0 names population 0, which is not a population of neurons/);
    expect(broken({ ...l, projections: [{ ...l.projections[0], sources: Uint32Array.of(0) }, l.projections[1]] })).toMatch(/source projection 0 does not leave/);
    expect(broken({ ...l, rules: [l.rules[0], { ...l.rules[1], sourceLines: new Uint32Array(1) }] })).toMatch(/but 1 source lines/);
  });

  it('refuses a truncated section with an ImageError that names it', () => {
    const bytes = writeImage(image());
    const view = new DataView(bytes.buffer);
    const count = view.getUint32(12, true);
    let entry = -1;
    for (let i = 0; i < count; i++) if (new TextDecoder().decode(bytes.subarray(24 + 12 * i, 28 + 12 * i)) === 'LRNG') entry = 24 + 12 * i;
    expect(entry).toBeGreaterThan(0);
    const offset = view.getUint32(entry + 4, true);
    // The rule count says 200 rules: more than the section can hold.
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(offset, 200, true);
    let error: unknown;
    try {
      readImage(resealed(bad), 'bad.chip');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).message).toMatch(/^bad\.chip: section LRNG: the rule count 200 is more than the section can hold/);
  });
});
