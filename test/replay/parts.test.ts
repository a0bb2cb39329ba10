// Replay parts on their own: input discovery, retry waits, the rate gate, and the HTTP sender against stub servers.
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { STATUS_TYPE } from '../../src/otlp/schema.ts';
import { httpTarget } from '../../src/replay/http-target.ts';
import { discoverInputs } from '../../src/replay/inputs.ts';
import type { ReplayRequest } from '../../src/replay/request.ts';
import { progressReporter, summaryText } from '../../src/replay/progress.ts';
import { rateGate, type ReplayStats } from '../../src/replay/run.ts';
import { retryDelayMs } from '../../src/replay/target.ts';
import { REAL_CLIENTS_DIR } from '../support/paths.ts';
import { logsLine } from './otlp-json.ts';
import { removeTempDirs, tempDir } from './support.ts';

afterAll(removeTempDirs);

describe('input discovery', () => {
  it('takes the recorded fixtures in order and ignores the recorder notes', async () => {
    const inputs = await discoverInputs([REAL_CLIENTS_DIR]);
    expect(inputs).toHaveLength(25);
    expect(inputs.every((i) => i.kind === 'capture' && i.bytes > 0)).toBe(true);
    const first = inputs[0]!;
    expect(first.kind === 'capture' && path.relative(REAL_CLIENTS_DIR, first.meta)).toBe(path.join('claude-code', 'json-basic', '0003.meta.json'));
  });

  it('takes Collector files by name in directories, any file named on the command line, and skips hidden files', async () => {
    const dir = await tempDir('discover');
    mkdirSync(path.join(dir, 'sub'));
    for (const f of ['a.jsonl', 'b.json.gz', 'c.zst', 'notes.txt', '.0001.body.bin.tmp', 'sub/d.ndjson.zstd']) writeFileSync(path.join(dir, f), '');
    writeFileSync(path.join(dir, 'raw-export'), '');
    const names = (await discoverInputs([dir, path.join(dir, 'raw-export'), path.join(dir, 'a.jsonl')])).map((i) =>
      path.relative(dir, i.kind === 'collector' ? i.file : i.meta),
    );
    expect(names).toEqual(['a.jsonl', 'b.json.gz', 'c.zst', path.join('sub', 'd.ndjson.zstd'), 'raw-export']);
    await expect(discoverInputs([path.join(dir, 'missing')])).rejects.toThrow(/no such file or directory/);
  });
});

