// Loads the recorded client requests under test/fixtures/real-clients and
// replays them against a server with the headers they were sent with.
import { recordsIn } from '../../src/replay/request.ts';
import type { ExportRequest } from '../../src/otlp/types.ts';
import { REAL_CLIENTS_DIR } from './paths.ts';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURES_DIR = REAL_CLIENTS_DIR;

export type Capture = {
  /** client/run/NNNN, e.g. codex/proto-basic/0003 */
  id: string;
  client: string;
  run: string;
  path: string;
  signal: 'metrics' | 'logs' | 'traces';
  headers: Record<string, string>;
  body: Buffer;
  /** The recorder's own decoding of the body. */
  decoded: Record<string, unknown>;
};

// Hop-by-hop and per-connection headers that fetch sets for itself.
const NOT_REPLAYED = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

export function loadCaptures(): Capture[] {
  const out: Capture[] = [];
  for (const client of readdirSync(FIXTURES_DIR).sort()) {
    for (const run of readdirSync(path.join(FIXTURES_DIR, client)).sort()) {
      const dir = path.join(FIXTURES_DIR, client, run);
      for (const f of readdirSync(dir).sort()) {
        const m = /^(\d+)\.meta\.json$/.exec(f);
        if (!m) continue;
        const seq = m[1]!;
        const meta = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { path: string; headers: Record<string, string> };
        const signal = meta.path.split('/').pop() as Capture['signal'];
        out.push({
          id: `${client}/${run}/${seq}`,
          client,
          run,
          path: meta.path,
          signal,
          headers: meta.headers,
          body: readFileSync(path.join(dir, `${seq}.body.bin`)),
          decoded: JSON.parse(readFileSync(path.join(dir, `${seq}.decoded.json`), 'utf8')) as Record<string, unknown>,
        });
      }
    }
  }
  return out;
}

/** Sends a capture's body with its recorded headers (and optionally another table). */
export async function replayCapture(baseUrl: string, c: Capture, overrides: Record<string, string> = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.headers)) if (!NOT_REPLAYED.has(k)) headers[k] = v;
  Object.assign(headers, overrides);
  return fetch(`${baseUrl}${c.path}`, { method: 'POST', headers, body: c.body });
}

/** Records (data points, log records, spans) in a capture, counted from the recorder's own decoding. */
export function captureRecords(c: Capture): number {
  return recordsIn(c.signal, (c.decoded as { request: ExportRequest[Capture['signal']] }).request);
}
