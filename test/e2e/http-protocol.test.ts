// The OTLP/HTTP surface over real HTTP: status codes, google.rpc.Status bodies people can act on, encodings, limits, routes.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDeltaTable, type Row } from '../support/delta-check.ts';
import { loadCaptures } from '../support/fixtures.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { expectError, expectExported, postChunkedUntilAnswered, request, tree } from './http-support.ts';

const LIMIT = 64 * 1024;
const METRICS = '/api/2.0/otel/v1/metrics';
const PROTO = 'application/x-protobuf';
const JSON_CT = 'application/json';
const TABLE = 'x-databricks-uc-table-name';

const captures = loadCaptures();
const capture = (id: string) => captures.find((c) => c.id === id)!;
// Small real exports (7 data points each), well under the 64 KiB test limit.
const PROTO_METRICS = capture('claude-code/proto-basic/0004').body;
const JSON_METRICS = capture('claude-code/json-basic/0004').body;
const POINTS = 7;

/** Tables created up front, each fed by one kind of request so its rows prove that request landed. */
const TABLES = {
  metrics: 'main.http.metrics',
  altContentType: 'main.http.alt_content_type',
  bearer: 'main.http.bearer_encoded',
  apiPath: 'main.http.api_path',
  v1Path: 'main.http.v1_path',
  deflate: 'main.http.deflate',
  rawDeflate: 'main.http.raw_deflate',
  partial: 'main.http.partial',
  mixedCase: 'main.http.mixed_case',
};

let svc: TestService;

const send = (urlPath: string, init: RequestInit = {}) => request(svc.url, urlPath, init);
const post = (headers: Record<string, string>, body: Uint8Array = PROTO_METRICS, urlPath = METRICS) => send(urlPath, { headers, body });

beforeAll(async () => {
  svc = await startTestService({ maxBodyBytes: LIMIT });
  for (const name of Object.values(TABLES)) await svc.createTable(name, 'metrics');
});

afterAll(async () => {
  await svc?.stop();
});

describe('the table header', () => {
  it('missing: 400 saying which header and what it must hold', async () => {
    const a = await post({ 'content-type': JSON_CT }, JSON_METRICS);
    expectError(a, 400, 3, 'json', /X-Databricks-UC-Table-Name/i, /catalog\.schema\.table/);
    expectError(await post({ 'content-type': PROTO }), 400, 3, 'protobuf', /X-Databricks-UC-Table-Name/i);
  });

  const utf8AsLatin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  const malformed = ['a.b', 'a.b.c.d', '../x.y.z', 'a.b.c/../../d', 'a..b', 'a.b.c d', 'main.agent_telemetry.tâble', utf8AsLatin1('main.遥测.t'), 'a.b./', '.a.b', '..'];
  it.each(malformed)('malformed %j: 400 and nothing created in or outside the warehouse', async (value) => {
    const before = tree(svc.warehouse);
    const a = await post({ 'content-type': JSON_CT, [TABLE]: value }, JSON_METRICS);
    expectError(a, 400, 3, 'json', /X-Databricks-UC-Table-Name/i, /catalog\.schema\.table|letters, digits or underscores/);
    expect(tree(svc.warehouse)).toEqual(before);
    const parts = value.split(/[./]/).filter((p) => p !== '');
    for (const candidate of [path.resolve(svc.warehouse, value), path.resolve(svc.warehouse, ...value.split('.')), path.resolve(svc.warehouse, ...parts)]) {
      if (candidate === svc.warehouse || svc.warehouse.startsWith(candidate)) continue;
      expect(existsSync(candidate), candidate).toBe(false);
    }
  });

  it('a table that does not exist: 404 naming the table and how to create it', async () => {
    const a = await post({ 'content-type': PROTO, [TABLE]: 'main.http.not_created' });
    expectError(a, 404, 5, 'protobuf', /main\.http\.not_created/, /create-table/);
    expect(existsSync(svc.tableDir('main.http.not_created'))).toBe(false);
  });

  it('logs sent to a metrics table: 400 saying what the table holds and where logs go', async () => {
    const logs = capture('claude-code/proto-basic/0003').body;
    const a = await post({ 'content-type': PROTO, [TABLE]: TABLES.metrics }, logs, '/api/2.0/otel/v1/logs');
    expectError(a, 400, 3, 'protobuf', /main\.http\.metrics/, /holds metrics/, /logs/);
  });

  it('names in mixed case resolve to the lower-case table', async () => {
    expectExported(await post({ 'content-type': PROTO, [TABLE]: 'MAIN.Http.Mixed_CASE' }));
    expect(readdirSync(svc.warehouse)).not.toContain('MAIN');
  });
});

