// Counting records from the protobuf wire before decoding: the count agrees
// with what decoding and rendering produce, stops at the cap, and leaves a
// body it cannot read to the decoder.
import { describe, expect, it } from 'vitest';
import { SIGNALS } from '../../src/ingest/signals.ts';
import { decodeRequest } from '../../src/otlp/codec.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import type { Signal } from '../../src/otlp/types.ts';
import { recordsOverCap } from '../../src/tables/record-count.ts';

type Obj = Record<string, unknown>;

function encode(signal: Signal, req: Obj): Uint8Array {
  const t = SIGNAL_TYPES[signal].request;
  return t.encode(t.fromObject(req)).finish();
}

/** Rows plus rejected records after decoding: what the wire count must not undercount. */
function decodedRecords(signal: Signal, body: Uint8Array): number {
  const out = (SIGNALS[signal].render as (r: unknown) => { rows: number; rejected: number })(decodeRequest(signal, body, 'protobuf'));
  return out.rows;
}

const attrs = [{ key: 'k', value: { stringValue: 'v' } }];
const REQUESTS: [Signal, Obj][] = [
  ['logs', { resourceLogs: [{ resource: { attributes: attrs }, scopeLogs: [{ logRecords: [{}, { body: { stringValue: 'x' } }] }, { logRecords: [{}] }] }, { scopeLogs: [] }] }],
  ['traces', { resourceSpans: [{ scopeSpans: [{ scope: { name: 's' }, spans: [{ name: 'a', events: [{ name: 'e' }] }, {}] }] }, { scopeSpans: [{ spans: [{}] }] }] }],
  [
    'metrics',
    {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: 'g', gauge: { dataPoints: [{ asDouble: 1 }, { asInt: 2 }] } },
                { name: 's', sum: { dataPoints: [{ asDouble: 1 }] } },
                { name: 'h', histogram: { dataPoints: [{ count: 1 }, {}, {}] } },
                { name: 'e', exponentialHistogram: { dataPoints: [{}] } },
                { name: 'q', summary: { dataPoints: [{}, {}] } },
                { name: 'none' },
              ],
            },
          ],
        },
      ],
    },
  ],
];

function lengthBytes(n: number): number[] {
  const out: number[] = [];
  for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
  out.push(n);
  return out;
}

describe('recordsOverCap', () => {
  it.each(REQUESTS)('%s: counts exactly the rows decoding and rendering produce', (signal, req) => {
    const body = encode(signal, req);
    const rows = decodedRecords(signal, body);
    expect(rows).toBeGreaterThan(2);
    expect(recordsOverCap(signal, body, rows)).toBe(false);
    expect(recordsOverCap(signal, body, rows - 1)).toBe(true);
  });

  it('counts only the data member decoding keeps when a metric sends two', () => {
    const gauge = Buffer.from(encode('metrics', { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ gauge: { dataPoints: [{}, {}, {}] } }] }] }] }));
    // The same metric with a sum of one point appended: decoding keeps the later member only.
    const sumField = Buffer.from([0x3a, 0x02, 0x0a, 0x00]);
    const metric = Buffer.concat([Buffer.from([0x12, gauge[5]! + sumField.length]), gauge.subarray(6), sumField]);
    const scope = Buffer.concat([Buffer.from([0x12, metric.length]), metric]);
    const body = Buffer.concat([Buffer.from([0x0a, scope.length]), scope]);
    expect(decodedRecords('metrics', body)).toBe(1);
    expect(recordsOverCap('metrics', body, 1)).toBe(false);
    expect(recordsOverCap('metrics', body, 0)).toBe(true);
  });

  it('stops reading at the cap, and leaves a body it cannot read to the decoder', () => {
    const scopeOf = (content: Buffer): Buffer => {
      const scope = Buffer.concat([Buffer.from([0x12, ...lengthBytes(content.length)]), content]);
      return Buffer.concat([Buffer.from([0x0a, ...lengthBytes(scope.length)]), scope]);
    };
    const empties = (n: number): Buffer => Buffer.from(Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? 0x12 : 0)));
    // Unreadable bytes (wire type 3, a group) after the record past the cap are never reached.
    const garbageAfter = scopeOf(Buffer.concat([empties(1001), Buffer.from([0x0b, 0xff])]));
    expect(recordsOverCap('logs', garbageAfter, 1000)).toBe(true);
    expect(recordsOverCap('logs', garbageAfter, 2000)).toBe(false);
    expect(recordsOverCap('logs', Buffer.from([0x0a, 0x05, 0x12]), 0)).toBe(false);
    expect(recordsOverCap('logs', Buffer.from([0x0b]), 0)).toBe(false);
    expect(recordsOverCap('logs', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 0)).toBe(false);
  });
});
