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
import { processAlive } from '../fs/pid-lock.ts';

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
  // The pid in the name lets a later process tell an abandoned temp file from a live writer's.
  const tmp = path.join(dir, `.${name}.${process.pid}.${randomUUID()}.tmp`);
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

const TEMP_RE = /^\.(\d{20}\.json)\.(\d+)\.[0-9a-f-]{36}\.tmp$/;

/**
 * Removes temp commit files that a killed writer left behind. Readers never
 * look at them (hidden names), but they would pile up. A temp file is removed
 * when its writing process is gone, or when it is already linked as the
 * commit (same inode), which makes it redundant whoever owns it.
 */
export async function removeAbandonedCommitTemps(tableDir: string): Promise<number> {
  const dir = logDir(tableDir);
  let removed = 0;
  for (const n of await fsp.readdir(dir)) {
    const m = TEMP_RE.exec(n);
    if (!m) continue;
    const tmp = path.join(dir, n);
    const st = await fsp.stat(tmp).catch(() => undefined);
    const committed = await fsp.stat(path.join(dir, m[1]!)).catch(() => undefined);
    const linked = st !== undefined && committed !== undefined && st.ino === committed.ino && st.dev === committed.dev;
    const owner = Number(m[2]);
    if (linked || (owner !== process.pid && !processAlive(owner))) {
      await fsp.rm(tmp, { force: true });
      removed += 1;
    }
  }
  return removed;
}
