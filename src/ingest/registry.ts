// Finds the Delta table a request names, checks it has one of our layouts, and
// remembers it. A table that does not exist yet is looked up again on the next
// request, so tables created while the server runs are picked up.
import path from 'node:path';
import { isRemoteLocation, joinLocation } from '../storage/location.ts';
import { isDeepStrictEqual } from 'node:util';
import { loadSnapshot } from '../delta/snapshot.ts';
import { OtlpError } from '../errors.ts';
import { formatTableName, tablePathSegments, type TableName } from '../tables/names.ts';
import { deltaSchemaString, LAYOUT_KINDS, schemaFor, TABLE_KINDS, type LayoutKind, type TableKind, type TableSchema } from '../tables/schema.ts';

export type TableHandle<K extends LayoutKind = TableKind> = {
  name: TableName;
  /** catalog.schema.table, lower case. */
  fullName: string;
  dir: string;
  kind: K;
  schema: TableSchema;
  /** Latest Delta version this process knows of; writers advance it. */
  version: number;
};

/** The otel layout kind whose Delta schema equals this schemaString, if any. */
export function kindOfSchemaString(schemaString: string): TableKind | undefined {
  return matchLayout(schemaString, TABLE_KINDS);
}

/** The same over every layout, the system tables' included (for reading, never for exports). */
export function layoutOfSchemaString(schemaString: string): LayoutKind | undefined {
  return matchLayout(schemaString, LAYOUT_KINDS);
}

function matchLayout<K extends LayoutKind>(schemaString: string, kinds: readonly K[]): K | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schemaString);
  } catch {
    return undefined;
  }
  return kinds.find((k) => isDeepStrictEqual(parsed, JSON.parse(deltaSchemaString(schemaFor(k).columns))));
}

export function tableDir(warehouse: string, name: TableName): string {
  if (isRemoteLocation(warehouse)) return joinLocation(warehouse, ...tablePathSegments(name));
  return path.join(path.resolve(warehouse), ...tablePathSegments(name));
}

/** The answer for a table that does not exist; also given for one the caller may not see, so the two cannot be told apart. */
export function tableMissing(fullName: string, kindHint: TableKind | undefined): OtlpError {
  return new OtlpError(
    'not_found',
    `table ${fullName} does not exist; create it first: otlp2delta create-table ${fullName} --kind ${kindHint ?? 'metrics|logs|spans'}`,
  );
}

export class TableRegistry {
  private readonly handles = new Map<string, Promise<TableHandle>>();

  constructor(readonly warehouse: string) {}

  /** `kind`, when known, makes the not-found message name the create-table command exactly. */
  open(name: TableName, kind?: TableKind): Promise<TableHandle> {
    const key = formatTableName(name);
    let h = this.handles.get(key);
    if (!h) {
      h = this.load(name, kind);
      this.handles.set(key, h);
      // Forget failures so a table created later is found on the next request.
      h.catch(() => this.handles.delete(key));
    }
    return h;
  }

  /** The tables opened so far that exist; lookups that failed are left out. */
  async openTables(): Promise<TableHandle[]> {
    const settled = await Promise.allSettled(this.handles.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  /**
   * A table of any layout, not remembered: how the server's own tables (the
   * audit table) and their staged rows are opened. Exports go through `open`,
   * which refuses those layouts.
   */
  async openAnyLayout(name: TableName): Promise<TableHandle<LayoutKind> | undefined> {
    const dir = tableDir(this.warehouse, name);
    const snap = await loadSnapshot(dir);
    const kind = snap ? layoutOfSchemaString(snap.metaData.schemaString) : undefined;
    if (!snap || !kind) return undefined;
    return { name, fullName: formatTableName(name), dir, kind, schema: schemaFor(kind), version: snap.version };
  }

  private async load(name: TableName, kindHint: TableKind | undefined): Promise<TableHandle> {
    const fullName = formatTableName(name);
    const dir = tableDir(this.warehouse, name);
    let snap;
    try {
      snap = await loadSnapshot(dir);
    } catch (e) {
      throw new OtlpError('internal', `table ${fullName} could not be read: ${(e as Error).message}`, { cause: e });
    }
    if (!snap) throw tableMissing(fullName, kindHint);
    const kind = kindOfSchemaString(snap.metaData.schemaString);
    if (!kind) {
      throw new OtlpError('invalid', `table ${fullName} exists but its schema is not one of the otel metrics, logs or spans layouts`);
    }
    return { name, fullName, dir, kind, schema: schemaFor(kind), version: snap.version };
  }
}
