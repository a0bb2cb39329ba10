// Crash-test plumbing: server child processes, uniquely identifiable log records, a client that never retries, and the ledger of what was acknowledged.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Long from 'long';
import { createDeltaTable } from '../../src/delta/table.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import type { Row } from '../support/delta-check.ts';
import { prng, type Rnd } from '../support/prng.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(REPO, 'bin', 'otlp2delta');

export { prng, type Rnd };

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function createLogsTable(warehouse: string, name: string): Promise<string> {
  const dir = tableDir(warehouse, parseTableName(name));
  const schema = schemaFor('logs');
  await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties } });
  return dir;
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };
export type Server = {
  label: string;
  child: ChildProcess;
  /** The base URL from the start line, or undefined if the process exited first. */
  ready: Promise<string | undefined>;
  exited: Promise<Exit>;
  exit: Exit | undefined;
  /** Every stderr line, for failure messages. */
  log: string[];
};

const children = new Set<ChildProcess>();

/** SIGKILLs every child still running; for afterAll, so no test leaves servers behind. */
export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
}

export type ServerOptions = { label: string; warehouse: string; staging: string; flushMs: number; failpoints?: string; args?: string[]; env?: Record<string, string> };

export function startServer(o: ServerOptions): Server {
  const env: NodeJS.ProcessEnv = {};
  // Settings inherited from the shell must not change what the test exercises.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTLP2DELTA_')) env[k] = v;
  if (o.failpoints) env.OTLP2DELTA_FAILPOINTS = o.failpoints;
  Object.assign(env, o.env);
  const args = [BIN, 'serve', '--port', '0', '--warehouse', o.warehouse, '--staging', o.staging, '--flush-interval-ms', String(o.flushMs), ...(o.args ?? [])];
  const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  const log: string[] = [];
  let onReady: (url: string | undefined) => void = () => undefined;
  const ready = new Promise<string | undefined>((r) => (onReady = r));
  let partial = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      log.push(line);
      const m = / listening on (http:\/\/\S+) warehouse /.exec(line);
      if (m) onReady(m[1]);
    }
  });
  const server: Server = { label: o.label, child, ready, exited: undefined as unknown as Promise<Exit>, exit: undefined, log };
  server.exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (partial) log.push(partial);
      server.exit = { code, signal };
      onReady(undefined);
      resolve(server.exit);
    });
  });
  return server;
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Waits for the start line; undefined when the process died first (e.g. a crash during recovery). */
export const waitReady = (s: Server, ms = 30_000) => within(s.ready, ms, `${s.label}: no start line within ${ms} ms\n${tail(s)}`);
export const waitExit = (s: Server, ms = 40_000) => within(s.exited, ms, `${s.label}: did not exit within ${ms} ms\n${tail(s)}`);

export const tail = (s: Server, n = 15): string => s.log.slice(-n).map((l) => `  [${s.label}] ${l}`).join('\n');

/** Segment files (and a lock) left in a staging folder; empty after a clean stop. */
export function stagingLeftovers(root: string): string[] {
  if (!existsSync(root)) return [];
  const names = readdirSync(root, { recursive: true, encoding: 'utf8' });
  return names.filter((n) => n.endsWith('.wal') || n.endsWith('.ndjson') || path.basename(n) === 'LOCK').sort();
}

/**
 * Hidden files in _delta_log: commit texts staged under a temporary name that
 * a kill -9 left behind. Delta readers skip them; the strict checker does not.
 */
export function logTempFiles(dir: string): string[] {
  return readdirSync(path.join(dir, '_delta_log')).filter((n) => n.startsWith('.')).sort();
}

/** A copy of the table without those temp files, so the rest of the check can still run when they are there. */
export async function copyWithoutLogTemps(dir: string, dest: string): Promise<string> {
  const log = path.join(dir, '_delta_log');
  await cp(dir, dest, { recursive: true, filter: (src) => !(path.dirname(src) === log && path.basename(src).startsWith('.')) });
  return dest;
}

