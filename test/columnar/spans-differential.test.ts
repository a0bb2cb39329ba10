// The columnar spans path against the reference (decode with protobufjs,
// render NDJSON, DuckDB read_ndjson COPY, stats read back from the file):
// the same rows value for value, the same stats JSON, the same rejections.
import { describe, expect, it } from 'vitest';
import { fillSpans, SpanColumns } from '../../src/columnar/spans-fill.ts';
import { SPAN_KIND } from '../../src/tables/enums.ts';
import { targetOf } from '../e2e/replay-all.ts';
import { loadCaptures } from '../support/fixtures.ts';
import { harnesses, type Input } from './differential.ts';
import { rng } from './random-logs.ts';
import { randomSpansRequest, spansBatch } from './random-spans.ts';

const signals = harnesses('columnar-spans-');
const h = signals.traces;

const isJson = (c: { headers: Record<string, string> }) => (c.headers['content-type'] ?? '').includes('json');
const captures = () => loadCaptures().filter((c) => c.signal === 'traces');
const inputOf = (c: ReturnType<typeof captures>[number]): Input => (isJson(c) ? { json: c.body } : c.body);

describe('columnar spans path equals the reference', () => {
  it('on every recorded client traces export (JSON ones as the protobuf they become)', async () => {
    expect(captures().length).toBeGreaterThan(0);
    let rows = 0;
    for (const c of captures()) rows += await h.expectSame([inputOf(c)]);
    expect(rows).toBeGreaterThan(0);
  });

  it("reproduces the golden corpus's span rows, run by run, with the corpus's own Parquet reader", async () => {
    const runs = new Map<string, { table: string; input: Input }[]>();
    for (const c of captures()) {
      const key = `${c.client}/${c.run}`;
      runs.set(key, [...(runs.get(key) ?? []), { table: targetOf(c).table, input: inputOf(c) }]);
    }
    const { checked, golden } = await h.goldenRows(runs);
    // Every golden span row, no more and no fewer.
    expect(checked).toBe(golden);
    expect(checked).toBeGreaterThan(0);
  });

  it('on the recorded exports and random protobuf requests written as one file', async () => {
    const r = rng(20261204);
    const bodies = [...captures().map(inputOf), ...Array.from({ length: 10 }, () => h.protoOf(randomSpansRequest(r)))];
    expect(await h.expectSame(bodies)).toBeGreaterThan(captures().length);
  });

  it('on Collector-size batches spanning several data chunks', async () => {
    const r = rng(7);
    const bodies = Array.from({ length: 3 }, () => h.protoOf(spansBatch(r, 2500)));
    expect(await h.expectSame(bodies)).toBe(7500);
  });

  it('on 300 seeded random requests, 30 per file', async () => {
    const r = rng(20261205);
    let rows = 0;
    for (let f = 0; f < 10; f++) {
      const bodies = Array.from({ length: 30 }, () => h.protoOf(randomSpansRequest(r)));
      rows += await h.expectSame(bodies);
    }
    expect(rows).toBeGreaterThan(1000);
  });

  it('is given random requests that reach every corner the generator claims', () => {
    const r = rng(20261205);
    const c = new SpanColumns();
    // Per request, as a batch keeps only the first few distinct reasons.
    const reasons = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const own = { rejected: 0, rejectReasons: [] as string[] };
      fillSpans(c, h.protoOf(randomSpansRequest(r)), own);
      for (const x of own.rejectReasons) reasons.add(x);
    }
    expect(new Set(c.kind.values)).toEqual(new Set([...SPAN_KIND, '6', '99', '-1']));
    const codes = new Set(c.status_code.values);
    for (const code of [null, 'STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR', '3', '-2']) expect(codes).toContain(code);
    expect(c.status_message.values.some((m, i) => m === '' && c.status_code.values[i] === 'STATUS_CODE_UNSET')).toBe(true);
    expect(c.events.time.length).toBeGreaterThan(100);
    expect(c.links.traceId.nulls).toBeGreaterThan(0);
    expect(c.links.traceId.length - c.links.traceId.nulls).toBeGreaterThan(0);
    expect([c.trace_id.nulls, c.span_id.nulls, c.parent_span_id.nulls].every((n) => n > 0 && n < c.rows)).toBe(true);
    expect([c.start_time_unix_nano.min, c.start_time_unix_nano.max]).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    const all = [...reasons].join('\n');
    for (const what of [' in attributes', ' in event attributes', ' in link attributes', ' in resource attributes', ' in scope attributes']) expect(all).toContain(what);
  });

  it('on JSON requests holding lone surrogates anywhere a string goes, staged as protobuf', async () => {
    const lone = ['\ud800', 'x\udbffy', '\udc00'.repeat(20), `${'a'.repeat(30)}\ud800`, '\ud800\udbff'];
    const bodies = lone.map((s, i) => {
      const str = { stringValue: s };
      const skv = (key: string) => ({ key, value: str });
      const request = {
        resourceSpans: [
          {
            resource: { attributes: [skv(s), skv(`r${i}`)] },
            schemaUrl: s,
            scopeSpans: [
              {
                scope: { name: s, version: s, attributes: [skv(s)] },
                schemaUrl: s,
                spans: [
                  {
                    name: s,
                    traceState: s,
                    attributes: [skv(s), { key: 'list', value: { arrayValue: { values: [str, { kvlistValue: { values: [skv(s)] } }] } } }],
                    events: [{ name: s, attributes: [skv(s)] }],
                    links: [{ traceState: s, attributes: [skv(s)] }],
                    status: { message: s, code: 2 },
                  },
                  { name: 'plain', attributes: [skv('k')] },
                ],
              },
            ],
          },
        ],
      };
      return { json: Buffer.from(JSON.stringify(request)) };
    });
    expect(await h.expectSame(bodies)).toBe(10);
  });
});

