// serve with --tls-cert/--tls-key, in process: TLS 1.2 or later only, plain
// HTTP on the TLS port refused without harm, and certificates replaced on disk
// taken up by new connections, while a pair that does not match is refused.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TLS_HANDSHAKE_TIMEOUT_MS } from '../../src/config/limits.ts';
import { resolveServeConfig } from '../../src/config/serve-config.ts';
import { arrivedOverTls } from '../../src/http/transport.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { makeTestCa, type ServerCert, type TestCa } from '../support/tls-certs.ts';
import { handshake, waitForSerial } from '../support/tls-client.ts';

let ca: TestCa;
let first: ServerCert;
let second: ServerCert;
let third: ServerCert;
let live: { certFile: string; keyFile: string };
let liveDir: string;
let svc: TestService;
let port: number;

function getHealth(url: string, agentCa: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https.get(`${url}/healthz`, { ca: agentCa, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

async function waitForLog(pattern: RegExp, ms = 15_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const line = svc.logs.find((l) => pattern.test(l));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no log line matching ${pattern}:\n${svc.logs.join('\n')}`);
}

beforeAll(async () => {
  ca = makeTestCa();
  first = ca.issue('first', '0A01');
  second = ca.issue('second', '0B02');
  third = ca.issue('third', '0C03');
  liveDir = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-tls-live-'));
  live = { certFile: path.join(liveDir, 'server.crt'), keyFile: path.join(liveDir, 'server.key') };
  copyFileSync(first.certFile, live.certFile);
  copyFileSync(first.keyFile, live.keyFile);
  svc = await startTestService({ tls: live, tlsPollMs: 100 });
  port = Number(new URL(svc.url).port);
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  ca?.remove();
  if (liveDir) rmSync(liveDir, { recursive: true, force: true });
});

// Handshake failures are logged TLS_HANDSHAKE_LOG_BURST times a minute: the tests that look for
// those lines come first, and there are no more of them than the burst.
describe('serve over TLS', () => {
  it('answers HTTPS on an https:// URL with the configured certificate', async () => {
    expect(svc.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await getHealth(svc.url, ca.ca)).toBe(200);
    const tls12 = await handshake(port, { ca: ca.ca, maxVersion: 'TLSv1.2' });
    expect(tls12).toEqual({ ok: true, serial: first.serial, protocol: 'TLSv1.2' });
  });

  it('closes a connection that never starts its handshake within TLS_HANDSHAKE_TIMEOUT_MS', async () => {
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(Date.now() - started));
      setTimeout(() => reject(new Error('the server still holds a silent connection after 20 s')), 20_000).unref();
    });
    expect(closedAfter).toBeGreaterThanOrEqual(TLS_HANDSHAKE_TIMEOUT_MS - 1_000);
    await waitForLog(/TLS handshake refused from 127\.0\.0\.1: ERR_TLS_HANDSHAKE_TIMEOUT/);
  }, 30_000);

  it('refuses TLS 1.1 and 1.0 clients, counting and logging the refusal, and keeps serving', async () => {
    const before = svc.service.tls!.stats.handshakeFailures;
    // Security level 0 lets this client offer the old versions at all; the
    // refusal then comes from the server as a protocol_version alert.
    for (const version of ['TLSv1.1', 'TLSv1'] as const) {
      const old = await handshake(port, { ca: ca.ca, minVersion: 'TLSv1', maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' });
      expect(old).toEqual({ ok: false, code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    }
    expect(svc.service.tls!.stats.handshakeFailures).toBe(before + 2);
    await waitForLog(/TLS handshake refused from 127\.0\.0\.1: .*UNSUPPORTED_PROTOCOL/);
    expect(await getHealth(svc.url, ca.ca)).toBe(200);
  });

  it('drops a plain-HTTP request to the TLS port and keeps serving', async () => {
    const plain = await new Promise<string>((resolve) => {
      http.get(`http://127.0.0.1:${port}/healthz`, { agent: false }, (res) => resolve(`answered ${res.statusCode}`))
        .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(plain).toBe('ECONNRESET');
    await waitForLog(/TLS handshake refused from 127\.0\.0\.1: .*HTTP_REQUEST/);
    expect(await getHealth(svc.url, ca.ca)).toBe(200);
  });

  it('refuses a client that does not trust the certificate (verification is real)', async () => {
    const untrusting = await handshake(port);
    expect(untrusting).toEqual({ ok: false, code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});

// In order: each step starts from the certificate the previous one left in service.
describe('certificate reload', () => {
  it('takes up a pair replaced on disk on the next poll; new connections see it', async () => {
    copyFileSync(second.certFile, live.certFile);
    copyFileSync(second.keyFile, live.keyFile);
    await waitForSerial(port, ca.ca, second.serial);
    expect(await waitForLog(/TLS certificate reloaded \(files changed\): subject CN=second serial 0B02/)).toBeTruthy();
    expect(svc.service.tls!.current().leaf.serialNumber).toBe(second.serial);
  });

  it('keeps the old certificate when the key does not match, and says why', async () => {
    const failuresBefore = svc.service.tls!.stats.reloadFailures;
    copyFileSync(third.certFile, live.certFile); // the key is still the second one's
    expect(await svc.service.tls!.reload('SIGHUP')).toBe(false);
    const line = await waitForLog(/TLS certificate reload \(SIGHUP\) failed: TLS key \S+server\.key does not match the certificate \S+server\.crt \(subject CN=third serial 0C03.*; still serving subject CN=second serial 0B02/);
    expect(line).not.toContain('PRIVATE KEY');
    expect(svc.service.tls!.stats.reloadFailures).toBeGreaterThan(failuresBefore);
    const now = await handshake(port, { ca: ca.ca });
    expect(now).toMatchObject({ ok: true, serial: second.serial });
    // The rest of the pair arrives: the poll loads it.
    copyFileSync(third.keyFile, live.keyFile);
    await waitForSerial(port, ca.ca, third.serial);
  });

  it('keeps the old certificate when a file is missing or not PEM', async () => {
    writeFileSync(live.certFile, 'not a certificate\n');
    expect(await svc.service.tls!.reload('SIGHUP')).toBe(false);
    await waitForLog(/reload \(SIGHUP\) failed: TLS certificate \S+server\.crt holds no PEM certificate; still serving subject CN=third/);
    rmSync(live.keyFile);
    expect(await svc.service.tls!.reload('SIGHUP')).toBe(false);
    await waitForLog(/reload \(SIGHUP\) failed: TLS key \S+server\.key does not exist; still serving subject CN=third/);
    expect(await handshake(port, { ca: ca.ca })).toMatchObject({ ok: true, serial: third.serial });
    expect(await getHealth(svc.url, ca.ca)).toBe(200);
    copyFileSync(first.certFile, live.certFile);
    copyFileSync(first.keyFile, live.keyFile);
    expect(await svc.service.tls!.reload('SIGHUP')).toBe(true);
    expect(await handshake(port, { ca: ca.ca })).toMatchObject({ ok: true, serial: first.serial });
  });
});

describe('arrivedOverTls', () => {
  it('tells TLS requests from plain ones', async () => {
    const seen: boolean[] = [];
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      seen.push(arrivedOverTls(req));
      res.end();
    };
    const plain = http.createServer(handler);
    const secure = https.createServer({ cert: first.cert, key: first.key }, handler);
    for (const [server, get] of [[plain, http.get], [secure, https.get]] as const) {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port: p } = server.address() as { port: number };
      const scheme = server === plain ? 'http' : 'https';
      await new Promise<void>((r, j) => get(`${scheme}://127.0.0.1:${p}/`, { ca: ca.ca, servername: 'localhost', agent: false }, (res) => res.resume().on('end', r)).on('error', j));
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(seen).toEqual([false, true]);
  });
});

describe('TLS settings', () => {
  it('come from flags or OTLP2DELTA_TLS_CERT/OTLP2DELTA_TLS_KEY, both or neither, flags first', () => {
    expect(resolveServeConfig({}, {}).tls).toBeUndefined();
    expect(resolveServeConfig({}, { OTLP2DELTA_TLS_CERT: 'a.crt', OTLP2DELTA_TLS_KEY: 'a.key' }).tls)
      .toEqual({ certFile: path.resolve('a.crt'), keyFile: path.resolve('a.key') });
    expect(resolveServeConfig({ tlsCert: 'b.crt' }, { OTLP2DELTA_TLS_CERT: 'a.crt', OTLP2DELTA_TLS_KEY: 'a.key' }).tls)
      .toEqual({ certFile: path.resolve('b.crt'), keyFile: path.resolve('a.key') });
    expect(() => resolveServeConfig({}, { OTLP2DELTA_TLS_CERT: 'a.crt' }))
      .toThrow('OTLP2DELTA_TLS_CERT needs --tls-key (or OTLP2DELTA_TLS_KEY) too: give both or neither');
    expect(() => resolveServeConfig({ tlsKey: 'a.key' }, {}))
      .toThrow('--tls-key needs --tls-cert (or OTLP2DELTA_TLS_CERT) too: give both or neither');
    expect(() => resolveServeConfig({ tlsCert: ' ', tlsKey: 'a.key' }, {})).toThrow('--tls-cert must name a file');
  });
});