export type Expected = {
  rid: string; req: string; body: string; time: bigint; observed: bigint;
  severity: number; eventName: string; traceId: string; spanId: string; n: number;
};

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
/** Written out independently of the service's enum table. */
export const severityName = (n: number): string => `SEVERITY_NUMBER_${LEVELS[Math.floor((n - 1) / 4)]}${['', '2', '3', '4'][(n - 1) % 4]}`;
/** Past 2^53, so only an exact int64 path keeps the last digits. */
const BASE_NANOS = 1_795_235_805_000_000_000n;
const hex = (rnd: Rnd, n: number) => Array.from({ length: n }, () => rnd.int(256).toString(16).padStart(2, '0')).join('');

export function makeRecords(rnd: Rnd, req: string, count: number): Expected[] {
  return Array.from({ length: count }, (_, i) => {
    const rid = `${req}-${i}`;
    const time = BASE_NANOS + BigInt(rnd.int(1_000_000_000)) * 1000n + BigInt(rnd.int(1000));
    // Newlines, quotes and non-ASCII must survive the NDJSON staging and the Parquet round trip.
    const body = `record ${rid}\n"quoted" ü ✓ ${rnd.int(1e9)}`;
    const [observed, severity] = [time + BigInt(rnd.int(1_000_000)), rnd.between(1, 24)];
    const eventName = rnd.pick(['', 'agent.tool_call', 'agent.prompt']);
    return { rid, req, body, time, observed, severity, eventName, traceId: hex(rnd, 16), spanId: hex(rnd, 8), n: rnd.int(2 ** 31) };
  });
}

function otlpObject(records: Expected[], proto: boolean): Record<string, unknown> {
  const id = (h: string) => (proto ? Buffer.from(h, 'hex') : h);
  const nanos = (t: bigint) => (proto ? Long.fromString(t.toString(), true) : t.toString());
  const logRecords = records.map((r) => ({
    timeUnixNano: nanos(r.time),
    observedTimeUnixNano: nanos(r.observed),
    severityNumber: r.severity,
    severityText: `sev${r.severity}`,
    eventName: r.eventName,
    body: { stringValue: r.body },
    attributes: [
      { key: 'rid', value: { stringValue: r.rid } },
      { key: 'req', value: { stringValue: r.req } },
      { key: 'n', value: { intValue: proto ? r.n : String(r.n) } },
    ],
    traceId: id(r.traceId),
    spanId: id(r.spanId),
  }));
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'crash-test' } }] };
  return { resourceLogs: [{ resource, scopeLogs: [{ scope: { name: 'durability', version: '1' }, logRecords }] }] };
}

export type Encoded = { body: Buffer; contentType: string };

export function encode(records: Expected[], proto: boolean): Encoded {
  if (!proto) return { body: Buffer.from(JSON.stringify(otlpObject(records, false))), contentType: 'application/json' };
  const t = SIGNAL_TYPES.logs.request;
  return { body: Buffer.from(t.encode(t.fromObject(otlpObject(records, true))).finish()), contentType: 'application/x-protobuf' };
}

