import { describe, expect, it } from 'vitest';
import type { ExportLogsServiceRequest, LogRecord } from '../../src/otlp/types.ts';
import { flattenLogs } from '../../src/tables/flatten-logs.ts';
import { arr, bool, bytes, dbl, expectRowsMatchSchema, int, kv, kvl, long, MAX_I64, res, scope, str } from './support.ts';

function record(extra: Partial<LogRecord>): LogRecord {
  return {
    timeUnixNano: long(0n),
    observedTimeUnixNano: long(0n),
    severityNumber: 0,
    severityText: '',
    body: null,
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: new Uint8Array(0),
    spanId: new Uint8Array(0),
    eventName: '',
    ...extra,
  };
}

function request(...logRecords: LogRecord[]): ExportLogsServiceRequest {
  return {
    resourceLogs: [
      {
        resource: res(kv('service.name', str('codex_exec'))),
        schemaUrl: '',
        scopeLogs: [{ scope: scope('codex_otel.log_only'), schemaUrl: 'https://example.test/logs', logRecords }],
      },
    ],
  };
}

describe('flattenLogs', () => {
  it('keeps a Codex-style record as sent: zero time, NULL body, source location as event_name', () => {
    const out = flattenLogs(
      request(
        record({
          observedTimeUnixNano: long(1795235892577586595n),
          severityNumber: 5,
          severityText: 'DEBUG',
          eventName: 'event otel/src/metrics/client.rs:324',
        }),
      ),
    );
    expectRowsMatchSchema(out.rows, 'logs');
    expect(out.rejected).toBe(0);
    expect(out.rows[0]).toEqual({
      event_name: 'event otel/src/metrics/client.rs:324',
      trace_id: null,
      span_id: null,
      time_unix_nano: 0n,
      observed_time_unix_nano: 1795235892577586595n,
      severity_number: 'SEVERITY_NUMBER_DEBUG',
      severity_text: 'DEBUG',
      body: null,
      attributes: new Map(),
      dropped_attributes_count: 0,
      flags: 0,
      resource: { attributes: new Map([['service.name', 'codex_exec']]), dropped_attributes_count: 0 },
      resource_schema_url: '',
      instrumentation_scope: { name: 'codex_otel.log_only', version: '', attributes: new Map(), dropped_attributes_count: 0 },
      log_schema_url: 'https://example.test/logs',
    });
  });

  it('writes ids as hex, keeps nanosecond times exact and names the severity', () => {
    const row = flattenLogs(
      request(
        record({
          traceId: bytes('5b8efff798038103d269b633813fc60c'),
          spanId: bytes('eee19b7ec3c1b174'),
          timeUnixNano: long(MAX_I64),
          observedTimeUnixNano: long(MAX_I64, true),
          severityNumber: 9,
          flags: 1,
          droppedAttributesCount: 3,
          attributes: [kv('a.int', int(long(123n))), kv('a.null', {})],
        }),
      ),
    ).rows[0]!;
    expect(row).toMatchObject({
      trace_id: '5b8efff798038103d269b633813fc60c',
      span_id: 'eee19b7ec3c1b174',
      time_unix_nano: MAX_I64,
      observed_time_unix_nano: MAX_I64,
      severity_number: 'SEVERITY_NUMBER_INFO',
      flags: 1,
      dropped_attributes_count: 3,
    });
    expect(row.attributes).toEqual(new Map([['a.int', '123'], ['a.null', null]]));
  });

  it('keeps a string body as it is and renders other bodies like attribute values', () => {
    const bodies = [
      str('plain string body'),
      str(''),
      kvl(kv('message', str('structured')), kv('count', int(long(3n))), kv('tags', arr(str('a'), str('b')))),
      arr(str('array'), int(long(42n))),
      int(long(42n)),
      dbl(2.5),
      bool(true),
      { bytesValue: bytes('cafe'), value: 'bytesValue' as const },
      {},
      null,
    ];
    const rows = flattenLogs(request(...bodies.map((body) => record({ body })))).rows;
    expect(rows.map((r) => r.body)).toEqual([
      'plain string body',
      '',
      '{"message":"structured","count":3,"tags":["a","b"]}',
      '["array",42]',
      '42',
      '2.5',
      'true',
      'yv4=',
      null,
      null,
    ]);
  });

  it('names unknown severities by number and keeps the unspecified name', () => {
    const rows = flattenLogs(request(record({ severityNumber: 0 }), record({ severityNumber: 99 }))).rows;
    expect(rows.map((r) => r.severity_number)).toEqual(['SEVERITY_NUMBER_UNSPECIFIED', '99']);
  });

  it('shares resource and scope structs across the records of a scope', () => {
    const rows = flattenLogs(request(record({}), record({}))).rows;
    expect(rows[1]!.resource).toBe(rows[0]!.resource);
    expect(rows[1]!.instrumentation_scope).toBe(rows[0]!.instrumentation_scope);
  });
});
