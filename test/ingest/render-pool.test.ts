// The render workers: the same rows as rendering on the event loop, typed
// errors across the thread boundary, and a worker that dies costs only the
// requests it held.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOtlpError, OtlpError } from '../../src/errors.ts';
import { encodeRequest } from '../../src/ingest/encode.ts';
import { RenderPool } from '../../src/ingest/render-pool.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { DEFAULT_CAPS, type RenderResult } from '../../src/tables/render/job.ts';
import { loadCaptures } from '../support/fixtures.ts';

let pool: RenderPool;
const logs: string[] = [];
beforeAll(() => {
  pool = RenderPool.start(2, (l) => logs.push(l));
});
afterAll(async () => {
  await pool?.close();
});

const inline = async (signal: 'metrics' | 'logs' | 'traces', encoding: 'protobuf' | 'json', body: Uint8Array): Promise<RenderResult> =>
  await encodeRequest({ signal, encoding, body }, { ...DEFAULT_CAPS, sliceMs: Infinity });

const failure = async (p: Promise<unknown>): Promise<OtlpError> => {
  try {
    await p;
  } catch (e) {
    if (isOtlpError(e)) return e;
    throw e;
  }
  throw new Error('no error');
};

describe('render pool', () => {
  it('renders every recorded request to the same bytes as the event loop does', async () => {
    const captures = loadCaptures();
    expect(captures.length).toBeGreaterThan(20);
    for (const c of captures) {
      const encoding = /json/.test(c.headers['content-type'] ?? '') ? 'json' : 'protobuf';
      const body = c.headers['content-encoding'] ? undefined : c.body;
      if (!body) continue;
      const [a, b] = [await inline(c.signal, encoding, body), await pool.render({ signal: c.signal, encoding, body })];
      expect(b, c.id).toEqual(a);
    }
  });

  it('renders a large request, and leaves the caller its body', async () => {
    const t = SIGNAL_TYPES.logs.request;
    const records = Array.from({ length: 30_000 }, (_, i) => ({ timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i)), body: { stringValue: `r${i}` } }));
    const body = t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] })).finish();
    const before = Buffer.from(body);
    const got = await pool.render({ signal: 'logs', encoding: 'protobuf', body });
    expect(got.rows).toBe(30_000);
    expect(got.ndjson?.equals((await inline('logs', 'protobuf', body)).ndjson!)).toBe(true);
    expect(Buffer.from(body).equals(before)).toBe(true);
  });

  it('brings errors back as the same OtlpError', async () => {
    const bad = Buffer.from('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1e30"}]}]}]}');
    const there = await failure(pool.render({ signal: 'logs', encoding: 'json', body: bad }));
    const here = await failure(inline('logs', 'json', bad));
    expect([there.kind, there.message]).toEqual([here.kind, here.message]);
    expect(there.kind).toBe('invalid');
  });

  it('fails only the requests a dead worker held, with a retryable 500, and goes on', async () => {
    const t = SIGNAL_TYPES.logs.request;
    const body = t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: Array.from({ length: 200_000 }, () => ({ body: { stringValue: 'x' } })) }] }] })).finish();
    // Its outcome is awaited from the start: the rejection may come before terminate() resolves.
    const held = failure(pool.render({ signal: 'logs', encoding: 'protobuf', body }));
    await Promise.all(pool.workers.map((w) => w.terminate()));
    const e = await held;
    expect(e.kind).toBe('internal');
    expect(e.message).toMatch(/render worker stopped/);
    expect(logs.some((l) => /^render worker stopped/.test(l))).toBe(true);
    const again = await pool.render({ signal: 'logs', encoding: 'protobuf', body: t.encode(t.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{}] }] }] })).finish() });
    expect(again.rows).toBe(1);
  });

  it('answers 503 once closed', async () => {
    const p = RenderPool.start(1, () => undefined);
    await p.close();
    expect((await failure(p.render({ signal: 'logs', encoding: 'json', body: Buffer.from('{}') }))).kind).toBe('unavailable');
  });
});
