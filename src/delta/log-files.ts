// The files of a table's `_delta_log`, read and written through the table's
// store. A local table keeps its synchronous fast paths (a commit file read
// takes about 20 us in one call against over 100 us through the thread pool,
// and replay reads thousands); a table on an object store goes through the
// store's calls.
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { readCacheDir } from '../storage/read-cache.ts';
import { joinLocation, locate } from '../storage/location.ts';
import { joinKey, StoreBusyError, type ObjectInfo } from '../storage/types.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { DELTA_COMMIT_RETRY_BASE_MS, DELTA_COMMIT_RETRY_MAX_MS, DELTA_COMMIT_UNSURE_ATTEMPTS_MAX } from '../config/limits.ts';

export const LOG_DIR = '_delta_log';

export function logDir(tableDir: string): string {
  return joinLocation(tableDir, LOG_DIR);
}

const located = (tableDir: string, name: string) => {
  const { store, key } = locate(tableDir);
  const k = joinKey(key, LOG_DIR, name);
  return { store, key: k, local: store.localPath(k) };
};

/**
 * Runs a store call again while the store says it is busy (throttling lifts
 * within seconds). Only for calls that are safe to repeat: reads, deletes and
 * unconditional writes; a conditional write is settled by tryCommit.
 */
export async function whenNotBusy<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (!(e instanceof StoreBusyError) || attempt + 1 >= DELTA_COMMIT_UNSURE_ATTEMPTS_MAX) throw e;
      await sleep(Math.min(DELTA_COMMIT_RETRY_MAX_MS, DELTA_COMMIT_RETRY_BASE_MS * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
  }
}

const isMissing = (e: unknown): boolean => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');

/** The names in the log, or undefined when the table has no log. */
export async function logNames(tableDir: string): Promise<string[] | undefined> {
  const { store, key } = locate(tableDir);
  const prefix = joinKey(key, LOG_DIR);
  const local = store.localPath(prefix);
  if (local !== undefined) {
    try {
      return await fsp.readdir(local);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }
  const found = await whenNotBusy(() => store.list(`${prefix}/`));
  // Object stores have no folders: a log with no objects is no log.
  return found.length === 0 ? undefined : found.map((o) => o.key.slice(prefix.length + 1)).filter((n) => !n.includes('/'));
}

export async function logFileExists(tableDir: string, name: string): Promise<boolean> {
  const { store, key, local } = located(tableDir, name);
  if (local !== undefined) return existsSync(local);
  return (await whenNotBusy(() => store.head(key))) !== undefined;
}

/** The file's text; throws when it is missing, naming it. */
export async function readLogText(tableDir: string, name: string): Promise<string> {
  const { store, key, local } = located(tableDir, name);
  if (local !== undefined) return readFileSync(local, 'utf8');
  const body = await whenNotBusy(() => store.get(key));
  if (body === undefined) throw Object.assign(new Error(`${joinLocation(logDir(tableDir), name)} does not exist`), { code: 'ENOENT' });
  return Buffer.from(body).toString('utf8');
}

/** Writes the file only if there is none: true when this call created it. */
export async function claimLogFile(tableDir: string, name: string, text: string): Promise<boolean> {
  const { store, key } = located(tableDir, name);
  return store.putIfAbsent(key, text);
}

/** Writes or replaces the file (for `_last_checkpoint`, whose readers check its checksum). */
export async function replaceLogFile(tableDir: string, name: string, text: string): Promise<void> {
  const { store, key } = located(tableDir, name);
  await whenNotBusy(() => store.put(key, text));
}

/** Puts a finished local file into the log under `name` (checkpoints). */
export async function uploadLogFile(tableDir: string, name: string, localFile: string): Promise<void> {
  const { store, key, local } = located(tableDir, name);
  if (local !== undefined) {
    await fsp.rename(localFile, local);
    await store.upload(key, local);
    return;
  }
  await whenNotBusy(() => store.upload(key, localFile));
}

export async function logFileInfo(tableDir: string, name: string): Promise<ObjectInfo | undefined> {
  const { store, key } = located(tableDir, name);
  return whenNotBusy(() => store.head(key));
}

export async function removeLogFile(tableDir: string, name: string): Promise<void> {
  const { store, key } = located(tableDir, name);
  await whenNotBusy(() => store.delete(key));
}

/**
 * Runs `read` with a local path holding the file, for DuckDB: the file itself,
 * or a fresh download of a remote one, removed afterwards. Log files are not
 * cached like data files: a checkpoint's name comes back when a table is
 * created again at the same place.
 */
export async function withLocalLogFile<T>(tableDir: string, name: string, read: (file: string) => Promise<T>): Promise<T> {
  const { store, key, local } = located(tableDir, name);
  if (local !== undefined) return read(local);
  // Under the read cache's folder: the only one a query engine's DuckDB may read.
  const dir = await fsp.mkdtemp(path.join(await ensureDir(readCacheDir()), 'log-'));
  try {
    const file = path.join(dir, name);
    if (!(await whenNotBusy(() => store.download(key, file)))) throw Object.assign(new Error(`${joinLocation(logDir(tableDir), name)} does not exist`), { code: 'ENOENT' });
    return await read(file);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

async function ensureDir(dir: string): Promise<string> {
  await fsp.mkdir(dir, { recursive: true });
  return dir;
}
