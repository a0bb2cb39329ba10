// Reads classic checkpoints with hyparquet and checks them (layout, _last_checkpoint, equality with the JSON log), independently of the service.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Field } from '../../src/tables/schema.ts';
import { isPlainObject, type DeltaAction, type DeltaCommit, type DeltaLog } from './delta-log.ts';
import type { Snapshot } from './delta-snapshot.ts';
import { firstDifference, parseJsonExact, renderValue } from './json-exact.ts';
import { readParquetFile } from './parquet-read.ts';

const MAP: Field['type'] = { map: ['string', 'string'] };
const struct = (fields: Array<[string, Field['type']]>): Field['type'] => ({ struct: fields.map(([name, type]) => ({ name, type })) });

/** The checkpoint layout this project's tables must have, from the protocol's checkpoint schema, in Spark's column order. */
const LAYOUT: Field[] = [
  { name: 'txn', type: struct([['appId', 'string'], ['version', 'long'], ['lastUpdated', 'long']]) },
  {
    name: 'add',
    type: struct([
      ['path', 'string'], ['partitionValues', MAP], ['size', 'long'], ['modificationTime', 'long'], ['dataChange', 'boolean'],
      ['stats', 'string'], ['tags', MAP],
      ['deletionVector', struct([['storageType', 'string'], ['pathOrInlineDv', 'string'], ['offset', 'integer'], ['sizeInBytes', 'integer'], ['cardinality', 'long']])],
      ['baseRowId', 'long'], ['defaultRowCommitVersion', 'long'],
    ]),
  },
  {
    name: 'remove',
    type: struct([['path', 'string'], ['deletionTimestamp', 'long'], ['dataChange', 'boolean'], ['extendedFileMetadata', 'boolean'], ['partitionValues', MAP], ['size', 'long']]),
  },
  {
    name: 'metaData',
    type: struct([
      ['id', 'string'], ['name', 'string'], ['description', 'string'], ['format', struct([['provider', 'string'], ['options', MAP]])],
      ['schemaString', 'string'], ['partitionColumns', { array: 'string' }], ['configuration', MAP], ['createdTime', 'long'],
    ]),
  },
  { name: 'protocol', type: struct([['minReaderVersion', 'integer'], ['minWriterVersion', 'integer'], ['readerFeatures', { array: 'string' }], ['writerFeatures', { array: 'string' }]]) },
];
const FIELDS = new Map(LAYOUT.map((f) => [f.name, (f.type as { struct: Field[] }).struct.map((x) => x.name)]));

export const checkpointName = (v: number) => `${String(v).padStart(20, '0')}.checkpoint.parquet`;

/** Parquet values as the JSON log would hold them: maps as objects, safe longs as numbers, absent struct members left out. */
function asJson(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(asJson);
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) Object.defineProperty(o, String(k), { value: asJson(x), enumerable: true, writable: true, configurable: true });
    return o;
  }
  if (isPlainObject(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) o[k] = asJson(x);
    return o;
  }
  return v;
}

/** The checkpoint's rows as actions (one per row), or undefined when it cannot be read. */
export async function readCheckpointActions(tableDir: string, version: number, problems: string[]): Promise<DeltaCommit | undefined> {
  const label = `checkpoint ${checkpointName(version)}`;
  const contents = await readParquetFile(readFileSync(join(tableDir, '_delta_log', checkpointName(version))), LAYOUT, label, problems);
  if (!contents?.rows) return undefined;
  const actions: DeltaAction[] = [];
  contents.rows.forEach((row, i) => {
    const set = Object.entries(row).filter(([, v]) => v !== null);
    if (set.length !== 1) problems.push(`${label} row ${i}: holds ${set.length} actions, expected exactly one`);
    for (const [type, v] of set) actions.push({ [type]: asJson(v) });
  });
  return { version, actions };
}

/** The members the checkpoint layout has for this action type, with absent and null alike. */
function projected(type: string, body: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!body) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of FIELDS.get(type) ?? []) if (body[k] !== undefined && body[k] !== null) out[k] = body[k];
  return out;
}

const WEEK_MS = 7 * 86_400_000;
const UNIT_MS: Record<string, number> = { millisecond: 1, second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: WEEK_MS };

function tombstoneRetentionMs(meta: Record<string, unknown> | undefined): number {
  const raw = isPlainObject(meta?.configuration) ? meta.configuration['delta.deletedFileRetentionDuration'] : undefined;
  const m = typeof raw === 'string' ? /^\s*(?:interval\s+)?(\d+)\s*(millisecond|second|minute|hour|day|week)s?\s*$/i.exec(raw) : null;
  return m ? Number(m[1]) * (UNIT_MS[(m[2] as string).toLowerCase()] as number) : WEEK_MS;
}

