// Commits a rewrite of existing files (compaction): removes and adds with
// dataChange=false in one commit, with the conflict rule that keeps it from
// ever removing a file some other commit already removed or replaced.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Action, AddAction, CommitInfoAction, RemoveAction } from './actions.ts';
import { tryCommit } from './commit.ts';
import { latestVersion, readCommit } from './snapshot.ts';
import { engineInfo, numRecordsOf } from './table.ts';

const DEFAULT_MAX_ATTEMPTS = 20;

export type RewriteOptions = {
  /** The version the inputs were read at; every later commit is checked against them. */
  readVersion: number;
  /** The active adds being replaced, exactly as the snapshot at readVersion holds them. */
  inputs: AddAction[];
  /** The files that replace them (dataChange is forced to false). */
  outputs: AddAction[];
  operation?: string;
  operationParameters?: Record<string, string>;
  /**
   * The dataChange of every remove and add: false (the default) for a rewrite
   * that keeps the rows; true for a commit that drops rows, such as removing
   * data files that are gone from disk.
   */
  dataChange?: boolean;
  maxAttempts?: number;
};

export type RewriteResult =
  | { committed: true; version: number }
  /** Nothing was written: another commit touched an input or changed the table's metadata. */
  | { committed: false; conflictVersion: number; reason: string };

function rewriteActions(opts: RewriteOptions, readVersion: number): Action[] {
  const now = Date.now();
  const dataChange = opts.dataChange ?? false;
  const removes: RemoveAction[] = opts.inputs.map((a) => ({
    path: a.path,
    dataChange,
    deletionTimestamp: now,
    extendedFileMetadata: true,
    partitionValues: a.partitionValues,
    size: a.size,
  }));
  const rows = opts.outputs.reduce((n, a) => n + numRecordsOf(a), 0n);
  const commitInfo: CommitInfoAction = {
    timestamp: now,
    operation: opts.operation ?? 'OPTIMIZE',
    operationParameters: opts.operationParameters ?? {},
    readVersion,
    isolationLevel: 'SnapshotIsolation',
    isBlindAppend: false,
    operationMetrics: {
      numRemovedFiles: String(removes.length),
      numRemovedBytes: String(opts.inputs.reduce((n, a) => n + a.size, 0)),
      numAddedFiles: String(opts.outputs.length),
      numAddedBytes: String(opts.outputs.reduce((n, a) => n + a.size, 0)),
      numOutputRows: String(rows),
    },
    engineInfo: engineInfo(),
    txnId: randomUUID(),
  };
  return [
    { commitInfo },
    ...removes.map((remove): Action => ({ remove })),
    ...opts.outputs.map((a): Action => ({ add: { ...a, dataChange } })),
  ];
}

/** Why the commits `from..to` make our rewrite invalid, or undefined when they do not. */
async function findConflict(tableDir: string, from: number, to: number, inputs: Set<string>): Promise<{ version: number; reason: string } | undefined> {
  for (let v = from; v <= to; v++) {
    for (const action of await readCommit(tableDir, v)) {
      if ('protocol' in action || 'metaData' in action) return { version: v, reason: `version ${v} changed the table's protocol or metadata` };
      for (const kind of ['remove', 'add'] as const) {
        const body = action[kind];
        const p = typeof body === 'object' && body !== null && !Array.isArray(body) ? body.path : undefined;
        if (typeof p === 'string' && inputs.has(p)) return { version: v, reason: `version ${v} ${kind === 'remove' ? 'removed' : 're-added'} input ${p}` };
      }
    }
  }
  return undefined;
}

/**
 * Commits the rewrite after `readVersion`. Commits that won the race are read:
 * blind appends do not conflict and the commit moves to the next version; a
 * commit that removed or re-added an input, or changed protocol or metadata,
 * ends the attempt without writing anything. The caller then owns (and should
 * delete) the output files.
 */
export async function commitRewrite(tableDir: string, opts: RewriteOptions): Promise<RewriteResult> {
  if (opts.inputs.length === 0) throw new Error('a rewrite needs at least one input file');
  const inputs = new Set(opts.inputs.map((a) => a.path));
  if (inputs.size !== opts.inputs.length) throw new Error('a rewrite names an input file twice');
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  let version = opts.readVersion + 1;
  // Commits between readVersion and the first attempt were never looked at yet.
  const head = (await latestVersion(tableDir)) ?? opts.readVersion;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const last = attempt === 1 ? head : ((await latestVersion(tableDir)) ?? version);
    if (last >= version) {
      const conflict = await findConflict(tableDir, version, last, inputs);
      if (conflict) return { committed: false, conflictVersion: conflict.version, reason: conflict.reason };
      version = last + 1;
    }
    if (await tryCommit(tableDir, version, rewriteActions(opts, opts.readVersion))) return { committed: true, version };
    if (attempt < maxAttempts) await sleep(Math.random() * Math.min(50, 2 ** attempt));
  }
  throw new Error(`gave up committing a rewrite to Delta table at ${tableDir} after ${maxAttempts} lost commit races`);
}
