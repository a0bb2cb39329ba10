// The token file on disk: <warehouse>/.otlp2delta/control/tokens.json, owner-only
// (folder 0700, file 0600), replaced atomically (temp file, fsync, rename, fsync
// of the folder) so a reader sees the old set or the new one, never half of one.
// Commands that change it take a lock file, so two concurrent `token create`s
// cannot drop each other's token.
import { chmod, mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { PRINCIPAL_NAME_CHARS_MAX, TOKEN_LOCK_WAIT_MS } from '../config/limits.ts';
import { CONTROL_DIR } from './types.ts';
import { isRemoteLocation } from '../storage/location.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';

export type TokenRecord = {
  id: string;
  /** SHA-256 of the secret, hex. */
  hash: string;
  principal: string;
  groups: string[];
  /** ISO times. */
  created: string;
  expires: string | null;
  revoked: string | null;
  comment: string;
};

type TokenFile = { version: 1; tokens: TokenRecord[] };

/**
 * Where tokens and grants live: inside a local warehouse; for a warehouse on
 * an object store, in a local folder (OTLP2DELTA_CONTROL_DIR, default
 * .otlp2delta/control under the working folder) that every node is given.
 */
export const controlDir = (warehouse: string): string =>
  isRemoteLocation(warehouse) ? path.resolve(process.env.OTLP2DELTA_CONTROL_DIR || path.join(...CONTROL_DIR)) : path.join(warehouse, ...CONTROL_DIR);
export const tokensPath = (warehouse: string): string => path.join(controlDir(warehouse), 'tokens.json');
export const lastUsedPath = (warehouse: string): string => path.join(controlDir(warehouse), 'last-used.json');

/** Refuses names that would be ambiguous in grants and logs. */
export function checkName(what: string, name: string): string {
  if (name.trim() === '' || name !== name.trim()) throw new Error(`${what} must be a non-empty name without surrounding spaces, got ${JSON.stringify(name)}`);
  if (name.length > PRINCIPAL_NAME_CHARS_MAX) throw new Error(`${what} must be at most ${PRINCIPAL_NAME_CHARS_MAX} characters`);
  if (/[\u0000-\u001f\u007f`]/.test(name)) throw new Error(`${what} must not contain control characters or backticks`);
  return name;
}

function isRecord(v: unknown): v is TokenRecord {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  const optTime = (x: unknown) => x === null || (typeof x === 'string' && !Number.isNaN(Date.parse(x)));
  return (
    typeof r.id === 'string' &&
    typeof r.hash === 'string' &&
    /^[0-9a-f]{64}$/.test(r.hash) &&
    typeof r.principal === 'string' &&
    Array.isArray(r.groups) &&
    r.groups.every((g) => typeof g === 'string') &&
    typeof r.created === 'string' &&
    optTime(r.expires) &&
    optTime(r.revoked) &&
    typeof r.comment === 'string'
  );
}

/** Parses the file's text; throws naming the file when it is not a token file. */
export function parseTokenFile(text: string, file: string): TokenRecord[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON; restore it from a backup or remove it (every token is then gone)`);
  }
  const f = data as Partial<TokenFile>;
  if (f?.version !== 1 || !Array.isArray(f.tokens) || !f.tokens.every(isRecord)) {
    throw new Error(`${file} is not a version 1 token file; restore it from a backup or remove it (every token is then gone)`);
  }
  return f.tokens;
}

/** The tokens of the warehouse; none when the file does not exist. */
export async function readTokens(warehouse: string): Promise<TokenRecord[]> {
  const file = tokensPath(warehouse);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseTokenFile(text, file);
}

async function ensureControlDir(warehouse: string): Promise<string> {
  const dir = controlDir(warehouse);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir leaves an existing folder's mode alone.
  await chmod(dir, 0o700);
  return dir;
}

/** Replaces `file` with `text` atomically and durably, readable by the owner only. */
const writeAtomic = (file: string, text: string): Promise<void> => writeFileAtomic(file, text, 0o600);

async function lock(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, 'tokens.lock');
  const deadline = Date.now() + TOKEN_LOCK_WAIT_MS;
  for (;;) {
    try {
      const fh = await open(file, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() > deadline) {
        throw new Error(`another token command holds ${file}; if none is running, remove that file and retry`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Reads, changes and writes the token file under the lock; returns what `change` returned. */
export async function updateTokens<T>(warehouse: string, change: (tokens: TokenRecord[]) => T): Promise<T> {
  const dir = await ensureControlDir(warehouse);
  const unlock = await lock(dir);
  try {
    const tokens = await readTokens(warehouse);
    const out = change(tokens);
    const body: TokenFile = { version: 1, tokens };
    await writeAtomic(tokensPath(warehouse), `${JSON.stringify(body, null, 2)}\n`);
    return out;
  } finally {
    await unlock();
  }
}

/** Last-used times by token id, as the servers last wrote them. */
export async function readLastUsed(warehouse: string): Promise<Record<string, string>> {
  try {
    const data = JSON.parse(await readFile(lastUsedPath(warehouse), 'utf8')) as unknown;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return {};
    return Object.fromEntries(Object.entries(data).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  } catch {
    // Missing or damaged: last-used times are informative only.
    return {};
  }
}

/** Merges `times` into the last-used file (later time wins). Two servers may race; the loser's times are an update late. */
export async function writeLastUsed(warehouse: string, times: Map<string, Date>): Promise<void> {
  await ensureControlDir(warehouse);
  const merged = await readLastUsed(warehouse);
  for (const [id, t] of times) {
    const old = merged[id] === undefined ? 0 : Date.parse(merged[id]);
    if (!(old >= t.getTime())) merged[id] = t.toISOString();
  }
  await writeAtomic(lastUsedPath(warehouse), `${JSON.stringify(merged, null, 2)}\n`);
}