describe('content type and encoding', () => {
  it('unsupported Content-Type (text/plain or none): 415 with a JSON status naming what to send', async () => {
    for (const headers of [{ 'content-type': 'text/plain' }, {}] as Record<string, string>[]) {
      const a = await post({ ...headers, [TABLE]: TABLES.metrics });
      expectError(a, 415, 3, 'json', /Content-Type/, /application\/x-protobuf/, /application\/json/);
    }
  });

  it('unsupported Content-Encoding (br): 415 naming the encodings accepted', async () => {
    const a = await post({ 'content-type': PROTO, 'content-encoding': 'br', [TABLE]: TABLES.metrics });
    expectError(a, 415, 3, 'protobuf', /Content-Encoding/, /"br"/, /gzip/);
  });

  it('application/protobuf is accepted as protobuf', async () => {
    const a = await post({ 'content-type': 'application/protobuf', [TABLE]: TABLES.altContentType });
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
  });

  it('deflate bodies are accepted both zlib-wrapped and raw', async () => {
    expectExported(await post({ 'content-type': PROTO, 'content-encoding': 'deflate', [TABLE]: TABLES.deflate }, zlib.deflateSync(PROTO_METRICS)));
    expectExported(await post({ 'content-type': PROTO, 'content-encoding': 'deflate', [TABLE]: TABLES.rawDeflate }, zlib.deflateRawSync(PROTO_METRICS)));
  });

  it('malformed protobuf: 400 with a protobuf status', async () => {
    const a = await post({ 'content-type': PROTO, [TABLE]: TABLES.metrics }, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expectError(a, 400, 3, 'protobuf', /ExportMetricsServiceRequest/, /protobuf/);
  });

  it('malformed JSON: 400 with a JSON status', async () => {
    const a = await post({ 'content-type': JSON_CT, [TABLE]: TABLES.metrics }, Buffer.from('{"resourceMetrics": [{'));
    expectError(a, 400, 3, 'json', /JSON/);
  });

  it('gzip declared but the body is not gzip: 400', async () => {
    const a = await post({ 'content-type': PROTO, 'content-encoding': 'gzip', [TABLE]: TABLES.metrics });
    expectError(a, 400, 3, 'protobuf', /gzip/);
  });
});

describe('body size limit', () => {
  it('over the limit by Content-Length: 413 naming the limit', async () => {
    const a = await post({ 'content-type': PROTO, [TABLE]: TABLES.metrics }, Buffer.alloc(LIMIT + 1));
    expectError(a, 413, 8, 'protobuf', /limit/, new RegExp(String(LIMIT)));
  });

  it('a small gzip body that inflates beyond the limit: 413', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(16 * LIMIT));
    expect(bomb.length).toBeLessThan(LIMIT);
    const a = await post({ 'content-type': PROTO, 'content-encoding': 'gzip', [TABLE]: TABLES.metrics }, bomb);
    expectError(a, 413, 8, 'protobuf', /gzip/, new RegExp(String(LIMIT)));
  });
});

describe('a chunked upload over the limit (no Content-Length), on a service of its own', () => {
  let own: TestService;
  let answer: { status: number; body: Buffer; sent: number };
  let stopMs: number;
  beforeAll(async () => {
    own = await startTestService({ maxBodyBytes: LIMIT });
    await own.createTable(TABLES.metrics, 'metrics');
    answer = await postChunkedUntilAnswered(`${own.url}${METRICS}`, { 'content-type': JSON_CT, [TABLE]: TABLES.metrics }, Buffer.alloc(4096, 0x20), 64 * LIMIT);
    const t0 = Date.now();
    await own.stop();
    stopMs = Date.now() - t0;
  }, 60_000);
  afterAll(async () => {
    await own?.stop();
  });

  it('is answered 413 while it streams, long before the upload would end', () => {
    expect(answer.status).toBe(413);
    expect(answer.sent).toBeLessThan(64 * LIMIT);
    const { code, message } = JSON.parse(answer.body.toString('utf8')) as { code: number; message: string };
    expect(code).toBe(8);
    expect(message).toMatch(new RegExp(`limit of ${LIMIT} bytes`));
  });

  it('does not hold the connection open once the client has gone: stop() is prompt', () => {
    // A socket left unread after the 413 never sees the client's close, so the
    // service's stop waits out its whole close deadline for it.
    expect(stopMs, 'stop() waited for the connection of an upload that was answered 413 and then abandoned').toBeLessThan(3000);
  });
});

