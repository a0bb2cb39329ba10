// Owns the process's DuckDB instance and the connections opened on it; the
// only module that imports @duckdb/node-api.
import { DuckDBInstance, JsonDuckDBValueConverter, StatementType, type DuckDBAppender, type DuckDBConnection, type DuckDBTableFunction, type Json } from '@duckdb/node-api';

export type DuckDbOptions = {
  /** Worker threads for one query; DuckDB defaults to the core count. */
  threads?: number;
  /** A DuckDB size string such as '2GB'; beyond it DuckDB spills to tempDirectory. */
  memoryLimit?: string;
  /**
   * Where spilled blocks go; DuckDB's default is '.tmp' under the working
   * directory. '' turns spilling off: DuckDB lets statements read its temp
   * directory even when file access is confined, so a confined instance must
   * have none.
   */
  tempDirectory?: string;
  /**
   * Freed memory DuckDB's allocator may keep before handing it back to the
   * system (a DuckDB size string). DuckDB keeps up to 128 MiB per thread plus
   * 512 MiB after bulk frees by default, which a long-running server with
   * short flushes would carry as resident memory between them.
   */
  allocatorCacheLimit?: string;
  /**
   * false lets a COPY write each row group as rows arrive instead of first
   * buffering the batches it needs to keep them in order (DuckDB's default).
   * Order without ORDER BY is then kept only by running on one thread.
   */
  preserveInsertionOrder?: boolean;
  /**
   * Confines the instance to files below these directories (and turns off
   * extension loading), then locks the configuration so no statement can lift it.
   */
  onlyDirectories?: string[];
};

export type { Json } from '@duckdb/node-api';

/**
 * A result with its column names and DuckDB type names; values as JSON (BIGINT,
 * DECIMAL as strings). `truncated` says rows were left out to keep within the limits.
 */
export type QueryResult = { columns: { name: string; type: string }[]; rows: Json[][]; truncated: boolean };

/** Bounds on what `query` keeps: rows, and bytes of the rows as JSON text. */
export type ResultLimits = { rowsMax: number; bytesMax: number };

/** One connection. Temp tables and settings live here, so one job keeps one connection. */
export type Connection = {
  run(sql: string): Promise<void>;
  /** Rows as objects keyed by column name; BIGINT arrives as bigint, MAP as [{key, value}]. */
  all(sql: string): Promise<Record<string, unknown>[]>;
  /** Rows as arrays in select-list order, for queries with many or generated columns. */
  rows(sql: string): Promise<unknown[][]>;
  /**
   * Rows as arrays, one DuckDB chunk (up to 2048 rows) at a time. Each chunk is
   * fetched and converted on its own turn of the event loop, so a large result
   * never blocks the loop for its whole size.
   */
  stream(sql: string): AsyncIterable<unknown[][]>;
  /**
   * Column names, types and JSON-safe values, for showing results to people or
   * over HTTP. The result is streamed and cut at the limits: no more chunks are
   * fetched once one row past them is seen, and only the kept rows are converted.
   */
  query(sql: string, limits: ResultLimits): Promise<QueryResult>;
  /** Cancels what runs on this connection; the statement fails with an interrupt error. */
  interrupt(): void;
  /** The type of each statement in `sql` (SELECT, INSERT, ...), found by preparing, never running, them. */
  statementTypes(sql: string): Promise<string[]>;
  close(): void;
  /** An appender into a table of this connection (`catalog` 'temp' for a temp table), for loads handed over column by column. */
  appender(table: string, schema?: string, catalog?: string): Promise<DuckDBAppender>;
  registerTableFunction(fn: DuckDBTableFunction): void;
};

export type Db = {
  /** Each call below runs on a fresh connection that is closed before it resolves. */
  run(sql: string): Promise<void>;
  all(sql: string): Promise<Record<string, unknown>[]>;
  connect(): Promise<Connection>;
  close(): void;
};

