// Owns the process's DuckDB instance and the connections opened on it; the
// only module that imports @duckdb/node-api.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export type DuckDbOptions = {
  /** Worker threads for one query; DuckDB defaults to the core count. */
  threads?: number;
  /** A DuckDB size string such as '2GB'; beyond it DuckDB spills to tempDirectory. */
  memoryLimit?: string;
  /** Where spilled blocks go; DuckDB's default is '.tmp' under the working directory. */
  tempDirectory?: string;
};

/** One connection. Temp tables and settings live here, so one job keeps one connection. */
export type Connection = {
  run(sql: string): Promise<void>;
  /** Rows as objects keyed by column name; BIGINT arrives as bigint, MAP as [{key, value}]. */
  all(sql: string): Promise<Record<string, unknown>[]>;
  /** Rows as arrays in select-list order, for queries with many or generated columns. */
  rows(sql: string): Promise<unknown[][]>;
  close(): void;
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
  return config;
}

/** Opens an in-memory instance; a process should hold one and share it. */
export async function openDuckDb(options: DuckDbOptions = {}): Promise<Db> {
  const instance = await DuckDBInstance.create(':memory:', configFrom(options));
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
