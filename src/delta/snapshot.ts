// Rebuilds a table's state (protocol, metadata, active files, txn versions)
// by replaying its JSON commits, from scratch or on top of a known snapshot.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { AddAction, MetaDataAction, ProtocolAction } from './actions.ts';
import { commitFileName, logDir } from './commit.ts';
import { parseJson, type JsonObject, type JsonValue } from './json.ts';

export type Snapshot = {
  version: number;
  protocol: ProtocolAction;
  metaData: MetaDataAction;
  /** Active files keyed by their add.path. */
  files: Map<string, AddAction>;
  /** Latest txn version per appId. */
  txns: Map<string, bigint | number>;
};

type ReplayState = {
  /** The last version applied; -1 before the first commit. */
  version: number;
  protocol: ProtocolAction | undefined;
  metaData: MetaDataAction | undefined;
  files: Map<string, AddAction>;
  txns: Map<string, bigint | number>;
};

const COMMIT_FILE = /^(\d{20})\.json$/;

/** Versions of the JSON commits in the log, ascending; empty when there is no log. */
export async function listCommitVersions(tableDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fsp.readdir(logDir(tableDir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const versions: number[] = [];
  for (const name of names) {
    const m = COMMIT_FILE.exec(name);
    if (m?.[1] !== undefined) versions.push(Number(m[1]));
  }
  return versions.sort((a, b) => a - b);
}

/** The newest committed version, or null when the table has no commits. */
export async function latestVersion(tableDir: string): Promise<number | null> {
  const versions = await listCommitVersions(tableDir);
  return versions.length === 0 ? null : (versions[versions.length - 1] as number);
}

/** The actions of one commit as parsed objects, unknown ones included. */
export async function readCommit(tableDir: string, version: number): Promise<JsonObject[]> {
  const file = path.join(logDir(tableDir), commitFileName(version));
  const text = await fsp.readFile(file, 'utf8');
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
  } else if (isObject(remove)) {
    if (typeof remove.path !== 'string') throw new Error(`${where}: remove without a path`);
    state.files.delete(remove.path);
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

/** Applies the contiguous commits `versions` (ascending) to `state`, in place. */
async function replay(tableDir: string, state: ReplayState, versions: number[]): Promise<void> {
  for (const v of versions) {
    if (v !== state.version + 1) {
      throw new Error(`Delta log of ${tableDir} is not contiguous: version ${state.version + 1} is missing (next found: ${v})`);
    }
    const where = path.join(logDir(tableDir), commitFileName(v));
    for (const action of await readCommit(tableDir, v)) applyAction(state, action, where);
    state.version = v;
  }
}

/**
 * The state replay begins from. Without checkpoint support this is always the
 * empty table before version 0; a checkpoint reader would return the state at
 * the newest usable checkpoint here instead.
 */
async function startingPoint(tableDir: string, versions: number[]): Promise<ReplayState> {
  const first = versions[0];
  if (first !== undefined && first !== 0) {
    throw new Error(`Delta log of ${tableDir} starts at version ${first}; replay from a checkpoint is not supported`);
  }
  return { version: -1, protocol: undefined, metaData: undefined, files: new Map(), txns: new Map() };
}

function finish(tableDir: string, state: ReplayState): Snapshot {
  const { version, protocol, metaData, files, txns } = state;
  if (!protocol || !metaData) throw new Error(`Delta log of ${tableDir} has no protocol or metaData by version ${version}`);
  return { version, protocol, metaData, files, txns };
}

/** The table's latest state, or null when it has no version 0 commit. */
export async function loadSnapshot(tableDir: string): Promise<Snapshot | null> {
  const versions = await listCommitVersions(tableDir);
  if (versions.length === 0) return null;
  const state = await startingPoint(tableDir, versions);
  await replay(tableDir, state, versions.filter((v) => v > state.version));
  return finish(tableDir, state);
}

/**
 * The table's latest state, reading only the commits after `snapshot`. Returns
 * `snapshot` itself when nothing is new; otherwise a new object, so holders of
 * the old snapshot keep a consistent view.
 */
export async function refreshSnapshot(snapshot: Snapshot, tableDir: string): Promise<Snapshot> {
  const newer = (await listCommitVersions(tableDir)).filter((v) => v > snapshot.version);
  if (newer.length === 0) return snapshot;
  const state: ReplayState = { ...snapshot, files: new Map(snapshot.files), txns: new Map(snapshot.txns) };
  await replay(tableDir, state, newer);
  return finish(tableDir, state);
}
