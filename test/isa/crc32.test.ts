import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../isa/image/crc32.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32', () => {
  it.each([
    ['', 0x00000000],
    ['a', 0xe8b7be43],
    ['abc', 0x352441c2],
    ['123456789', 0xcbf43926],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ])('CRC-32 of %j is the published value', (text, expected) => {
    expect(crc32(ascii(text))).toBe(expected);
  });

  it('matches the published values for 32 zero bytes and 32 0xff bytes', () => {
    expect(crc32(new Uint8Array(32))).toBe(0x190a55ad);
    expect(crc32(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b);
  });

  it('returns an unsigned 32-bit number', () => {
    const value = crc32(ascii('123456789'));
    expect(value).toBeGreaterThan(0x7fffffff);
    expect(Number.isInteger(value)).toBe(true);
  });

  it('continues over data given in pieces', () => {
    const data = ascii('The quick brown fox jumps over the lazy dog');
    for (const cut of [0, 1, 9, 20, data.length]) {
      expect(crc32(data.subarray(cut), crc32(data.subarray(0, cut)))).toBe(crc32(data));
    }
  });

  it('agrees with zlib on pseudo-random data of many lengths', () => {
    let x = 12345;
    for (let length = 0; length < 600; length += 37) {
      const data = new Uint8Array(length);
      for (let i = 0; i < length; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        data[i] = x >>> 24;
      }
      expect(crc32(data)).toBe(zlibCrc32(data));
    }
  });

  it('reads only the view it is given, not the whole underlying buffer', () => {
    const whole = ascii('xx123456789yy');
    expect(crc32(whole.subarray(2, 11))).toBe(0xcbf43926);
  });
});
