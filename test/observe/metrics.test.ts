// GET /metrics on a running service, scraped while real clients send: the OTel
// JS SDK's exporter, a recorded Claude Code request, bad requests and a SQL
// statement; every counter the README lists has to move with that traffic.
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_TABLE } from '../../src/access/audit-table.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { exportHeaders } from '../e2e/sdk-support.ts';
import { loadCaptures, replayCapture } from '../support/fixtures.ts';
import { startTestService, type TestService } from '../support/service.ts';

const LOGS = 'main.tel.sdk_otel_logs';
const METRICS = 'main.tel.claude_otel_metrics';
const RECORDS = 25;
let svc: TestService;

type Sample = { name: string; labels: Record<string, string>; value: number };

/** The text exposition format, as far as these checks need it (no escapes in our label values). */
function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(): Promise<{ samples: Sample[]; text: string; contentType: string | null }> {
  const res = await fetch(`${svc.url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { samples: parseExposition(text), text, contentType: res.headers.get('content-type') };
}

/** The value of the one sample of `name` whose labels include `labels` (0 when there is none). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return hits[0]?.value ?? 0;
}

async function sendSdkLogs(n: number): Promise<void> {
  const exporter = new OTLPLogExporter({ url: `${svc.url}/api/2.0/otel/v1/logs`, headers: exportHeaders(LOGS) });
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'metrics-test' }),
    processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 3_600_000 })],
  });
  const logger = provider.getLogger('metrics-test');
  for (let i = 0; i < n; i++) logger.emit({ body: `record ${i}`, attributes: { i } });
  await provider.forceFlush();
  await provider.shutdown();
}

beforeAll(async () => {
  svc = await startTestService({ flushIntervalMs: 100 });
  await svc.createTable(LOGS, 'logs');
  await svc.createTable(METRICS, 'metrics');
});

afterAll(async () => {
  await svc?.stop();
});

describe('GET /metrics', () => {
  it('counts requests, records, bytes, commits, lag and SQL as real traffic arrives', async () => {
    await sendSdkLogs(RECORDS);
    const claude = loadCaptures().find((c) => c.client === 'claude-code' && c.signal === 'metrics')!;
    const ok = await replayCapture(svc.url, claude, { 'x-databricks-uc-table-name': METRICS });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    const missing = await fetch(`${svc.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': 'main.tel.nope_otel_logs' }, body: '{}' });
    expect(missing.status).toBe(404);
    const text = await fetch(`${svc.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'text/plain', 'x-databricks-uc-table-name': LOGS }, body: 'hello' });
    expect(text.status).toBe(415);
    await svc.service.pipeline.flushTable(parseTableName(LOGS));
    await svc.service.pipeline.flushTable(parseTableName(METRICS));
    // The refusals above are audited; their rows count in the backlog until committed too.
    await svc.service.audit.durable();
    await svc.service.pipeline.flushTable(AUDIT_TABLE);
    const sql = await fetch(`${svc.url}/api/2.0/sql/statements`, { method: 'POST', body: JSON.stringify({ statement: `SELECT count(*) FROM ${LOGS}` }) });
    expect(sql.status).toBe(200);
    await sql.arrayBuffer();

    const { samples, text: body, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const logs = { table: LOGS, signal: 'logs' };
    expect(value(samples, 'otlp2delta_http_requests_total', { route: '/api/2.0/otel/v1/logs', status: '200', reason: '' })).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'otlp2delta_http_requests_total', { route: '/v1/logs', status: '404', reason: 'not_found' })).toBe(1);
    expect(value(samples, 'otlp2delta_http_requests_total', { route: '/v1/logs', status: '415', reason: 'unsupported_media' })).toBe(1);
    expect(value(samples, 'otlp2delta_records_accepted_total', logs)).toBe(RECORDS);
    const points = value(samples, 'otlp2delta_records_accepted_total', { table: METRICS, signal: 'metrics' });
    expect(points).toBeGreaterThan(0);
    expect(value(samples, 'otlp2delta_received_bytes_total', { signal: 'logs' })).toBeGreaterThan(0);
    expect(value(samples, 'otlp2delta_staged_bytes_total', { table: LOGS })).toBeGreaterThan(0);
    expect(value(samples, 'otlp2delta_committed_rows_total', { table: LOGS })).toBe(RECORDS);
    expect(value(samples, 'otlp2delta_committed_rows_total', { table: METRICS })).toBe(points);
    expect(value(samples, 'otlp2delta_commit_duration_seconds_count', { table: LOGS })).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'otlp2delta_ack_to_visible_seconds_count', { table: LOGS })).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'otlp2delta_ack_to_visible_seconds_sum', { table: LOGS })).toBeGreaterThan(0);
    expect(value(samples, 'otlp2delta_commit_failures_total', { table: LOGS })).toBe(0);
    expect(value(samples, 'otlp2delta_staging_backlog_rows')).toBe(0);
    expect(samples.some((s) => s.name === 'otlp2delta_staging_backlog_bytes')).toBe(true);
    expect(value(samples, 'otlp2delta_sql_statements_total', { outcome: 'succeeded' })).toBe(1);
    expect(value(samples, 'otlp2delta_sql_duration_seconds_count')).toBe(1);
    expect(value(samples, 'otlp2delta_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name.startsWith('otlp2delta_nodejs_eventloop_lag'))).toBe(true);
    // A table that does not exist is no label: clients cannot grow the series.
    expect(body).not.toContain('nope_otel_logs');
    // No credential reaches the metrics.
    expect(body).not.toMatch(/Bearer|tok\b/);

    // The counters move with more traffic; the scrape itself is counted.
    await sendSdkLogs(5);
    const after = (await scrape()).samples;
    expect(value(after, 'otlp2delta_records_accepted_total', logs)).toBe(RECORDS + 5);
    expect(value(after, 'otlp2delta_http_requests_total', { route: '/metrics', status: '200', reason: '' })).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