/** One request on a fresh connection, never retried; resolves with the status, or the error code when there was no answer. */
function call(url: string, method: string, headers: http.OutgoingHttpHeaders, body?: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const req = http.request(url, { method, agent: false, headers, timeout: 15_000 });
    req.on('response', (res) => {
      res.resume();
      resolve(String(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end(body);
  });
}

/** Sent exactly once: a record whose request failed is never sent again, so it may land at most once. */
export const postLogs = (url: string, table: string, e: Encoded) =>
  call(`${url}/v1/logs`, 'POST', { 'content-type': e.contentType, 'content-length': e.body.length, 'x-databricks-uc-table-name': table }, e.body);

/** By the time this answers, the start-up code that runs after the start line has run too. */
export const healthz = (url: string) => call(`${url}/healthz`, 'GET', {});

export class Ledger {
  readonly records = new Map<string, Expected>();
  /** Request ids answered 200. */
  readonly acked = new Set<string>();
  /** How many requests ended each way ("200", "503", "ECONNRESET", ...). */
  readonly outcomes = new Map<string, number>();

  note(records: Expected[], req: string, outcome: string): void {
    for (const r of records) this.records.set(r.rid, r);
    if (outcome === '200') this.acked.add(req);
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  get ackedRecords(): number {
    let n = 0;
    for (const r of this.records.values()) if (this.acked.has(r.req)) n += 1;
    return n;
  }
}

export type ClientOptions = {
  clients: number;
  /** Prefix of every request id, unique per round or phase. */
  label: string;
  seed: number;
  table: string;
  ledger: Ledger;
  /** The server to send the next request to; undefined while none is up. */
  pickUrl: (rnd: Rnd) => string | undefined;
  /** Bounds: the loop ends at whichever comes first. */
  stop: () => boolean;
  maxRequestsPerClient: number;
  deadline: number;
};

/** Concurrent senders, each with its own PRNG so their choices do not depend on timing. */
export async function runClients(o: ClientOptions): Promise<void> {
  await Promise.all(
    Array.from({ length: o.clients }, async (_, c) => {
      const rnd = prng(o.seed * 31 + c);
      for (let q = 0; q < o.maxRequestsPerClient && !o.stop() && Date.now() < o.deadline; q++) {
        const url = o.pickUrl(rnd);
        if (url === undefined) {
          await sleep(5);
          continue;
        }
        const req = `${o.label}-c${c}-q${q}`;
        const records = makeRecords(rnd, req, rnd.between(1, 6));
        o.ledger.note(records, req, await postLogs(url, o.table, encode(records, rnd.next() < 0.5)));
      }
    }),
  );
}

const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)));

/** What is wrong with the table's rows against the ledger; empty when every acked record is there exactly once, intact. */
export function verifyRows(rows: Row[], ledger: Ledger): { problems: string[]; seen: Map<string, number> } {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const attrs = row.attributes as Map<string, string | null>;
    const rid = attrs.get('rid') ?? '';
    seen.set(rid, (seen.get(rid) ?? 0) + 1);
    const e = ledger.records.get(rid);
    if (!e) {
      problems.push(`row with unknown rid ${str(rid)}`);
      continue;
    }
    const want: Record<string, unknown> = { body: e.body, time_unix_nano: e.time, observed_time_unix_nano: e.observed };
    Object.assign(want, { severity_number: severityName(e.severity), severity_text: `sev${e.severity}`, event_name: e.eventName });
    Object.assign(want, { trace_id: e.traceId, span_id: e.spanId });
    for (const [k, v] of Object.entries(want)) {
      if (row[k] !== v) problems.push(`${rid}: ${k} is ${str(row[k])}, expected ${str(v)}`);
    }
    const attrText = str([...attrs].sort());
    const wantAttrs = str([['n', String(e.n)], ['req', e.req], ['rid', rid]]);
    if (attrText !== wantAttrs) problems.push(`${rid}: attributes ${attrText}, expected ${wantAttrs}`);
    const res = row.resource as { attributes: Map<string, string | null> };
    if (res.attributes.get('service.name') !== 'crash-test') problems.push(`${rid}: resource is ${str(row.resource)}`);
  }
  for (const [rid, n] of seen) {
    const acked = ledger.acked.has(ledger.records.get(rid)?.req ?? '');
    if (n > 1) problems.push(`${rid} (${acked ? 'acknowledged' : 'not acknowledged'}) is in the table ${n} times`);
  }
  for (const e of ledger.records.values()) {
    if (ledger.acked.has(e.req) && !seen.has(e.rid)) problems.push(`${e.rid} was acknowledged (200) but is missing`);
  }
  return { problems, seen };
}
