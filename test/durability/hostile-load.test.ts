// Hostile clients all at once, while normal exporters keep sending to a server in its own
// process: uploads that stall mid-body, a record with tens of thousands of attribute keys, a
// request that would multiply into gigabytes of rows, and SQL that would run for hours or fill
// memory. The server must stay responsive (/healthz within 200 ms throughout), keep answering
// normal exports with 200, refuse the hostile ones with 4xx, and land every acknowledged record.
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { BODY_STALL_RECLAIM_MS } from '../../src/config/limits.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { idCounts, Ledger, ledgerProblems, logsBody, postLogs } from '../support/load.ts';
import { createLogsTable, killAll, sleep, startServer, tail, waitExit, waitReady } from './harness.ts';

const TABLE = 'hostile.otel.agent_logs';
const MiB = 1024 * 1024;

afterAll(killAll);

/** One request on a fresh connection; the status, or the socket error code; never retried. */
function request(url: string, method: string, body: Buffer | undefined, headers: http.OutgoingHttpHeaders, timeoutMs: number): Promise<{ status: string; body: string }> {
  return new Promise((resolve) => {
    const req = http.request(url, { method, agent: false, headers, timeout: timeoutMs });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: String(res.statusCode), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ status: e.code ?? 'ERR', body: '' }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: e.code ?? 'ERR', body: '' }));
    req.end(body);
  });
}

/** Opens an upload from another loopback address, sends headers and `sentBytes` of a larger body, then stops. */
function stalledUpload(port: number, sentBytes: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' }, () => {
      s.write(
        `POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${4 * sentBytes}\r\n` +
          `X-Databricks-UC-Table-Name: ${TABLE}\r\n\r\n`,
      );
      s.write(Buffer.alloc(sentBytes, 0x20), () => resolve(s));
    });
    s.on('error', () => undefined);
    s.once('error', reject);
  });
}

