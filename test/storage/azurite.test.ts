import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureBlobStore } from '../../src/storage/azure.ts';
import { registeredStore, unregisterStore } from '../../src/storage/location.ts';
import { openWarehouse } from '../../src/storage/open.ts';
import { OutcomeUnknownError, StoreBusyError } from '../../src/storage/types.ts';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite } from '../support/azurite.ts';
import { storeContract } from './contract.ts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';

const PART = 64 * 1024;
const WRONG_KEY = Buffer.from('a wrong account key for the tests, 64 bytes long, base64 encoded').toString('base64');

const storeAt = (endpoint: string, container: string, key = AZURITE_KEY): AzureBlobStore =>
  new AzureBlobStore({
    container,
    credentials: { account: AZURITE_ACCOUNT, key, endpoint },
    partBytes: PART,
    requestTimeoutMs: 5_000,
  });

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

storeContract('Azure Blob (Azurite)', async () => {
  const store = storeAt(azurite.endpoint, 'lake');
  await store.ensureContainer();
  return {
    store,
    root: 'warehouse',
    partBytes: PART,
    wrongSecret: WRONG_KEY,
    withWrongSecret: () => storeAt(azurite.endpoint, 'lake', WRONG_KEY),
  };
});

describe('Azure store over the wire', () => {
  let proxy: FaultProxy;
  let store: AzureBlobStore;
  beforeAll(async () => {
    await storeAt(azurite.endpoint, 'faults').ensureContainer();
    proxy = await startFaultProxy(azurite.endpoint.replace(/\/[^/]+$/, ''));
    store = storeAt(`${proxy.endpoint}/${AZURITE_ACCOUNT}`, 'faults');
  });
  afterAll(async () => {
    await proxy.close();
  });

  it("a conditional write whose answer is lost is reported unknown, not as someone else's win", async () => {
    // With the SDK's own retries the second attempt would meet our landed first one and get 412.
    const before = proxy.requests.length;
    proxy.loseAnswers(1, (m) => m === 'PUT');
    await expect(store.putIfAbsent('t/_delta_log/00000000000000000001.json', 'ours')).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(proxy.requests.slice(before).filter((r) => r.startsWith('PUT ')).length).toBe(1);
    expect(Buffer.from((await store.get('t/_delta_log/00000000000000000001.json')) ?? []).toString()).toBe('ours');
  });

  it('a conditional write that times out after landing is reported unknown', async () => {
    const slow = new AzureBlobStore({ container: 'faults', credentials: { account: AZURITE_ACCOUNT, key: AZURITE_KEY, endpoint: `${proxy.endpoint}/${AZURITE_ACCOUNT}` }, requestTimeoutMs: 500 });
    proxy.holdAnswers(1);
    const started = Date.now();
    await expect(slow.putIfAbsent('t/timeout.json', 'ours')).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(Buffer.from((await store.get('t/timeout.json')) ?? []).toString()).toBe('ours');
    expect(await slow.putIfAbsent('t/timeout.json', 'again')).toBe(false);
  });

  it('throttling of a conditional write is StoreBusyError and writes nothing', async () => {
    const busy = '<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>The server is busy.</Message></Error>';
    proxy.refuse(1, 503, busy);
    await expect(store.putIfAbsent('t/busy.json', 'x')).rejects.toBeInstanceOf(StoreBusyError);
    expect(await store.head('t/busy.json')).toBeUndefined();
    proxy.refuse(1, 429, busy);
    await expect(store.putIfAbsent('t/busy.json', 'x')).rejects.toBeInstanceOf(StoreBusyError);
    expect(await store.putIfAbsent('t/busy.json', 'x')).toBe(true);
  });

  it('uploads a large file in blocks of the part size', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'az-upload-'));
    const file = path.join(dir, 'f.parquet');
    await fsp.writeFile(file, Buffer.alloc(PART * 2 + 10, 7));
    const before = proxy.requests.length;
    await store.upload('t/big.parquet', file);
    const reqs = proxy.requests.slice(before);
    expect(reqs.filter((r) => r.startsWith('PUT ') && r.includes('comp=block&') ).length).toBe(3);
    expect(reqs.some((r) => r.includes('comp=blocklist'))).toBe(true);
    expect((await store.head('t/big.parquet'))?.size).toBe(PART * 2 + 10);
    await fsp.rm(dir, { recursive: true, force: true });
  });
});

describe('openWarehouse on az://', () => {
  afterAll(() => unregisterStore('az://opened'));

  it('opens a container that honours conditional writes and removes its probe', async () => {
    const store = storeAt(azurite.endpoint, 'opened');
    await store.ensureContainer();
    const env = { AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT, AZURE_STORAGE_KEY: AZURITE_KEY, AZURE_STORAGE_BLOB_ENDPOINT: azurite.endpoint };
    await openWarehouse('az://opened/prod', env);
    expect(registeredStore('az://opened/prod')).toBeDefined();
    expect(await store.list('')).toEqual([]);
  });

  it('accepts a connection string', async () => {
    const store = storeAt(azurite.endpoint, 'viacs');
    await store.ensureContainer();
    const cs = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${azurite.endpoint};`;
    await openWarehouse('az://viacs/w', { AZURE_STORAGE_CONNECTION_STRING: cs });
    expect(registeredStore('az://viacs')).toBeDefined();
    unregisterStore('az://viacs');
  });

  it('names the variables to set when there are no credentials', async () => {
    await expect(openWarehouse('az://nocreds/w', {})).rejects.toThrow(
      'warehouse az://nocreds/w: no Azure credentials; set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY',
    );
  });

  it('a wrong key fails the start-up check without showing the key', async () => {
    const env = { AZURE_STORAGE_ACCOUNT_NAME: AZURITE_ACCOUNT, AZURE_STORAGE_ACCOUNT_KEY: WRONG_KEY, AZURE_STORAGE_BLOB_ENDPOINT: azurite.endpoint };
    const err = (await openWarehouse('az://opened2/w', env).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/^warehouse az:\/\/opened2\/w: putIfAbsent az:\/\/opened2\/.*HTTP 403/);
    expect(err.message + String(err.stack)).not.toContain(WRONG_KEY);
    expect(registeredStore('az://opened2')).toBeUndefined();
  });
});
