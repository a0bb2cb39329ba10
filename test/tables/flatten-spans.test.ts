import { describe, expect, it } from 'vitest';
import type { ExportTraceServiceRequest, Span } from '../../src/otlp/types.ts';
import { flattenSpans } from '../../src/tables/flatten-spans.ts';
import type { Row } from '../../src/tables/row.ts';
import { bool, bytes, expectRowsMatchSchema, kv, long, MAX_I64, res, scope, str } from './support.ts';

const TRACE = '9573fe337a2bb4d0b8780cae55682b2e';

function span(extra: Partial<Span>): Span {
  return {
    traceId: bytes(TRACE),
    spanId: bytes('0bc9a8b8871adf82'),
    traceState: '',
    parentSpanId: new Uint8Array(0),
    flags: 257,
    name: 'llm_call',
    kind: 1,
    startTimeUnixNano: long(1795235882065000000n),
    endTimeUnixNano: long(1795235882092119600n),
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { message: '', code: 0 },
    ...extra,
  };
}

function request(...spans: Span[]): ExportTraceServiceRequest {
  return {
    resourceSpans: [
      {
        resource: res(kv('service.name', str('gemini-cli'))),
        schemaUrl: 'https://example.test/r',
        scopeSpans: [{ scope: scope('gemini-cli', 'v1'), schemaUrl: 'https://example.test/s', spans }],
      },
    ],
  };
}

describe('flattenSpans', () => {
  it('writes one row per span in schema order, with NULL for an empty parent id', () => {
    const out = flattenSpans(request(span({ attributes: [kv('gen_ai.request.model', str('m'))] })));
    expectRowsMatchSchema(out.rows, 'spans');
    expect(out.rejected).toBe(0);
    expect(out.rows[0]).toEqual({
      trace_id: TRACE,
      span_id: '0bc9a8b8871adf82',
      trace_state: '',
      parent_span_id: null,
      flags: 257,
      name: 'llm_call',
      kind: 'SPAN_KIND_INTERNAL',
      start_time_unix_nano: 1795235882065000000n,
      end_time_unix_nano: 1795235882092119600n,
      attributes: new Map([['gen_ai.request.model', 'm']]),
      dropped_attributes_count: 0,
      events: [],
      dropped_events_count: 0,
      links: [],
      dropped_links_count: 0,
      status: { message: '', code: 'STATUS_CODE_UNSET' },
      resource: { attributes: new Map([['service.name', 'gemini-cli']]), dropped_attributes_count: 0 },
      resource_schema_url: 'https://example.test/r',
      instrumentation_scope: { name: 'gemini-cli', version: 'v1', attributes: new Map(), dropped_attributes_count: 0 },
      span_schema_url: 'https://example.test/s',
    });
  });

  it('names every span kind and status code, numbers without a name as decimals', () => {
    const kinds = [0, 1, 2, 3, 4, 5, 6].map((kind) => span({ kind }));
    expect(flattenSpans(request(...kinds)).rows.map((r) => r.kind)).toEqual([
      'SPAN_KIND_UNSPECIFIED',
      'SPAN_KIND_INTERNAL',
      'SPAN_KIND_SERVER',
      'SPAN_KIND_CLIENT',
      'SPAN_KIND_PRODUCER',
      'SPAN_KIND_CONSUMER',
      '6',
    ]);
    const statuses = [0, 1, 2, 3].map((code) => span({ status: { message: code === 2 ? 'boom' : '', code } }));
    expect(flattenSpans(request(...statuses)).rows.map((r) => r.status)).toEqual([
      { message: '', code: 'STATUS_CODE_UNSET' },
      { message: '', code: 'STATUS_CODE_OK' },
      { message: 'boom', code: 'STATUS_CODE_ERROR' },
      { message: '', code: '3' },
    ]);
  });

  it('stores an absent status message as NULL', () => {
    const rows = flattenSpans(request(span({ status: null }), span({ status: undefined }))).rows;
    expectRowsMatchSchema(rows, 'spans');
    expect(rows.map((r) => r.status)).toEqual([null, null]);
  });

  it('flattens events and links with hex ids, exact times and signed flags', () => {
    const row = flattenSpans(
      request(
        span({
          parentSpanId: bytes('addd90813542f19b'),
          traceState: 'k=v',
          flags: 0xffffffff,
          endTimeUnixNano: long(MAX_I64),
          events: [{ timeUnixNano: long(MAX_I64), name: 'exception', attributes: [kv('handled', bool(false))], droppedAttributesCount: 2 }],
          droppedEventsCount: 1,
          links: [
            { traceId: bytes(TRACE), spanId: bytes('1111111111111111'), traceState: 'a=b', attributes: [], droppedAttributesCount: 0, flags: 1 },
            { traceId: new Uint8Array(0), spanId: new Uint8Array(0), traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 },
          ],
          droppedLinksCount: 4,
        }),
      ),
    ).rows[0]!;
    expectRowsMatchSchema([row], 'spans');
    expect(row).toMatchObject({ parent_span_id: 'addd90813542f19b', trace_state: 'k=v', flags: -1, end_time_unix_nano: MAX_I64 });
    expect(row.events).toEqual([
      { time_unix_nano: MAX_I64, name: 'exception', attributes: new Map([['handled', 'false']]), dropped_attributes_count: 2 },
    ]);
    expect(row.links).toEqual([
      { trace_id: TRACE, span_id: '1111111111111111', trace_state: 'a=b', attributes: new Map(), dropped_attributes_count: 0, flags: 1 },
      { trace_id: null, span_id: null, trace_state: '', attributes: new Map(), dropped_attributes_count: 0, flags: 0 },
    ]);
    expect([row.dropped_events_count, row.dropped_links_count]).toEqual([1, 4]);
  });

  it('shares the resource and scope structs across spans', () => {
    const [a, b] = flattenSpans(request(span({}), span({}))).rows as [Row, Row];
    expect(b.resource).toBe(a.resource);
    expect(b.instrumentation_scope).toBe(a.instrumentation_scope);
  });
});
