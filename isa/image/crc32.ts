// CRC-32 as in IEEE 802.3, zlib and PNG: reflected, polynomial 0xEDB88320,
// initial value and final xor 0xFFFFFFFF. The chip image stores it over its body
// so that a damaged or altered file is refused before anything reads its contents.

/** One entry per byte value: the CRC remainder of that byte, eight shifts at once. */
const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * The CRC-32 of `bytes`, as an unsigned 32-bit number. Pass the CRC of what came
 * before as `previous` to continue over data in pieces (as zlib's crc32 does):
 * crc32(b, crc32(a)) === crc32(a followed by b).
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
