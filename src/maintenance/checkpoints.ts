// When to write checkpoints: after the commit at every multiple of the table's
// checkpoint interval, followed by expired-log cleanup as Spark does it. Runs
// after commits, so it never fails one; problems are logged and skipped.
import { writeCheckpoint } from '../delta/checkpoint-write.ts';
import type { LastCheckpoint } from '../delta/last-checkpoint.ts';
import { cleanupExpiredLogs } from '../delta/log-cleanup.ts';
import { checkpointIntervalOf, expiredLogCleanupEnabled, logRetentionMs } from '../delta/properties.ts';
import { loadSnapshot } from '../delta/snapshot.ts';
import type { Db } from '../duckdb/db.ts';

/**
 * Commits between checkpoints when the table does not set
 * delta.checkpointInterval. bench/snapshot-load.ts (figures in
 * docs/maintenance.md) measured a JSON commit replay at under 0.1 ms, a
 * checkpoint read at 15 to 240 ms (10 to 10,000 files) and a checkpoint write
 * at 17 to 263 ms. At 100, the longest tail a load replays (99 commits, under
 * 10 ms) stays within the noise of the checkpoint read, while writing costs at
 * most about 3 ms per commit, some 0.3% of a core at one commit per second.
 * Spark's 10 would spend ten times that to save a few milliseconds per load.
 */
export const DEFAULT_CHECKPOINT_INTERVAL = 100;

/**
 * Least time between two expired-log cleanups of one table in this process.
 * Cleanup lists the whole log directory, which at a commit per second holds
 * millions of entries within the default 30 days; entries expire by the day,
 * so an hourly pass loses nothing.
 */
const LOG_CLEANUP_EVERY_MS = 3_600_000;

// The interval per table directory, learned from the last snapshot read. A
// table whose interval changes is picked up at its next checkpoint.
const intervals = new Map<string, number>();
const lastCleanup = new Map<string, number>();

/** Writes the checkpoint of `version` now, then expires old log entries if the table allows it and it is time. */
export async function checkpointNow(db: Db, tableDir: string, version?: number): Promise<LastCheckpoint> {
  const snap = await loadSnapshot(tableDir, version === undefined ? { db } : { db, version });
  if (!snap) throw new Error(`no Delta table at ${tableDir}`);
  intervals.set(tableDir, checkpointIntervalOf(snap.metaData, DEFAULT_CHECKPOINT_INTERVAL));
  const info = await writeCheckpoint(db, tableDir, snap);
  const now = Date.now();
  if (expiredLogCleanupEnabled(snap.metaData) && now - (lastCleanup.get(tableDir) ?? 0) >= LOG_CLEANUP_EVERY_MS) {
    lastCleanup.set(tableDir, now);
    await cleanupExpiredLogs(tableDir, { retentionMs: logRetentionMs(snap.metaData), now });
  }
  return info;
}

async function intervalFor(db: Db, tableDir: string): Promise<number> {
  let n = intervals.get(tableDir);
  if (n === undefined) {
    const snap = await loadSnapshot(tableDir, { db });
    n = snap ? checkpointIntervalOf(snap.metaData, DEFAULT_CHECKPOINT_INTERVAL) : DEFAULT_CHECKPOINT_INTERVAL;
    intervals.set(tableDir, n);
  }
  return n;
}

/**
 * Call after a successful commit of `version`: checkpoints when the version is
 * a multiple of the interval. Resolves true when a checkpoint was written.
 */
export async function maybeCheckpoint(db: Db, tableDir: string, version: number, log: (line: string) => void): Promise<boolean> {
  try {
    if (version <= 0 || version % (await intervalFor(db, tableDir)) !== 0) return false;
    await checkpointNow(db, tableDir, version);
    return true;
  } catch (e) {
    log(`checkpoint of ${tableDir} at version ${version} failed (readers replay the JSON log instead): ${(e as Error).message}`);
    return false;
  }
}
