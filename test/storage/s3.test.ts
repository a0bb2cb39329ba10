import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locate, registeredStore, unregisterStore } from '../../src/storage/location.ts';
import { openWarehouse } from '../../src/storage/open.ts';
import { S3Store } from '../../src/storage/s3.ts';
import { OutcomeUnknownError, StoreBusyError } from '../../src/storage/types.ts';
import { storeContract } from './contract.ts';
import { startFakeS3, type FakeS3 } from './fake-s3.ts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';

const ACCESS_KEY = 'AKIATESTKEY';
const SECRET = 'fake-secret-Zq9/+w==';
const PART = 64 * 1024;

const storeAt = (endpoint: string, secret = SECRET, accessKeyId = ACCESS_KEY): S3Store =>
  new S3Store({
    bucket: 'lake',
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId, secretAccessKey: secret },
    partBytes: PART,
    requestTimeoutMs: 5_000,
  });

storeContract('S3 (fake server honouring If-None-Match)', async () => {
  const server = await startFakeS3({ buckets: ['lake'], accessKeyId: ACCESS_KEY });
  const store = storeAt(server.endpoint);
  return {
    store,
    root: 'warehouse',
    partBytes: PART,
    wrongSecret: 'wrong-secret-Hk2/x+y==',
    withWrongSecret: () => storeAt(server.endpoint, 'wrong-secret-Hk2/x+y==', 'AKIAWRONG'),
    close: async () => {
      store.destroy();
      await server.close();
    },
  };
});

describe('S3 store over the wire', () => {
  let server: FakeS3;
  let proxy: FaultProxy;
  let store: S3Store;
  beforeAll(async () => {
    server = await startFakeS3({ buckets: ['lake'], accessKeyId: ACCESS_KEY });
    proxy = await startFaultProxy(server.endpoint);
    store = storeAt(proxy.endpoint);
  });
  afterAll(async () => {
    store.destroy();
    await proxy.close();
    await server.close();
  });

  it('a conditional write whose answer is lost is reported unknown, not as someone else\'s win', async () => {
    // With the SDK's own retries the second attempt would meet our landed first one and get 412.
    proxy.loseAnswers(1, (m) => m === 'PUT');
    await expect(store.putIfAbsent('t/_delta_log/00000000000000000001.json', 'ours')).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(Buffer.from((await store.get('t/_delta_log/00000000000000000001.json')) ?? []).toString()).toBe('ours');
    expect(proxy.requests.filter((r) => r.startsWith('PUT ')).length).toBe(1);
  });

  it('a conditional write that times out after landing is reported unknown', async () => {
    const slow = new S3Store({ bucket: 'lake', endpoint: proxy.endpoint, region: 'us-east-1', credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET }, requestTimeoutMs: 500 });
    proxy.holdAnswers(1);
    const started = Date.now();
    await expect(slow.putIfAbsent('t/timeout.json', 'ours')).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(Buffer.from((await store.get('t/timeout.json')) ?? []).toString()).toBe('ours');
    expect(await slow.putIfAbsent('t/timeout.json', 'again')).toBe(false);
  });

  it('throttling of a conditional write is StoreBusyError and writes nothing', async () => {
    proxy.refuse(1, 503, '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
    await expect(store.putIfAbsent('t/busy.json', 'x')).rejects.toBeInstanceOf(StoreBusyError);
    expect(await store.head('t/busy.json')).toBeUndefined();
    proxy.refuse(1, 429, '<Error><Code>TooManyRequests</Code><Message>slow down</Message></Error>');
    await expect(store.putIfAbsent('t/busy.json', 'x')).rejects.toBeInstanceOf(StoreBusyError);
  });

  it('retries a 409 ConditionalRequestConflict, which wrote nothing', async () => {
    server.faults.conflicts = 2;
    expect(await store.putIfAbsent('t/conflict.json', 'x')).toBe(true);
    expect(server.faults.conflicts).toBe(0);
    expect(await store.putIfAbsent('t/conflict.json', 'y')).toBe(false);
  });

  it('uploads a large file as a multipart upload of part-size pieces', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 's3-upload-'));
    const file = path.join(dir, 'f.parquet');
    await fsp.writeFile(file, Buffer.alloc(PART * 2 + 10, 7));
    const before = server.requests.length;
    await store.upload('t/big.parquet', file);
    const reqs = server.requests.slice(before);
    expect(reqs.filter((r) => r.startsWith('PUT ') && r.includes('partNumber=')).length).toBe(3);
    expect(reqs.some((r) => r.startsWith('POST ') && r.includes('uploads'))).toBe(true);
    expect(server.buckets.get('lake')?.get('t/big.parquet')?.body.length).toBe(PART * 2 + 10);
    await fsp.rm(dir, { recursive: true, force: true });
  });
});

describe('openWarehouse on s3://', () => {
  afterAll(() => {
    unregisterStore('s3://lake');
    unregisterStore('s3://bucket');
  });

  it('opens a store that honours conditional writes and removes its probe', async () => {
    const server = await startFakeS3({ buckets: ['lake'], accessKeyId: ACCESS_KEY });
    try {
      const env = { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_ENDPOINT_URL: server.endpoint };
      await openWarehouse('s3://lake/prod/warehouse', env);
      expect(registeredStore('s3://lake/prod/warehouse')).toBeDefined();
      expect(server.requests.some((r) => r.startsWith('PUT /lake/prod/warehouse/_otlp2delta/probe-'))).toBe(true);
      expect([...(server.buckets.get('lake')?.keys() ?? [])]).toEqual([]);
      await locate('s3://lake/prod/warehouse/x.json').store.put('prod/warehouse/x.json', 'y');
      expect(server.buckets.get('lake')?.has('prod/warehouse/x.json')).toBe(true);
      ((registeredStore('s3://lake') as S3Store).destroy)();
    } finally {
      await server.close();
    }
  });

  it('refuses s3rver, which overwrites on a conditional write', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 's3rver-'));
    const s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: 'bucket', configs: [] }] });
    const addr = (await s3rver.run()) as AddressInfo;
    try {
      const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_ENDPOINT_URL: `http://127.0.0.1:${addr.port}` };
      await expect(openWarehouse('s3://bucket/warehouse', env)).rejects.toThrow(
        'warehouse s3://bucket/warehouse: the store at s3://bucket/warehouse overwrote an existing object on a conditional write; ' +
          'Delta commits would be lost; use a store that honours If-None-Match: *',
      );
      expect(registeredStore('s3://bucket')).toBeUndefined();
      expect(() => locate('s3://bucket/warehouse')).toThrow(/no store is open/);
    } finally {
      await s3rver.close();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('names the variables to set when there is no region or endpoint', async () => {
    await expect(openWarehouse('s3://nowhere/w', {})).rejects.toThrow(/AWS_REGION.*AWS_ENDPOINT_URL|AWS_ACCESS_KEY_ID/);
  });
});
