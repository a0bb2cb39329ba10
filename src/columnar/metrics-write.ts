// Filled metric columns to one zstd Parquet data file. Each point type's flat
// columns (dense: a point fills only its own type's) stream to DuckDB through
// a table function (source.ts), the metrics' shared values go to a temp table
// and the scopes' to another; DuckDB builds the five struct columns, NULL where a row is of
// another type, joins the shared values in and writes the rows in the order
// they were filled. Stats come from the filler, so the file is not read back.
import { withConnection, type Db } from '../duckdb/db.ts';
import { appendColumns, appendScopes, durableFile, leafOf } from './append.ts';
import { offerColumns, type ColumnSourceHandle } from './source.ts';
import { sqlString } from '../duckdb/sql.ts';
import type { WrittenFile } from '../parquet/write.ts';
import { duckdbType, quoteIdent, schemaFor, type ColumnType, type Field } from '../tables/schema.ts';
import { compareCodePoints, StringColumn } from './columns.ts';
import type { MetricColumns, PointColumn } from './metrics-fill.ts';
import type { ExponentialPoints } from './metrics-points.ts';
import { type AnyColumn } from './nested.ts';
import { scopeLeaf } from './scope-stats.ts';
import { statsFromLeaves, type LeafStats } from './stats.ts';

const POINT_COLUMNS: readonly PointColumn[] = ['gauge', 'sum', 'histogram', 'exponential_histogram', 'summary'];
/** Struct fields that are the metric's, not the point's. */
const FROM_METRIC: Record<string, string> = {
  aggregation_temporality: 'm.temporality',
  is_monotonic: '(m.monotonic <> 0)',
};
const BUCKETS = ['positive_bucket', 'negative_bucket'];

let tableNo = 0;

type Flat = { name: string; type: string; col: AnyColumn };

function bufferOf(owner: object, name: string): AnyColumn {
  const col = (owner as Record<string, AnyColumn>)[name];
  if (col === undefined) throw new Error(`no column buffer for ${name}`);
  return col;
}

function structFields(column: string): Field[] {
  const f = schemaFor('metrics').columns.find((x) => x.name === column);
  if (f === undefined || typeof f.type === 'string' || !('struct' in f.type)) throw new Error(`${column} is not a struct column`);
  return f.type.struct;
}

/** The flat columns of a point type's table, after seq and metric_ix. */
function flatColumns(column: PointColumn, table: object): Flat[] {
  const out: Flat[] = [];
  for (const f of structFields(column)) {
    if (f.name in FROM_METRIC) continue;
    if (BUCKETS.includes(f.name)) {
      const side = f.name.split('_')[0] as string;
      out.push({ name: `${side}_offset`, type: 'INTEGER', col: bufferOf(table, `${side}_offset`) });
      out.push({ name: `${side}_bucket_counts`, type: 'BIGINT[]', col: bufferOf(table, `${side}_bucket_counts`) });
    } else out.push({ name: f.name, type: duckdbType(f.type), col: bufferOf(table, f.name) });
  }
  return out;
}

/** The struct value of one point-table row, built from its flat columns and its metric's. */
function structExpr(column: PointColumn, type: ColumnType): string {
  const parts = structFields(column).map((f) => {
    let e = `p.${quoteIdent(f.name)}`;
    if (f.name in FROM_METRIC) e = FROM_METRIC[f.name] as string;
    else if (BUCKETS.includes(f.name)) {
      const side = f.name.split('_')[0] as string;
      e = `CASE WHEN p.${side}_bucket_counts IS NULL THEN NULL ELSE {'offset': p.${side}_offset, 'bucket_counts': p.${side}_bucket_counts} END`;
    }
    return `${sqlString(f.name)}: ${e}`;
  });
  return `CAST({${parts.join(', ')}} AS ${duckdbType(type)})`;
}

/** A shared metric column's figures, each metric weighted by the rows it wrote. */
function metricLeaf(c: MetricColumns, col: StringColumn, only?: PointColumn): LeafStats {
  let min: string | null = null;
  let max: string | null = null;
  const m = c.metrics;
  for (let i = 0; i < m.length; i++) {
    if (m.rows[i] === 0) continue;
    if (only !== undefined && m.metric_type.values[i] !== only) continue;
    const s = col.values[i] as string;
    if (min === null || compareCodePoints(s, min) < 0) min = s;
    if (max === null || compareCodePoints(s, max) > 0) max = s;
  }
  return { nulls: 0, min, max };
}

/** positive_bucket / negative_bucket leaves: the offset counts only where the message was sent. */
function bucketLeaf(t: ExponentialPoints, side: string, child: string | undefined): LeafStats {
  const offsets = side === 'positive' ? t.positive_offset : t.negative_offset;
  const lists = side === 'positive' ? t.positive_bucket_counts : t.negative_bucket_counts;
  const absent = side === 'positive' ? t.positiveNulls : t.negativeNulls;
  if (child !== 'offset') return { nulls: absent };
  let min: number | null = null;
  let max: number | null = null;
  for (let i = 0; i < t.rows; i++) {
    if (lists.rows.isNull[i] === 1) continue;
    const v = offsets.values[i] as number;
    if (min === null || v < min) min = v;
    if (max === null || v > max) max = v;
  }
  return { nulls: absent, min, max };
}

