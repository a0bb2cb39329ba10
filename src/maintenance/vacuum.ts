// VACUUM: deletes data files the table no longer references (removed by
// compaction, or orphans of flushes that never committed) once they are older
// than the retention window, and expires log entries behind a checkpoint.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { LOG_DIR, logDir } from '../delta/commit.ts';
import { removeDataFile } from '../delta/data-files.ts';
import { whenNotBusy } from '../delta/log-files.ts';
import { isRemoteLocation, locate } from '../storage/location.ts';
import { cleanupExpiredLogs } from '../delta/log-cleanup.ts';
import { deletedFileRetentionMs, logRetentionMs } from '../delta/properties.ts';
import { loadSnapshot, refreshSnapshot, type Snapshot } from '../delta/snapshot.ts';
import { assertWritable } from '../delta/table.ts';
import type { Db } from '../duckdb/db.ts';

const HOUR_MS = 3_600_000;
/**
 * No file younger than this is ever deleted, whatever the options: a flush
 * or compaction writes its file before it commits it, and none takes an hour
 * between the two.
 */
export const VACUUM_MIN_AGE_MS = HOUR_MS;

export type VacuumOptions = {
  db?: Db;
  /** Default: the table's delta.deletedFileRetentionDuration (one week unless set). */
  retentionMs?: number;
  /** Allows a retention shorter than the table's own (never below VACUUM_MIN_AGE_MS). */
  force?: boolean;
  dryRun?: boolean;
  /** The clock, for tests. */
  now?: number;
};

export type VacuumResult = {
  version: number;
  retentionMs: number;
  /** Table-relative paths of deleted data files (or, in a dry run, of files that would be). */
  files: string[];
  bytes: number;
  /** `_delta_log` entries expired behind a checkpoint. */
  logFiles: string[];
  dryRun: boolean;
};

type Candidate = { rel: string; size: number };

/** Paths (decoded, table-relative, '/'-separated) a VACUUM must keep: active files and unexpired tombstones. */
function protectedPaths(snap: Snapshot, cutoff: number): Set<string> {
  const keep = new Set<string>();
  const decode = (p: string) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  };
  for (const p of snap.files.keys()) keep.add(decode(p));
  for (const r of snap.tombstones.values()) if ((r.deletionTimestamp ?? 0) > cutoff) keep.add(decode(r.path));
  return keep;
}

/**
 * Regular files below the table directory that could be data files: not in
 * `_delta_log`, not hidden (`.` or `_`), and not inside a nested table.
 */
async function listDataFiles(tableDir: string): Promise<Array<{ rel: string; size: number; mtimeMs: number }>> {
  if (isRemoteLocation(tableDir)) return listStoredDataFiles(tableDir);
  const out: Array<{ rel: string; size: number; mtimeMs: number }> = [];
  const visit = async (dir: string, rel: string[]): Promise<void> => {
    for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name.startsWith('_')) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        const nested = await fsp.stat(path.join(full, LOG_DIR)).then(() => true, () => false);
        if (!nested) await visit(full, [...rel, e.name]);
      } else if (e.isFile()) {
        const st = await fsp.stat(full);
        out.push({ rel: [...rel, e.name].join('/'), size: st.size, mtimeMs: st.mtimeMs });
      }
    }
  };
  await visit(tableDir, []);
  return out;
}

/** The same for a table on an object store, whose listing holds every key below the table. */
async function listStoredDataFiles(tableDir: string): Promise<Array<{ rel: string; size: number; mtimeMs: number }>> {
  const { store, key } = locate(tableDir);
  const all = await whenNotBusy(() => store.list(`${key}/`));
  const rels = all.map((o) => ({ rel: o.key.slice(key.length + 1), size: o.size, mtimeMs: o.lastModified }));
  // Folders holding a `_delta_log` of their own are nested tables, left alone as on disk.
  const nested = new Set(rels.filter((r) => r.rel.split('/').slice(1).includes(LOG_DIR)).map((r) => r.rel.slice(0, r.rel.indexOf(`/${LOG_DIR}/`))));
  return rels.filter((r) => {
    const parts = r.rel.split('/');
    if (parts.some((p) => p.startsWith('.') || p.startsWith('_'))) return false;
    return ![...nested].some((n) => r.rel.startsWith(`${n}/`));
  });
}

function resolveRetention(snap: Snapshot, opts: VacuumOptions): number {
  const tableRetention = deletedFileRetentionMs(snap.metaData);
  const retentionMs = opts.retentionMs ?? tableRetention;
  if (!Number.isFinite(retentionMs) || retentionMs < VACUUM_MIN_AGE_MS) {
    throw new Error(`retention must be at least ${VACUUM_MIN_AGE_MS / HOUR_MS} hour: files that young may belong to a commit in progress`);
  }
  if (retentionMs < tableRetention && !opts.force) {
    throw new Error(
      `retention of ${retentionMs / HOUR_MS} hours is below the table's ${tableRetention / HOUR_MS} hours ` +
        '(delta.deletedFileRetentionDuration); readers of older versions may still need those files. Use --force to go ahead',
    );
  }
  return retentionMs;
}

/** Deletes stale temporary files crashed writers left in `_delta_log`. */
async function removeStaleLogTemps(tableDir: string, cutoff: number, dryRun: boolean): Promise<string[]> {
  const stale: string[] = [];
  // Object stores write a commit in one call: they have no temporary files.
  if (isRemoteLocation(tableDir)) return stale;
  for (const name of await fsp.readdir(logDir(tableDir))) {
    if (!(name.startsWith('.') && name.endsWith('.tmp'))) continue;
    const full = path.join(logDir(tableDir), name);
    const st = await fsp.stat(full).catch(() => undefined);
    if (!st?.isFile() || st.mtimeMs >= cutoff) continue;
    stale.push(name);
    if (!dryRun) await fsp.rm(full, { force: true });
  }
  return stale;
}

/** Vacuums the table at `tableDir`; see VacuumOptions for the safety rules. */
export async function vacuumTable(tableDir: string, opts: VacuumOptions = {}): Promise<VacuumResult> {
  const now = opts.now ?? Date.now();
  const first = await loadSnapshot(tableDir, opts.db ? { db: opts.db } : {});
  if (!first) throw new Error(`no Delta table at ${tableDir}`);
  assertWritable(first.protocol);
  const retentionMs = resolveRetention(first, opts);
  const cutoff = now - retentionMs;
  const keep = protectedPaths(first, cutoff);
  const candidates: Candidate[] = (await listDataFiles(tableDir)).filter(
    (f) => !keep.has(f.rel) && f.mtimeMs < cutoff && f.mtimeMs < Date.now() - VACUUM_MIN_AGE_MS,
  );
  // Anything a commit made since the first look references stays, however old.
  const latest = await refreshSnapshot(first, tableDir);
  const keepNow = protectedPaths(latest, cutoff);
  const doomed = candidates.filter((c) => !keepNow.has(c.rel));
  const dryRun = opts.dryRun ?? false;
  if (!dryRun) for (const c of doomed) await removeDataFile(tableDir, c.rel);
  const temps = await removeStaleLogTemps(tableDir, Math.min(cutoff, Date.now() - VACUUM_MIN_AGE_MS), dryRun);
  const logs = await cleanupExpiredLogs(tableDir, { retentionMs: logRetentionMs(latest.metaData), now, dryRun });
  return {
    version: latest.version,
    retentionMs,
    files: doomed.map((c) => c.rel).sort(),
    bytes: doomed.reduce((n, c) => n + c.size, 0),
    logFiles: [...logs.deleted, ...temps],
    dryRun,
  };
}