describe('retry waits', () => {
  it('follow Retry-After in seconds or as a date, else back off exponentially with jitter', () => {
    expect(retryDelayMs('0', 1)).toBe(0);
    expect(retryDelayMs(' 2 ', 1)).toBe(2000);
    expect(retryDelayMs(new Date(10_000).toUTCString(), 1, 7_000)).toBe(3000);
    for (let retry = 1; retry <= 8; retry++) {
      const wait = retryDelayMs(undefined, retry);
      const base = Math.min(30_000, 250 * 2 ** (retry - 1));
      expect(wait).toBeGreaterThanOrEqual(base / 2);
      expect(wait).toBeLessThanOrEqual(base);
    }
  });

  it('the rate gate spaces attempts evenly', async () => {
    const gate = rateGate(50);
    const started = Date.now();
    await Promise.all(Array.from({ length: 11 }, () => gate()));
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});

/** A server whose every answer comes from `answer`. */
async function stub(answer: (res: http.ServerResponse) => void): Promise<{ url: string; hits: number; paths: string[]; close(): Promise<void> }> {
  const state = { hits: 0, paths: [] as string[] };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.hits += 1;
      state.paths.push(req.url ?? '');
      answer(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get hits() {
      return state.hits;
    },
    paths: state.paths,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const LOGS: ReplayRequest = {
  kind: 'request',
  source: 'test',
  signal: 'logs',
  path: '/v1/logs',
  table: 'a.b.c_otel_logs',
  contentType: 'application/json',
  contentEncoding: undefined,
  headers: {},
  body: Buffer.from(logsLine(1, 3)),
  inputBytes: 1,
};
const open = () => Promise.resolve();

describe('the HTTP sender', () => {
  it('gives up on a request still refused once the retry time is spent, counting its retries', async () => {
    const server = await stub((res) => res.writeHead(429, { 'retry-after': '1' }).end());
    const target = httpTarget({ url: server.url, connections: 1, retryForMs: 1500, timeoutMs: 5000 });
    try {
      const o = await target.send(LOGS, 'a.b.c_otel_logs', open);
      expect(o).toMatchObject({ accepted: false, records: 3, rejectedRecords: 3, retries: 1 });
      expect(o.message).toMatch(/HTTP 429 still after 1 retries/);
      expect(server.hits).toBe(2);
    } finally {
      await target.close();
      await server.close();
    }
  });

  it('reads the google.rpc.Status message of a protobuf error and does not retry a 400', async () => {
    const status = STATUS_TYPE.encode(STATUS_TYPE.fromObject({ code: 3, message: 'body is not OTLP' })).finish();
    const server = await stub((res) => res.writeHead(400, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(status)));
    const target = httpTarget({ url: `${server.url}/prefix/`, connections: 1, retryForMs: 10_000, timeoutMs: 5000 });
    try {
      const o = await target.send(LOGS, undefined, open);
      expect(o).toMatchObject({ accepted: false, retries: 0, message: 'HTTP 400: body is not OTLP' });
      expect(server.paths).toEqual(['/prefix/v1/logs']);
    } finally {
      await target.close();
      await server.close();
    }
  });

  it('counts the records a JSON partial success refused', async () => {
    const body = JSON.stringify({ partialSuccess: { rejectedLogRecords: '2', errorMessage: 'two were bad' } });
    const server = await stub((res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    const target = httpTarget({ url: server.url, connections: 1, retryForMs: 0, timeoutMs: 5000 });
    try {
      expect(await target.send(LOGS, undefined, open)).toEqual({ accepted: true, records: 3, rejectedRecords: 2, retries: 0, message: 'two were bad' });
    } finally {
      await target.close();
      await server.close();
    }
  });
});

describe('progress and summary', () => {
  const stats = (done: number): ReplayStats => ({
    requests: 12, rejectedRequests: 1, records: 340, acceptedRecords: 330, rejectedRecords: 10, uncounted: 0, retries: 3,
    doneBytes: done, inputBytes: 1000, elapsedMs: 2500, problems: ['a/0001.meta.json: HTTP 404: no table'],
  });
  const fakeStream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, columns: 60, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream };
  };

  it('redraws a bar on a terminal, clipped to its width, and clears it at the end', () => {
    vi.useFakeTimers();
    try {
      const { writes, stream } = fakeStream(true);
      const p = progressReporter(stream, false);
      p.update(stats(100));
      vi.advanceTimersByTime(150);
      p.update(stats(500));
      p.finish();
      expect(writes).toEqual([expect.stringMatching(/^\r\x1b\[2K\[#{10}-{10}\]  50% 12 requests 340 records/), '\r\x1b[2K']);
      expect(writes[0]!.length).toBeLessThanOrEqual('\r\x1b[2K'.length + 59);
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes a plain line every ten seconds when not on a terminal, and nothing when quiet', () => {
    vi.useFakeTimers();
    try {
      const plain = fakeStream(false);
      const quiet = fakeStream(true);
      const p = progressReporter(plain.stream, false);
      const q = progressReporter(quiet.stream, true);
      for (let s = 0; s < 25; s++) {
        vi.advanceTimersByTime(1000);
        p.update(stats(s * 40));
        q.update(stats(s * 40));
      }
      p.finish();
      expect(plain.writes).toEqual([expect.stringMatching(/^replay:  36% 12 requests/), expect.stringMatching(/^replay:  76% /)]);
      expect(quiet.writes).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sums up requests, records, accepted, rejected, retried and time, then the first problems', () => {
    expect(summaryText(stats(1000))).toBe(
      'summary: 12 requests (1 refused), 340 records, 330 accepted, 10 rejected, 3 retried, 2.5 s\n' +
        'first problems:\n  a/0001.meta.json: HTTP 404: no table',
    );
  });
});
