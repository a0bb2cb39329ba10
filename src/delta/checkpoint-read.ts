// Reads a classic checkpoint back into table state through DuckDB: each action
// column comes out as JSON text, which parses far faster than row objects.
import { openDuckDb, withConnection, type Db } from '../duckdb/db.ts';
import { sqlString } from '../duckdb/sql.ts';
import { quoteIdent } from '../tables/schema.ts';
import type { AddAction, MetaDataAction, ProtocolAction, RemoveAction } from './actions.ts';
import type { Snapshot } from './snapshot.ts';
import { checkpointFileName } from './checkpoint-schema.ts';
import { logDir } from './commit.ts';
import { withLocalLogFile } from './log-files.ts';
import { isRemoteLocation } from '../storage/location.ts';
import { parseJson, type JsonObject, type JsonValue } from './json.ts';

/** The table state a checkpoint holds, and how many actions (rows) the file had. */
export type CheckpointState = Snapshot & { rows: number };

const ACTIONS = ['add', 'remove', 'txn', 'metaData', 'protocol'] as const;
type ActionColumn = (typeof ACTIONS)[number];

/** Runs fn with `db`, or with a one-thread instance opened for the call (about 15 ms). */
export async function withDb<T>(db: Db | undefined, fn: (db: Db) => Promise<T>): Promise<T> {
  if (db) return fn(db);
  const own = await openDuckDb({ threads: 1 });
  try {
    return await fn(own);
  } finally {
    own.close();
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Drops the null members a Parquet row has for every field the action left out. */
function withoutNulls<T>(o: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v;
  return out as T;
}

function toAdd(o: Record<string, unknown>, where: string): AddAction {
  const { path: p, size, modificationTime, dataChange } = o;
  if (typeof p !== 'string' || typeof size !== 'number' || typeof modificationTime !== 'number') {
    throw new Error(`${where}: add without path, size or modificationTime`);
  }
  const add: AddAction = {
    path: p,
    partitionValues: isObject(o.partitionValues) ? (o.partitionValues as AddAction['partitionValues']) : {},
    size,
    modificationTime,
    dataChange: dataChange !== false,
  };
  if (typeof o.stats === 'string') add.stats = o.stats;
  if (isObject(o.tags)) add.tags = o.tags as Record<string, string>;
  return add;
}

function toRemove(o: Record<string, unknown>, where: string): RemoveAction {
  if (typeof o.path !== 'string') throw new Error(`${where}: remove without a path`);
  const { path: p, dataChange, deletionTimestamp, extendedFileMetadata, partitionValues, size } = o;
  return withoutNulls<RemoveAction>({ path: p, dataChange: dataChange !== false, deletionTimestamp, extendedFileMetadata, partitionValues, size });
}

// One row per action, each present column as JSON text (NULL where the row
// holds another action). Rows arrive a DuckDB chunk (2048) at a time, and each
// chunk's JSON is parsed in one piece, which parses far faster than row objects
// and keeps every step small: a checkpoint of many files is read without
// holding a server's event loop (and its acknowledgements) for long.
function actionsSql(file: string, present: ActionColumn[]): string {
  const cols = present.map((c) => `CAST(to_json(${quoteIdent(c)}) AS VARCHAR)`);
  return `SELECT ${cols.join(', ')} FROM read_parquet(${sqlString(file)}, file_row_number = true) ORDER BY file_row_number`;
}

type Parsed = { [K in ActionColumn]: unknown[] } & { rows: number };

async function queryActions(db: Db, file: string): Promise<Parsed> {
  const described = await db.all(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`);
  const names = new Set(described.map((r) => r.column_name));
  const present = ACTIONS.filter((c) => names.has(c));
  const out: Parsed = { add: [], remove: [], txn: [], metaData: [], protocol: [], rows: 0 };
  if (present.length === 0) return out;
  await withConnection(db, async (conn) => {
    for await (const rows of conn.stream(actionsSql(file, present))) {
      out.rows += rows.length;
      present.forEach((c, i) => {
        const texts: string[] = [];
        for (const row of rows) {
          const text = row[i];
          if (typeof text === 'string') texts.push(text);
        }
        if (texts.length === 0) return;
        // Sizes and times fit a double; txn versions and the rest may not, so they get the exact parser.
        const json = `[${texts.join(',')}]`;
        const items = c === 'add' || c === 'remove' ? (JSON.parse(json) as unknown[]) : (parseJson(json) as JsonValue[]);
        for (const item of items) out[c].push(item);
      });
    }
  });
  return out;
}

/** The state stored in the checkpoint of `version`; throws when it is unreadable or incomplete. */
export async function readCheckpoint(db: Db, tableDir: string, version: number): Promise<CheckpointState> {
  const { parsed, file } = await withLocalLogFile(tableDir, checkpointFileName(version), async (f) => ({ parsed: await queryActions(db, f), file: f }));
  const where = `checkpoint ${isRemoteLocation(tableDir) ? `${logDir(tableDir)}/${checkpointFileName(version)}` : file}`;
  if (parsed.protocol.length !== 1 || parsed.metaData.length !== 1) {
    throw new Error(`${where}: holds ${parsed.protocol.length} protocol and ${parsed.metaData.length} metaData actions, expected one each`);
  }
  const metaData = withoutNulls<MetaDataAction>(parsed.metaData[0] as JsonObject);
  if (typeof metaData.schemaString !== 'string') throw new Error(`${where}: metaData without a schemaString`);
  const state: CheckpointState = {
    version,
    protocol: withoutNulls<ProtocolAction>(parsed.protocol[0] as JsonObject),
    metaData,
    files: new Map(),
    tombstones: new Map(),
    txns: new Map(),
    rows: parsed.rows,
  };
  for (const a of parsed.add) {
    const add = toAdd(a as Record<string, unknown>, where);
    state.files.set(add.path, add);
  }
  for (const r of parsed.remove) {
    const remove = toRemove(r as Record<string, unknown>, where);
    state.tombstones.set(remove.path, remove);
  }
  for (const t of parsed.txn as JsonObject[]) {
    const v = t.version;
    if (typeof t.appId !== 'string' || (typeof v !== 'number' && typeof v !== 'bigint')) throw new Error(`${where}: txn without appId and version`);
    state.txns.set(t.appId, v);
  }
  return state;
}