describe('routes and headers', () => {
  it('Authorization with a percent-encoded space is accepted', async () => {
    expectExported(await post({ 'content-type': PROTO, authorization: 'Bearer%20tok', [TABLE]: TABLES.bearer }));
  });

  it('/v1/metrics behaves like /api/2.0/otel/v1/metrics', async () => {
    const api = await post({ 'content-type': PROTO, [TABLE]: TABLES.apiPath });
    const v1 = await post({ 'content-type': PROTO, [TABLE]: TABLES.v1Path }, PROTO_METRICS, '/v1/metrics');
    expectExported(api);
    expectExported(v1);
    expect(v1.body).toEqual(api.body);
    expectError(await post({ 'content-type': PROTO }, PROTO_METRICS, '/v1/metrics'), 400, 3, 'protobuf', /X-Databricks-UC-Table-Name/i);
  });

  it('GET on an export route: 405 with Allow: POST', async () => {
    for (const route of [METRICS, '/v1/logs', '/api/2.0/otel/v1/traces']) {
      const a = await send(route, { method: 'GET' });
      expect(a.headers.get('allow')).toBe('POST');
      expectError(a, 405, 3, 'json', /POST/);
    }
  });

  it('an unknown path: 404 pointing at the export routes', async () => {
    expectError(await send('/v1/nothing-here', { method: 'GET' }), 404, 5, 'json', /\/api\/2\.0\/otel\/v1/);
    expectError(await post({ 'content-type': PROTO }, PROTO_METRICS, '/api/2.0/otel/v2/metrics'), 404, 5, 'protobuf', /POST \/api\/2\.0\/otel\/v1/);
  });

  it('GET /healthz: 200', async () => {
    const a = await send('/healthz', { method: 'GET' });
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body.toString('utf8'))).toMatchObject({ status: 'ok' });
  });
});

describe('partial success', () => {
  it('a metric with no data is rejected by name while the valid point is stored', async () => {
    const request = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: 'metric.without.data' },
                { name: 'ok.gauge', gauge: { dataPoints: [{ timeUnixNano: '1700000000000000001', asDouble: 1.5 }] } },
              ],
            },
          ],
        },
      ],
    };
    const a = await post({ 'content-type': JSON_CT, [TABLE]: TABLES.partial }, Buffer.from(JSON.stringify(request)));
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(a.body.toString('utf8')) as { partialSuccess?: { rejectedDataPoints?: string; errorMessage?: string } };
    expect(body.partialSuccess?.rejectedDataPoints).toBe('1');
    expect(body.partialSuccess?.errorMessage).toMatch(/metric\.without\.data/);
  });
});

describe('stopping', () => {
  it('a request after stop() has begun gets 503 or a connection error, never 500; accepted rows are all stored', async () => {
    const stopping = svc.stop({ keep: true });
    let outcome: string;
    try {
      const a = await post({ 'content-type': PROTO, [TABLE]: TABLES.metrics });
      outcome = String(a.status);
      if (a.status === 503) {
        expectError(a, 503, 14, 'protobuf', /shutting down/);
        expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    } catch (e) {
      outcome = `connection error: ${(e as Error).message}`;
    }
    expect(outcome).toMatch(/^(503|connection error)/);
    await stopping;

    const rowsOf = async (name: string): Promise<Row[]> => (await checkDeltaTable(svc.tableDir(name), 'metrics')).rows;
    for (const name of [TABLES.altContentType, TABLES.bearer, TABLES.apiPath, TABLES.v1Path, TABLES.deflate, TABLES.rawDeflate, TABLES.mixedCase]) {
      expect(await rowsOf(name), name).toHaveLength(POINTS);
    }
    const key = (r: Row) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v instanceof Map ? [...v].sort() : v));
    expect((await rowsOf(TABLES.v1Path)).map(key).sort()).toEqual((await rowsOf(TABLES.apiPath)).map(key).sort());
    expect(await rowsOf(TABLES.metrics)).toEqual([]);
    const partial = await rowsOf(TABLES.partial);
    expect(partial).toHaveLength(1);
    expect(partial[0]).toMatchObject({ name: 'ok.gauge', metric_type: 'gauge', gauge: { value: 1.5, time_unix_nano: 1700000000000000001n } });
  });
});
