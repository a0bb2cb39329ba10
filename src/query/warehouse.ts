// What the warehouse holds, as the query engine sees it: which three-part
// names are tables (and of which layout), the tables of one schema, and the
// SQL that reads a table's current Delta snapshot (active files only).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { listLog, loadSnapshot, refreshSnapshot, type Snapshot } from '../delta/snapshot.ts';
import { dataFilePath } from '../delta/table.ts';
import { commitFileName } from '../delta/commit.ts';
import { logFileExists, logNames } from '../delta/log-files.ts';
import { cachedLocalPath } from '../storage/read-cache.ts';
import { isRemoteLocation, joinLocation, locate } from '../storage/location.ts';
import type { Db } from '../duckdb/db.ts';
import { sqlString } from '../duckdb/sql.ts';
import { layoutOfSchemaString } from '../ingest/registry.ts';
import { duckdbType, quoteIdent, schemaFor, type LayoutKind, type TableKind } from '../tables/schema.ts';

const IDENT = /^[a-z0-9_]{1,255}$/;

export type WarehouseTable = {
  catalog: string;
  schema: string;
  table: string;
  dir: string;
  kind: LayoutKind;
  snapshot: Snapshot;
  /** Local copies of a remote table's active data files, by add.path (see storage/read-cache.ts). */
  localFiles?: Map<string, string>;
};

export class NotOtelLayout extends Error {}

export class Warehouse {
  // Snapshots already read, brought up to date by reading only newer commits.
  private readonly snapshots = new Map<string, Snapshot>();

  constructor(
    readonly root: string,
    private readonly db: Db,
  ) {}

  private dirOf(...parts: string[]): string | undefined {
    return parts.every((p) => IDENT.test(p)) ? joinLocation(this.root, ...parts) : undefined;
  }

  /** catalog.schema.table names of a warehouse on an object store, which has no folders to look at. */
  private async remoteNames(): Promise<string[]> {
    return isRemoteLocation(this.root) ? listTableNames(this.root) : [];
  }

  /** True when `catalog.schema` is a folder of the warehouse. */
  async hasSchema(catalog: string, schema: string): Promise<boolean> {
    const dir = this.dirOf(catalog, schema);
    if (dir !== undefined && isRemoteLocation(dir)) return (await this.remoteNames()).some((n) => n.startsWith(`${catalog}.${schema}.`));
    return dir !== undefined && (await isDir(dir));
  }

  /** True when the catalog is a folder of the warehouse. */
  async hasCatalog(catalog: string): Promise<boolean> {
    const dir = this.dirOf(catalog);
    if (dir !== undefined && isRemoteLocation(dir)) return (await this.remoteNames()).some((n) => n.startsWith(`${catalog}.`));
    return dir !== undefined && (await isDir(dir));
  }

  /** The table at `catalog.schema.table`, or undefined when there is no Delta table there. */
  async table(catalog: string, schema: string, table: string): Promise<WarehouseTable | undefined> {
    const dir = this.dirOf(catalog, schema, table);
    if (dir === undefined) return undefined;
    if (isRemoteLocation(dir) ? !(await logFileExists(dir, commitFileName(0))) && (await logNames(dir)) === undefined : !(await isDir(path.join(dir, '_delta_log')))) return undefined;
    const snapshot = await this.snapshot(dir);
    if (!snapshot) return undefined;
    const kind = layoutOfSchemaString(snapshot.metaData.schemaString);
    if (!kind) throw new NotOtelLayout(`${catalog}.${schema}.${table} is a Delta table but not in one of the otel metrics, logs or spans layouts (nor the audit layout)`);
    const t: WarehouseTable = { catalog, schema, table, dir, kind, snapshot };
    if (isRemoteLocation(dir)) t.localFiles = await localCopies(dir, snapshot);
    return t;
  }

  /** Every otel table of the schema, by name; Delta tables in other layouts are left out. */
  async tablesOf(catalog: string, schema: string): Promise<WarehouseTable[]> {
    const dir = this.dirOf(catalog, schema);
    if (dir === undefined) return [];
    let names: string[];
    try {
      names = isRemoteLocation(dir)
        ? (await this.remoteNames()).filter((n) => n.startsWith(`${catalog}.${schema}.`)).map((n) => n.slice(catalog.length + schema.length + 2))
        : (await fsp.readdir(dir)).sort();
    } catch {
      return [];
    }
    const out: WarehouseTable[] = [];
    for (const name of names) {
      const t = await this.table(catalog, schema, name).catch((e: unknown) => {
        if (e instanceof NotOtelLayout) return undefined;
        throw e;
      });
      if (t) out.push(t);
    }
    return out;
  }