function wrapConnection(conn: DuckDBConnection): Connection {
  let open = true;
  return {
    appender: (table, schema, catalog) => conn.createAppender(table, schema, catalog),
    registerTableFunction: (fn) => conn.registerTableFunction(fn),
    async run(sql) {
      await conn.run(sql);
    },
    async all(sql) {
      const result = await conn.run(sql);
      return (await result.getRowObjectsJS()) as Record<string, unknown>[];
    },
    async rows(sql) {
      const result = await conn.run(sql);
      return (await result.getRowsJS()) as unknown[][];
    },
    async *stream(sql) {
      const result = await conn.stream(sql);
      for await (const rows of result.yieldRowsJs()) yield rows as unknown[][];
    },
    async query(sql, limits) {
      const result = await conn.stream(sql);
      const names = result.deduplicatedColumnNames();
      const columns = result.columnTypes().map((t, i) => ({ name: names[i] ?? `column${i}`, type: t.toString() }));
      const rows: Json[][] = [];
      let bytes = 0;
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) return { columns, rows, truncated: false };
        for (let i = 0; i < chunk.rowCount; i++) {
          if (rows.length >= limits.rowsMax) return { columns, rows, truncated: true };
          const row = chunk.convertRowValues(i, JsonDuckDBValueConverter);
          bytes += Buffer.byteLength(JSON.stringify(row));
          if (bytes > limits.bytesMax) return { columns, rows, truncated: true };
          rows.push(row);
        }
      }
    },
    interrupt() {
      if (open) conn.interrupt();
    },
    async statementTypes(sql) {
      const extracted = await conn.extractStatements(sql);
      const types: string[] = [];
      for (let i = 0; i < extracted.count; i++) {
        const prepared = await extracted.prepare(i);
        types.push(StatementType[prepared.statementType] ?? String(prepared.statementType));
        prepared.destroySync();
      }
      return types;
    },
    close() {
      // Closing twice is a no-op so finally blocks never mask the real error.
      if (!open) return;
      open = false;
      conn.closeSync();
    },
  };
}

function configFrom(options: DuckDbOptions): Record<string, string> {
  const config: Record<string, string> = {
    // Extensions are never fetched at run time: the service must work offline and
    // behave the same on every start.
    autoinstall_known_extensions: 'false',
  };
  if (options.threads !== undefined) {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new Error(`duckdb threads must be a positive integer, got ${options.threads}`);
    }
    config['threads'] = String(options.threads);
  }
  if (options.memoryLimit !== undefined) config['memory_limit'] = options.memoryLimit;
  if (options.tempDirectory !== undefined) config['temp_directory'] = options.tempDirectory;
  if (options.preserveInsertionOrder !== undefined) config['preserve_insertion_order'] = String(options.preserveInsertionOrder);
  if (options.allocatorCacheLimit !== undefined) {
    config['allocator_flush_threshold'] = options.allocatorCacheLimit;
    config['allocator_bulk_deallocation_flush_threshold'] = options.allocatorCacheLimit;
    config['allocator_background_threads'] = 'true';
  }
  return config;
}

// allowed_directories takes a list, which the startup config cannot carry; the
// order matters: the list must be set before external access is turned off,
// and locking last keeps any later SET from undoing either.
async function confine(instance: DuckDBInstance, dirs: string[]): Promise<void> {
  const conn = await instance.connect();
  try {
    const list = dirs.map((d) => `'${(d.endsWith('/') ? d : `${d}/`).replaceAll("'", "''")}'`).join(', ');
    await conn.run(`SET allowed_directories = [${list}]`);
    await conn.run('SET enable_external_access = false');
    await conn.run('SET lock_configuration = true');
    // DuckDB adds directories of its own (its temp directory) to the list;
    // refuse to run with any that was not asked for.
    const reader = await conn.runAndReadAll("SELECT unnest(current_setting('allowed_directories'))");
    const wanted = new Set(dirs.map((d) => (d.endsWith('/') ? d : `${d}/`)));
    const extra = reader.getRowsJS().map((r) => String(r[0])).filter((d) => !wanted.has(d));
    if (extra.length > 0) throw new Error(`duckdb allows reading ${extra.join(', ')} beyond the confined directories; turn spilling off (tempDirectory '')`);
  } catch (e) {
    conn.closeSync();
    instance.closeSync();
    throw e;
  }
  conn.closeSync();
}

/** Opens an in-memory instance; a process should hold one and share it. */
export async function openDuckDb(options: DuckDbOptions = {}): Promise<Db> {
  const instance = await DuckDBInstance.create(':memory:', configFrom(options));
  if (options.onlyDirectories) await confine(instance, options.onlyDirectories);
  let open = true;
  const connect = async (): Promise<Connection> => {
    if (!open) throw new Error('duckdb instance is closed');
    return wrapConnection(await instance.connect());
  };
  const db: Db = {
    connect,
    run: (sql) => withConnection(db, (c) => c.run(sql)),
    all: (sql) => withConnection(db, (c) => c.all(sql)),
    close() {
      if (!open) return;
      open = false;
      instance.closeSync();
    },
  };
  return db;
}

/** Runs fn on its own connection and closes it however fn ends. */
export async function withConnection<T>(db: Db, fn: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = await db.connect();
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}
