// The columnar filler and writer of each table kind, so a flush can pick the
// pair for the table it writes without knowing the column classes.
import type { Db } from '../duckdb/db.ts';
import type { WrittenFile } from '../parquet/write.ts';
import type { Rejections } from '../tables/reject.ts';
import type { PrincipalStamp } from './scopes.ts';
import { fillLogs, LogColumns } from './logs-fill.ts';
import { writeLogColumns } from './logs-write.ts';
import { fillMetrics, MetricColumns } from './metrics-fill.ts';
import { writeMetricColumns } from './metrics-write.ts';
import { fillSpans, SpanColumns } from './spans-fill.ts';
import { writeSpanColumns } from './spans-write.ts';

export type RunDuckDb = <T>(job: () => Promise<T>) => Promise<T>;

/** Opaque column buffers of one file: only the writer of the same kind takes them. */
export type ColumnarWriter<C = unknown> = {
  newColumns(): C;
  /** Appends one staged request body (protobuf; `fromJson` for a JSON request encoded as protobuf), its resources stamped when `stamp` is given. */
  fill(c: C, body: Uint8Array, rejections?: Rejections, fromJson?: boolean, stamp?: PrincipalStamp): void;
  rows(c: C): number;
  write(db: Db, c: C, outPath: string, runDuckDb?: RunDuckDb): Promise<WrittenFile>;
};

const logs: ColumnarWriter<LogColumns> = {
  newColumns: () => new LogColumns(),
  fill: fillLogs,
  rows: (c) => c.rows,
  write: writeLogColumns,
};

const metrics: ColumnarWriter<MetricColumns> = {
  newColumns: () => new MetricColumns(),
  fill: fillMetrics,
  rows: (c) => c.rows,
  write: writeMetricColumns,
};

const spans: ColumnarWriter<SpanColumns> = {
  newColumns: () => new SpanColumns(),
  fill: fillSpans,
  rows: (c) => c.rows,
  write: writeSpanColumns,
};

const WRITERS = { logs, metrics, spans } as const;

/** The pair for a table kind. */
export function columnarWriterFor(kind: 'metrics' | 'logs' | 'spans'): ColumnarWriter {
  return WRITERS[kind] as ColumnarWriter;
}
