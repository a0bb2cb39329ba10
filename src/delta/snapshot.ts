// Rebuilds a table's state (protocol, metadata, active files, tombstones, txn
// versions): from the newest readable checkpoint plus the JSON commits after
// it, or on top of a known snapshot.
import type { Db } from '../duckdb/db.ts';
import type { AddAction, MetaDataAction, ProtocolAction, RemoveAction } from './actions.ts';
import { readCheckpoint, withDb } from './checkpoint-read.ts';
import { checkpointFileName, checkpointVersionOf } from './checkpoint-schema.ts';
import { commitFileName, logDir } from './commit.ts';
import { logFileExists, logNames, readLogText } from './log-files.ts';
import { isRemoteLocation } from '../storage/location.ts';
import { parseJson, type JsonObject, type JsonValue } from './json.ts';
import { readLastCheckpoint } from './last-checkpoint.ts';

export type Snapshot = {
  version: number;
  protocol: ProtocolAction;
  metaData: MetaDataAction;
  /** Active files keyed by their add.path. */
  files: Map<string, AddAction>;
  /** Removed files keyed by path, for VACUUM and checkpoints; re-adding a path drops its entry. */
  tombstones: Map<string, RemoveAction>;
  /** Latest txn version per appId. */
  txns: Map<string, bigint | number>;
};

export type LoadOptions = {
  /** Reads checkpoints; without it a short-lived DuckDB instance is opened when there is one to read. */
  db?: Db;
  /** The state as of this committed version instead of the newest. */
  version?: number;
};

type ReplayState = {
  /** The last version applied; -1 before the first commit. */
  version: number;
  protocol: ProtocolAction | undefined;
  metaData: MetaDataAction | undefined;
  files: Map<string, AddAction>;
  tombstones: Map<string, RemoveAction>;
  txns: Map<string, bigint | number>;
};

const COMMIT_FILE = /^(\d{20})\.json$/;

/** Versions of the JSON commits and classic checkpoints in the log, each ascending. */
export type LogListing = { commits: number[]; checkpoints: number[] };

/** One listing of `_delta_log`; empty when there is no log. */
export async function listLog(tableDir: string): Promise<LogListing> {
  const names = await logNames(tableDir);
  if (names === undefined) return { commits: [], checkpoints: [] };
  const commits: number[] = [];
  const checkpoints: number[] = [];
  for (const name of names) {
    const m = COMMIT_FILE.exec(name);
    if (m?.[1] !== undefined) commits.push(Number(m[1]));
    const cp = checkpointVersionOf(name);
    if (cp !== undefined) checkpoints.push(cp);
  }
  commits.sort((a, b) => a - b);
  // An object store's listing may stop short (a page lost, a listing behind a
  // write): the commits after the last one listed are probed one by one.
  if (isRemoteLocation(tableDir) && commits.length > 0) {
    const last = commits[commits.length - 1] as number;
    const end = await lastContiguous(tableDir, last + 1);
    for (let v = last + 1; v <= end; v++) commits.push(v);
  }
  return { commits, checkpoints: checkpoints.sort((a, b) => a - b) };
}

/** Versions of the JSON commits in the log, ascending; empty when there is no log. */
export async function listCommitVersions(tableDir: string): Promise<number[]> {
  return (await listLog(tableDir)).commits;
}

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The last version of the unbroken run of commit files starting at `from`
 * (`from - 1` when there is none). Each probe is one stat, so this costs the
 * number of commits found, however many files the log directory holds.
 */
async function lastContiguous(tableDir: string, from: number): Promise<number> {
  let v = from;
  while (await logFileExists(tableDir, commitFileName(v))) {
    v += 1;
    if ((v - from) % 1024 === 0) await yieldTurn();
  }
  return v - 1;
}

/**
 * The log from the `_last_checkpoint` hint on: its checkpoint and the commits
 * from its version up. Undefined when there is no usable hint. A table that
 * takes a commit a second holds millions of log files within its retention;
 * this keeps loads from listing them all.
 */
async function listFromHint(tableDir: string): Promise<LogListing | undefined> {
  const hint = await readLastCheckpoint(tableDir);
  if (!hint || !(await logFileExists(tableDir, checkpointFileName(hint.version)))) return undefined;
  const last = await lastContiguous(tableDir, hint.version);
  if (last < hint.version) return undefined;
  return { commits: Array.from({ length: last - hint.version + 1 }, (_, i) => hint.version + i), checkpoints: [hint.version] };
}

/** The newest committed version, or null when the table has no commits. */
export async function latestVersion(tableDir: string): Promise<number | null> {
  const quick = await listFromHint(tableDir);
  if (quick) return quick.commits[quick.commits.length - 1] as number;
  const versions = await listCommitVersions(tableDir);
  return versions.length === 0 ? null : (versions[versions.length - 1] as number);
}

/** The actions of one commit as parsed objects, unknown ones included. */
export async function readCommit(tableDir: string, version: number): Promise<JsonObject[]> {
  const name = commitFileName(version);
  return parseCommit(await readLogText(tableDir, name), `${logDir(tableDir)}/${name}`);
}

