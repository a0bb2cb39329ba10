// The query engine's bounds, with real DuckDB and the real server on
// loopback: results streamed and cut at the row and byte limits, a timeout
// that cancels the query, a bounded queue answered with 429, a stop that
// cancels running statements, no spilling and no reading of DuckDB's temp
// directory, and the nested-comment statement refused by the keyword check.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from '../../src/cli/service.ts';
import { resolveServeConfig } from '../../src/config/serve-config.ts';
import { QueryEngine, QueryError } from '../../src/query/engine.ts';

// Each is a single aggregate over 10^15 rows: it runs until it is cancelled.
const ENDLESS = 'SELECT count(*) FROM range(100000) a, range(100000) b, range(100000) c';

let warehouse: string;

beforeAll(async () => {
  warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-sql-limits-'));
});
afterAll(async () => {
  await rm(warehouse, { recursive: true, force: true });
});

const failure = (p: Promise<unknown>): Promise<QueryError> =>
  p.then(
    () => {
      throw new Error('the statement succeeded');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(QueryError);
      return e as QueryError;
    },
  );

describe('results', () => {
  it('streams a huge result and stops at the row limit', async () => {
    const engine = await QueryEngine.open({ warehouse });
    try {
      const heap = process.memoryUsage().heapUsed;
      const r = await engine.execute('SELECT * FROM range(40000000)', { rowLimit: 10 });
      expect(r.rows).toEqual([...Array(10).keys()].map((i) => [String(i)]));
      expect(r.truncated).toBe(true);
      // Converting the whole result would take gigabytes of heap.
      expect(process.memoryUsage().heapUsed - heap).toBeLessThan(64 * 1024 * 1024);
      const all = await engine.execute('SELECT * FROM range(10)', { rowLimit: 10 });
      expect(all.truncated).toBe(false);
      expect(all.rows).toHaveLength(10);
    } finally {
      engine.close();
    }
  });

  it('stops at the byte limit and caps the row limit at the engine maximum', async () => {
    const engine = await QueryEngine.open({ warehouse });
    try {
      const r = await engine.execute(`SELECT repeat('x', 1000) FROM range(100)`, { byteLimit: 10_000 });
      expect(r.truncated).toBe(true);
      expect(r.rows.length).toBeGreaterThan(5);
      expect(r.rows.length).toBeLessThan(11);
      const big = await engine.execute('SELECT * FROM range(200000)', { rowLimit: 10_000_000 });
      expect(big.rows).toHaveLength(100_000);
      expect(big.truncated).toBe(true);
    } finally {
      engine.close();
    }
  });
});

describe('timeout, memory and files', () => {
  it('cancels a statement past its timeout and frees the slot', async () => {
    const lines: string[] = [];
    const engine = await QueryEngine.open({ warehouse, timeoutMs: 300, maxConcurrent: 1, log: (l) => lines.push(l) });
    try {
      const started = Date.now();
      const e = await failure(engine.execute(ENDLESS));
      expect(e.code).toBe('timeout');
      expect(e.message).toMatch(/statement timeout of 300 ms/);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(lines.some((l) => l.includes('statement timeout'))).toBe(true);
      // The one slot is free again, and the connection's interrupt did not stick.
      expect((await engine.execute('SELECT 42')).rows).toEqual([[42]]);
    } finally {
      engine.close();
    }
  });

  it('keeps to its memory limit without spilling, and cannot read its temp directory or ./.tmp', async () => {
    const engine = await QueryEngine.open({ warehouse, memoryLimit: '100MB' });
    const tmp = path.join(process.cwd(), '.tmp');
    const made = !existsSync(tmp);
    const secret = path.join(tmp, `secret-${randomUUID()}.txt`);
    mkdirSync(tmp, { recursive: true });
    writeFileSync(secret, 'secret');
    try {
      const oom = await failure(engine.execute('SELECT count(*) FROM (SELECT * FROM range(30000000) ORDER BY random())'));
      expect(oom.message).toMatch(/Out of Memory/);
      const settings = await engine.execute("SELECT current_setting('temp_directory'), current_setting('allowed_directories')");
      expect(settings.rows).toEqual([['', [`${warehouse.endsWith('/') ? warehouse : `${warehouse}/`}`]]]);
      for (const p of [secret, path.relative(process.cwd(), secret)]) {
        expect((await failure(engine.execute(`SELECT * FROM read_text('${p}')`))).message).toMatch(/disabled by configuration|Permission/);
      }
    } finally {
      engine.close();
      rmSync(made ? tmp : secret, { recursive: true, force: true });
    }
  });

  it('refuses a write hidden behind a nested comment by its first word', async () => {
    const engine = await QueryEngine.open({ warehouse });
    try {
      const target = path.join(warehouse, 'leak.csv');
      const e = await failure(engine.execute(`/* /* */ SELECT 1 */ COPY (SELECT 1) TO '${target}'`));
      expect(e.code).toBe('read_only');
      expect(e.message).toMatch(/starts with "copy"/);
      expect(existsSync(target)).toBe(false);
    } finally {
      engine.close();
    }
  });
});

