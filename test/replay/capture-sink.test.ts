// The capture writer on its own: numbering under concurrency, whole files only, credentials removed, one writer per folder.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSecretHeader, publicRawHeaders, signalOfPath } from '../../src/capture/format.ts';
import { openCaptureSink, type CapturedRequest } from '../../src/capture/sink.ts';
import { discoverInputs, readCapture } from '../../src/replay/inputs.ts';
import { removeTempDirs, tempDir } from './support.ts';

afterAll(removeTempDirs);

function request(n: number, extraHeaders: Record<string, string> = {}): CapturedRequest {
  const headers: Record<string, string> = {
    'content-type': 'application/x-protobuf',
    'x-databricks-uc-table-name': 'main.s.t_otel_logs',
    authorization: 'Bearer secret-1',
    ...extraHeaders,
  };
  return {
    receivedAt: new Date(1_800_000_000_000 + n),
    signal: 'logs',
    table: 'main.s.t_otel_logs',
    path: '/api/2.0/otel/v1/logs',
    incoming: { method: 'POST', headers, rawHeaders: Object.entries(headers).flat() },
    body: Buffer.alloc(1000 + n, n % 256),
    rows: 1,
    rejected: 0,
  };
}

describe('capture sink', () => {
  it('numbers concurrent requests uniquely in acceptance order and leaves only whole pairs', async () => {
    const dir = await tempDir('sink');
    const sink = await openCaptureSink(dir, () => {});
    await Promise.all(Array.from({ length: 200 }, (_, i) => sink.record(request(i))));
    await sink.close();
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(400);
    for (let seq = 1; seq <= 200; seq++) {
      const name = String(seq).padStart(4, '0');
      const meta = JSON.parse(readFileSync(path.join(dir, `${name}.meta.json`), 'utf8')) as { seq: number; bodyLength: number; receivedAt: string };
      const body = readFileSync(path.join(dir, `${name}.body.bin`));
      expect(meta.seq).toBe(seq);
      // record() was called in index order, so number seq holds request seq-1.
      expect(meta.receivedAt).toBe(new Date(1_800_000_000_000 + seq - 1).toISOString());
      expect(body.length).toBe(meta.bodyLength);
      expect(body.length).toBe(1000 + seq - 1);
    }
  });

  it('continues the numbering of a folder that already holds captures, past 9999', async () => {
    const dir = await tempDir('sink-append');
    writeFileSync(path.join(dir, '9999.meta.json'), '{}');
    const sink = await openCaptureSink(dir, () => {});
    await sink.record(request(1));
    await sink.close();
    expect(readdirSync(dir).sort()).toEqual(['10000.body.bin', '10000.meta.json', '9999.meta.json']);
    const inputs = await discoverInputs([dir]);
    expect(inputs.map((i) => (i.kind === 'capture' ? path.basename(i.meta) : ''))).toEqual(['9999.meta.json', '10000.meta.json']);
  });

  it('removes credentials and keeps everything else a replay needs', async () => {
    const dir = await tempDir('sink-secret');
    const sink = await openCaptureSink(dir, () => {});
    const vendor = { 'x-honeycomb-team': 'hc-1', 'x-auth': 'xa-2', authentication: 'au-3', 'x-access-key': 'ak-4', 'x-credentials': 'cr-5', 'x-signature': 'sg-6' };
    await sink.record(request(1, { cookie: 'c=1', 'proxy-authorization': 'Basic x', 'x-api-key': 'k', 'user-agent': 'agent/1.0', ...vendor }));
    await sink.close();
    const text = readFileSync(path.join(dir, '0001.meta.json'), 'utf8');
    expect(text).not.toMatch(/secret-1|authorization|cookie|api-key|Basic x|hc-1|xa-2|au-3|ak-4|cr-5|sg-6|honeycomb|x-auth|signature|credentials|access-key/i);
    const [input] = await discoverInputs([dir]);
    if (input?.kind !== 'capture') throw new Error(`expected one capture in ${dir}`);
    const item = await readCapture(input);
    expect(item).toMatchObject({
      kind: 'request',
      signal: 'logs',
      path: '/api/2.0/otel/v1/logs',
      table: 'main.s.t_otel_logs',
      contentType: 'application/x-protobuf',
      headers: { 'user-agent': 'agent/1.0' },
    });
  });

  it('records the table the server chose for a request without the table header, and replay sends it there', async () => {
    const dir = await tempDir('sink-default');
    const sink = await openCaptureSink(dir, () => {});
    const req = request(1);
    const headers = { ...(req.incoming.headers as Record<string, string>) };
    delete headers['x-databricks-uc-table-name'];
    await sink.record({ ...req, table: 'main.s.default_otel_logs', incoming: { method: 'POST', headers, rawHeaders: [] } });
    await sink.close();
    const meta = JSON.parse(readFileSync(path.join(dir, '0001.meta.json'), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({ tableHeader: null, table: 'main.s.default_otel_logs' });
    const [input] = await discoverInputs([dir]);
    if (input?.kind !== 'capture') throw new Error(`expected one capture in ${dir}`);
    expect(await readCapture(input)).toMatchObject({ table: 'main.s.default_otel_logs' });
  });

  it('refuses a folder another live process is capturing into, and takes over a stale lock', async () => {
    const dir = await tempDir('sink-lock');
    writeFileSync(path.join(dir, '.capture.lock'), `${process.ppid}\n`);
    await expect(openCaptureSink(dir, () => {})).rejects.toThrow(/in use by process/);
    writeFileSync(path.join(dir, '.capture.lock'), '999999999\n');
    const sink = await openCaptureSink(dir, () => {});
    await sink.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('logs a failed write instead of failing the already accepted request', async () => {
    const dir = await tempDir('sink-fail');
    const lines: string[] = [];
    const sink = await openCaptureSink(path.join(dir, 'gone'), (l) => lines.push(l));
    await removeTempDirs();
    await expect(sink.record(request(1))).resolves.toBeUndefined();
    expect(lines).toEqual([expect.stringMatching(/capture: could not write request 1/)]);
  });
});

describe('capture format helpers', () => {
  it('keeps only the headers known to be safe; any other name may hold a credential', () => {
    const unsafe = ['Authorization', 'proxy-authorization', 'Cookie', 'x-api-key', 'X-Auth-Token', 'dd-api-key', 'X-Honeycomb-Team', 'X-Auth', 'Authentication', 'X-Access-Key', 'X-Credentials', 'X-Signature', 'x-anything-new'];
    for (const h of unsafe) expect(isSecretHeader(h), h).toBe(true);
    for (const h of ['content-type', 'X-Databricks-UC-Table-Name', 'user-agent', 'content-encoding', 'Content-Length', 'accept', 'host']) expect(isSecretHeader(h), h).toBe(false);
    expect(publicRawHeaders(['Authorization', 'Bearer x', 'Content-Type', 'application/json', 'X-Honeycomb-Team', 'hc'])).toEqual(['Content-Type', 'application/json']);
  });

  it('reads the signal from either export path', () => {
    expect(signalOfPath('/api/2.0/otel/v1/traces')).toBe('traces');
    expect(signalOfPath('/v1/metrics?x=1')).toBe('metrics');
    expect(signalOfPath('/healthz')).toBeUndefined();
  });
});
