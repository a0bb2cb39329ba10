// Real-HTTP helpers for the protocol tests: requests, google.rpc.Status decoding and a chunked upload that stops when answered.
import path from 'node:path';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { expect } from 'vitest';
import { SIGNAL_TYPES, STATUS_TYPE } from '../../src/otlp/schema.ts';

export type Answer = { status: number; headers: Headers; body: Buffer };

/** One request over real HTTP (POST unless told), its answer fully read. */
export async function request(baseUrl: string, urlPath: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${baseUrl}${urlPath}`, { method: 'POST', ...init });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** The google.rpc.Status of an error answer, decoded as its content-type says. */
export function rpcStatus(a: Answer): { code: number; message: string } {
  const ct = a.headers.get('content-type') ?? '';
  if (ct.startsWith('application/json')) return JSON.parse(a.body.toString('utf8')) as { code: number; message: string };
  expect(ct).toMatch(/^application\/x-protobuf/);
  return STATUS_TYPE.toObject(STATUS_TYPE.decode(a.body), { defaults: true }) as { code: number; message: string };
}

export function expectError(a: Answer, status: number, grpc: number, encoding: 'json' | 'protobuf', ...mentions: (string | RegExp)[]): string {
  const { code, message } = rpcStatus(a);
  expect(a.status, message).toBe(status);
  expect(a.headers.get('content-type')).toMatch(encoding === 'json' ? /^application\/json/ : /^application\/x-protobuf/);
  expect(code).toBe(grpc);
  for (const m of mentions) expect(message).toMatch(m);
  return message;
}

export function expectExported(a: Answer): void {
  expect(a.status, a.body.toString('utf8')).toBe(200);
  const t = SIGNAL_TYPES.metrics.response;
  expect(t.toObject(t.decode(a.body)).partialSuccess).toBeUndefined();
}

/**
 * Every path below a directory, for "nothing new was created" checks. The
 * server's own folders are left out: staging, and the audit table, which
 * gains a file whenever refusals are committed to it.
 */
export function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((p) => !p.includes('.otlp2delta') && !p.startsWith(path.join('system', 'access', 'audit')))
    .sort();
}

/** Posts a chunked body with no Content-Length, chunk after chunk, until the server answers. */
export function postChunkedUntilAnswered(
  url: string,
  headers: Record<string, string>,
  chunk: Buffer,
  maxBytes: number,
): Promise<{ status: number; body: Buffer; sent: number }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } });
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => {
        // Like an exporter that got its answer: give up the rest of the upload and the connection.
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), sent });
      });
      res.on('error', reject);
    });
    // Once the server has answered it may drop the rest of the upload; that is expected.
    req.on('error', (e) => (answered ? undefined : reject(e)));
    const pump = (): void => {
      while (!answered && sent < maxBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
        if (sent % (chunk.length * 16) === 0) {
          setImmediate(pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}
