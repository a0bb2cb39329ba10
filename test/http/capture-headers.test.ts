// serve --capture keeps only the headers known to be safe: credentials under any
// header name stay out of the capture, and the capture still replays.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverInputs, readCapture } from '../../src/replay/inputs.ts';
import { loadCaptures } from '../support/fixtures.ts';
import { startTestService, type TestService } from '../support/service.ts';

const TABLE = 'main.http.captured';
const BODY = loadCaptures().find((c) => c.id === 'claude-code/proto-basic/0004')!.body;

const SECRETS: Record<string, string> = {
  authorization: 'Bearer tok-authorization-1',
  'x-honeycomb-team': 'hc-team-secret-2',
  'x-auth': 'x-auth-secret-3',
  authentication: 'authentication-secret-4',
  'x-access-key': 'access-key-secret-5',
  'x-credentials': 'credentials-secret-6',
  'x-signature': 'signature-secret-7',
  'x-custom-vendor': 'vendor-secret-8',
  cookie: 'session=cookie-secret-9',
};

let svc: TestService;
let captureDir: string;

beforeAll(async () => {
  captureDir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-capture-'));
  svc = await startTestService({ capture: captureDir });
  await svc.createTable(TABLE, 'metrics');
});

afterAll(async () => {
  await svc?.stop();
  await rm(captureDir, { recursive: true, force: true });
});

describe('serve --capture', () => {
  it('writes no value of a header outside the safe list, whatever its name', async () => {
    const res = await fetch(`${svc.url}/api/2.0/otel/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'x-databricks-uc-table-name': TABLE, 'user-agent': 'agent/2.0', ...SECRETS },
      body: BODY,
    });
    expect(res.status).toBe(200);
    await svc.stop({ keep: true });
    const files = readdirSync(captureDir).sort();
    expect(files).toEqual(['0001.body.bin', '0001.meta.json']);
    const text = readFileSync(path.join(captureDir, '0001.meta.json'), 'utf8');
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(text, name).not.toContain(value);
      expect(text.toLowerCase(), name).not.toContain(`"${name}"`);
    }
    const meta = JSON.parse(text) as { headers: Record<string, string>; rawHeaders: string[] };
    const safe = ['content-type', 'content-encoding', 'content-length', 'transfer-encoding', 'user-agent', 'accept', 'accept-encoding', 'host', 'x-databricks-uc-table-name'];
    for (const name of Object.keys(meta.headers)) expect(safe).toContain(name);
    for (let i = 0; i < meta.rawHeaders.length; i += 2) expect(safe).toContain(meta.rawHeaders[i]!.toLowerCase());
    expect(meta.headers).toMatchObject({ 'user-agent': 'agent/2.0', 'x-databricks-uc-table-name': TABLE, 'content-type': 'application/x-protobuf' });
  });

  it('still replays: the request is rebuilt with its table, content type and body, and no credential', async () => {
    const [input] = await discoverInputs([captureDir]);
    if (input?.kind !== 'capture') throw new Error(`expected one capture in ${captureDir}`);
    const item = await readCapture(input);
    if (item.kind !== 'request') throw new Error(`capture not readable: ${JSON.stringify(item)}`);
    expect(item).toMatchObject({ table: TABLE, contentType: 'application/x-protobuf', signal: 'metrics' });
    expect(Buffer.from(item.body).equals(BODY)).toBe(true);
    expect(item.headers).toEqual({ 'user-agent': 'agent/2.0', accept: '*/*' });
    const target = await startTestService();
    try {
      await target.createTable(TABLE, 'metrics');
      const res = await fetch(`${target.url}${item.path}`, {
        method: 'POST',
        headers: { ...item.headers, 'content-type': item.contentType, 'x-databricks-uc-table-name': item.table! },
        body: item.body,
      });
      expect(res.status).toBe(200);
    } finally {
      await target.stop();
    }
  });
});
