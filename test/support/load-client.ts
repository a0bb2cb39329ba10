// The client side of load tests, free of service imports so a worker thread can load it cheaply:
// OTLP/JSON log bodies whose records carry unique ids, a plain HTTP client that reports every
// outcome (never retries), the ledger of answers, and bounded-concurrency drivers.
import http from 'node:http';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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
  opts: {
    agent?: http.Agent;
    timeoutMs?: number;
    headers?: Record<string, string>;
    /** Send the body in two writes, the second `gapMs` after the first `splitAt` bytes, like a slow client. */
    splitAt?: number;
    gapMs?: number;
  } = {},
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
    if (opts.splitAt === undefined) req.end(body);
    else {
      req.write(body.subarray(0, opts.splitAt));
      setTimeout(() => {
        if (!req.destroyed) req.end(body.subarray(opts.splitAt));
      }, opts.gapMs ?? 0);
    }
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
