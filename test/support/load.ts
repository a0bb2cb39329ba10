// Load-test plumbing: the real service with chosen limits, OTLP/JSON log bodies whose records carry
// unique ids, a plain HTTP client that reports every outcome (never retries), and the ledger that
// proves each acknowledged record landed exactly once.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startService, type Service } from '../../src/cli/service.ts';
import { resolveServeConfig, type ServeInputs } from '../../src/config/serve-config.ts';
import { createDeltaTable } from '../../src/delta/table.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import { checkDeltaTable } from './delta-check.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type LoadService = {
  service: Service;
  url: string;
  warehouse: string;
  logs: string[];
  /** Creates a logs table and returns its folder. */
  createLogsTable(name: string): Promise<string>;
  stop(opts?: { keep?: boolean }): Promise<boolean>;
};

/** The in-process service on a loopback port; `flags` are the serve flags by their config names. */
export async function startLoadService(flags: Omit<ServeInputs, 'host' | 'port'>): Promise<LoadService> {
  const warehouse = flags.warehouse ?? (await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-load-')));
  const config = resolveServeConfig({ ...flags, host: '127.0.0.1', port: '0', warehouse }, {});
  const logs: string[] = [];
  const service = await startService(config, (l) => logs.push(l));
  return {
    service,
    url: service.url,
    warehouse,
    logs,
    createLogsTable: (name) => createLogsTable(warehouse, name),
    async stop({ keep = false } = {}) {
      const drained = await service.stop();
      if (!keep) await rm(warehouse, { recursive: true, force: true });
      return drained;
    },
  };
}

export async function createLogsTable(warehouse: string, name: string): Promise<string> {
  const dir = tableDir(warehouse, parseTableName(name));
  const schema = schemaFor('logs');
  await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties } });
  return dir;
}

/** An OTLP/JSON logs export with one record per id; `padBytes` of body text per record sets its size. */
export function logsBody(ids: string[], padBytes = 0): Buffer {
  const pad = 'x'.repeat(padBytes);
  const logRecords = ids.map((id) => ({
    timeUnixNano: '1700000000000000000',
    severityNumber: 9,
    body: { stringValue: `record ${id} ${pad}` },
    attributes: [{ key: 'id', value: { stringValue: id } }],
  }));
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'load-test' } }] };
  return Buffer.from(JSON.stringify({ resourceLogs: [{ resource, scopeLogs: [{ scope: { name: 'load' }, logRecords }] }] }));
}

/** What one request came to: an HTTP answer, or the socket error code when there was none. */
export type Outcome =
  | { kind: 'answer'; status: number; retryAfter: string | undefined; body: string }
  | { kind: 'error'; code: string; message: string };

/** POSTs a logs export once. Socket errors are outcomes, not exceptions, so callers can classify them. */
export function postLogs(
  baseUrl: string,
  table: string,
  body: Buffer,
  opts: { agent?: http.Agent; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<Outcome> {
  const url = new URL('/v1/logs', baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: Outcome) => {
      if (!settled) {
        settled = true;
        resolve(o);
      }
    };
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: opts.agent ?? false,
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          'x-databricks-uc-table-name': table,
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ra = res.headers['retry-after'];
          done({ kind: 'answer', status: res.statusCode ?? 0, retryAfter: Array.isArray(ra) ? ra[0] : ra, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e: NodeJS.ErrnoException) => done({ kind: 'error', code: e.code ?? 'ERR', message: e.message }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => done({ kind: 'error', code: e.code ?? 'ERR', message: e.message }));
    if (opts.timeoutMs) {
      req.setTimeout(opts.timeoutMs, () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    }
    req.end(body);
  });
}

/** Which ids were acknowledged, refused (a retryable answer: must not be stored) or left unknown. */
export class Ledger {
  readonly acked = new Set<string>();
  readonly refused = new Set<string>();
  readonly unknown = new Set<string>();
  readonly statuses = new Map<string, number>();
  readonly problems: string[] = [];

  record(ids: string[], o: Outcome): void {
    const key = o.kind === 'answer' ? String(o.status) : o.code;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    const into = o.kind === 'error' ? this.unknown : o.status === 200 ? this.acked : this.refused;
    for (const id of ids) into.add(id);
  }

  count(key: string | number): number {
    return this.statuses.get(String(key)) ?? 0;
  }

  summary(): string {
    return [...this.statuses].map(([k, n]) => `${k}:${n}`).join(' ');
  }
}

/** How many times each id occurs in the table, after checking the table is valid. */
export async function idCounts(dir: string): Promise<Map<string, number>> {
  const { rows } = await checkDeltaTable(dir, 'logs');
  const counts = new Map<string, number>();
  for (const r of rows) {
    const id = (r.attributes as Map<string, string | null>).get('id');
    if (typeof id !== 'string') throw new Error(`row without an id attribute: ${String(r.body)}`);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Problems with what the table holds against the ledger: an acknowledged id
 * missing or repeated, a refused id present (its sender retries it, so it
 * would be stored twice), an unknown id repeated, or an id nobody sent.
 */
export function ledgerProblems(ledger: Ledger, counts: Map<string, number>): string[] {
  const out: string[] = [];
  const some = (label: string, ids: string[]) => {
    if (ids.length > 0) out.push(`${ids.length} ${label}, e.g. ${ids.slice(0, 5).join(', ')}`);
  };
  some('acknowledged ids missing', [...ledger.acked].filter((id) => !counts.has(id)));
  some('acknowledged ids stored more than once', [...ledger.acked].filter((id) => (counts.get(id) ?? 0) > 1));
  some('refused ids stored anyway', [...ledger.refused].filter((id) => counts.has(id)));
  some('unknown-outcome ids stored more than once', [...ledger.unknown].filter((id) => (counts.get(id) ?? 0) > 1));
  const sent = (id: string) => ledger.acked.has(id) || ledger.refused.has(id) || ledger.unknown.has(id);
  some('ids in the table that were never sent', [...counts.keys()].filter((id) => !sent(id)));
  return out;
}

/** Runs `worker(i)` for i = 0..count-1 with at most `concurrency` at once. */
export async function pool(count: number, concurrency: number, worker: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(count, concurrency) }, async () => {
    while (next < count) await worker(next++);
  });
  await Promise.all(lanes);
}

/** Keeps `concurrency` workers busy until `ms` have passed; returns how many calls were made. */
export async function floodFor(ms: number, concurrency: number, worker: (i: number) => Promise<void>): Promise<number> {
  const until = Date.now() + ms;
  let next = 0;
  const lanes = Array.from({ length: concurrency }, async () => {
    while (Date.now() < until) await worker(next++);
  });
  await Promise.all(lanes);
  return next;
}

/** The heap and resident size after a full collection, when collection can be forced. */
export function memorySample(): { heapUsed: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc ?? exposeGc();
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

/** Test workers run without --expose-gc; the flag can still be turned on at run time. */
function exposeGc(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