/** Polls `url` every 50 ms until told to stop, posting each answer's time and status. */
const HEALTH_POLLER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
let polling = true;
parentPort.on('message', () => { polling = false; });
const once = () => new Promise((resolve) => {
  const t0 = performance.now();
  const req = http.get(workerData.url, { agent: false, timeout: 5000 }, (res) => {
    res.resume();
    res.on('end', () => resolve({ ms: performance.now() - t0, status: String(res.statusCode), at: Date.now() }));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => resolve({ ms: performance.now() - t0, status: e.code || 'ERR', at: Date.now() }));
});
(async () => {
  while (polling) {
    parentPort.postMessage(await once());
    await new Promise((r) => setTimeout(r, 50));
  }
  process.exit(0);
})();
`;

/** One log record with `keys` distinct attribute keys, as protobuf (50,000 keys: 0.66 MiB). */
function attributeHeavyBody(keys: number): Buffer {
  const attributes = Array.from({ length: keys }, (_, i) => ({ key: `k${i}`, value: { stringValue: 'v' } }));
  const logRecords = [{ timeUnixNano: '1700000000000000000', body: { stringValue: 'wide' }, attributes }];
  const t = SIGNAL_TYPES.logs.request;
  return Buffer.from(t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords }] }] })).finish());
}

/** A small body whose 64 KiB resource string is copied into each of 20,000 empty records. */
function amplifyingBody(): Buffer {
  const resource = { attributes: [{ key: 'big', value: { stringValue: 'r'.repeat(64 * 1024) } }] };
  const logRecords = Array.from({ length: 20_000 }, () => ({}));
  return Buffer.from(JSON.stringify({ resourceLogs: [{ resource, scopeLogs: [{ logRecords }] }] }));
}

describe('hostile load beside normal exporters', () => {
  it('stays responsive, keeps serving normal clients and loses nothing acknowledged', { timeout: 180_000 }, async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-hostile-'));
    const warehouse = path.join(root, 'warehouse');
    const staging = path.join(root, 'staging');
    const dir = await createLogsTable(warehouse, TABLE);
    // Built before anything is timed: the client's own event loop is measured too.
    const wide = attributeHeavyBody(50_000);
    const amplify = amplifyingBody();
    const server = startServer({ label: 'hostile', warehouse, staging, flushMs: 500, args: ['--sql-timeout-ms', '3000'] });
    try {
      const url = await waitReady(server);
      expect(url, tail(server)).toBeDefined();
      const base = url!;
      const port = Number(new URL(base).port);

      // --- uploads that send 1 MiB each, the whole request memory, and stop ---
      // They go first and have stalled for longer than BODY_STALL_RECLAIM_MS when
      // the others arrive: until then they cannot be told from slow honest uploads.
      const stalled = await Promise.all(Array.from({ length: 256 }, () => stalledUpload(port, MiB)));
      await sleep(BODY_STALL_RECLAIM_MS + 500);

      // --- /healthz, every 50 ms from here to the end, from a thread of its own so
      // that this process's own work does not count against the server's answers.
      // It starts once the stalled uploads have stalled: the 256 MiB they send
      // first is a burst of ordinary traffic on this 2-core machine. ---
      const T0 = Date.now();
      const poller = new Worker(HEALTH_POLLER, { eval: true, workerData: { url: `${base}/healthz` } });
      const health: { ms: number; status: string; at: number }[] = [];
      poller.on('message', (m: { ms: number; status: string; at: number }) => health.push(m));
      const pollerDone = new Promise((r) => poller.once('exit', r));

      // --- normal exporters: small exports with unique ids, back to back ---
      const ledger = new Ledger();
      let sending = true;
      const normal = Promise.all(
        Array.from({ length: 4 }, async (_, lane) => {
          for (let q = 0; sending; q++) {
            const ids = Array.from({ length: 20 }, (_, i) => `n${lane}-${q}-${i}`);
            ledger.record(ids, await postLogs(base, TABLE, logsBody(ids, 200), { timeoutMs: 15_000 }));
            await sleep(20);
          }
        }),
      );
      await sleep(500);
      const hostileAt = Date.now() - T0;

      // --- the other hostile clients, while the stalled uploads are still open ---
      const json = { 'content-type': 'application/json', 'x-databricks-uc-table-name': TABLE };
      const proto = { 'content-type': 'application/x-protobuf', 'x-databricks-uc-table-name': TABLE };
      const sql = (statement: string) =>
        request(`${base}/api/2.0/sql/statements`, 'POST', Buffer.from(JSON.stringify({ statement, row_limit: 10 })), { 'content-type': 'application/json' }, 60_000);
      const hostile = await Promise.all([
        request(`${base}/v1/logs`, 'POST', wide, proto, 30_000),
        request(`${base}/v1/logs`, 'POST', wide, proto, 30_000),
        request(`${base}/v1/logs`, 'POST', amplify, json, 30_000),
        request(`${base}/v1/logs`, 'POST', amplify, json, 30_000),
        sql('SELECT * FROM range(40000000)'),
        sql('SELECT count(*) FROM range(100000) a, range(100000) b, range(100000) c'),
        sql('SELECT count(*) FROM range(100000) a, range(100000) b, range(100000) c'),
        sql('SELECT count(*) FROM range(100000) a, range(100000) b, range(100000) c'),
      ]);
      await sleep(2_000);
      sending = false;
      await normal;
      poller.postMessage('stop');
      await pollerDone;
      for (const s of stalled) s.destroy();

      expect(server.exit, tail(server)).toBeUndefined();
      const slow = health.filter((h) => h.status !== '200' || h.ms > 200).map((h) => ({ ...h, at: h.at - T0, hostileAt }));
      expect(health.length).toBeGreaterThan(20);
      expect(slow, `slow or failed /healthz answers out of ${health.length}`).toEqual([]);
      // The wide record is refused, whole or as a partial success; the amplifier gets 413.
      for (const r of hostile.slice(0, 2)) {
        expect(r.status === '400' || (r.status === '200' && /rejected/i.test(r.body)), `${r.status} ${r.body.slice(0, 200)}`).toBe(true);
      }
      for (const r of hostile.slice(2, 4)) expect(r.status, r.body.slice(0, 200)).toBe('413');
      // Heavy SQL answers (a row-limited result, a timeout, or a busy 429) instead of hanging or killing the server.
      for (const [i, r] of hostile.slice(4).entries()) expect(['200', '400', '408', '429', '503'], `statement ${i}: ${r.status} ${r.body.slice(0, 200)}\n${tail(server)}`).toContain(r.status);

      expect(ledger.summary()).toMatch(/^200:\d+$/);
      expect(ledger.acked.size).toBeGreaterThan(1000);

      server.child.kill('SIGTERM');
      expect((await waitExit(server)).code, tail(server)).toBe(0);
      expect(ledgerProblems(ledger, await idCounts(dir))).toEqual([]);
    } finally {
      server.child.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    }
  });
});
