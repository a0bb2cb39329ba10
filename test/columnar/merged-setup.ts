// What the tests of merged message fields share: one differential harness per
// signal over one DuckDB, and the reference's own verdict on a body, to show
// that a body with split fields means what the unsplit one does.
import { promises as fsp } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';
import { fillLogs, LogColumns } from '../../src/columnar/logs-fill.ts';
import { writeLogColumns } from '../../src/columnar/logs-write.ts';
import { fillMetrics, MetricColumns } from '../../src/columnar/metrics-fill.ts';
import { writeMetricColumns } from '../../src/columnar/metrics-write.ts';
import { fillSpans, SpanColumns } from '../../src/columnar/spans-fill.ts';
import { writeSpanColumns } from '../../src/columnar/spans-write.ts';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { decodeRequest } from '../../src/otlp/codec.ts';
import type { Signal } from '../../src/otlp/types.ts';
import { renderLogs } from '../../src/tables/render/logs.ts';
import { renderMetrics } from '../../src/tables/render/metrics.ts';
import { renderSpans } from '../../src/tables/render/spans.ts';
import { harness, tempDir } from './differential.ts';

const RENDER = { logs: renderLogs, metrics: renderMetrics, traces: renderSpans } as const;

/** The three harnesses, with a DuckDB and folder opened before and closed after the file's tests. */
export function harnesses() {
  let db: Db;
  let dir: string;
  beforeAll(async () => {
    db = await openDuckDb({ threads: 1 });
    dir = await tempDir('columnar-merged-');
  });
  afterAll(async () => {
    db.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });
  const common = { db: () => db, dir: () => dir };
  const logs = harness(
    { kind: 'logs', signal: 'logs', render: renderLogs as never, newColumns: () => new LogColumns(), fill: fillLogs, write: writeLogColumns, rows: (c) => c.rows },
    common.db,
    common.dir,
  );
  const metrics = harness(
    { kind: 'metrics', signal: 'metrics', render: renderMetrics as never, newColumns: () => new MetricColumns(), fill: fillMetrics, write: writeMetricColumns, rows: (c) => c.rows },
    common.db,
    common.dir,
  );
  const traces = harness(
    { kind: 'spans', signal: 'traces', render: renderSpans as never, newColumns: () => new SpanColumns(), fill: fillSpans, write: writeSpanColumns, rows: (c) => c.rows },
    common.db,
    common.dir,
  );
  return { logs, metrics, traces };
}

/** The reference's NDJSON and rejections for one protobuf body. */
export function referenceOf(signal: Signal, body: Uint8Array): { ndjson: string; rejected: number; reasons: string[] } {
  const res = RENDER[signal](decodeRequest(signal, body, 'protobuf') as never);
  return { ndjson: res.ndjson?.toString() ?? '', rejected: res.rejected, reasons: res.rejectReasons };
}

/** The reference reads `split` as it reads `whole`: the split is a faithful merge. */
export function expectSameMeaning(signal: Signal, split: Uint8Array, whole: Uint8Array): void {
  expect(referenceOf(signal, split)).toEqual(referenceOf(signal, whole));
}

export const kv = (key: string, value: object) => ({ key, value });
export const str = (s: string) => ({ stringValue: s });
export const int = (n: number) => ({ intValue: n });
