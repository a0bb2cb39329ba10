// Claims one version of a Delta table's log, exactly once across processes.
/**
 * Filesystem assumptions: the table lives on a local POSIX filesystem (ext4,
 * xfs, btrfs, overlayfs, bind mounts) where link(2) atomically creates the new
 * name or fails with EEXIST, and fsync makes data and directory entries
 * durable. NFS, SMB and some FUSE filesystems do not give these guarantees;
 * two writers there may both believe they won.
 *
 * The commit text is written and fsync'd under a hidden temporary name first,
 * then hard-linked to its final name: readers see either no file or the whole
 * file, and an existing commit is never replaced (rename would replace it).
 */
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { encodeActions, type Action } from './actions.ts';
import { fsyncDir } from './fsync.ts';

export const LOG_DIR = '_delta_log';

/** Commit file names are the version zero-padded to 20 digits. */
export function commitFileName(version: number): string {
  if (!Number.isSafeInteger(version) || version < 0) throw new Error(`invalid Delta version ${version}`);
  return `${String(version).padStart(20, '0')}.json`;
}

export function logDir(tableDir: string): string {
  return path.join(tableDir, LOG_DIR);
}

async function writeDurably(file: string, text: string): Promise<void> {
  const fh = await fsp.open(file, 'wx');
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `actions` as commit `version`. Resolves false when that version
 * already exists (another writer won), true once the commit is durable.
 */
export async function tryCommit(tableDir: string, version: number, actions: readonly Action[]): Promise<boolean> {
  const dir = logDir(tableDir);
  const name = commitFileName(version);
  const text = encodeActions(actions);
  const tmp = path.join(dir, `.${name}.${randomUUID()}.tmp`);
  try {
    await writeDurably(tmp, text);
    try {
      await fsp.link(tmp, path.join(dir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    await fsp.rm(tmp, { force: true });
  }
  await fsyncDir(dir);
  return true;
}
