// Export routes answer every method but POST with 405 and Allow: POST, and JSON
// bodies in a charset other than UTF-8 are refused (415) instead of misread.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDeltaTable } from '../support/delta-check.ts';
import { loadCaptures } from '../support/fixtures.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { expectError, request } from '../e2e/http-support.ts';

const ROUTES = ['/api/2.0/otel/v1/metrics', '/v1/metrics', '/api/2.0/otel/v1/logs', '/v1/logs', '/api/2.0/otel/v1/traces', '/v1/traces'];
const METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'];
const TABLE = 'main.http.charset';
const JSON_METRICS = loadCaptures().find((c) => c.id === 'claude-code/json-basic/0004')!.body;

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
  await svc.createTable(TABLE, 'metrics');
});

afterAll(async () => {
  await svc?.stop();
});

/** Node's client, which sends any method (fetch refuses TRACE). */
function call(method: string, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${svc.url}${path}`, { method, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('methods other than POST on export routes', () => {
  it.each(METHODS)('%s: 405 with Allow: POST and a google.rpc.Status naming POST', async (method) => {
    for (const route of ROUTES) {
      const a = await call(method, route);
      expect(a.status, `${method} ${route}`).toBe(405);
      expect(a.headers.allow).toBe('POST');
      if (method === 'HEAD') {
        expect(a.body.length).toBe(0);
        continue;
      }
      expect(a.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(a.body.toString('utf8'))).toMatchObject({ code: 3, message: `${method} is not allowed on ${route}: use POST` });
    }
    expect(svc.logs).toContainEqual(`refused 405 ${method} /v1/traces: ${method} is not allowed on /v1/traces: use POST`);
  });

  it('other paths still get 404', async () => {
    expect((await call('OPTIONS', '/v1/nothing')).status).toBe(404);
  });
});

describe('the charset of a JSON body', () => {
  const post = (contentType: string) =>
    request(svc.url, '/api/2.0/otel/v1/metrics', { headers: { 'content-type': contentType, 'x-databricks-uc-table-name': TABLE }, body: JSON_METRICS });

  it.each(['application/json; charset=latin1', 'application/json;charset="ISO-8859-1"', 'application/json; charset=utf-16', 'Application/JSON; Charset=windows-1252'])(
    '%s: 415 naming the charset, in JSON, nothing stored',
    async (contentType) => {
      const charset = /charset="?([^";]+)/i.exec(contentType)![1]!;
      const a = await post(contentType);
      expectError(a, 415, 3, 'json', new RegExp(`charset "${charset}"`), /UTF-8/);
      expect(svc.logs).toContainEqual(expect.stringMatching(new RegExp(`^refused 415 POST /api/2\\.0/otel/v1/metrics: unsupported charset "${charset}"`)));
    },
  );

  it.each(['application/json', 'application/json; charset=utf-8', 'application/json; charset="UTF-8"', 'application/json;charset=utf8'])(
    '%s: accepted',
    async (contentType) => {
      const a = await post(contentType);
      expect(a.status, a.body.toString('utf8')).toBe(200);
    },
  );

  it('only the four accepted requests were stored', async () => {
    await svc.stop({ keep: true });
    // Each request holds the same 7 data points.
    expect((await checkDeltaTable(svc.tableDir(TABLE), 'metrics')).rows).toHaveLength(4 * 7);
  });
});
