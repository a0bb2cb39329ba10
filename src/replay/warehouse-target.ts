// Replays requests straight into a warehouse through the same ingest pipeline
// the server uses (same checks, same rows), and commits everything at the end.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isRemoteLocation } from '../storage/location.ts';
import { DEFAULT_LIMITS } from '../config/limits.ts';
import { createDeltaTable } from '../delta/table.ts';
import { loadSnapshot } from '../delta/snapshot.ts';
import { openDuckDb } from '../duckdb/db.ts';
import { isOtlpError } from '../errors.ts';
import { parseContentType } from '../http/content-type.ts';
import { Pipeline } from '../ingest/pipeline.ts';
import { tableDir } from '../ingest/registry.ts';
import { SIGNALS } from '../ingest/signals.ts';
import { decompress, parseContentEncoding } from '../otlp/compression.ts';
import { formatTableName, parseTableName, type TableName } from '../tables/names.ts';
import { schemaFor, type TableKind } from '../tables/schema.ts';
import { openStaging } from '../wal/staging.ts';
import { countRecords, type ReplayRequest } from './request.ts';
import { refused, type Outcome, type Target } from './target.ts';

export type WarehouseTargetOptions = {
  warehouse: string;
  /** Write-ahead staging folder; default <warehouse>/.otlp2delta/replay-staging. */
  staging?: string | undefined;
  /** Create a missing table in the layout its first request needs. */
  createTables: boolean;
  log: (line: string) => void;
};

/** How long the final commit may take before the rows are left staged for the next run. */
const COMMIT_DEADLINE_MS = 120_000;
/** Times one request waits for staged rows to be committed when the staging limit is reached. */
const OVERLOADED_RETRIES_MAX = 50;

async function createIfMissing(warehouse: string, name: TableName, kind: TableKind): Promise<void> {
  const dir = tableDir(warehouse, name);
  if (await loadSnapshot(dir)) return; // an existing table of another layout is refused by ingest, with its reason
  const schema = schemaFor(kind);
  try {
    await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties }, name: name.table });
  } catch (e) {
    if (!/already exists/.test((e as Error).message)) throw e;
  }
}

export async function openWarehouseTarget(opts: WarehouseTargetOptions): Promise<Target> {
  const remote = isRemoteLocation(opts.warehouse);
  const warehouse = remote ? opts.warehouse : path.resolve(opts.warehouse);
  if (!remote) await mkdir(warehouse, { recursive: true });
  // A store has no folder of ours to stage in: a warehouse there stages on local disk.
  if (remote && opts.staging === undefined) throw new Error(`replay into a warehouse on an object store (${warehouse}) needs --staging DIR, a local folder`);
  const staging = await openStaging(opts.staging ?? path.join(warehouse, '.otlp2delta', 'replay-staging'));
  const db = await openDuckDb();
  let pipeline: Pipeline;
  try {
    pipeline = await Pipeline.start({ warehouse, db, staging, limits: DEFAULT_LIMITS, log: opts.log });
  } catch (e) {
    db.close();
    await staging.release();
    throw e;
  }
  const created = new Map<string, Promise<void>>();
  const ensureTable = (name: TableName, kind: TableKind): Promise<void> => {
    const key = formatTableName(name);
    let p = created.get(key);
    if (!p) {
      p = createIfMissing(warehouse, name, kind);
      created.set(key, p);
    }
    return p;
  };

  const ingest = async (req: ReplayRequest, table: string, gate: () => Promise<void>): Promise<Outcome> => {
    const name = parseTableName(table);
    const encoding = parseContentType(req.contentType);
    const body = await decompress(req.body, parseContentEncoding(req.contentEncoding), DEFAULT_LIMITS.bodyBytesMax);
    if (opts.createTables) await ensureTable(name, SIGNALS[req.signal].tableKind);
    for (let retries = 0; ; retries++) {
      await gate();
      try {
        const r = await pipeline.ingest({ signal: req.signal, table: name, encoding, body });
        return { accepted: true, records: r.rows + r.rejected, rejectedRecords: r.rejected, retries, message: r.message || undefined };
      } catch (e) {
        // The staging limit is reached: commit what is staged, then try again, as a client would after 429.
        if (!isOtlpError(e) || e.kind !== 'overloaded' || retries >= OVERLOADED_RETRIES_MAX) throw Object.assign(e as Error, { retries });
        await pipeline.flushAll();
      }
    }
  };

  return {
    async send(req, table, gate) {
      if (table === undefined) {
        return refused(await countRecords(req), 0, 'the recording names no table: give --table-prefix or --default-table-prefix');
      }
      try {
        return await ingest(req, table, gate);
      } catch (e) {
        const retries = (e as { retries?: number }).retries ?? 0;
        return refused(await countRecords(req), retries, (e as Error).message);
      }
    },
    async close() {
      let drained = false;
      try {
        drained = await pipeline.close(COMMIT_DEADLINE_MS);
      } finally {
        db.close();
        await staging.release();
      }
      if (drained) return undefined;
      return `some rows could not be committed yet; they stay staged in ${staging.root} and are committed by the next replay (or serve --staging) that uses that folder`;
    },
  };
}
