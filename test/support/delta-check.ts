// Independent checker that proves a Delta table on disk is valid for its layout and returns its rows exactly.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { schemaFor, type LayoutKind as TableKind } from '../../src/tables/schema.ts';
import { checkLastCheckpoint, compareWithReplay, readCheckpointActions } from './delta-checkpoint.ts';
import { scanDeltaLog, type DeltaCommit, type DeltaLog } from './delta-log.ts';
import { addPathProblems, applyCommit, cloneSnapshot, emptySnapshot, type Snapshot } from './delta-snapshot.ts';
import { parseJsonExact, renderValue } from './json-exact.ts';
import { readParquetFile, type Row } from './parquet-read.ts';
import { checkStats, compareCodePoints } from './stats-check.ts';

export { parseJsonExact } from './json-exact.ts';
export { readDeltaLog, type DeltaAction, type DeltaCommit, type DeltaLog } from './delta-log.ts';
export type { Row } from './parquet-read.ts';

/** One data file of the snapshot, as its (last) add action describes it. */
export type ActiveFile = {
  path: string;
  absolutePath: string;
  /** Commit version whose add made this file active (the checkpoint's version when its commit has expired). */
  version: number;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  /** Rows in the Parquet file (equal to stats.numRecords when the table passes). */
  numRecords: number;
  stats: Record<string, unknown>;
};

export type DeltaTableCheck = {
  version: number;
  commits: DeltaCommit[];
  protocol: Record<string, unknown>;
  metaData: Record<string, unknown>;
  files: ActiveFile[];
  /** Rows of all active files, file by file in snapshot order, each in file order. */
  rows: Row[];
  /** Latest txn version per appId. */
  txns: Map<string, bigint | number>;
  /** Files under the table directory (outside _delta_log) that no active add references. */
  orphans: string[];
};

/**
 * Reads the table at `tableDir` and throws, listing every problem, unless it
 * is a valid Delta table of layout `kind` whose stats match its data. Rows
 * come back with long as bigint, integer/double as number, maps as
 * Map<string, string | null>, structs as objects, arrays as arrays and SQL
 * NULL as null.
 */
