// Filled column buffers offered to DuckDB as a table function, so the COPY
// that writes the Parquet reads them chunk by chunk as it goes. Appending them
// to a temp table first made DuckDB store every row in its own compressed
// format and read it back; streaming them skips both (see
// docs/performance.md, "A table function instead of the appender"). DuckDB's
// thread waits while the JavaScript thread fills each chunk, so a synchronous
// call into the same instance (an appender's flushSync, say) should not run on
// the JavaScript thread while such a query is under way: if it needed a lock
// the query holds, each would wait for the other.
import { DuckDBTableFunction, INTEGER, type DuckDBType } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { Connection, Db } from '../duckdb/db.ts';
import { writeAny, type AnyColumn } from './nested.ts';
import { CHUNK_ROWS } from './vectors.ts';

/** One result column: its name and DuckDB type as SQL, and the buffer its values come from. */
export type SourceColumn = { name: string; type: string; col: AnyColumn };

type Source = { names: string[]; types: DuckDBType[]; cols: AnyColumn[]; rows: number };
type Scan = { at: number };

/** The function every source is read through: `otlp2delta_columns(id)`. */
const FUNCTION = 'otlp2delta_columns';

/** Sources offered and not yet released, by the id their SQL names. */
const sources = new Map<number, Source>();
let nextId = 1;

/** DuckDB types by their SQL spelling, found once through an empty temp table's appender. */
const typeCache = new Map<string, DuckDBType>();

/** Table functions live in the database's catalog: one registration per instance serves every connection. */
const registered = new WeakSet<Db>();

function fillChunk(source: Source, scan: Scan, out: duckdb.DataChunk): void {
  const n = Math.max(0, Math.min(CHUNK_ROWS, source.rows - scan.at));
  for (let i = 0; n > 0 && i < source.cols.length; i++) writeAny(duckdb.data_chunk_get_vector(out, i), source.cols[i] as AnyColumn, scan.at, n);
  // A chunk of zero rows ends the scan.
  duckdb.data_chunk_set_size(out, n);
  scan.at += n;
}

function register(db: Db, conn: Connection): void {
  if (registered.has(db)) return;
  const fn = DuckDBTableFunction.create({
    name: FUNCTION,
    parameterTypes: [INTEGER],
    bindFunction: (bind) => {
      const id = Number(bind.getParameter(0));
      const source = sources.get(id);
      if (source === undefined) {
        bind.setError(`no column source ${id}`);
        return;
      }
      source.names.forEach((name, i) => bind.addResultColumn(name, source.types[i] as DuckDBType));
      bind.setCardinality(source.rows, true);
      bind.setBindData(source);
    },
    initFunction: (init) => {
      // One thread reads the buffers front to back, so rows keep the order they were filled in.
      init.setMaxThreads(1);
      init.setInitData({ at: 0 } satisfies Scan);
    },
    mainFunction: (info, out) => {
      try {
        fillChunk(info.bindData as Source, info.initData as Scan, out.chunk);
      } catch (e) {
        info.setError(`filling a chunk of column buffers failed: ${(e as Error).message}`);
      }
    },
  });
  conn.registerTableFunction(fn);
  registered.add(db);
}

async function typesOf(conn: Connection, spellings: string[]): Promise<DuckDBType[]> {
  const missing = [...new Set(spellings.filter((s) => !typeCache.has(s)))];
  if (missing.length > 0) {
    const probe = `otlp2delta_type_probe_${nextId++}`;
    await conn.run(`CREATE TEMP TABLE ${probe} (${missing.map((s, i) => `c${i} ${s}`).join(', ')})`);
    try {
      const appender = await conn.appender(probe, 'main', 'temp');
      try {
        missing.forEach((s, i) => typeCache.set(s, appender.columnType(i)));
      } finally {
        appender.closeSync();
      }
    } finally {
      await conn.run(`DROP TABLE ${probe}`);
    }
  }
  return spellings.map((s) => typeCache.get(s) as DuckDBType);
}

/** A source offered on `db` until `release`; `sql` is what a query selects from. */
export type ColumnSourceHandle = { sql: string; release(): void };

/**
 * Offers rows 0..rows of `columns` to queries on `conn` (of `db`) as
 * `FROM <sql>`. The buffers must stay unchanged until the query that reads
 * them is done; release the source after it.
 */
export async function offerColumns(db: Db, conn: Connection, columns: readonly SourceColumn[], rows: number): Promise<ColumnSourceHandle> {
  register(db, conn);
  const types = await typesOf(conn, columns.map((c) => c.type));
  const id = nextId++;
  sources.set(id, { names: columns.map((c) => c.name), types, cols: columns.map((c) => c.col), rows });
  return { sql: `${FUNCTION}(${id})`, release: () => sources.delete(id) };
}

/** Sources offered and not yet released (a query that failed must not keep its buffers alive). */
export function offeredSources(): number {
  return sources.size;
}
