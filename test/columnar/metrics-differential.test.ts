// The columnar metrics path against the reference (decode with protobufjs,
// render NDJSON, DuckDB read_ndjson COPY, stats read back from the file):
// the same rows value for value, the same stats JSON, the same rejections.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { collectorRequests } from '../../bench/lib/collector-batches.ts';
import { MetricColumns, fillMetrics } from '../../src/columnar/metrics-fill.ts';
import { loadCaptures } from '../support/fixtures.ts';
import { harnesses, type Input } from './differential.ts';
import { randomMetricsRequest } from './random-metrics.ts';
import { rng } from './random-logs.ts';

const signals = harnesses('columnar-metrics-');
const h = signals.metrics;

// Recorded bodies are kept as sent, some gzip-compressed.
const captures = () =>
  loadCaptures()
    .filter((c) => c.signal === 'metrics')
    .map((c) => (c.body[0] === 0x1f && c.body[1] === 0x8b ? { ...c, body: new Uint8Array(gunzipSync(c.body)) } : c));
const isJson = (c: { headers: Record<string, string> }) => (c.headers['content-type'] ?? '').includes('json');

describe('columnar metrics path equals the reference', () => {
  it('on every recorded client metrics export (JSON ones as the protobuf they become)', async () => {
    expect(captures().length).toBeGreaterThan(0);
    let rows = 0;
    for (const c of captures()) rows += await h.expectSame([isJson(c) ? { json: c.body } : c.body]);
    expect(rows).toBeGreaterThan(0);
  });

  it("reproduces the golden corpus's metric rows, run by run, with the corpus's own Parquet reader", async () => {
    const runs = new Map<string, { table: string; input: Input }[]>();
    for (const c of captures()) {
      const table = c.headers['x-databricks-uc-table-name'];
      if (table === undefined) continue;
      const key = `${c.client}/${c.run}`;
      runs.set(key, [...(runs.get(key) ?? []), { table, input: isJson(c) ? { json: c.body } : c.body }]);
    }
    expect(runs.size).toBeGreaterThan(3);
    const { checked, golden } = await h.goldenRows(runs);
    // Every golden metric row, no more and no fewer.
    expect(checked).toBe(golden);
    expect(checked).toBeGreaterThan(40);
  });

  it('on all recorded protobuf exports written as one file', async () => {
    const bodies = captures()
      .filter((c) => !isJson(c))
      .map((c) => c.body);
    expect(await h.expectSame(bodies)).toBeGreaterThan(0);
  });

  it('on Collector-size batches spanning several data chunks', async () => {
    const bodies = collectorRequests('metrics', 2, 2500).map((r) => r.body);
    expect(await h.expectSame(bodies)).toBe(5000);
  });

  it('on 300 seeded random requests, 30 per file', async () => {
    const r = rng(20261203);
    let rows = 0;
    for (let f = 0; f < 10; f++) {
      const bodies = Array.from({ length: 30 }, () => h.protoOf(randomMetricsRequest(r)));
      rows += await h.expectSame(bodies);
    }
    expect(rows).toBeGreaterThan(1000);
  });

  it('rejects a point with a repeated attribute key, and a metric without data, keeping the neighbours', async () => {
    const kv = (key: string, v: string) => ({ key, value: { stringValue: v } });
    const body = h.protoOf({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: 'g', gauge: { dataPoints: [{ asInt: 1 }, { asInt: 2, attributes: [kv('a', '1'), kv('a', '2')] }, { asInt: 3 }] } },
                { name: 'nothing' },
                { name: 'bad-meta', metadata: [kv('m', '1'), kv('m', '2')], sum: { dataPoints: [{ asDouble: 1 }, { asDouble: 2 }] } },
              ],
            },
          ],
        },
      ],
    });
    const c = new MetricColumns();
    fillMetrics(c, body);
    expect(c.rows).toBe(2);
    expect(c.rejections.rejected).toBe(4);
    expect(c.rejections.rejectReasons).toHaveLength(3);
    await h.expectSame([body]);
  });

  it('keeps the data member that comes last on the wire, as decoding does', async () => {
    const body = h.protoOf({
      resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'both', summary: { dataPoints: [{ count: 3 }] }, histogram: { dataPoints: [{ count: 1 }, { count: 2 }] } }] }] }],
    });
    expect(await h.expectSame([body])).toBe(1);
  });
});
