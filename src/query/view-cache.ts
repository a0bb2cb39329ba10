// Materialised views kept between statement batches. Computing the
// normalised views is most of a dashboard load, and it depends only on the
// setup statements: which files of which tables, seen through which caller's
// grants. Those statements name every input (files are immutable; a commit
// changes the file list), so their text is the cache key and a commit or a
// different caller simply misses.
import { createHash } from 'node:crypto';
import { VIEW_CACHE_ROWS_MAX, VIEW_CACHE_SETS_MAX } from '../config/limits.ts';
import type { Connection, Db } from '../duckdb/db.ts';
import { sqlString } from '../duckdb/sql.ts';
import { quoteIdent } from '../tables/schema.ts';

/** Schemas of the in-memory database holding kept sets start with this; callers may not name them. */
export const VIEW_CACHE_SCHEMA_PREFIX = 'o2d_view_cache_';

type Entry = { schema: string; names: string[]; inUse: number; evicted: boolean };

export class ViewCache {
  private readonly entries = new Map<string, Entry>();
  private seq = 0;

  constructor(
    private readonly db: Db,
    private readonly setsMax = VIEW_CACHE_SETS_MAX,
    private readonly rowsMax = VIEW_CACHE_ROWS_MAX,
  ) {}

  static keyOf(setup: readonly string[]): string {
    return createHash('sha256').update(setup.join('\n;\n')).digest('hex');
  }

  /** The kept set for `key`, held until release(); most recently used last. */
  acquire(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.inUse += 1;
    return entry;
  }

  async release(entry: Entry): Promise<void> {
    entry.inUse -= 1;
    if (entry.evicted && entry.inUse === 0) await this.drop(entry);
  }

  /** Temporary views, on the caller's connection, over a kept set's tables under their own names. */
  viewsOver(entry: Entry): string[] {
    return entry.names.map((n) => `CREATE TEMP VIEW ${quoteIdent(n)} AS SELECT * FROM memory.${quoteIdent(entry.schema)}.${quoteIdent(n)}`);
  }

  /** Copies the temporary tables `names` of `conn` into a kept set for `key`. */
  async keep(conn: Connection, key: string, names: readonly string[]): Promise<void> {
    if (this.entries.has(key) || names.length === 0) return;
    const schema = `${VIEW_CACHE_SCHEMA_PREFIX}${++this.seq}`;
    await conn.run(`CREATE SCHEMA memory.${quoteIdent(schema)}`);
    const entry: Entry = { schema, names: [...names], inUse: 0, evicted: false };
    try {
      for (const n of names) await conn.run(`CREATE TABLE memory.${quoteIdent(schema)}.${quoteIdent(n)} AS SELECT * FROM temp.main.${quoteIdent(n)}`);
      const rows = await conn.rows(`SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables() WHERE database_name = 'memory' AND schema_name = ${sqlString(schema)}`);
      if (Number(rows[0]?.[0] ?? 0) > this.rowsMax) throw new Error('too large to keep');
    } catch {
      await this.drop(entry);
      return;
    }
    this.entries.set(key, entry);
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.setsMax) break;
      this.entries.delete(k);
      e.evicted = true;
      if (e.inUse === 0) await this.drop(e);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private async drop(entry: Entry): Promise<void> {
    await this.db.run(`DROP SCHEMA IF EXISTS memory.${quoteIdent(entry.schema)} CASCADE`).catch(() => undefined);
  }
}