function parseCommit(text: string, file: string): JsonObject[] {
  const actions: JsonObject[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: JsonValue;
    try {
      parsed = parseJson(line);
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`${file}: a log line is not a JSON object`);
    }
    actions.push(parsed);
  }
  return actions;
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Only the members replay depends on are checked; anything else is carried as is.
function applyAction(state: ReplayState, action: JsonObject, where: string): void {
  const { add, remove, txn, protocol, metaData } = action;
  if (isObject(add)) {
    if (typeof add.path !== 'string') throw new Error(`${where}: add without a path`);
    state.files.set(add.path, add as unknown as AddAction);
    state.tombstones.delete(add.path);
  } else if (isObject(remove)) {
    if (typeof remove.path !== 'string') throw new Error(`${where}: remove without a path`);
    state.files.delete(remove.path);
    state.tombstones.set(remove.path, remove as unknown as RemoveAction);
  } else if (isObject(txn)) {
    const v = txn.version;
    if (typeof txn.appId !== 'string' || (typeof v !== 'number' && typeof v !== 'bigint')) {
      throw new Error(`${where}: txn without appId and version`);
    }
    state.txns.set(txn.appId, v);
  } else if (isObject(protocol)) {
    state.protocol = protocol as unknown as ProtocolAction;
  } else if (isObject(metaData)) {
    if (typeof metaData.schemaString !== 'string') throw new Error(`${where}: metaData without a schemaString`);
    state.metaData = metaData as unknown as MetaDataAction;
  }
}

// Commits read per turn of the event loop. A commit file is a few KiB, and
// reading it synchronously takes about 20 us against over 100 us through the
// thread pool, so replay reads in short synchronous runs and yields between
// them: a run blocks the loop for about a millisecond.
const COMMITS_PER_TURN = 64;

/** Applies the contiguous commits `versions` (ascending) to `state`, in place. */
async function replay(tableDir: string, state: ReplayState, versions: number[]): Promise<void> {
  for (let i = 0; i < versions.length; i++) {
    const v = versions[i] as number;
    if (v !== state.version + 1) {
      throw new Error(`Delta log of ${tableDir} is not contiguous: version ${state.version + 1} is missing (next found: ${v})`);
    }
    if (i > 0 && i % COMMITS_PER_TURN === 0) await yieldTurn();
    const name = commitFileName(v);
    const file = `${logDir(tableDir)}/${name}`;
    for (const action of parseCommit(await readLogText(tableDir, name), file)) applyAction(state, action, file);
    state.version = v;
  }
}

const emptyState = (): ReplayState => ({
  version: -1,
  protocol: undefined,
  metaData: undefined,
  files: new Map(),
  tombstones: new Map(),
  txns: new Map(),
});

/**
 * The state replay begins from: the newest checkpoint of the listing at or
 * below `target` that reads back whole, else the empty table before version
 * 0. An unreadable checkpoint falls back to the one before it.
 */
async function startingPoint(tableDir: string, listing: LogListing, target: number, db: Db | undefined): Promise<ReplayState> {
  const candidates = listing.checkpoints.filter((v) => v <= target).reverse();
  let firstError: Error | undefined;
  if (candidates.length > 0) {
    const found = await withDb(db, async (d) => {
      for (const v of candidates) {
        try {
          return await readCheckpoint(d, tableDir, v);
        } catch (e) {
          firstError ??= e as Error;
        }
      }
      return undefined;
    });
    if (found) {
      const { version, protocol, metaData, files, tombstones, txns } = found;
      return { version, protocol, metaData, files, tombstones, txns };
    }
  }
  const first = listing.commits[0];
  if (first !== undefined && first !== 0) {
    const why = firstError ? `its checkpoints are unreadable (${firstError.message})` : 'it has no checkpoint to start from';
    throw new Error(`Delta log of ${tableDir} starts at version ${first} and ${why}`, { cause: firstError });
  }
  return emptyState();
}

function finish(tableDir: string, state: ReplayState): Snapshot {
  const { version, protocol, metaData, files, tombstones, txns } = state;
  if (!protocol || !metaData) throw new Error(`Delta log of ${tableDir} has no protocol or metaData by version ${version}`);
  return { version, protocol, metaData, files, tombstones, txns };
}

/**
 * The table's latest state (or the state at `opts.version`), or null when the
 * log holds no commit at all.
 */
export async function loadSnapshot(tableDir: string, opts: LoadOptions = {}): Promise<Snapshot | null> {
  const quick = await listFromHint(tableDir);
  if (quick && (opts.version === undefined || opts.version >= (quick.commits[0] as number))) {
    try {
      return await loadFrom(tableDir, quick, opts);
    } catch {
      // A hint naming an unreadable checkpoint: the full listing below finds another way in.
    }
  }
  return loadFrom(tableDir, await listLog(tableDir), opts);
}

async function loadFrom(tableDir: string, listing: LogListing, opts: LoadOptions): Promise<Snapshot | null> {
  if (listing.commits.length === 0) return null;
  const latest = listing.commits[listing.commits.length - 1] as number;
  const target = opts.version ?? latest;
  if (!Number.isSafeInteger(target) || target < 0 || target > latest) {
    throw new Error(`Delta table at ${tableDir} has no version ${target} (latest is ${latest})`);
  }
  const state = await startingPoint(tableDir, listing, target, opts.db);
  await replay(tableDir, state, listing.commits.filter((v) => v > state.version && v <= target));
  if (state.version !== target) throw new Error(`Delta log of ${tableDir} has no commit file for version ${target}`);
  return finish(tableDir, state);
}

/**
 * The table's latest state, reading only the commits after `snapshot`. Returns
 * `snapshot` itself when nothing is new; otherwise a new object, so holders of
 * the old snapshot keep a consistent view.
 */
export async function refreshSnapshot(snapshot: Snapshot, tableDir: string): Promise<Snapshot> {
  const last = await lastContiguous(tableDir, snapshot.version + 1);
  if (last <= snapshot.version) return snapshot;
  const newer = Array.from({ length: last - snapshot.version }, (_, i) => snapshot.version + 1 + i);
  const state: ReplayState = {
    ...snapshot,
    files: new Map(snapshot.files),
    tombstones: new Map(snapshot.tombstones),
    txns: new Map(snapshot.txns),
  };
  await replay(tableDir, state, newer);
  return finish(tableDir, state);
}
