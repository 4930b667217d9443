// Files a program reads besides its own text: included .snn files and data
// files (spike lists, edge lists). The compiler never touches the file system
// itself; the caller injects a reader (the CLI reads the disk, tests use a map),
// and every path is resolved relative to the file that names it.
import { dirname, isAbsolute, join } from 'node:path';

export type ReadResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: string };

/** Reads one file by path (as resolved by resolveRelative); never throws. */
export type SourceReader = (path: string) => ReadResult;

/** A reader for programs that name no other file: every read fails with a reason that says so. */
export const NO_FILES: SourceReader = () => ({ ok: false, reason: 'this compilation was given no way to read files' });

/** A reader over in-memory files, keyed by resolved path (for tests and editors). */
export function memoryReader(files: Readonly<Record<string, string>>): SourceReader {
  return (path) => (Object.hasOwn(files, path) ? { ok: true, text: files[path] } : { ok: false, reason: 'no such file' });
}

/** `path` as written in `fromFile`, made relative to the same place as `fromFile` (absolute paths stay). */
export function resolveRelative(fromFile: string, path: string): string {
  return isAbsolute(path) ? path : join(dirname(fromFile), path);
}
