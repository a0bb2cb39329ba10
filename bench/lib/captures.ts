// Picks the recorded agent requests the benchmarks send and states, from each
// capture's decoded.json alone, how many rows one accepted copy of it must land.
import { loadCaptures, type Capture } from '../../test/support/fixtures.ts';

/** Coding agents whose small exports stand for everyday traffic. */
const AGENT_CLIENTS = new Set(['claude-code', 'codex', 'gemini-cli']);
/** Everyday agent exports are a few KB; the rare large ones would be a different benchmark. */
export const AGENT_BODY_BYTES_MIN = 1024;
export const AGENT_BODY_BYTES_MAX = 25 * 1024;

const TABLE_HEADER = 'x-databricks-uc-table-name';
// Headers that belong to the recorder's own connection, not to the request.
const CONNECTION_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

export type BenchRequest = {
  id: string;
  signal: 'metrics' | 'logs';
  path: string;
  table: string;
  /** Recorded headers (content type and encoding included) plus our content-length. */
  headers: Record<string, string>;
  body: Buffer;
  /** Rows one 200 for this request adds to its table. */
  rows: number;
};

type Obj = Record<string, unknown>;

const snake = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

// Protobuf captures were decoded with camelCase names; JSON captures hold the
// body as sent, which OTLP allows to use the proto (snake_case) names.
function field(o: unknown, name: string): unknown {
  if (o === null || typeof o !== 'object') return undefined;
  const r = o as Obj;
  return r[name] ?? r[snake(name)];
}

function list(o: unknown, name: string): unknown[] {
  const v = field(o, name);
  return Array.isArray(v) ? v : [];
}

const METRIC_DATA = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

/** One row per log record, one per metric data point (a metric without data lands nothing). */
export function expectedRows(signal: 'metrics' | 'logs', request: unknown): number {
  let rows = 0;
  if (signal === 'logs') {
    for (const rl of list(request, 'resourceLogs')) {
      for (const sl of list(rl, 'scopeLogs')) rows += list(sl, 'logRecords').length;
    }
    return rows;
  }
  for (const rm of list(request, 'resourceMetrics')) {
    for (const sm of list(rm, 'scopeMetrics')) {
      for (const m of list(sm, 'metrics')) {
        const member = METRIC_DATA.find((k) => field(m, k) != null);
        if (member !== undefined) rows += list(field(m, member), 'dataPoints').length;
      }
    }
  }
  return rows;
}

function toBenchRequest(c: Capture): BenchRequest {
  if (c.signal === 'traces') throw new Error(`${c.id}: traces are not part of the agent mix`);
  const table = c.headers[TABLE_HEADER];
  if (table === undefined) throw new Error(`${c.id}: capture has no ${TABLE_HEADER} header`);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.headers)) if (!CONNECTION_HEADERS.has(k)) headers[k] = v;
  headers['content-length'] = String(c.body.length);
  const rows = expectedRows(c.signal, c.decoded['request']);
  if (rows === 0) throw new Error(`${c.id}: decoded.json yields no rows, so its acknowledgements prove nothing`);
  return { id: c.id, signal: c.signal, path: c.path, table, headers, body: c.body, rows };
}

/** The small metrics and logs exports of the coding agents, in a stable order. */
export function agentRequests(): BenchRequest[] {
  const picked = loadCaptures().filter(
    (c) =>
      AGENT_CLIENTS.has(c.client) &&
      c.signal !== 'traces' &&
      c.body.length >= AGENT_BODY_BYTES_MIN &&
      c.body.length <= AGENT_BODY_BYTES_MAX,
  );
  if (picked.length === 0) throw new Error('no agent captures between 1 and 25 KB were found');
  return picked.map(toBenchRequest);
}

/** Every metrics/logs table any capture names, with its kind, so none is missing at run time. */
export function captureTables(): Map<string, 'metrics' | 'logs'> {
  const out = new Map<string, 'metrics' | 'logs'>();
  for (const c of loadCaptures()) {
    const table = c.headers[TABLE_HEADER];
    if (table !== undefined && c.signal !== 'traces') out.set(table, c.signal);
  }
  return out;
}
