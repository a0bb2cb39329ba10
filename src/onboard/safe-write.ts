// Writing a user's config file: a backup of the current bytes first, then the
// new bytes through a temporary file in the same folder, fsync and rename, so
// a crash leaves the old file or the new one. A file holding a token is made
// owner-only; otherwise the file keeps the mode it had.
import { constants } from 'node:fs';
import { copyFile, chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

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

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `file` with `text` atomically, with `mode`. */
export async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.chmod(mode);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await rename(tmp, file);
  await fsyncDir(dir);
}

export async function removeFile(file: string): Promise<void> {
  await rm(file, { force: true });
  await fsyncDir(path.dirname(file));
}
