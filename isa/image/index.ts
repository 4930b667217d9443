// The chip image: its types, its file format, and the rules a valid image keeps.
export type * from './types.js';
export { ImageError, type ImageErrorCode } from './errors.js';
export { writeImage, readImage, FORMAT_VERSION, SECTION_TAGS, type SectionName } from './format.js';
export { validateImage, checkImage } from './validate.js';
export { crc32 } from './crc32.js';
