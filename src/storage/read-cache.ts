// Local copies of remote data files for the query engine. DuckDB reads
// Parquet from a local path; over a remote warehouse each data file is
// downloaded once and kept. Data files are never rewritten under the same name
// (a Delta table only adds and removes files), so a copy never goes stale and
// needs no check against the store. The cache is bounded by total bytes and
// forgets the least recently used files first.
import { createHash, randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QUERY_CACHE_BYTES_MAX } from '../config/limits.ts';
import { locate } from './location.ts';

export type ReadCacheOptions = {
  /** Folder the copies live in; created on first use. */
  dir: string;
  maxBytes?: number;
};

const TEMP_SUFFIX = '.part';

export class ReadCache {
  readonly dir: string;
  readonly maxBytes: number;
  /** Cached files in least-recently-used-first order, with their sizes. */
  private readonly files = new Map<string, number>();
  private totalBytes = 0;
  private readonly pending = new Map<string, Promise<string>>();
  private ready: Promise<void> | undefined;

  constructor(opts: ReadCacheOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes ?? QUERY_CACHE_BYTES_MAX;
  }

  /** Bytes held now (tests, metrics). */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * A local file with the bytes of the data file at `location`: the file
   * itself for a local location, else a cached copy, downloaded on a miss.
   * Concurrent requests for one location share one download.
   */
  async cachedLocalPath(location: string): Promise<string> {
    const { store, key } = locate(location);
    const local = store.localPath(key);
    if (local !== undefined) return local;
    await (this.ready ??= this.adoptExisting());
    const name = this.nameFor(location);
    const file = path.join(this.dir, name);
    if (this.files.has(name)) {
      this.touch(name);
      return file;
    }
    let p = this.pending.get(name);
    if (!p) {
      p = this.fetch(location, name, file).finally(() => this.pending.delete(name));
      this.pending.set(name, p);
    }
    return p;
  }

  private nameFor(location: string): string {
    // The extension stays, so DuckDB recognises the format from the name.
    const ext = path.extname(location.split('/').pop() ?? '').slice(0, 16);
    return createHash('sha256').update(location).digest('hex').slice(0, 40) + ext;
  }

  private touch(name: string): void {
    const size = this.files.get(name) as number;
    this.files.delete(name);
    this.files.set(name, size);
  }

  private async fetch(location: string, name: string, file: string): Promise<string> {
    const { store, key } = locate(location);
    await fsp.mkdir(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `${name}.${randomUUID()}${TEMP_SUFFIX}`);
    try {
      const found = await store.download(key, tmp);
      if (!found) throw new Error(`${location}: no such data file in the store`);
      const { size } = await fsp.stat(tmp);
      // A reader sees either no file or the whole one.
      await fsp.rename(tmp, file);
      this.files.set(name, size);
      this.totalBytes += size;
    } finally {
      await fsp.rm(tmp, { force: true });
    }
    await this.evict(name);
    return file;
  }

  /** Removes least recently used files until the total fits, never the one just fetched. */
  private async evict(keep: string): Promise<void> {
    for (const [name, size] of this.files) {
      if (this.totalBytes <= this.maxBytes) return;
      if (name === keep) continue;
      this.files.delete(name);
      this.totalBytes -= size;
      // A query that already opened the file keeps reading it; POSIX frees it after the last close.
      await fsp.rm(path.join(this.dir, name), { force: true });
    }
  }

  /** Takes over copies left by an earlier process (oldest read first) and removes unfinished downloads. */
  private async adoptExisting(): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const found: { name: string; size: number; atime: number }[] = [];
    for (const name of names) {
      const file = path.join(this.dir, name);
      if (name.endsWith(TEMP_SUFFIX)) {
        await fsp.rm(file, { force: true });
        continue;
      }
      const st = await fsp.stat(file).catch(() => undefined);
      if (st?.isFile()) found.push({ name, size: st.size, atime: Math.max(st.atimeMs, st.mtimeMs) });
    }
    found.sort((a, b) => a.atime - b.atime);
    for (const f of found) {
      this.files.set(f.name, f.size);
      this.totalBytes += f.size;
    }
    await this.evict('');
  }
}

/** The cache size from OTLP2DELTA_QUERY_CACHE_BYTES, or the default. */
export function queryCacheBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.OTLP2DELTA_QUERY_CACHE_BYTES;
  if (raw === undefined || raw === '') return QUERY_CACHE_BYTES_MAX;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`OTLP2DELTA_QUERY_CACHE_BYTES must be a whole number of bytes, not ${raw}`);
  return n;
}

let shared: ReadCache | undefined;

/** The folder of the process's cache: OTLP2DELTA_QUERY_CACHE_DIR or one under the system's temp folder. */
export function readCacheDir(): string {
  return process.env.OTLP2DELTA_QUERY_CACHE_DIR || path.join(os.tmpdir(), `otlp2delta-query-cache-${process.getuid?.() ?? 'user'}`);
}

/** A local path with the bytes of `location`, through the process's cache. */
export function cachedLocalPath(location: string): Promise<string> {
  shared ??= new ReadCache({ dir: readCacheDir(), maxBytes: queryCacheBytes() });
  return shared.cachedLocalPath(location);
}