export async function checkDeltaTable(tableDir: string, kind: TableKind): Promise<DeltaTableCheck> {
  const problems: string[] = [];
  const columns = schemaFor(kind).columns;
  const log = scanDeltaLog(tableDir, problems);
  const snap = await loadState(tableDir, log, kind, problems);
  const files: ActiveFile[] = [];
  const rows: Row[] = [];
  const referenced = new Map<string, string>();

  for (const f of snap.files.values()) {
    const label = `file '${f.path}' (added in v${f.version})`;
    // Unsafe paths were already reported from the add action; never follow them.
    if (addPathProblems(f.path).length > 0) continue;
    const absolutePath = join(tableDir, ...f.path.split('/').map(decodeURIComponent));
    if (!existsSync(absolutePath)) {
      problems.push(`${label}: referenced file is missing`);
      continue;
    }
    const st = statSync(absolutePath);
    if (!st.isFile()) {
      problems.push(`${label}: is not a regular file`);
      continue;
    }
    const real = realpathSync(absolutePath);
    const other = referenced.get(real);
    if (other !== undefined) problems.push(`${label}: same data file as active path '${other}'`);
    referenced.set(real, f.path);
    if (f.add.size !== st.size) problems.push(`${label}: add.size ${renderValue(f.add.size)} but the file is ${st.size} bytes`);

    const contents = await readParquetFile(readFileSync(absolutePath), columns, label, problems);
    if (!contents) continue;
    let stats: Record<string, unknown> = {};
    if (typeof f.add.stats === 'string') {
      checkStats(f.add.stats, columns, contents.rows, contents.numRows, label, problems);
      try {
        stats = parseJsonExact(f.add.stats) as Record<string, unknown>;
      } catch {
        // Already reported by checkStats.
      }
    }
    if (contents.rows) rows.push(...contents.rows);
    files.push({
      path: f.path,
      absolutePath,
      version: f.version,
      size: st.size,
      modificationTime: f.add.modificationTime as number,
      dataChange: f.add.dataChange as boolean,
      numRecords: contents.numRows,
      stats,
    });
  }

  const orphans = listDataFiles(tableDir).filter((rel) => !referenced.has(realpathSync(join(tableDir, rel))));
  if (problems.length > 0) {
    throw new Error(`Delta table ${tableDir} (${kind}) has ${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
  }
  return {
    version: log.version,
    commits: log.commits,
    protocol: snap.protocol as Record<string, unknown>,
    metaData: snap.metaData as Record<string, unknown>,
    files,
    rows,
    txns: snap.txns,
    orphans,
  };
}

/** Each readable checkpoint, validated as a state of its own. */
async function readCheckpoints(tableDir: string, log: DeltaLog, kind: TableKind, problems: string[]) {
  const states = new Map<number, Snapshot>();
  const actions = new Map<number, DeltaCommit>();
  for (const v of log.checkpoints) {
    if (v > log.version) problems.push(`checkpoint at version ${v} is newer than the newest commit ${log.version}`);
    const commit = await readCheckpointActions(tableDir, v, problems);
    if (!commit) continue;
    actions.set(v, commit);
    const state = emptySnapshot();
    applyCommit(state, commit, kind, problems, 'checkpoint');
    states.set(v, state);
  }
  return { states, actions };
}

/** Applies the commits after `snap.version` up to the newest (or the first gap), comparing each checkpoint passed. */
function replayFrom(tableDir: string, snap: Snapshot, log: DeltaLog, kind: TableKind, problems: string[], checkpoints?: Map<number, Snapshot>): Snapshot {
  const byVersion = new Map(log.commits.map((c) => [c.version, c]));
  for (let v = snap.version + 1; v <= log.version; v++) {
    const commit = byVersion.get(v);
    if (!commit) break;
    applyCommit(snap, commit, kind, problems, 'commit');
    const cp = checkpoints?.get(v);
    if (cp) compareWithReplay(tableDir, cp, snap, problems);
  }
  return snap;
}

/**
 * The table state a reader builds: the checkpoint `_last_checkpoint` names
 * (else the newest one) plus the commits after it. Independently, the JSON
 * log is replayed from version 0 (or the oldest checkpoint, when older
 * commits have expired), and every checkpoint must equal that replay at its
 * version.
 */
async function loadState(tableDir: string, log: DeltaLog, kind: TableKind, problems: string[]): Promise<Snapshot> {
  const cps = await readCheckpoints(tableDir, log, kind, problems);
  const hinted = checkLastCheckpoint(tableDir, log, (v) => cps.actions.get(v), problems);
  const oldest = [...cps.states.keys()][0];
  const chainStart = log.commits[0]?.version === 0 ? emptySnapshot() : oldest === undefined ? undefined : cloneSnapshot(cps.states.get(oldest) as Snapshot);
  const chain = chainStart && replayFrom(tableDir, chainStart, log, kind, problems, cps.states);
  const start = hinted !== undefined && cps.states.has(hinted) ? hinted : [...cps.states.keys()].filter((v) => v <= log.version).at(-1);
  const base = start === undefined ? emptySnapshot() : cloneSnapshot(cps.states.get(start) as Snapshot);
  // The chain already validated these commits; repeating their problems would only add noise.
  const reader = replayFrom(tableDir, base, log, kind, chain ? [] : problems);
  if (chain) {
    // Files keep the version of the commit that added them where that commit is still in the log.
    for (const [p, f] of reader.files) reader.files.set(p, { ...f, version: chain.files.get(p)?.version ?? f.version });
  }
  return reader;
}

/** Every regular file below the table directory except the log, as sorted '/'-paths. */
function listDataFiles(tableDir: string): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (!(dir === tableDir && e.name === '_delta_log')) visit(full);
      } else if (e.isFile()) {
        out.push(relative(tableDir, full).split(sep).join('/'));
      }
    }
  };
  if (existsSync(tableDir)) visit(tableDir);
  return out.sort(compareCodePoints);
}

/** Checks the table like checkDeltaTable and returns its rows in a stable
 * order (by their rendered form), so assertions do not depend on file order. */
export async function expectTableRows(tableDir: string, kind: TableKind): Promise<Row[]> {
  const { rows } = await checkDeltaTable(tableDir, kind);
  const keyed = rows.map((row) => ({ row, key: renderValue(row) }));
  keyed.sort((a, b) => compareCodePoints(a.key, b.key));
  return keyed.map((k) => k.row);
}
