// File access for the CLI: reads that name the missing file and what to do,
// writes that are atomic (a temporary file beside the target, then rename), so
// an interrupted run never leaves a half-written image or report.
import { readFileSync, renameSync, writeFileSync, unlinkSync, existsSync, statSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { UserError } from './errors.js';

function describeFsError(err: unknown, path: string, doing: string): UserError {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return new UserError(`${path}: no such file; check the path (${doing})`);
    case 'EISDIR':
      return new UserError(`${path}: is a directory, not a file (${doing})`);
    case 'EACCES':
    case 'EPERM':
      return new UserError(`${path}: permission denied (${doing})`);
    case 'ENOTDIR':
      return new UserError(`${path}: a part of the path is not a directory (${doing})`);
    default:
      return new UserError(`${path}: cannot ${doing}: ${(err as Error).message}`);
  }
}

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw describeFsError(err, path, 'reading it');
  }
}

/** Reads a file a program names (an include, a data file) for the compiler: a reason instead of a throw. */
export function readSourceFile(path: string): { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: string } {
  try {
    return { ok: true, text: readText(path) };
  } catch (err) {
    // UserError's message starts with the path, which the compiler's diagnostic already names.
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message };
  }
}

export function readBytes(path: string): Uint8Array {
  try {
    const buf = readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    throw describeFsError(err, path, 'reading it');
  }
}

/** Writes `data` to `path` atomically: whole or not at all. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`${path}: is a directory; give a file name to write`);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file was never created
    }
    throw describeFsError(err, path, 'writing it');
  }
}
