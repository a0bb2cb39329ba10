// Writing a user's config file: a backup of the current bytes first, then the
// new bytes through a temporary file in the same folder, fsync and rename, so
// a crash leaves the old file or the new one. A file holding a token is made
// owner-only; otherwise the file keeps the mode it had.
import { constants } from 'node:fs';
import { copyFile, chmod, mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { fsyncDir } from '../delta/fsync.ts';

export type Current = { text: string; mode: number } | undefined;

export async function readCurrent(file: string): Promise<Current> {
  try {
    const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    return { text, mode: st.mode & 0o777 };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** A copy of `file` beside it, named for the moment; owner-only, since the file may hold a token. */
export async function backup(file: string, now = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const dest = `${file}.otlp2delta-backup-${stamp}-${randomBytes(2).toString('hex')}`;
  await copyFile(file, dest, constants.COPYFILE_EXCL);
  await chmod(dest, 0o600);
  return dest;
}

/** Replaces `file` with `text` atomically, with `mode`, creating its folder (owner-only) if needed. */
export async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, text, mode);
}

export async function removeFile(file: string): Promise<void> {
  await rm(file, { force: true });
  await fsyncDir(path.dirname(file));
}
