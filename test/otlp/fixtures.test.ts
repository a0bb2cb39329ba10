// Decoding every real-client capture under test/fixtures/real-clients against its readable rendering.
import { REAL_CLIENTS_DIR } from '../support/paths.ts';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeRequest } from '../../src/otlp/codec.ts';
import { toInt64 } from '../../src/otlp/int64.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import type { ExportRequest, Signal, WireEncoding } from '../../src/otlp/types.ts';
import { canonical } from './canonical.ts';

const ROOT = REAL_CLIENTS_DIR;

type Capture = {
  name: string;
  signal: Signal;
  encoding: WireEncoding;
  body: Uint8Array;
  rendering: { signal: string; wireFormat: string; request: Record<string, unknown> };
};

const SIGNALS: Record<string, Signal> = { metrics: 'metrics', logs: 'logs', traces: 'traces' };

function loadCaptures(): Capture[] {
  const out: Capture[] = [];
  for (const client of readdirSync(ROOT).sort()) {
    for (const run of readdirSync(path.join(ROOT, client)).sort()) {
      const dir = path.join(ROOT, client, run);
      for (const file of readdirSync(dir).filter((f) => /^\d{4}\.meta\.json$/.test(f)).sort()) {
        const seq = file.slice(0, 4);
        const meta = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
        const headers = meta.headers as Record<string, string>;
        const signal = SIGNALS[String(meta.path).split('/').pop() ?? ''];
        if (signal === undefined) throw new Error(`${dir}/${file}: no signal in path ${meta.path}`);
        let body: Uint8Array = readFileSync(path.join(dir, `${seq}.body.bin`));
        if (headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const type = headers['content-type'] ?? '';
        const encoding: WireEncoding = type.startsWith('application/json') ? 'json' : 'protobuf';
        if (encoding === 'protobuf') expect(type).toMatch(/^application\/x-protobuf/);
        const rendering = JSON.parse(readFileSync(path.join(dir, `${seq}.decoded.json`), 'utf8'));
        out.push({ name: `${client}/${run}/${seq}`, signal, encoding, body, rendering });
      }
    }
  }
  return out;
}

const captures = existsSync(ROOT) ? loadCaptures() : [];

type Counts = { resources: number; scopes: number; items: number };

/** Resources, scopes and records (log records, spans, or data points of every metric kind). */
function counts(signal: Signal, req: ExportRequest[Signal] | Record<string, any>): Counts {
  const r = req as any;
  const resources: any[] = r.resourceMetrics ?? r.resourceLogs ?? r.resourceSpans ?? [];
  const scopes = resources.flatMap((x) => x.scopeMetrics ?? x.scopeLogs ?? x.scopeSpans ?? []);
  let items = 0;
  for (const s of scopes) {
    if (signal === 'logs') items += (s.logRecords ?? []).length;
    else if (signal === 'traces') items += (s.spans ?? []).length;
    else {
      for (const m of s.metrics ?? []) {
        const data = m.gauge ?? m.sum ?? m.histogram ?? m.exponentialHistogram ?? m.summary;
        items += (data?.dataPoints ?? []).length;
      }
    }
  }
  return { resources: resources.length, scopes: scopes.length, items };
}

describe('real-client captures', () => {
  it('are present', () => {
    expect(captures.length).toBeGreaterThanOrEqual(20);
    expect(new Set(captures.map((c) => c.signal))).toEqual(new Set(['metrics', 'logs', 'traces']));
    expect(new Set(captures.map((c) => c.encoding))).toEqual(new Set(['json', 'protobuf']));
  });

  describe.each(captures.map((c) => [c.name, c] as const))('%s', (_name, capture) => {
    // Decoded once, lazily, so that a failure shows up as a failing test rather than a collection error.
    let cached: ExportRequest[Signal] | undefined;
    const decoded = (): ExportRequest[Signal] => (cached ??= decodeRequest(capture.signal, capture.body, capture.encoding));

    it('matches the capture metadata', () => {
      expect(capture.rendering.signal).toBe(capture.signal);
      expect(capture.rendering.wireFormat).toBe(capture.encoding);
    });

    it('has the same resources, scopes and records', () => {
      const got = counts(capture.signal, decoded());
      expect(got).toEqual(counts(capture.signal, capture.rendering.request));
      expect(got.items).toBeGreaterThan(0);
    });

    it('equals the rendering field for field', () => {
      const type = SIGNAL_TYPES[capture.signal].request;
      expect(canonical(type, decoded() as never, false)).toEqual(canonical(type, capture.rendering.request, true));
    });

    // Renderings of protobuf captures are near-OTLP/JSON with enum names and
    // explicit oneof discriminators: a good second input for the JSON path.
    it('decodes the same from its rendering read as OTLP/JSON', () => {
      const type = SIGNAL_TYPES[capture.signal].request;
      const json = new TextEncoder().encode(JSON.stringify(capture.rendering.request));
      const again = decodeRequest(capture.signal, json, 'json');
      expect(canonical(type, again as never, false)).toEqual(canonical(type, decoded() as never, false));
    });
  });
});

const find = (name: string): Capture => {
  const c = captures.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no capture ${name}`);
  return c;
};

describe('spot checks on real captures', () => {
  it('keeps nanosecond timestamps exact (codex, JSON int64 strings)', () => {
    const c = find('codex/json-basic/0004');
    const m = decodeRequest('metrics', c.body, 'json');
    const ref = (c.rendering.request as any).resourceMetrics[0].scopeMetrics[0].metrics[0];
    const got = m.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!;
    expect(got.data).toBe('sum');
    const point = got.sum!.dataPoints[0]!;
    expect(toInt64(point.timeUnixNano).toString()).toBe(ref.sum.dataPoints[0].timeUnixNano);
    expect(toInt64(point.startTimeUnixNano).toString()).toBe(ref.sum.dataPoints[0].startTimeUnixNano);
  });

  it('reads observed time when time is 0, and source-location event names (codex protobuf logs)', () => {
    const c = find('codex/proto-basic/0004');
    const logs = decodeRequest('logs', c.body, 'protobuf');
    const records = logs.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords));
    const refRecords = (c.rendering.request as any).resourceLogs.flatMap((r: any) =>
      r.scopeLogs.flatMap((s: any) => s.logRecords),
    );
    expect(records.length).toBe(refRecords.length);
    records.forEach((rec, i) => {
      expect(toInt64(rec.observedTimeUnixNano).toString()).toBe(refRecords[i].observedTimeUnixNano);
      expect(toInt64(rec.timeUnixNano).toString()).toBe(refRecords[i].timeUnixNano ?? '0');
      expect(rec.eventName).toBe(refRecords[i].eventName ?? '');
    });
    expect(records.some((r) => toInt64(r.timeUnixNano) === 0n)).toBe(true);
  });

  it('gives "body": null and empty ids as null body and empty bytes (codex JSON logs)', () => {
    const logs = decodeRequest('logs', find('codex/json-basic/0003').body, 'json');
    const rec = logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(rec.body ?? null).toBeNull();
    expect(rec.traceId.length).toBe(0);
    expect(rec.spanId.length).toBe(0);
  });

  it('turns hex span and trace ids into bytes (gemini traces)', () => {
    const c = find('gemini-cli/http-basic/0003');
    const traces = decodeRequest('traces', c.body, 'json');
    const span = traces.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    const ref = (c.rendering.request as any).resourceSpans[0].scopeSpans[0].spans[0];
    expect(span.traceId.length).toBe(16);
    expect(span.spanId.length).toBe(8);
    expect(Buffer.from(span.traceId).toString('hex')).toBe(ref.traceId.toLowerCase());
    expect(Buffer.from(span.spanId).toString('hex')).toBe(ref.spanId.toLowerCase());
  });

  it('leaves 16-digit numbers inside string values alone (gemini logs)', () => {
    const c = find('gemini-cli/http-basic/0004');
    const text = Buffer.from(c.body).toString('utf8');
    expect(text).toContain('1795235881805498');
    const logs = decodeRequest('logs', c.body, 'json');
    const strings = logs.resourceLogs.flatMap((r) =>
      r.scopeLogs.flatMap((s) => s.logRecords.flatMap((l) => l.attributes.map((a) => a.value?.stringValue ?? ''))),
    );
    expect(strings.some((s) => s.includes('"start_time_usec":1795235881805498'))).toBe(true);
  });

  it('decodes every AnyValue kind with its discriminator (otel-js-sdk protobuf logs)', () => {
    const logs = decodeRequest('logs', find('otel-js-sdk/synthetic-proto/0009').body, 'protobuf');
    const attrs = logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.attributes;
    const kinds = Object.fromEntries(attrs.map((a) => [a.key, a.value?.value ?? null]));
    expect(kinds).toMatchObject({
      'a.string': 'stringValue',
      'a.int': 'intValue',
      'a.double': 'doubleValue',
      'a.bool': 'boolValue',
      'a.kvlist': 'kvlistValue',
      'a.bytes': 'bytesValue',
      'a.empty_string': 'stringValue',
      'a.null': null,
    });
    const bytes = attrs.find((a) => a.key === 'a.bytes')!.value!.bytesValue!;
    expect(Buffer.from(bytes).toString('hex')).toBe('deadbeef');
    // Unset members read null, not the proto3 default.
    expect(attrs.find((a) => a.key === 'a.int')!.value!.stringValue).toBeNull();
  });

  it('decodes every metric kind (otel-js-sdk protobuf metrics, gzip)', () => {
    const kinds = new Set<string>();
    for (const c of captures.filter((x) => x.name.startsWith('otel-js-sdk/') && x.signal === 'metrics')) {
      const m = decodeRequest('metrics', c.body, 'protobuf');
      for (const r of m.resourceMetrics) for (const s of r.scopeMetrics) for (const x of s.metrics) kinds.add(x.data!);
    }
    expect(kinds).toEqual(new Set(['sum', 'gauge', 'histogram', 'exponentialHistogram']));
  });
});
