// `repair` (Databricks' FSCK REPAIR TABLE): removes from the table the active
// files that are gone from disk, and on request the damaged ones, in one commit
// of remove actions with dataChange=true, so the rest of the table reads again.
import type { AddAction } from '../delta/actions.ts';
import { commitRewrite } from '../delta/rewrite.ts';
import { loadSnapshot } from '../delta/snapshot.ts';
import { assertWritable } from '../delta/table.ts';
import type { Db } from '../duckdb/db.ts';
import { maybeCheckpoint } from './checkpoints.ts';
import { checkTableFiles, type FileProblem } from './fsck.ts';

const DEFAULT_MAX_REPLANS = 3;

export type RepairOptions = {
  db: Db;
  /** Report what would be removed, change nothing. */
  dryRun?: boolean;
  /** Also remove files whose size differs from the log (their rows are lost with them). */
  includeDamaged?: boolean;
  maxReplans?: number;
  log?: (line: string) => void;
};

export type RepairResult = {
  /** The version committed, or the version checked when nothing was. */
  version: number;
  committed: boolean;
  dryRun: boolean;
  filesChecked: number;
  /** Files removed (or, in a dry run, that would be). */
  removed: Array<FileProblem & { reason: 'missing' | 'size_mismatch' }>;
  /** Damaged files left in the table because includeDamaged was not set. */
  kept: FileProblem[];
  /** Rows the removed files held, by their stats. */
  rowsRemoved: number;
  /** Removed files without stats, whose rows are not counted in rowsRemoved. */
  filesWithoutStats: number;
};

/**
 * Checks the current snapshot and commits removes for its missing files (and
 * damaged ones with includeDamaged). Appends that land meanwhile do not
 * conflict; a commit that removed one of the same files makes it check again.
 */
export async function repairTable(dir: string, opts: RepairOptions): Promise<RepairResult> {
  const maxReplans = opts.maxReplans ?? DEFAULT_MAX_REPLANS;
  for (let round = 0; ; round++) {
    const snap = await loadSnapshot(dir, { db: opts.db });
    if (!snap) throw new Error(`no Delta table at ${dir}`);
    assertWritable(snap.protocol);
    const check = await checkTableFiles(dir, snap);
    const removed = [
      ...check.missing.map((p) => ({ ...p, reason: 'missing' as const })),
      ...(opts.includeDamaged ? check.sizeMismatch.map((p) => ({ ...p, reason: 'size_mismatch' as const })) : []),
    ];
    const result: RepairResult = {
      version: snap.version,
      committed: false,
      dryRun: opts.dryRun ?? false,
      filesChecked: check.filesChecked,
      removed,
      kept: opts.includeDamaged ? [] : check.sizeMismatch,
      rowsRemoved: removed.reduce((n, p) => n + (p.numRecords ?? 0), 0),
      filesWithoutStats: removed.filter((p) => p.numRecords === undefined).length,
    };
    if (result.dryRun || removed.length === 0) return result;
    const res = await commitRewrite(dir, {
      readVersion: snap.version,
      inputs: removed.map((p) => snap.files.get(p.path) as AddAction),
      outputs: [],
      operation: 'FSCK',
      operationParameters: { includeDamaged: String(opts.includeDamaged ?? false) },
      dataChange: true,
    });
    if (res.committed) {
      await maybeCheckpoint(opts.db, dir, res.version, opts.log ?? (() => undefined));
      return { ...result, version: res.version, committed: true };
    }
    opts.log?.(`repair of ${dir}: ${res.reason}; checking again`);
    if (round >= maxReplans) throw new Error(`repair of ${dir} gave up after ${round + 1} conflicts with concurrent commits; nothing was changed`);
  }
}