  /**
   * The table's newest snapshot. A cached one is brought forward by reading
   * only the commits after it, when they are all still there; otherwise
   * (older commits cleaned up behind a checkpoint) it is read afresh.
   */
  private async snapshot(dir: string): Promise<Snapshot | null> {
    const known = this.snapshots.get(dir);
    const { commits } = await listLog(dir);
    const latest = commits[commits.length - 1];
    if (latest === undefined) return null;
    let snap: Snapshot | null;
    if (known && known.version === latest) snap = known;
    else if (known && known.version < latest && commits.includes(known.version + 1)) snap = await refreshSnapshot(known, dir);
    else snap = null;
    if (!snap || snap.version !== latest) snap = await loadSnapshot(dir, { db: this.db });
    if (snap) this.snapshots.set(dir, snap);
    return snap;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Local paths of the table's active data files (cached copies for a remote table). */
export function activeFilePaths(t: Pick<WarehouseTable, 'dir' | 'snapshot' | 'localFiles'>): string[] {
  return [...t.snapshot.files.keys()].sort().map((p) => t.localFiles?.get(p) ?? dataFilePath(t.dir, p));
}

/** Downloads running at once to fill the read cache for one table. */
const COPIES_AT_ONCE = 8;

async function localCopies(dir: string, snapshot: Snapshot): Promise<Map<string, string>> {
  const paths = [...snapshot.files.keys()];
  const out = new Map<string, string>();
  for (let i = 0; i < paths.length; i += COPIES_AT_ONCE) {
    const batch = paths.slice(i, i + COPIES_AT_ONCE);
    const local = await Promise.all(batch.map((p) => cachedLocalPath(dataFilePath(dir, p))));
    batch.forEach((p, j) => out.set(p, local[j] as string));
  }
  return out;
}

/**
 * A SELECT with the layout's exact column types over the given data files
 * (active files of a snapshot: removed files are never named). No files is a
 * typed relation with no rows, so an empty table still has the right types.
 */
export function relationSql(kind: LayoutKind, files: string[], opts: { pointAttributes?: boolean } = {}): string {
  const columns = schemaFor(kind).columns;
  let base: string;
  if (files.length === 0) {
    base = `SELECT ${columns.map((c) => `CAST(NULL AS ${duckdbType(c.type)}) AS ${quoteIdent(c.name)}`).join(', ')} WHERE false`;
  } else {
    const typed = columns.map((c) => `CAST(${quoteIdent(c.name)} AS ${duckdbType(c.type)}) AS ${quoteIdent(c.name)}`);
    base = `SELECT ${typed.join(', ')} FROM read_parquet([${files.map(sqlString).join(', ')}])`;
  }
  // Metric point attributes sit inside the one filled struct (sum.attributes,
  // ...); queries written for `attributes[...]` find them in this extra last column.
  return kind === 'metrics' && opts.pointAttributes ? `SELECT *, ${POINT_ATTRIBUTES} AS attributes FROM (${base})` : base;
}

const POINT_ATTRIBUTES = `CAST(coalesce(gauge.attributes, "sum".attributes, histogram.attributes, exponential_histogram.attributes, summary.attributes) AS MAP(VARCHAR, VARCHAR))`;

/** The rows of every table of one kind in `tables`, as one relation. */
export function unionRelationSql(kind: TableKind, tables: WarehouseTable[]): string {
  return relationSql(kind, tables.filter((t) => t.kind === kind).flatMap(activeFilePaths));
}

/** Every `catalog.schema.table` below the warehouse root that has a Delta log, sorted. */
export async function listTableNames(root: string): Promise<string[]> {
  if (isRemoteLocation(root)) {
    // A table is a prefix holding a commit; an object store lists keys, not folders.
    const { store, key } = locate(root);
    const first = /^([a-z0-9_]{1,255})\/([a-z0-9_]{1,255})\/([a-z0-9_]{1,255})\/_delta_log\/\d{20}\.json$/;
    const found = new Set<string>();
    for (const o of await store.list(key === '' ? '' : `${key}/`)) {
      const m = first.exec(key === '' ? o.key : o.key.slice(key.length + 1));
      if (m) found.add(`${m[1]}.${m[2]}.${m[3]}`);
    }
    return [...found].sort();
  }
  const names: string[] = [];
  const dirs = async (p: string) => {
    try {
      return (await fsp.readdir(p, { withFileTypes: true })).filter((d) => d.isDirectory() && IDENT.test(d.name)).map((d) => d.name);
    } catch {
      return [];
    }
  };
  for (const c of await dirs(root)) {
    for (const s of await dirs(path.join(root, c))) {
      for (const t of await dirs(path.join(root, c, s))) {
        if (await isDir(path.join(root, c, s, t, '_delta_log'))) names.push(`${c}.${s}.${t}`);
      }
    }
  }
  return names.sort();
}
