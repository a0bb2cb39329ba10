// End to end: log records emitted with the OTel JS SDK and sent by its OTLP exporters land as exact otel_logs rows.
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber, type Logger } from '@opentelemetry/api-logs';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordExporter,
  type LogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { startTestService } from '../support/service.ts';
import {
  driveSdk,
  expectExportsSucceeded,
  exportHeaders,
  GZIP,
  hrNanos,
  onlyRow,
  recordExports,
  RESOURCE_SCHEMA,
  SCOPE_SCHEMA,
  stopAndReadRows,
  strMap,
  type Row,
} from './sdk-support.ts';

const TABLE = 'main.tel.x_otel_logs';
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
/** A time whose nanoseconds only survive if nothing on the way goes through a double. */
const EXACT_TIME: [number, number] = [1795235805, 706123456];

const resource = resourceFromAttributes(
  { 'service.name': 'coding-agent', 'service.instance.id': 'i-1', 'process.pid': 4242 },
  { schemaUrl: RESOURCE_SCHEMA },
);
const RESOURCE_ROW = {
  attributes: strMap({ 'service.name': 'coding-agent', 'service.instance.id': 'i-1', 'process.pid': '4242' }),
  dropped_attributes_count: 0,
};
const SCOPE_ROW = {
  name: 'agent.logs', version: '0.9.1', attributes: strMap({ 'scope.origin': 'cli' }), dropped_attributes_count: 0,
};

type Setup = [label: string, make: (url: string) => { exporter: LogRecordExporter; processor: LogRecordProcessor }];

const SETUPS: Setup[] = [
  ['protobuf, simple processor', (url) => {
    const exporter = new ProtoLogExporter({ url: `${url}/api/2.0/otel/v1/logs`, headers: exportHeaders(TABLE) });
    return { exporter, processor: new SimpleLogRecordProcessor({ exporter }) };
  }],
  ['gzip-compressed protobuf, batch processor', (url) => {
    const exporter = new ProtoLogExporter({ url: `${url}/api/2.0/otel/v1/logs`, headers: exportHeaders(TABLE), compression: GZIP });
    return { exporter, processor: new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 3_600_000 }) };
  }],
  ['JSON, batch processor', (url) => {
    const exporter = new JsonLogExporter({ url: `${url}/v1/logs`, headers: exportHeaders(TABLE) });
    return { exporter, processor: new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 3_600_000 }) };
  }],
];

/** The records an agent typically writes, one of each shape the mapping treats differently. */
function emitRecords(logger: Logger): void {
  logger.emit({
    eventName: 'agent.user_prompt',
    timestamp: EXACT_TIME,
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: 'user prompt submitted',
    attributes: {
      'prompt.length': 42, 'prompt.ratio': 1.5, 'prompt.cached': false, 'user.id': 'u-7',
      'tool.names': ['Bash', 'Edit'], 'tool.counts': [1, 2], 'blob': new Uint8Array([0, 1, 2, 250, 255]),
      'nested': { depth: 2, path: ['a', 'b'], ok: true },
    },
  });
  logger.emit({
    eventName: 'agent.tool_result',
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: { tool: 'Bash', args: { cmd: 'ls -la', timeout: 2.5 }, exit: [0, 'ok', true, null] },
    attributes: { 'duration.ms': 17 },
  });
  const spanCtx = trace.setSpanContext(context.active(), {
    traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: false,
  });
  logger.emit({ eventName: 'agent.in_span', context: spanCtx });
}

/** The row each emitted record must become, per docs/mapping.md; times come from what the SDK exported. */
function expectedRow(rec: ReadableLogRecord): Row {
  const common = {
    time_unix_nano: hrNanos(rec.hrTime),
    observed_time_unix_nano: hrNanos(rec.hrTimeObserved),
    dropped_attributes_count: 0,
    resource: RESOURCE_ROW,
    resource_schema_url: RESOURCE_SCHEMA,
    instrumentation_scope: SCOPE_ROW,
    log_schema_url: SCOPE_SCHEMA,
  };
  switch (rec.eventName) {
    case 'agent.user_prompt':
      return {
        ...common, event_name: rec.eventName, trace_id: null, span_id: null,
        severity_number: 'SEVERITY_NUMBER_INFO', severity_text: 'INFO', body: 'user prompt submitted',
        attributes: strMap({
          'prompt.length': '42', 'prompt.ratio': '1.5', 'prompt.cached': 'false', 'user.id': 'u-7',
          'tool.names': '["Bash","Edit"]', 'tool.counts': '[1,2]', 'blob': 'AAEC+v8=',
          'nested': '{"depth":2,"path":["a","b"],"ok":true}',
        }),
        flags: 0,
      };
    case 'agent.tool_result':
      return {
        ...common, event_name: rec.eventName, trace_id: null, span_id: null,
        severity_number: 'SEVERITY_NUMBER_WARN', severity_text: 'WARN',
        body: '{"tool":"Bash","args":{"cmd":"ls -la","timeout":2.5},"exit":[0,"ok",true,null]}',
        attributes: strMap({ 'duration.ms': '17' }),
        flags: 0,
      };
    case 'agent.in_span':
      return {
        ...common, event_name: rec.eventName, trace_id: TRACE_ID, span_id: SPAN_ID,
        severity_number: 'SEVERITY_NUMBER_UNSPECIFIED', severity_text: '', body: null,
        attributes: new Map(),
        flags: TraceFlags.SAMPLED,
      };
    default:
      throw new Error(`unexpected record ${String(rec.eventName)}`);
  }
}

describe('OTel JS SDK logs through the OTLP exporters', () => {
  it.each(SETUPS)('land as one exact row per record (%s)', async (_label, make) => {
    const svc = await startTestService();
    try {
      await svc.createTable(TABLE, 'logs');
      const { exporter, processor } = make(svc.url);
      const exports = recordExports(exporter);
      const provider = new LoggerProvider({ resource, processors: [processor] });
      const run = await driveSdk(async () => {
        emitRecords(provider.getLogger('agent.logs', '0.9.1', { schemaUrl: SCOPE_SCHEMA, attributes: { 'scope.origin': 'cli' } }));
        await provider.forceFlush();
        await provider.shutdown();
      });
      expectExportsSucceeded(exports, svc, run);
      const exported = exports.batches.flat();
      expect(exported).toHaveLength(3);

      const rows = await stopAndReadRows(svc, TABLE, 'logs');
      expect(rows).toHaveLength(3);
      for (const rec of exported) {
        const row = onlyRow(rows, (r) => r.event_name === rec.eventName, String(rec.eventName));
        expect(row).toEqual(expectedRow(rec));
      }

      const timed = onlyRow(rows, (r) => r.event_name === 'agent.user_prompt', 'the timed record');
      expect(timed.time_unix_nano).toBe(1795235805706123456n);
      for (const row of rows) {
        expect(row.observed_time_unix_nano as bigint).toBeGreaterThan(2n ** 53n);
        const id = row.trace_id as string | null;
        if (id !== null) expect(id).toMatch(/^[0-9a-f]{32}$/);
      }
    } finally {
      await svc.stop();
    }
  }, 20_000);
});
