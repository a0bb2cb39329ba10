// Validates each Delta log action against the writer contract and replays the log into a snapshot.
import { deltaSchemaString, schemaFor, type LayoutKind as TableKind } from '../../src/tables/schema.ts';
import { isPlainObject, type DeltaCommit, type DeltaLog } from './delta-log.ts';
import { firstDifference, parseJsonExact, renderValue } from './json-exact.ts';

export type SnapshotFile = { path: string; version: number; add: Record<string, unknown> };
export type Tombstone = { path: string; version: number; remove: Record<string, unknown> };
export type Snapshot = {
  /** The last version applied; -1 before any. */
  version: number;
  protocol: Record<string, unknown> | undefined;
  metaData: Record<string, unknown> | undefined;
  files: Map<string, SnapshotFile>;
  tombstones: Map<string, Tombstone>;
  txns: Map<string, bigint | number>;
};

/** How actions are applied: a JSON commit, or the rows of a checkpoint (which hold state, not changes). */
export type ApplyMode = 'commit' | 'checkpoint';

export function emptySnapshot(): Snapshot {
  return { version: -1, protocol: undefined, metaData: undefined, files: new Map(), tombstones: new Map(), txns: new Map() };
}

export function cloneSnapshot(s: Snapshot): Snapshot {
  return { ...s, files: new Map(s.files), tombstones: new Map(s.tombstones), txns: new Map(s.txns) };
}

