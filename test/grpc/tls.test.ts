// OTLP/gRPC over TLS with the same --tls-cert/--tls-key pair as HTTPS, and a
// reloaded pair reaching new gRPC connections without a restart.
import { copyFileSync } from 'node:fs';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { makeTestCa, type ServerCert, type TestCa } from '../support/tls-certs.ts';
import { handshake } from '../support/tls-client.ts';
import { rawClient, Status } from './grpc-client.ts';

const TABLE = 'main.tel.tls_otel_logs';
let ca: TestCa;
let first: ServerCert;
let second: ServerCert;
let svc: TestService;

const body = () => {
  const t = SIGNAL_TYPES.logs.request;
  return t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1700000000000000001', body: { stringValue: 'tls' } }] }] }] })).finish();
};

beforeAll(async () => {
  ca = makeTestCa();
  first = ca.issue('first', '0A01');
  second = ca.issue('second', '0B02');
  // The served pair lives at its own paths, so a reload can copy another over it.
  const served = ca.issue('served', '0A01');
  copyFileSync(first.certFile, served.certFile);
  copyFileSync(first.keyFile, served.keyFile);
  first = { ...first, certFile: served.certFile, keyFile: served.keyFile };
  svc = await startTestService({ tls: { certFile: served.certFile, keyFile: served.keyFile }, tlsPollMs: 60_000 });
  await svc.createTable(TABLE, 'logs');
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  ca?.remove();
});

const grpcPort = () => svc.service.grpc!.port;
const serialSeen = async () => {
  const h = await handshake(grpcPort(), { ca: ca.ca, ALPNProtocols: ['h2'] });
  return h.ok ? h.serial : h.code;
};

describe('OTLP/gRPC over TLS', () => {
  it('takes exports from a client that trusts the CA and names the listener https', async () => {
    expect(svc.service.grpc!.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const client = rawClient(`localhost:${grpcPort()}`, { creds: credentials.createSsl(Buffer.from(ca.ca)) });
    try {
      const a = await client.send('logs', body(), { 'x-databricks-uc-table-name': TABLE });
      expect(a.code, a.details).toBe(Status.OK);
    } finally {
      client.close();
    }
    const plain = rawClient(`127.0.0.1:${grpcPort()}`);
    try {
      expect((await plain.send('logs', body(), { 'x-databricks-uc-table-name': TABLE }, { deadlineMs: 3_000 })).code).not.toBe(Status.OK);
    } finally {
      plain.close();
    }
  });

  it('serves a reloaded certificate on new gRPC connections', async () => {
    expect(await serialSeen()).toBe('0A01');
    copyFileSync(second.certFile, first.certFile);
    copyFileSync(second.keyFile, first.keyFile);
    expect(await svc.service.tls!.reload('test')).toBe(true);
    const deadline = Date.now() + 10_000;
    let seen = await serialSeen();
    while (seen !== '0B02' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await serialSeen();
    }
    expect(seen).toBe('0B02');
    const client = rawClient(`localhost:${grpcPort()}`, { creds: credentials.createSsl(Buffer.from(ca.ca)) });
    try {
      expect((await client.send('logs', body(), { 'x-databricks-uc-table-name': TABLE })).code).toBe(Status.OK);
    } finally {
      client.close();
    }
  });
});