async function serve(sqlTimeoutMs: number): Promise<{ service: Service; logs: string[] }> {
  const config = resolveServeConfig({ host: '127.0.0.1', port: '0', warehouse, staging: path.join(warehouse, `.staging-${randomUUID()}`), sqlTimeoutMs: String(sqlTimeoutMs) }, {});
  const logs: string[] = [];
  return { service: await startService(config, (l) => logs.push(l)), logs };
}

async function statement(url: string, body: unknown): Promise<{ status: number; retryAfter: string | null; json: Record<string, any> }> {
  const res = await fetch(`${url}/api/2.0/sql/statements`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), json: (await res.json()) as Record<string, any> };
}

describe('the statements endpoint', () => {
  it('answers a huge result cut at row_limit and byte_limit', async () => {
    const { service } = await serve(30_000);
    try {
      const r = await statement(service.url, { statement: 'SELECT * FROM range(40000000)', row_limit: 10 });
      expect(r.status).toBe(200);
      expect(r.json.result.data_array).toHaveLength(10);
      expect(r.json.manifest.truncated).toBe(true);
      const b = await statement(service.url, { statement: `SELECT repeat('x', 1000) FROM range(100)`, byte_limit: 5000 });
      expect(b.json.result.row_count).toBeLessThan(6);
      expect(b.json.manifest.truncated).toBe(true);
      expect((await statement(service.url, { statement: 'SELECT 1', byte_limit: 0 })).status).toBe(400);
    } finally {
      await service.stop();
    }
  });

  it('cancels at --sql-timeout-ms, answers 429 with Retry-After when the queue is full, and stays up', async () => {
    const { service, logs } = await serve(3000);
    try {
      // 2 run, 8 wait, 2 are refused.
      const answers = await Promise.all(Array.from({ length: 12 }, () => statement(service.url, { statement: ENDLESS })));
      const busy = answers.filter((a) => a.status === 429);
      expect(busy).toHaveLength(2);
      for (const b of busy) {
        expect(b.json.error_code).toBe('RESOURCE_EXHAUSTED');
        expect(Number(b.retryAfter)).toBeGreaterThanOrEqual(1);
      }
      const cancelled = answers.filter((a) => a.status === 400);
      expect(cancelled).toHaveLength(10);
      for (const c of cancelled) expect(c.json.error_code).toBe('DEADLINE_EXCEEDED');
      expect(logs.some((l) => l.includes('refused (busy)'))).toBe(true);
      const after = await statement(service.url, { statement: 'SELECT 7' });
      expect(after.json.result.data_array).toEqual([['7']]);
    } finally {
      await service.stop();
    }
  }, 60_000);

  it('stops within its deadline while statements run and wait, answering them', async () => {
    const { service } = await serve(600_000);
    const pending = Array.from({ length: 4 }, () => statement(service.url, { statement: ENDLESS }));
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    await service.stop();
    expect(Date.now() - started).toBeLessThan(10_000);
    for (const a of await Promise.all(pending)) {
      expect(a.status).toBe(503);
      expect(a.json.error_code).toBe('TEMPORARILY_UNAVAILABLE');
    }
  }, 60_000);
});

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin/otlp2delta');
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTLP2DELTA_')));

describe('the processes', () => {
  it('serve exits after SIGTERM while statements run', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--warehouse', warehouse, '--staging', path.join(warehouse, `.staging-${randomUUID()}`)], {
      env: cleanEnv(),
      cwd: ROOT,
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(stderr);
        if (m?.[1]) resolve(m[1]);
      });
      child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
    });
    const pending = Array.from({ length: 3 }, () => statement(url, { statement: ENDLESS }).catch(() => undefined));
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    expect(code, stderr).toBe(0);
    await Promise.all(pending);
  }, 40_000);

  it('sql --timeout-ms cancels a long statement and exits 1', async () => {
    const child = spawn(process.execPath, [BIN, 'sql', ENDLESS, '--timeout-ms', '300', '--warehouse', warehouse], { env: cleanEnv(), cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr).toMatch(/statement timeout of 300 ms/);
    expect(Date.now() - started).toBeLessThan(20_000);
    const bad = spawn(process.execPath, [BIN, 'sql', 'SELECT 1', '--timeout-ms', 'soon', '--warehouse', warehouse], { env: cleanEnv(), cwd: ROOT });
    expect(await new Promise((resolve) => bad.on('exit', (c) => resolve(c)))).toBe(2);
  }, 40_000);
});

describe('a statement whose time is up as it gets its slot', () => {
  it('is cancelled, not left running: every one answers within seconds, over many rounds', async () => {
    const engine = await QueryEngine.open({ warehouse, maxConcurrent: 1, timeoutMs: 300, threads: 1 });
    const CROSS = 'SELECT count(*) FROM range(100000) a, range(100000) b, range(100000) c';
    try {
      for (let round = 0; round < 8; round++) {
        const started = Date.now();
        // The second waits for the first's slot and gets it with no time left: its cancel
        // lands while its query is being started, which DuckDB used to forget.
        const outcomes = await Promise.allSettled([engine.execute(CROSS), engine.execute(CROSS), engine.execute(CROSS)]);
        for (const o of outcomes) {
          expect(o.status).toBe('rejected');
          expect((o as PromiseRejectedResult).reason).toBeInstanceOf(QueryError);
        }
        expect(Date.now() - started, `round ${round}`).toBeLessThan(5_000);
      }
    } finally {
      engine.close();
    }
  }, 60_000);
});
