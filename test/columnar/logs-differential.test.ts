// The columnar logs path against the reference (decode with protobufjs,
// render NDJSON, DuckDB read_ndjson COPY, stats read back from the file):
// the same rows value for value, the same stats JSON, the same rejections.
import { describe, expect, it } from 'vitest';
import { collectorRequests } from '../../bench/lib/collector-batches.ts';
import { LogColumns, fillLogs } from '../../src/columnar/logs-fill.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { harnesses, type Input } from './differential.ts';
import { loadCaptures } from '../support/fixtures.ts';
import { randomLogsRequest, rng } from './random-logs.ts';

const h = harnesses('columnar-logs-').logs;

describe('columnar logs path equals the reference', () => {
  it('on every recorded client logs export (JSON ones as the protobuf they become)', async () => {
    const captures = loadCaptures().filter((c) => c.signal === 'logs');
    expect(captures.length).toBeGreaterThan(0);
    let rows = 0;
    for (const c of captures) {
      const json = (c.headers['content-type'] ?? '').includes('json');
      rows += await h.expectSame([json ? { json: c.body } : c.body]);
    }
    expect(rows).toBeGreaterThan(0);
  });

  it("reproduces the golden corpus's log rows, run by run, with the corpus's own Parquet reader", async () => {
    const runs = new Map<string, { table: string; input: Input }[]>();
    for (const c of loadCaptures().filter((x) => x.signal === 'logs')) {
      const table = c.headers['x-databricks-uc-table-name'];
      if (table === undefined) continue;
      const json = (c.headers['content-type'] ?? '').includes('json');
      const key = `${c.client}/${c.run}`;
      runs.set(key, [...(runs.get(key) ?? []), { table, input: json ? { json: c.body } : c.body }]);
    }
    expect(runs.size).toBeGreaterThan(3);
    const { checked, golden } = await h.goldenRows(runs);
    // Every golden log row, no more and no fewer.
    expect(checked).toBe(golden);
    expect(checked).toBeGreaterThan(40);
  });

  it('on all recorded exports of one run written as one file', async () => {
    const bodies = loadCaptures()
      .filter((c) => c.signal === 'logs' && !(c.headers['content-type'] ?? '').includes('json'))
      .map((c) => c.body);
    expect(await h.expectSame(bodies)).toBeGreaterThan(0);
  });

  it('on Collector-size batches spanning several data chunks', async () => {
    const bodies = collectorRequests('logs', 2, 2000).map((r) => r.body);
    expect(await h.expectSame(bodies)).toBe(4000);
  });

  it('on 300 seeded random requests, 30 per file', async () => {
    const r = rng(20261202);
    let rows = 0;
    for (let f = 0; f < 10; f++) {
      const bodies = Array.from({ length: 30 }, () => h.protoOf(randomLogsRequest(r)));
      rows += await h.expectSame(bodies);
    }
    expect(rows).toBeGreaterThan(1000);
  });

  it('on JSON requests holding lone surrogates anywhere a string goes, staged as protobuf', async () => {
    // Strings protobufjs' writer encodes itself, code unit by code unit (see the next test for longer ones).
    const lone = ['\ud800', 'x\udbffy', '\udc00'.repeat(20), `${'a'.repeat(30)}\ud800`, '\ud800\udbff'];
    const bodies = lone.map((s, i) => {
      const str = { stringValue: s };
      const kv = (key: string) => ({ key, value: str });
      const request = {
        resourceLogs: [
          {
            resource: { attributes: [kv(s), kv(`r${i}`)] },
            schemaUrl: s,
            scopeLogs: [
              {
                scope: { name: s, version: s, attributes: [kv(s)] },
                schemaUrl: s,
                logRecords: [
                  {
                    eventName: s,
                    severityText: s,
                    body: { kvlistValue: { values: [kv(s), { key: 'list', value: { arrayValue: { values: [str, { kvlistValue: { values: [kv(s)] } }] } } }] } },
                    attributes: [kv(s), kv('plain')],
                  },
                  { body: str, attributes: [kv('k')] },
                ],
              },
            ],
          },
        ],
      };
      return { json: Buffer.from(JSON.stringify(request)) };
    });
    expect(await h.expectSame(bodies)).toBeGreaterThan(0);
  });

  it('cannot stage a long string with a lone surrogate through protobufjs: its writer replaces it', () => {
    // Long strings go through Buffer's UTF-8 encoder, which writes U+FFFD: the
    // reference would keep the escape in JSON text, so staging JSON requests
    // as protobuf needs an encoder that keeps such code units.
    const t = SIGNAL_TYPES.logs.request;
    const s = '\udc00'.repeat(40);
    const body = t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: s }] }] }] })).finish();
    expect(Buffer.from(body).includes(Buffer.from('\ufffd'))).toBe(true);
    const short = t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: '\udc00' }] }] }] })).finish();
    expect(Buffer.from(short).includes(Buffer.from([0xed, 0xb0, 0x80]))).toBe(true);
  });

  it('rejects a record with a repeated attribute key and keeps its neighbours', async () => {
    const body = h.protoOf({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                { eventName: 'kept-1' },
                { eventName: 'dropped', attributes: [{ key: 'a', value: { stringValue: '1' } }, { key: 'a', value: { stringValue: '2' } }] },
                { eventName: 'kept-2' },
              ],
            },
          ],
        },
      ],
    });
    const c = new LogColumns();
    fillLogs(c, body);
    expect(c.event_name.values).toEqual(['kept-1', 'kept-2']);
    expect(c.rejections.rejected).toBe(1);
    await h.expectSame([body]);
  });
});
