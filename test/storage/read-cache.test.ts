import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerStore, unregisterStore } from '../../src/storage/location.ts';
import { MemoryStore } from '../../src/storage/memory.ts';
import { ReadCache, queryCacheBytes } from '../../src/storage/read-cache.ts';

/** A memory store that counts downloads and can fail one half-way. */
class CountingStore extends MemoryStore {
  downloads = 0;
  failNext = false;
  override async download(key: string, localFile: string): Promise<boolean> {
    this.downloads++;
    if (this.failNext) {
      this.failNext = false;
      await fsp.writeFile(localFile, 'half');
      throw new Error('connection reset');
    }
    return super.download(key, localFile);
  }
}

describe('read cache', () => {
  let dir: string;
  let store: CountingStore;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'read-cache-'));
    store = new CountingStore('cache');
    registerStore('mem://cache', store);
  });
  afterEach(async () => {
    unregisterStore('mem://cache');
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('returns a local data file itself, without copying it', async () => {
    const cache = new ReadCache({ dir: path.join(dir, 'cache') });
    const file = path.join(dir, 'part-0.parquet');
    await fsp.writeFile(file, 'x');
    expect(await cache.cachedLocalPath(file)).toBe(file);
    await expect(fsp.stat(path.join(dir, 'cache'))).rejects.toThrow();
  });

  it('downloads a remote file once, keeps its extension, and serves later reads from disk', async () => {
    await store.put('w/t/part-0.parquet', 'parquet bytes');
    const cache = new ReadCache({ dir });
    const first = await cache.cachedLocalPath('mem://cache/w/t/part-0.parquet');
    expect(first.startsWith(dir)).toBe(true);
    expect(first.endsWith('.parquet')).toBe(true);
    expect(await fsp.readFile(first, 'utf8')).toBe('parquet bytes');
    expect(await cache.cachedLocalPath('mem://cache/w/t/part-0.parquet')).toBe(first);
    expect(store.downloads).toBe(1);
    expect(cache.bytes).toBe(13);
  });

  it('concurrent requests for one file share one download', async () => {
    await store.put('w/t/part-1.parquet', 'abc');
    const cache = new ReadCache({ dir });
    const paths = await Promise.all(Array.from({ length: 10 }, () => cache.cachedLocalPath('mem://cache/w/t/part-1.parquet')));
    expect(new Set(paths).size).toBe(1);
    expect(store.downloads).toBe(1);
  });

  it('removes the least recently used files when the total passes the limit', async () => {
    for (const n of ['a', 'b', 'c']) await store.put(`w/${n}.parquet`, Buffer.alloc(100, n));
    const cache = new ReadCache({ dir, maxBytes: 250 });
    const a = await cache.cachedLocalPath('mem://cache/w/a.parquet');
    const b = await cache.cachedLocalPath('mem://cache/w/b.parquet');
    await cache.cachedLocalPath('mem://cache/w/a.parquet'); // a is now more recent than b
    const c = await cache.cachedLocalPath('mem://cache/w/c.parquet');
    expect(cache.bytes).toBe(200);
    await expect(fsp.stat(b)).rejects.toThrow();
    expect((await fsp.stat(a)).size).toBe(100);
    expect((await fsp.stat(c)).size).toBe(100);
    expect((await fsp.readdir(dir)).length).toBe(2);
    // An evicted file is fetched again when asked for.
    expect(await fsp.readFile(await cache.cachedLocalPath('mem://cache/w/b.parquet'), 'utf8')).toBe('b'.repeat(100));
  });

  it('a failed download leaves neither a partial file nor a temporary one, and a retry succeeds', async () => {
    await store.put('w/p.parquet', 'whole');
    const cache = new ReadCache({ dir });
    store.failNext = true;
    await expect(cache.cachedLocalPath('mem://cache/w/p.parquet')).rejects.toThrow('connection reset');
    expect(await fsp.readdir(dir)).toEqual([]);
    expect(await fsp.readFile(await cache.cachedLocalPath('mem://cache/w/p.parquet'), 'utf8')).toBe('whole');
  });

  it('a missing data file is an error naming it', async () => {
    const cache = new ReadCache({ dir });
    await expect(cache.cachedLocalPath('mem://cache/w/none.parquet')).rejects.toThrow('mem://cache/w/none.parquet: no such data file');
  });

  it('takes over the copies of an earlier process and removes its unfinished downloads', async () => {
    await store.put('w/a.parquet', Buffer.alloc(100));
    await store.put('w/b.parquet', Buffer.alloc(100));
    const earlier = new ReadCache({ dir });
    const a = await earlier.cachedLocalPath('mem://cache/w/a.parquet');
    await fsp.writeFile(path.join(dir, 'x.parquet.1234.part'), 'partial');
    const later = new ReadCache({ dir, maxBytes: 150 });
    const b = await later.cachedLocalPath('mem://cache/w/b.parquet');
    expect(later.bytes).toBe(100);
    await expect(fsp.stat(a)).rejects.toThrow();
    expect(await fsp.readdir(dir)).toEqual([path.basename(b)]);
    expect(store.downloads).toBe(2);
  });

  it('reads its size from OTLP2DELTA_QUERY_CACHE_BYTES and refuses a malformed one', () => {
    expect(queryCacheBytes({})).toBe(2 * 1024 * 1024 * 1024);
    expect(queryCacheBytes({ OTLP2DELTA_QUERY_CACHE_BYTES: '1000' })).toBe(1000);
    expect(() => queryCacheBytes({ OTLP2DELTA_QUERY_CACHE_BYTES: '1GB' })).toThrow(/whole number of bytes, not 1GB/);
  });
});
