// Every recorded client capture re-sent over OTLP/gRPC with a raw client lands
// row for row as over OTLP/HTTP, with the same partial-success answer. gRPC
// carries protobuf only, so JSON captures are re-encoded as protobuf first and
// gzip ones are sent with gRPC's own gzip.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRequest } from '../../src/otlp/codec.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { checkDeltaTable, type Row } from '../support/delta-check.ts';
import { loadCaptures, replayCapture, type Capture } from '../support/fixtures.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { rowKey } from '../golden/golden.ts';
import { targetOf } from '../e2e/replay-all.ts';
import { grpcTarget, rawClient, Status, type RawClient } from './grpc-client.ts';

const CAPTURES = loadCaptures();
const grpcTable = (t: string) => `${t}_grpc`;

function protobufBody(c: Capture): Buffer {
  const raw = c.headers['content-encoding'] === 'gzip' ? gunzipSync(c.body) : c.body;
  if (!c.headers['content-type']?.includes('json')) return raw;
  const types = SIGNAL_TYPES[c.signal];
  const message = decodeRequest(c.signal, raw, 'json');
  return Buffer.from(types.request.encode(message as never).finish());
}

let svc: TestService;
let plain: RawClient;
let gzip: RawClient;
const sorted = (rows: Row[]) => rows.map((r) => ({ r, k: rowKey(r) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)).map((x) => x.r);

beforeAll(async () => {
  svc = await startTestService();
  plain = rawClient(grpcTarget(svc));
  gzip = rawClient(grpcTarget(svc), { gzip: true });
  const made = new Set<string>();
  for (const c of CAPTURES) {
    const t = targetOf(c);
    if (made.has(t.table)) continue;
    made.add(t.table);
    await svc.createTable(t.table, t.kind);
    await svc.createTable(grpcTable(t.table), t.kind);
  }
}, 60_000);

afterAll(async () => {
  plain?.close();
  gzip?.close();
  await svc?.stop();
});

describe('recorded client captures over OTLP/gRPC', () => {
  it('land row for row as over OTLP/HTTP, with the same answers', async () => {
    expect(CAPTURES.length).toBeGreaterThan(5);
    for (const c of CAPTURES) {
      const t = targetOf(c);
      const http = await replayCapture(svc.url, c, { ...t.overrides, 'content-type': c.headers['content-type'] ?? 'application/x-protobuf' });
      expect(http.status, c.id).toBe(200);
      const body = protobufBody(c);
      const client = c.headers['content-encoding'] === 'gzip' ? gzip : plain;
      const auth = c.headers.authorization;
      const answer = await client.send(c.signal, body, { 'x-databricks-uc-table-name': grpcTable(t.table), ...(auth ? { authorization: auth } : {}) });
      expect(answer.code, `${c.id}: ${answer.details}`).toBe(Status.OK);
      // The HTTP answer in the capture's encoding, the gRPC one in protobuf: compare what they say.
      const httpBytes = new Uint8Array(await http.arrayBuffer());
      const httpAnswer = c.headers['content-type']?.includes('json')
        ? (JSON.parse(Buffer.from(httpBytes).toString('utf8')) as Record<string, unknown>)
        : (SIGNAL_TYPES[c.signal].response.toObject(SIGNAL_TYPES[c.signal].response.decode(httpBytes), { longs: String }) as Record<string, unknown>);
      expect(answer.response, c.id).toEqual(httpAnswer);
    }
    const tables = [...new Set(CAPTURES.map((c) => targetOf(c)))].filter((t, i, all) => all.findIndex((x) => x.table === t.table) === i);
    await svc.service.pipeline.flushAll();
    for (const t of tables) {
      const overHttp = sorted((await checkDeltaTable(svc.tableDir(t.table), t.kind)).rows);
      const overGrpc = sorted((await checkDeltaTable(svc.tableDir(grpcTable(t.table)), t.kind)).rows);
      expect(overHttp.length, t.table).toBeGreaterThan(0);
      expect(overGrpc, t.table).toEqual(overHttp);
    }
  }, 120_000);
});
