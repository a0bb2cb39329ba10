// Replacing a small file so that a crash leaves the old bytes or the new ones:
// a temporary file in the same folder, written with its final mode and
// fsync'd, renamed over the file, then the folder fsync'd so the new name is
// durable too. The temporary file is created owner-only, so a secret is never
// readable by others, even for a moment.
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDir } from '../delta/fsync.ts';

/** Replaces `file` (in an existing folder) with `text`, atomically and durably, with `mode`. */
export async function writeFileAtomic(file: string, text: string, mode: number): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    try {
      await fh.chmod(mode);
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}
