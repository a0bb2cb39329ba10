// Replays requests to an OTLP/HTTP server over keep-alive connections,
// retrying only refusals that guarantee nothing was stored (429, 503, refused connection).
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { SIGNAL_TYPES, STATUS_TYPE } from '../otlp/schema.ts';
import type { Signal } from '../otlp/types.ts';
import { countRecords, TABLE_HEADER, type ReplayRequest } from './request.ts';
import { refused, retryDelayMs, sleep, type Target } from './target.ts';

export type HttpTargetOptions = {
  /** The server's base URL; the recorded export path is appended. */
  url: string;
  token?: string | undefined;
  /** Connections kept open, one per concurrent request. */
  connections: number;
  /** Longest time one request keeps being retried. */
  retryForMs: number;
  /** Longest wait for one answer. */
  timeoutMs: number;
};

type Reply = { status: number; headers: IncomingHttpHeaders; body: Buffer };

/**
 * Longest time a refused connection is retried (a server restarting), however
 * long --retry-for is: a wrong address should fail within seconds, not minutes.
 */
const CONNECT_RETRY_FOR_MS = 30_000;

/** Enough of an answer to read its status message; the rest is drained unread. */
const REPLY_BYTES_MAX = 1024 * 1024;

function post(url: URL, headers: Record<string, string>, body: Buffer, agent: http.Agent, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? https.request : http.request;
    const req = send(url, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, agent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < REPLY_BYTES_MAX) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => reject(Object.assign(e, { reusedSocket: req.reusedSocket })));
    req.end(body);
  });
}

/**
 * A connection error after which the server cannot have stored the request:
 * nothing listening, or a kept-alive connection the server had just closed
 * (Node's documented case for retrying on a reused socket).
 */
function safeToRetry(e: NodeJS.ErrnoException & { reusedSocket?: boolean }): boolean {
  if (e.code === 'ECONNREFUSED') return true;
  return e.reusedSocket === true && (e.code === 'ECONNRESET' || e.code === 'EPIPE');
}

const isJson = (r: Reply): boolean => /json/i.test(String(r.headers['content-type'] ?? ''));
const asCount = (v: unknown): number => (typeof v === 'number' || typeof v === 'string' ? Number(v) || 0 : 0);

/** The partial_success of a 200 answer: records refused and why. */
function partialSuccess(signal: Signal, r: Reply): { rejected: number; message: string } {
  const types = SIGNAL_TYPES[signal];
  const snake = types.rejectedField.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  try {
    const obj = (isJson(r)
      ? JSON.parse(r.body.toString('utf8') || '{}')
      : types.response.toObject(types.response.decode(r.body), { longs: String })) as Record<string, unknown>;
    const p = (obj.partialSuccess ?? obj.partial_success ?? {}) as Record<string, unknown>;
    const message = p.errorMessage ?? p.error_message;
    return { rejected: asCount(p[types.rejectedField] ?? p[snake]), message: typeof message === 'string' ? message : '' };
  } catch {
    return { rejected: 0, message: '' };
  }
}

/** The message of a google.rpc.Status answer, or the start of whatever else came back. */
function statusMessage(r: Reply): string {
  try {
    if (isJson(r)) {
      const m = (JSON.parse(r.body.toString('utf8')) as { message?: unknown }).message;
      if (typeof m === 'string') return m;
    } else if (/protobuf/i.test(String(r.headers['content-type'] ?? ''))) {
      return String((STATUS_TYPE.toObject(STATUS_TYPE.decode(r.body)) as { message?: unknown }).message ?? '');
    }
  } catch {
    // fall through to the raw text
  }
  return r.body.toString('utf8', 0, Math.min(r.body.length, 300)).trim();
}

function headersFor(req: ReplayRequest, table: string | undefined, token: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { ...req.headers, 'content-type': req.contentType };
  if (req.contentEncoding !== undefined) headers['content-encoding'] = req.contentEncoding;
  if (table !== undefined) headers[TABLE_HEADER] = table;
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return headers;
}

export function httpTarget(opts: HttpTargetOptions): Target {
  const base = new URL(opts.url);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`--to must be an http:// or https:// URL, got ${opts.url}`);
  const basePath = base.pathname.replace(/\/+$/, '');
  const options = { keepAlive: true, maxSockets: opts.connections };
  const agent = base.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);

  return {
    async send(req, table, gate) {
      const records = await countRecords(req);
      const url = new URL(base);
      url.pathname = `${basePath}${req.path}`;
      const headers = headersFor(req, table, opts.token);
      const started = Date.now();
      for (let retries = 0; ; retries++) {
        await gate();
        let reply: Reply;
        try {
          reply = await post(url, headers, req.body, agent, opts.timeoutMs);
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          const wait = retryDelayMs(undefined, retries + 1);
          if (safeToRetry(err) && Date.now() + wait - started <= Math.min(opts.retryForMs, CONNECT_RETRY_FOR_MS)) {
            await sleep(wait);
            continue;
          }
          return refused(records, retries, `${err.code ?? 'error'}: ${err.message}${retries > 0 ? ` (after ${retries} retries)` : ''}`);
        }
        if (reply.status === 429 || reply.status === 503) {
          const wait = retryDelayMs(reply.headers['retry-after'], retries + 1);
          if (Date.now() + wait - started <= opts.retryForMs) {
            await sleep(wait);
            continue;
          }
          return refused(records, retries, `HTTP ${reply.status} still after ${retries} retries: ${statusMessage(reply)}`);
        }
        if (reply.status < 200 || reply.status > 299) return refused(records, retries, `HTTP ${reply.status}: ${statusMessage(reply)}`);
        const partial = partialSuccess(req.signal, reply);
        const rejectedRecords = records === undefined ? partial.rejected : Math.min(records, partial.rejected);
        return { accepted: true, records, rejectedRecords, retries, message: partial.rejected > 0 ? partial.message : undefined };
      }
    },
    async close() {
      agent.destroy();
      return undefined;
    },
  };
}
