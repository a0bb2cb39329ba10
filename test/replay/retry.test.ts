// Replay through a proxy that refuses at random with 429/503 and Retry-After: every record still lands exactly once.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestService } from '../support/service.ts';
import { logsLine, uidOf } from './otlp-json.ts';
import { removeTempDirs, replayToServer, tempDir, warehouseRows } from './support.ts';

afterAll(removeTempDirs);

type Flaky = { url: string; refusals: number; forwarded: number; close(): Promise<void> };

/** Forwards to `upstream`, except that a share of requests is refused first with 429 or 503 and Retry-After 0 or 1. */
async function flakyProxy(upstream: string, refuseShare: number): Promise<Flaky> {
  const target = new URL(upstream);
  const state = { refusals: 0, forwarded: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (Math.random() < refuseShare) {
        state.refusals += 1;
        const status = Math.random() < 0.8 ? 429 : 503;
        res.writeHead(status, { 'content-type': 'application/json', 'retry-after': Math.random() < 0.9 ? '0' : '1' });
        res.end(JSON.stringify({ code: status === 429 ? 8 : 14, message: 'try again' }));
        return;
      }
      state.forwarded += 1;
      const out = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', () => res.writeHead(502).end());
      out.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get refusals() {
      return state.refusals;
    },
    get forwarded() {
      return state.forwarded;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('replay against a server that answers 429/503 at random', () => {
  it('retries as told and delivers every record exactly once', async () => {
    const REQUESTS = 150;
    const RECORDS = 4;
    const dir = await tempDir('flaky');
    const file = path.join(dir, 'logs.jsonl');
    writeFileSync(file, Array.from({ length: REQUESTS }, (_, i) => `${logsLine(i, RECORDS)}\n`).join(''));

    const svc = await startTestService();
    const proxy = await flakyProxy(svc.url, 0.35);
    try {
      await svc.createTable('main.flaky.agent_otel_logs', 'logs');
      const stats = await replayToServer([file], proxy.url, { concurrency: 8, tablePrefix: 'main.flaky.agent' });
      expect(proxy.refusals).toBeGreaterThan(10);
      expect(stats).toMatchObject({
        requests: REQUESTS,
        rejectedRequests: 0,
        records: REQUESTS * RECORDS,
        acceptedRecords: REQUESTS * RECORDS,
        rejectedRecords: 0,
        retries: proxy.refusals,
      });
      expect(proxy.forwarded).toBe(REQUESTS);
      await svc.stop({ keep: true });
      const rows = (await warehouseRows(svc.warehouse)).get('main.flaky.agent_otel_logs')!;
      const uids = rows.map((r) => (r.attributes as Map<string, string>).get('uid')!).sort();
      const expected = Array.from({ length: REQUESTS }, (_, i) => Array.from({ length: RECORDS }, (_, j) => uidOf(i, j))).flat().sort();
      expect(uids).toEqual(expected);
    } finally {
      await proxy.close();
      await svc.stop();
    }
  }, 60_000);
});