function numRecords(add: Record<string, unknown> | undefined): bigint | undefined {
  if (typeof add?.stats !== 'string') return undefined;
  try {
    const n = (parseJsonExact(add.stats) as Record<string, unknown>).numRecords;
    return typeof n === 'number' || typeof n === 'bigint' ? BigInt(n) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A commit whose file actions all have dataChange=false only rearranges data:
 * the rows of the files it removes must equal the rows of the files it adds.
 */
function checkRearrangement(snap: Snapshot, commit: DeltaCommit, problems: string[]): void {
  let removed = 0n;
  let added = 0n;
  let files = 0;
  for (const action of commit.actions) {
    const [type, body] = Object.entries(action)[0] as [string, unknown];
    if ((type !== 'add' && type !== 'remove') || !isPlainObject(body)) continue;
    if (body.dataChange !== false) return;
    files += 1;
    const n = type === 'add' ? numRecords(body) : numRecords(snap.files.get(body.path as string)?.add);
    if (n === undefined) return;
    if (type === 'add') added += n;
    else removed += n;
  }
  if (files > 0 && removed !== added) problems.push(`v${commit.version}: dataChange=false rewrite removes ${removed} rows but adds ${added}`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// RFC 2396 path characters; anything else should have been percent-encoded.
const URI_PATH_CHARS = /^[A-Za-z0-9\-_.!~*'()%:@&=+$,;/]*$/;

const isInt = (v: unknown): boolean => typeof v === 'bigint' || Number.isSafeInteger(v);
const keysOf = (v: Record<string, unknown>): string => `[${Object.keys(v).join(', ')}]`;

/** Validates each commit and replays them all, from version 0. */
export function replayLog(log: DeltaLog, kind: TableKind, problems: string[]): Snapshot {
  const snap = emptySnapshot();
  for (const commit of log.commits) applyCommit(snap, commit, kind, problems, 'commit');
  return snap;
}

/** Validates one commit's (or checkpoint's) actions and applies them to `snap` in place. */
export function applyCommit(snap: Snapshot, commit: DeltaCommit, kind: TableKind, problems: string[], mode: ApplyMode): void {
  if (mode === 'commit') checkRearrangement(snap, commit, problems);
  const at = mode === 'commit' ? `v${commit.version}` : `checkpoint v${commit.version}`;
  const seen = { metaData: 0, protocol: 0, txn: new Set<string>(), add: new Set<string>(), remove: new Set<string>() };
  for (const action of commit.actions) {
    const [type, body] = Object.entries(action)[0] as [string, unknown];
    if (!isPlainObject(body)) {
      if (type !== 'commitInfo') problems.push(`${at}: ${type} action is not an object`);
      continue;
    }
    switch (type) {
      case 'protocol':
        if (seen.protocol++ === 1) problems.push(`${at}: more than one protocol action`);
        checkProtocol(body, at, problems);
        snap.protocol = body;
        break;
      case 'metaData':
        if (seen.metaData++ === 1) problems.push(`${at}: more than one metaData action`);
        checkMetaData(body, kind, at, problems);
        if (snap.metaData && body.id !== snap.metaData.id) problems.push(`${at}: metaData.id changed from ${renderValue(snap.metaData.id)}`);
        snap.metaData = body;
        break;
      case 'txn': {
        const appId = body.appId;
        if (typeof appId !== 'string' || appId === '') {
          problems.push(`${at}: txn.appId must be a non-empty string`);
          break;
        }
        if (seen.txn.has(appId)) problems.push(`${at}: more than one txn for appId '${appId}'`);
        seen.txn.add(appId);
        const version = body.version;
        if (!isInt(version)) problems.push(`${at}: txn '${appId}' version ${renderValue(version)} is not an integer`);
        else snap.txns.set(appId, version as bigint | number);
        if (body.lastUpdated != null && typeof body.lastUpdated !== 'number') problems.push(`${at}: txn '${appId}' lastUpdated is not a number`);
        break;
      }
      case 'add':
      case 'remove':
        applyFileAction(snap, { type, body, at, version: commit.version, mode }, seen, problems);
        break;
      default:
        // commitInfo is free-form and unknown actions must be ignored by readers.
        break;
    }
  }
  if (commit.version === 0 || mode === 'checkpoint') {
    if (seen.protocol === 0) problems.push(`${at}: no protocol action`);
    if (seen.metaData === 0) problems.push(`${at}: no metaData action`);
  }
  if (mode === 'checkpoint' && commit.actions.some((a) => 'commitInfo' in a || 'cdc' in a)) problems.push(`${at}: holds commitInfo or cdc actions`);
  snap.version = commit.version;
}

type FileAction = { type: 'add' | 'remove'; body: Record<string, unknown>; at: string; version: number; mode: ApplyMode };

function applyFileAction(snap: Snapshot, a: FileAction, seen: { add: Set<string>; remove: Set<string> }, problems: string[]): void {
  const { type, body, at } = a;
  const path = body.path;
  if (typeof path !== 'string') {
    problems.push(`${at}: ${type} without a string path`);
    return;
  }
  const set = type === 'add' ? seen.add : seen.remove;
  if (set.has(path)) problems.push(`${at}: more than one ${type} for path '${path}'`);
  set.add(path);
  if (typeof body.dataChange !== 'boolean') problems.push(`${at}: ${type} '${path}' dataChange is not a boolean`);
  // A checkpoint holds state: a path is either active or a tombstone, never both.
  if (a.mode === 'checkpoint' && seen.add.has(path) && seen.remove.has(path)) problems.push(`${at}: '${path}' is both added and removed`);
  if (type === 'add') {
    checkAdd(body, `${at}: add '${path}'`, problems);
    // Re-adding moves the entry to the end, matching the newest commit's view.
    snap.files.delete(path);
    snap.files.set(path, { path, version: a.version, add: body });
    snap.tombstones.delete(path);
    return;
  }
  if (body.deletionTimestamp != null && typeof body.deletionTimestamp !== 'number') problems.push(`${at}: remove '${path}' deletionTimestamp is not a number`);
  // A commit may only remove a file that is active: removing one twice means a writer missed a conflict.
  if (a.mode === 'commit' && !snap.files.has(path)) problems.push(`${at}: remove of '${path}', which is not an active file`);
  snap.files.delete(path);
  snap.tombstones.set(path, { path, version: a.version, remove: body });
}

function checkProtocol(p: Record<string, unknown>, at: string, problems: string[]): void {
  if (p.minReaderVersion !== 1 || p.minWriterVersion !== 2) {
    problems.push(`${at}: protocol is (${renderValue(p.minReaderVersion)}, ${renderValue(p.minWriterVersion)}), expected (1, 2)`);
  }
  const extra = Object.keys(p).filter((k) => k !== 'minReaderVersion' && k !== 'minWriterVersion');
  if (extra.length > 0) problems.push(`${at}: protocol has unexpected keys [${extra.join(', ')}] (table features need reader 3 / writer 7)`);
}

function checkMetaData(m: Record<string, unknown>, kind: TableKind, at: string, problems: string[]): void {
  const bad = (why: string) => problems.push(`${at}: metaData ${why}`);
  if (typeof m.id !== 'string' || !UUID.test(m.id)) bad(`id ${renderValue(m.id)} is not a UUID string`);
  const fmt = firstDifference(m.format, { provider: 'parquet', options: {} }, 'format');
  if (fmt) bad(fmt);
  if (typeof m.schemaString !== 'string') {
    bad('schemaString is not a string');
  } else {
    try {
      const expected = parseJsonExact(deltaSchemaString(schemaFor(kind).columns));
      const d = firstDifference(parseJsonExact(m.schemaString), expected, 'schema');
      if (d) bad(`schemaString differs from the ${kind} layout at ${d}`);
    } catch (e) {
      bad(`schemaString does not parse: ${(e as Error).message}`);
    }
  }
  if (!Array.isArray(m.partitionColumns) || m.partitionColumns.length !== 0) bad(`partitionColumns ${renderValue(m.partitionColumns)}, expected []`);
  if (!isPlainObject(m.configuration)) {
    bad('configuration is not an object');
  } else {
    const conf = m.configuration;
    for (const [k, v] of Object.entries(conf)) if (typeof v !== 'string') bad(`configuration['${k}'] is ${renderValue(v)}, values must be strings`);
    const wanted = kind === 'audit' ? schemaFor(kind).tableProperties : { ...schemaFor(kind).tableProperties, 'otel.schemaVersion': 'v1' };
    for (const [k, v] of Object.entries(wanted)) {
      if (conf[k] !== v) bad(`configuration['${k}'] is ${renderValue(conf[k])}, expected '${v}'`);
    }
  }
  if (m.createdTime != null && typeof m.createdTime !== 'number') bad('createdTime is not a number');
  for (const k of ['name', 'description'] as const) if (m[k] != null && typeof m[k] !== 'string') bad(`${k} is not a string`);
}

function checkAdd(a: Record<string, unknown>, at: string, problems: string[]): void {
  const bad = (why: string) => problems.push(`${at}: ${why}`);
  for (const why of addPathProblems(a.path as string)) bad(why);
  if (!isPlainObject(a.partitionValues) || Object.keys(a.partitionValues).length !== 0) bad(`partitionValues ${renderValue(a.partitionValues)}, expected {}`);
  if (!Number.isSafeInteger(a.size) || (a.size as number) < 0) bad(`size ${renderValue(a.size)} is not a byte count`);
  if (typeof a.modificationTime !== 'number' || !Number.isSafeInteger(a.modificationTime)) bad(`modificationTime ${renderValue(a.modificationTime)} is not integer ms`);
  if (typeof a.stats !== 'string') bad(`stats must be a JSON string, got ${renderValue(a.stats)}`);
  if (a.deletionVector != null) bad('has a deletionVector, which needs table features');
  if (a.tags != null && !isPlainObject(a.tags)) bad('tags is not an object');
  const known = ['path', 'partitionValues', 'size', 'modificationTime', 'dataChange', 'stats', 'tags', 'deletionVector', 'baseRowId', 'defaultRowCommitVersion', 'clusteringProvider'];
  const extra = Object.keys(a).filter((k) => !known.includes(k));
  if (extra.length > 0) bad(`unexpected keys [${extra.join(', ')}] of ${keysOf(a)}`);
}

/** Why a relative add path would be unsafe or unreadable; empty when fine. */
export function addPathProblems(path: string): string[] {
  const out: string[] = [];
  if (path === '') return ['path is empty'];
  if (path.startsWith('/')) out.push('path is absolute');
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(path)) out.push('path carries a URI scheme');
  if (!URI_PATH_CHARS.test(path)) out.push('path has characters that must be percent-encoded');
  for (const seg of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(seg);
    } catch {
      out.push(`path segment '${seg}' has a malformed %-escape`);
      continue;
    }
    if (decoded === '' || decoded === '.' || decoded === '..') out.push(`path has a '${decoded}' segment`);
    else if (decoded.includes('/') || decoded.includes('\\')) out.push(`path segment '${seg}' decodes to a separator`);
    else if (decoded.startsWith('_') || decoded.startsWith('.')) out.push(`path segment '${decoded}' is hidden from readers`);
  }
  return out;
}
