// readBody over real sockets with short limits: a stalled body, a trickling one, a reclaimed one, a vanished client.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isOtlpError } from '../../src/errors.ts';
import { InflightBudget, type InflightHold } from '../../src/ingest/budget.ts';
import { readBody, type BodyReadOptions } from '../../src/http/body.ts';
import { connect, postHead } from './raw.ts';

type Outcome = { ok: true; bytes: number; ms: number } | { ok: false; kind: string; message: string; ms: number };

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A server whose every request is read by readBody; outcomes arrive in order. */
async function bodyServer(opts: (n: number) => BodyReadOptions): Promise<{ url: string; outcomes: Promise<Outcome>[] }> {
  const outcomes: Promise<Outcome>[] = [];
  const resolvers: ((o: Outcome) => void)[] = [];
  for (let i = 0; i < 16; i++) outcomes.push(new Promise((r) => resolvers.push(r)));
  let n = 0;
  const server = http.createServer((req, res) => {
    const t0 = Date.now();
    const resolve = resolvers[n]!;
    // Answered once the body is read or refused, as the app does.
    readBody(req, 1024 * 1024, opts(n++))
      .then(
        (b) => resolve({ ok: true, bytes: b.length, ms: Date.now() - t0 }),
        (e: unknown) => resolve(isOtlpError(e) ? { ok: false, kind: e.kind, message: e.message, ms: Date.now() - t0 } : { ok: false, kind: 'other', message: String(e), ms: 0 }),
      )
      .finally(() => res.end());
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, outcomes };
}

describe('readBody time limits', () => {
  it('refuses a body that stops arriving as a timeout once it has been idle for the limit', async () => {
    const { url, outcomes } = await bodyServer(() => ({ idleTimeoutMs: 300, readTimeoutMs: 20_000 }));
    const c = await connect(url);
    await c.write(postHead('/', { 'content-length': 1000 }) + 'x'.repeat(10));
    const o = await outcomes[0]!;
    expect(o).toMatchObject({ ok: false, kind: 'timeout', message: expect.stringMatching(/no bytes for 300 ms after 10 bytes/) });
    expect(o.ms).toBeGreaterThanOrEqual(250);
    expect(o.ms).toBeLessThan(5000);
  });

  it('refuses a body that keeps trickling past the whole-body limit', async () => {
    const { url, outcomes } = await bodyServer(() => ({ idleTimeoutMs: 1000, readTimeoutMs: 700 }));
    const c = await connect(url);
    await c.write(postHead('/', { 'content-length': 1000 }));
    const drip = setInterval(() => void c.write('x').catch(() => {}), 50);
    try {
      const o = await outcomes[0]!;
      expect(o).toMatchObject({ ok: false, kind: 'timeout', message: expect.stringMatching(/did not arrive within 700 ms/) });
      expect(o.ms).toBeLessThan(5000);
    } finally {
      clearInterval(drip);
    }
  });

  it('a stalled upload loses its memory to a moving one when the budget is full', async () => {
    const budget = new InflightBudget(256 * 1024, 200);
    const holds: InflightHold[] = [];
    const { url, outcomes } = await bodyServer(() => {
      const hold = budget.open();
      holds.push(hold);
      return { hold, idleTimeoutMs: 20_000, readTimeoutMs: 20_000 };
    });
    const stalled = await connect(url);
    await stalled.write(postHead('/', { 'content-length': 512 * 1024 }) + 'x'.repeat(256 * 1024));
    // Both holds are the server's: wait until the stalled one holds the whole budget.
    while (budget.usedBytes < 256 * 1024) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 400));
    const moving = await connect(url);
    await moving.write(postHead('/', { 'content-length': 64 * 1024 }) + 'y'.repeat(64 * 1024));
    expect(await outcomes[0]!).toMatchObject({ ok: false, kind: 'timeout', message: expect.stringMatching(/waited for the memory/) });
    expect(await outcomes[1]!).toMatchObject({ ok: true, bytes: 64 * 1024 });
    expect(holds[0]!.bytes).toBe(0);
  });

  it('refuses as invalid when the client goes away mid-body', async () => {
    const { url, outcomes } = await bodyServer(() => ({}));
    const c = await connect(url);
    await c.write(postHead('/', { 'content-length': 1000 }) + 'x'.repeat(10));
    await new Promise((r) => setTimeout(r, 50));
    c.socket.destroy();
    expect(await outcomes[0]!).toMatchObject({ ok: false, kind: 'invalid', message: expect.stringMatching(/closed the connection/) });
  });
});
