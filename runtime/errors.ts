// How the CLI ends: 0 success, 1 bad input (a clear message, no stack trace),
// 2 an internal fault (a bug in Meso, with the stack so it can be reported).

/** A problem with the user's input: a missing file, a bad option, a program that does not compile. */
export class UserError extends Error {
  constructor(
    message: string,
    /** Already-rendered diagnostics to print before the message, if any. */
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 1;
export const EXIT_INTERNAL = 2;
