// The one error a chip image reader raises. The CLI prints it as a diagnostic
// (exit status 1), so the message says what is wrong, where, and what to do.

/** What kind of fault, for tests and for callers that react differently to each. */
export type ImageErrorCode =
  /** Not a Meso chip image at all (wrong magic bytes). */
  | 'magic'
  /** A format version or header flag this build does not read. */
  | 'version'
  /** Shorter than its header says, or longer. */
  | 'length'
  /** The body's CRC-32 differs from the one stored in the header. */
  | 'checksum'
  /** The section directory or a section's bytes are malformed. */
  | 'layout'
  /** The profile section is not a valid chip profile. */
  | 'profile'
  /** Well-formed bytes describing an impossible chip program (a bad target, route, range...). */
  | 'structure';

const RECOMPILE = 'recompile it with `meso compile`';

export class ImageError extends Error {
  override readonly name = 'ImageError';

  constructor(
    /** The file (or other source) the image came from. */
    readonly origin: string,
    readonly code: ImageErrorCode,
    /** What is wrong and where, without the origin. */
    readonly detail: string,
    /** What to do about it; the default suits every fault that a fresh compile cures. */
    readonly hint: string = RECOMPILE,
  ) {
    super(`${origin}: ${detail}${hint ? `; ${hint}` : ''}`);
  }
}
