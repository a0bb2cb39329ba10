// A kill -9 after audit rows are staged loses none of them: they are in the
// staging log like exported rows, and the next start commits them to
// system.access.audit.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QueryEngine } from '../../src/query/engine.ts';
import { killAll, sleep, startServer, tail, waitExit, waitReady } from './harness.ts';

afterAll(() => killAll());

async function stagedText(root: string): Promise<string> {
  const dir = path.join(root, 'tables', 'system.access.audit');
  const names = await readdir(dir).catch(() => [] as string[]);
  const parts = await Promise.all(names.map((n) => readFile(path.join(dir, n)).catch(() => Buffer.alloc(0))));
  return Buffer.concat(parts).toString('latin1');
}

describe('audit rows across kill -9', () => {
  it('commits every refusal staged before the kill on the next start', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-audit-crash-'));
    const warehouse = path.join(dir, 'w');
    const staging = path.join(dir, 's');
    try {
      // Nothing is committed before the kill: the rows can only come back from staging.
      const first = startServer({ label: 'first', warehouse, staging, flushMs: 600_000 });
      const url = await waitReady(first);
      expect(url, tail(first)).toBeDefined();
      const agents = Array.from({ length: 5 }, (_, i) => `audit-crash-agent-${i}`);
      for (const ua of agents) {
        const res = await fetch(`${url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': ua }, body: '{}' });
        expect(res.status).toBe(400);
      }
      const deadline = Date.now() + 20_000;
      for (;;) {
        const text = await stagedText(staging);
        if (agents.every((a) => text.includes(a))) break;
        if (Date.now() > deadline) throw new Error(`audit rows were not staged within 20 s\n${tail(first)}`);
        await sleep(50);
      }
      first.child.kill('SIGKILL');
      const died = await waitExit(first);
      expect(died.signal).toBe('SIGKILL');

      const second = startServer({ label: 'second', warehouse, staging, flushMs: 100 });
      expect(await waitReady(second), tail(second)).toBeDefined();
      second.child.kill('SIGTERM');
      await waitExit(second);

      const engine = await QueryEngine.open({ warehouse });
      try {
        const r = await engine.execute(
          `SELECT user_agent, response.status_code AS status FROM system.access.audit WHERE action_name = 'refused' ORDER BY user_agent`,
        );
        expect(r.rows).toEqual(agents.map((a) => [a, 400]));
      } finally {
        engine.close();
      }
    } finally {
      killAll();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