/**
 * Appends to `problems` where the checkpoint state `cp` differs from `json`,
 * the replay of the log it stands for. Tombstones may be missing from the
 * checkpoint only once they are past retention at the time it was written.
 */
export function compareWithReplay(tableDir: string, cp: Snapshot, json: Snapshot, problems: string[]): void {
  const at = `checkpoint v${cp.version} vs the JSON log`;
  const diff = (what: string, a: unknown, b: unknown) => {
    const d = firstDifference(a, b, what);
    if (d) problems.push(`${at}: ${d}`);
  };
  diff('protocol', projected('protocol', cp.protocol), projected('protocol', json.protocol));
  diff('metaData', projected('metaData', cp.metaData), projected('metaData', json.metaData));
  diff('txns', Object.fromEntries(cp.txns), Object.fromEntries(json.txns));
  diff('active paths', [...cp.files.keys()].sort(), [...json.files.keys()].sort());
  for (const [p, f] of cp.files) diff(`add '${p}'`, projected('add', f.add), projected('add', json.files.get(p)?.add));
  const written = statSync(join(tableDir, '_delta_log', checkpointName(cp.version))).mtimeMs;
  const cutoff = written - tombstoneRetentionMs(json.metaData);
  for (const [p, t] of cp.tombstones) diff(`remove '${p}'`, projected('remove', t.remove), projected('remove', json.tombstones.get(p)?.remove));
  for (const [p, t] of json.tombstones) {
    const ts = t.remove.deletionTimestamp;
    // A minute of slack: the writer's clock reading and the file's mtime are not the same instant.
    if (typeof ts === 'number' && ts > cutoff + 60_000 && !cp.tombstones.has(p)) problems.push(`${at}: unexpired tombstone '${p}' is missing`);
  }
}

// ---- _last_checkpoint ------------------------------------------------------

const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function flatten(v: unknown, path: string, out: Array<[string, string]>): void {
  if (Array.isArray(v) || isPlainObject(v)) {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v).map(([k, x]) => [`"${encode(k)}"`, x] as const);
    for (const [k, x] of entries) flatten(x, path ? `${path}+${k}` : k, out);
  } else {
    out.push([path, typeof v === 'string' ? `"${encode(v)}"` : renderValue(v).replace(/n$/, '')]);
  }
}

/** The protocol's checksum: MD5 of the sorted, URL-encoded path=value pairs, ignoring a top-level checksum. */
export function canonicalChecksum(doc: Record<string, unknown>): string {
  const pairs: Array<[string, string]> = [];
  flatten(Object.fromEntries(Object.entries(doc).filter(([k]) => k !== 'checksum')), '', pairs);
  pairs.sort((a, b) => Buffer.compare(Buffer.from(a[0], 'utf8'), Buffer.from(b[0], 'utf8')));
  return createHash('md5').update(pairs.map(([p, x]) => `${p}=${x}`).join(','), 'utf8').digest('hex');
}

/** Validates `_last_checkpoint` against the checkpoint it names; returns that version when the hint is usable. */
export function checkLastCheckpoint(tableDir: string, log: DeltaLog, actionsOf: (v: number) => DeltaCommit | undefined, problems: string[]): number | undefined {
  // The hint is optional: a writer may stop between a checkpoint and its hint, and readers then list the log.
  if (!log.hasLastCheckpoint) return undefined;
  const bad = (why: string) => (problems.push(`_last_checkpoint: ${why}`), undefined);
  let doc: unknown;
  try {
    doc = parseJsonExact(readFileSync(join(tableDir, '_delta_log', '_last_checkpoint'), 'utf8').trim());
  } catch (e) {
    return bad(`not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(doc)) return bad('not a JSON object');
  const { version, size, sizeInBytes, numOfAddFiles, checksum } = doc;
  if (!Number.isSafeInteger(version) || !Number.isSafeInteger(size)) return bad(`version ${renderValue(version)} and size ${renderValue(size)} must be integers`);
  if (checksum !== undefined && checksum !== canonicalChecksum(doc)) bad(`checksum ${renderValue(checksum)} does not match the content (${canonicalChecksum(doc)})`);
  const v = version as number;
  const file = join(tableDir, '_delta_log', checkpointName(v));
  if (!existsSync(file)) return bad(`names version ${v}, which has no checkpoint file`);
  const cp = actionsOf(v);
  if (cp && cp.actions.length !== size) bad(`size ${size} but the checkpoint holds ${cp.actions.length} actions`);
  const adds = cp?.actions.filter((a) => 'add' in a).length;
  if (cp && numOfAddFiles !== undefined && numOfAddFiles !== adds) bad(`numOfAddFiles ${renderValue(numOfAddFiles)} but the checkpoint holds ${adds}`);
  if (sizeInBytes !== undefined && sizeInBytes !== statSync(file).size) bad(`sizeInBytes ${renderValue(sizeInBytes)} but the file is ${statSync(file).size} bytes`);
  return v;
}
