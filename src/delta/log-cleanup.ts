// Expires old `_delta_log` entries the way the protocol's metadata cleanup
// describes: only entries strictly behind a checkpoint that is itself older
// than the retention window, so the table always loads from what is left.
import { checkpointFileName } from './checkpoint-schema.ts';
import { logDir } from './commit.ts';
import { logFileInfo, logNames, removeLogFile } from './log-files.ts';
import { isRemoteLocation } from '../storage/location.ts';
import { fsyncDir } from './fsync.ts';
import { listLog } from './snapshot.ts';

const DAY_MS = 86_400_000;
// Names cleanup may delete, each with the version it belongs to.
const VERSIONED = [/^(\d{20})\.json$/, /^(\d{20})\.checkpoint\.parquet$/, /^(\d{20})\.crc$/, /^(\d{20})\.checkpoint\.\d{10}\.\d{10}\.parquet$/];
const COMPACTED = /^(\d{20})\.(\d{20})\.compacted\.json$/;

export type LogCleanupResult = {
  /** The checkpoint everything older was expired behind, if one qualified. */
  cutoffCheckpoint: number | undefined;
  /** File names under `_delta_log` deleted (or, in a dry run, that would be). */
  deleted: string[];
};

function versionOf(name: string): number | undefined {
  for (const re of VERSIONED) {
    const m = re.exec(name);
    if (m?.[1]) return Number(m[1]);
  }
  // A compaction covering [x, y] is only redundant once its start is at or behind the cutoff.
  const c = COMPACTED.exec(name);
  return c?.[1] ? Number(c[1]) : undefined;
}

/**
 * The newest classic checkpoint written before the cutoff (midnight UTC of the
 * day `retentionMs` ago). A checkpoint is written after its commit, so its
 * file time bounds the commit's time from above; this never picks a
 * checkpoint newer than the protocol's rule would. Checkpoint times grow with
 * their versions, so a binary search needs only a few stats even when the
 * retention window holds thousands of checkpoints; whatever it returns was
 * itself checked to be old enough.
 */
async function cutoffCheckpoint(tableDir: string, checkpoints: number[], cutoff: number): Promise<number | undefined> {
  const oldEnough = async (v: number): Promise<boolean> => {
    const info = await logFileInfo(tableDir, checkpointFileName(v)).catch(() => undefined);
    return info !== undefined && info.lastModified <= cutoff;
  };
  let found: number | undefined;
  let lo = 0;
  let hi = checkpoints.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (await oldEnough(checkpoints[mid] as number)) {
      found = checkpoints[mid];
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * Deletes commits, checkpoints, checksums and compactions older than the
 * newest checkpoint that lies beyond the retention window; that checkpoint
 * and its own commit stay. Oldest first, so an interrupted run still leaves a
 * contiguous log behind the checkpoint.
 */
export async function cleanupExpiredLogs(
  tableDir: string,
  opts: { retentionMs: number; now?: number; dryRun?: boolean },
): Promise<LogCleanupResult> {
  const now = opts.now ?? Date.now();
  const cutoff = Math.floor((now - opts.retentionMs) / DAY_MS) * DAY_MS;
  const listing = await listLog(tableDir);
  const keepFrom = await cutoffCheckpoint(tableDir, listing.checkpoints, cutoff);
  if (keepFrom === undefined) return { cutoffCheckpoint: undefined, deleted: [] };
  const doomed = ((await logNames(tableDir)) ?? [])
    .map((name) => ({ name, version: versionOf(name) }))
    .filter((e): e is { name: string; version: number } => e.version !== undefined && e.version < keepFrom)
    .sort((a, b) => a.version - b.version || a.name.localeCompare(b.name));
  if (!opts.dryRun) {
    for (const e of doomed) await removeLogFile(tableDir, e.name);
    if (doomed.length > 0 && !isRemoteLocation(tableDir)) await fsyncDir(logDir(tableDir));
  }
  return { cutoffCheckpoint: keepFrom, deleted: doomed.map((e) => e.name) };
}
