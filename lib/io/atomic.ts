/** Writing a file so that a crash leaves the old file or the complete new one, never a torn one. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v from '../core/validate';

/**
 * Writes `bytes` to a temporary file in the same directory, flushes it to disk, then renames it over `file`.
 * File-system errors are SparseError ERR_IO naming the path; no temporary file is left behind.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  const target = path.resolve(v.filePath('file', file));
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx', 0o644);
    for (let off = 0; off < bytes.length;) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, target);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    v.fail('ERR_IO', `Could not save ${file}: ${(e as Error).message}`);
  }
}
