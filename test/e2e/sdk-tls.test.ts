// The OTel JS SDK's OTLP log exporters sending to serve over TLS, with a bearer
// token, trusting a private CA made for the test: through the exporter's agent
// options and through OTEL_EXPORTER_OTLP_CERTIFICATE, as agents are configured.
// An exporter that does not trust the CA gets nothing through.
import https from 'node:https';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/access/token-store.ts';
import { runCli } from '../support/cli.ts';
import { startTestService } from '../support/service.ts';
import { makeTestCa, type ServerCert, type TestCa } from '../support/tls-certs.ts';
import { driveSdk, expectExportsSucceeded, recordExports, stopAndReadRows } from './sdk-support.ts';

const TABLE = 'main.tel.tls_otel_logs';

let ca: TestCa;
let cert: ServerCert;

beforeAll(() => {
  ca = makeTestCa();
  cert = ca.issue('localhost', '5E11');
});
afterAll(() => ca?.remove());

/** Emits one record named `body` through `exporter` and shuts the provider down. */
async function sendOne(exporter: LogRecordExporter, body: string) {
  const exports = recordExports(exporter);
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'tls-agent' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const run = await driveSdk(async () => {
    provider.getLogger('agent.logs').emit({ body, eventName: 'agent.tls_check' });
    await provider.forceFlush();
    await provider.shutdown();
  });
  return { exports, run };
}

/** Constructs an exporter with env vars set, the way an agent's process sees them. */
function withEnv<T>(env: Record<string, string>, make: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return make();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('OTel SDK exporters over TLS', () => {
  it('land their records; an exporter without the CA is refused the connection', async () => {
    const svc = await startTestService({ tls: cert });
    try {
      expect(svc.url).toMatch(/^https:/);
      await svc.createTable(TABLE, 'logs');
      // A real token, with the grants an agent's principal needs to write the table.
      const { secret } = await createToken(svc.warehouse, { principal: 'agent@example.com', groups: ['agents'] });
      for (const g of ['USE CATALOG ON CATALOG main', 'USE SCHEMA ON SCHEMA main.tel', `MODIFY ON TABLE ${TABLE}`]) {
        const r = await runCli(['sql', `GRANT ${g} TO agents`, '--warehouse', svc.warehouse]);
        expect(r.code, r.stderr).toBe(0);
      }
      const HEADERS = { Authorization: `Bearer ${secret}`, 'X-Databricks-UC-Table-Name': TABLE };
      // Auth is on once the running server has seen the token.
      await svc.service.tokens.poll();
      expect(svc.service.tokens.hasTokens()).toBe(true);
      // The running server reads the grants within seconds: wait until an empty export passes.
      const probe = { ...HEADERS, 'content-type': 'application/json' };
      const status = () =>
        new Promise<number>((resolve) => {
          const req = https.request(`${svc.url}/v1/logs`, { method: 'POST', headers: probe, ca: ca.ca }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', () => resolve(0));
          req.end('{}');
        });
      for (let i = 0; i < 100 && (await status()) !== 200; i++) await new Promise((r) => setTimeout(r, 200));
      const localhostUrl = svc.url.replace('127.0.0.1', 'localhost');

      const proto = new ProtoLogExporter({ url: `${svc.url}/api/2.0/otel/v1/logs`, headers: HEADERS, httpAgentOptions: { ca: ca.ca } });
      const sentProto = await sendOne(proto, 'protobuf over TLS, CA in agent options');
      expectExportsSucceeded(sentProto.exports, svc, sentProto.run);

      const json = withEnv({ OTEL_EXPORTER_OTLP_CERTIFICATE: ca.caFile }, () =>
        new JsonLogExporter({ url: `${localhostUrl}/v1/logs`, headers: HEADERS }));
      const sentJson = await sendOne(json, 'JSON over TLS, CA from OTEL_EXPORTER_OTLP_CERTIFICATE');
      expectExportsSucceeded(sentJson.exports, svc, sentJson.run);

      const wrongToken = new ProtoLogExporter({ url: `${svc.url}/v1/logs`, headers: { ...HEADERS, Authorization: 'Bearer x' }, httpAgentOptions: { ca: ca.ca } });
      const forbidden = await sendOne(wrongToken, 'must not land either');
      expect(forbidden.exports.results[0]?.code).not.toBe(0);
      expect(String((forbidden.exports.results[0]?.error as { code?: number } | undefined)?.code)).toBe('403');

      const untrusting = new ProtoLogExporter({ url: `${svc.url}/v1/logs`, headers: HEADERS, timeoutMillis: 5_000 });
      const refused = await sendOne(untrusting, 'must not land');
      expect(refused.exports.results).toHaveLength(1);
      expect(refused.exports.results[0]?.code).not.toBe(0);
      expect(String(refused.exports.results[0]?.error?.message)).toMatch(/certificate/i);

      const rows = await stopAndReadRows(svc, TABLE, 'logs');
      // Rows written with the token carry its principal.
      expect(rows.every((r) => (r.resource as { attributes: Map<string, string> }).attributes.get('otlp2delta.principal') === 'agent@example.com')).toBe(true);
      expect(rows.map((r) => r.body).sort()).toEqual([
        'JSON over TLS, CA from OTEL_EXPORTER_OTLP_CERTIFICATE',
        'protobuf over TLS, CA in agent options',
      ]);
    } finally {
      await svc.stop();
    }
  }, 60_000);
});
