// Claims one version of a Delta table's log, exactly once across processes.
/**
 * The version is claimed with the table store's create-if-absent write: on a
 * local folder the commit text is written and fsync'd under a hidden
 * temporary name, then hard-linked to its final name (see storage/local.ts;
 * NFS, SMB and some FUSE filesystems do not keep link's promise); on Azure
 * Blob Storage and S3 it is a put with If-None-Match: *. Readers see either no
 * commit or the whole one, and an existing commit is never replaced.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DELTA_COMMIT_RETRY_BASE_MS, DELTA_COMMIT_RETRY_MAX_MS, DELTA_COMMIT_UNSURE_ATTEMPTS_MAX } from '../config/limits.ts';
import { OutcomeUnknownError, StoreBusyError } from '../storage/types.ts';
import { encodeActions, type Action } from './actions.ts';
import { claimLogFile, LOG_DIR, logDir, readLogText } from './log-files.ts';
import { processAlive } from '../fs/pid-lock.ts';
import { isRemoteLocation } from '../storage/location.ts';

export { LOG_DIR, logDir };

/** Commit file names are the version zero-padded to 20 digits. */
export function commitFileName(version: number): string {
  if (!Number.isSafeInteger(version) || version < 0) throw new Error(`invalid Delta version ${version}`);
  return `${String(version).padStart(20, '0')}.json`;
}

const pause = (attempt: number) => sleep(Math.min(DELTA_COMMIT_RETRY_MAX_MS, DELTA_COMMIT_RETRY_BASE_MS * 2 ** attempt) * (0.5 + Math.random() / 2));

/**
 * Writes `actions` as commit `version`. Resolves false when that version
 * already exists (another writer won), true once the commit is durable.
 *
 * When the store leaves the outcome unknown (a timeout, a lost answer) or is
 * busy, the same bytes are written again at the same version: a false answer
 * then means the version exists, and it is ours exactly when it holds our
 * bytes (commitInfo's timestamp and txnId make them unique). The version is
 * never given up while an earlier attempt at it might still land.
 */
export async function tryCommit(tableDir: string, version: number, actions: readonly Action[]): Promise<boolean> {
  const name = commitFileName(version);
  const text = encodeActions(actions);
  let unsure: Error | undefined;
  for (let attempt = 0; attempt < DELTA_COMMIT_UNSURE_ATTEMPTS_MAX; attempt++) {
    try {
      if (await claimLogFile(tableDir, name, text)) return true;
      if (unsure === undefined) return false;
      return (await readLogText(tableDir, name)) === text;
    } catch (e) {
      if (!(e instanceof OutcomeUnknownError || e instanceof StoreBusyError)) throw e;
      unsure = e;
      await pause(attempt);
    }
  }
  throw new Error(`the store left commit ${version} of ${tableDir} unsettled after ${DELTA_COMMIT_UNSURE_ATTEMPTS_MAX} attempts: ${unsure?.message ?? ''}`, { cause: unsure });
}

const TEMP_RE = /^\.(\d{20}\.json)\.(\d+)\.[0-9a-f-]{36}\.tmp$/;

/**
 * Removes temp commit files that a killed writer left behind. Readers never
 * look at them (hidden names), but they would pile up. A temp file is removed
 * when its writing process is gone, or when it is already linked as the
 * commit (same inode), which makes it redundant whoever owns it.
 */
export async function removeAbandonedCommitTemps(tableDir: string): Promise<number> {
  // Object stores write a commit in one call; only folders have temp files.
  if (isRemoteLocation(tableDir)) return 0;
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