function statsOf(c: MetricColumns): string {
  const schema = schemaFor('metrics');
  return statsFromLeaves(schema, c.rows, (p) => {
    const [top, child, grandchild] = p as [string, string | undefined, string | undefined];
    const shared = scopeLeaf(c.scopes, p, 'metric_schema_url');
    if (shared !== undefined) return shared;
    if (top === 'metadata') return { nulls: 0 };
    if (top === 'name' || top === 'description' || top === 'unit' || top === 'metric_type') return metricLeaf(c, c.metrics[top]);
    const column = top as PointColumn;
    const table = c[column];
    const absent = c.rows - table.rows;
    let own: LeafStats;
    if (child === 'aggregation_temporality') own = { ...metricLeaf(c, c.metrics.temporality, column), nulls: 0 };
    else if (child === 'is_monotonic') own = { nulls: 0 };
    else if (BUCKETS.includes(child as string)) own = bucketLeaf(table as ExponentialPoints, (child as string).split('_')[0] as string, grandchild);
    else own = leafOf(bufferOf(table, child as string));
    return { ...own, nulls: own.nulls + absent };
  });
}

/**
 * Writes the rows of `c` to `outPath` as the metrics layout's Parquet; the
 * file is fsync'd but not yet part of the table. Stats are computed from `c`.
 */
export async function writeMetricColumns(
  db: Db,
  c: MetricColumns,
  outPath: string,
  runDuckDb: <T>(job: () => Promise<T>) => Promise<T> = (job) => job(),
): Promise<WrittenFile> {
  const schema = schemaFor('metrics');
  const n = tableNo++;
  const name = (what: string) => `metric_${what}_${n}`;
  const typeOf = (column: string) => schema.columns.find((f) => f.name === column)!.type;
  const scopeCols = ['resource', 'resource_schema_url', 'instrumentation_scope', 'metric_schema_url'];
  const scopeDdl = scopeCols.map((x) => `${quoteIdent(x)} ${duckdbType(typeOf(x))}`).join(', ');
  const m = c.metrics;
  const metricCols: AnyColumn[] = [m.scopeIx, m.name, m.description, m.unit, m.metric_type, m.metadata, m.temporality, m.monotonic];
  const metricDdl =
    'scope_ix INTEGER, name VARCHAR, description VARCHAR, unit VARCHAR, metric_type VARCHAR, ' +
    `metadata ${duckdbType(typeOf('metadata'))}, temporality VARCHAR, monotonic INTEGER`;
  const branch = (column: PointColumn, from: string) => {
    const structs = POINT_COLUMNS.map((other) =>
      other === column ? `${structExpr(column, typeOf(column))} AS ${quoteIdent(other)}` : `CAST(NULL AS ${duckdbType(typeOf(other))}) AS ${quoteIdent(other)}`,
    );
    return `SELECT p.seq, p.metric_ix, ${structs.join(', ')} FROM ${from} p JOIN ${name('metrics')} m ON p.metric_ix = m.rowid`;
  };
  const select = schema.columns
    .map((f) => {
      const q = quoteIdent(f.name);
      if ((POINT_COLUMNS as readonly string[]).includes(f.name)) return `u.${q}`;
      if (scopeCols.includes(f.name)) return `s.${q}`;
      return `m.${q}`;
    })
    .join(', ');
  const size = await durableFile(outPath, () =>
    runDuckDb(() =>
      withConnection(db, async (conn) => {
        await conn.run(`CREATE TEMP TABLE ${name('scopes')} (ix INTEGER, ${scopeDdl})`);
        await conn.run(`CREATE TEMP TABLE ${name('metrics')} (${metricDdl})`);
        await appendScopes(conn, name('scopes'), c.scopes);
        await appendColumns(conn, name('metrics'), metricCols, m.length);
        const points: ColumnSourceHandle[] = [];
        try {
          for (const column of POINT_COLUMNS) {
            const table = c[column];
            const flat = [{ name: 'seq', type: 'INTEGER', col: table.seq }, { name: 'metric_ix', type: 'INTEGER', col: table.metricIx }, ...flatColumns(column, table)];
            points.push(await offerColumns(db, conn, flat, table.rows));
          }
          const branches = POINT_COLUMNS.map((column, i) => branch(column, (points[i] as ColumnSourceHandle).sql));
          await conn.run(
            `COPY (SELECT ${select} FROM (${branches.join(' UNION ALL ')}) u ` +
              `JOIN ${name('metrics')} m ON u.metric_ix = m.rowid JOIN ${name('scopes')} s ON m.scope_ix = s.ix ORDER BY u.seq) ` +
              `TO ${sqlString(outPath)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)`,
          );
        } finally {
          for (const x of points) x.release();
        }
        for (const t of ['metrics', 'scopes']) await conn.run(`DROP TABLE ${name(t)}`);
      }),
    ),
  );
  return { size, numRecords: c.rows, stats: statsOf(c) };
}


