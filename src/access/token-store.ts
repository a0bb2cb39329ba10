// Tokens of a warehouse: created and revoked by the CLI, checked by the server.
// The server keeps the set in memory and re-reads the file when its mtime, size
// or inode changes (checked every TOKEN_POLL_MS), so a revoke or a new token
// takes effect within seconds without a restart. A file that cannot be read
// while running refuses every token (auth stays on) until it is fixed.
//
// Last-used times are kept in memory and written to last-used.json at most
// every TOKEN_LAST_USED_FLUSH_MS and at stop, never to tokens.json: the server
// never writes the file the CLI changes, so it cannot undo a revoke.
import { timingSafeEqual } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { TOKEN_LAST_USED_FLUSH_MS, TOKEN_POLL_MS } from '../config/limits.ts';
import { bearerToken } from '../http/auth.ts';
import { isWellFormedToken, newTokenSecret, tokenHash, tokenIdOf } from './token-format.ts';
import { checkName, readTokens, tokensPath, updateTokens, writeLastUsed, type TokenRecord } from './token-file.ts';
import type { Authentication, Authenticator } from './types.ts';

const DAY_MS = 86_400_000;

export type NewToken = { principal: string; groups?: readonly string[]; expiresDays?: number; comment?: string; now?: Date };

/** Creates a token; the secret is returned once and stored only as its hash. */
export async function createToken(warehouse: string, t: NewToken): Promise<{ secret: string; record: TokenRecord }> {
  const principal = checkName('--principal', t.principal);
  const groups = [...new Set((t.groups ?? []).map((g) => checkName('--group', g)))];
  const now = t.now ?? new Date();
  if (t.expiresDays !== undefined && !(Number.isSafeInteger(t.expiresDays) && t.expiresDays >= 1)) {
    throw new Error('--expires-days must be a positive whole number of days');
  }
  const secret = newTokenSecret();
  const record: TokenRecord = {
    id: tokenIdOf(secret),
    hash: tokenHash(secret).toString('hex'),
    principal,
    groups,
    created: now.toISOString(),
    expires: t.expiresDays === undefined ? null : new Date(now.getTime() + t.expiresDays * DAY_MS).toISOString(),
    revoked: null,
    comment: t.comment ?? '',
  };
  await updateTokens(warehouse, (tokens) => tokens.push(record));
  return { secret, record };
}

/** Marks the token revoked (it stays listed, and keeps auth on); undefined when no token has that id. */
export async function revokeToken(warehouse: string, id: string, now = new Date()): Promise<TokenRecord | undefined> {
  return updateTokens(warehouse, (tokens) => {
    const r = tokens.find((x) => x.id === id);
    if (r && r.revoked === null) r.revoked = now.toISOString();
    return r;
  });
}

type Loaded = { record: TokenRecord; hash: Buffer; expiresMs: number | undefined };

/** Compared against when the id is unknown, so both paths do the same work. */
const NO_HASH = Buffer.alloc(32);

export type TokenStoreOptions = {
  log: (line: string) => void;
  pollMs?: number;
  flushMs?: number;
  now?: () => number;
};

export class TokenStore implements Authenticator {
  private byId = new Map<string, Loaded>();
  private count = 0;
  /** Set when the file could not be read while running: every token is refused. */
  private broken = false;
  private signature = '';
  private readonly lastUsed = new Map<string, Date>();
  private readonly pollTimer: NodeJS.Timeout;
  private readonly flushTimer: NodeJS.Timeout;
  private polling: Promise<void> | undefined;
  private readonly now: () => number;

  private constructor(
    private readonly warehouse: string,
    private readonly opts: TokenStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.pollTimer = setInterval(() => void this.poll(), opts.pollMs ?? TOKEN_POLL_MS);
    this.pollTimer.unref();
    this.flushTimer = setInterval(() => void this.flush(), opts.flushMs ?? TOKEN_LAST_USED_FLUSH_MS);
    this.flushTimer.unref();
  }

  /** Loads the tokens; a damaged file stops the start (throws) rather than opening the server. */
  static async open(warehouse: string, opts: TokenStoreOptions): Promise<TokenStore> {
    const signature = await fileSignature(warehouse);
    const tokens = await readTokens(warehouse);
    const store = new TokenStore(warehouse, opts);
    store.install(tokens, signature);
    return store;
  }

  hasTokens(): boolean {
    return this.count > 0 || this.broken;
  }

  authenticate(header: string | undefined): Authentication {
    const secret = bearerToken(header);
    if (secret === undefined) return { ok: false, problem: 'missing' };
    if (!isWellFormedToken(secret) || this.broken) return { ok: false, problem: 'invalid' };
    const id = tokenIdOf(secret);
    const found = this.byId.get(id);
    const same = timingSafeEqual(tokenHash(secret), found?.hash ?? NO_HASH);
    if (!found || !same) return { ok: false, problem: 'invalid' };
    if (found.record.revoked !== null) return { ok: false, problem: 'revoked', principal: found.record.principal };
    const now = this.now();
    if (found.expiresMs !== undefined && now >= found.expiresMs) return { ok: false, problem: 'expired', principal: found.record.principal };
    this.lastUsed.set(id, new Date(now));
    return { ok: true, principal: { tokenId: id, name: found.record.principal, groups: found.record.groups } };
  }

  /** Re-reads the file if it changed; tests call it to skip the wait. */
  poll(): Promise<void> {
    this.polling ??= this.reload().finally(() => (this.polling = undefined));
    return this.polling;
  }

  /** Stops the timers and writes the last-used times still held. */
  async close(): Promise<void> {
    clearInterval(this.pollTimer);
    clearInterval(this.flushTimer);
    await this.flush();
  }

  private async reload(): Promise<void> {
    try {
      const signature = await fileSignature(this.warehouse);
      if (signature === this.signature && !this.broken) return;
      const tokens = await readTokens(this.warehouse);
      const wasBroken = this.broken;
      this.install(tokens, signature);
      this.opts.log(`${wasBroken ? 'token file readable again' : 'token file changed'}: ${this.count} token(s)`);
    } catch (e) {
      if (!this.broken) this.opts.log(`token file ${tokensPath(this.warehouse)} could not be read, every token is refused until it is fixed: ${(e as Error).message}`);
      this.broken = true;
    }
  }

  private install(tokens: TokenRecord[], signature: string): void {
    const byId = new Map<string, Loaded>();
    for (const record of tokens) {
      byId.set(record.id, { record, hash: Buffer.from(record.hash, 'hex'), expiresMs: record.expires === null ? undefined : Date.parse(record.expires) });
    }
    this.byId = byId;
    this.count = tokens.length;
    this.signature = signature;
    this.broken = false;
  }

  private async flush(): Promise<void> {
    if (this.lastUsed.size === 0) return;
    const times = new Map(this.lastUsed);
    this.lastUsed.clear();
    try {
      await writeLastUsed(this.warehouse, times);
    } catch (e) {
      this.opts.log(`last-used times of tokens could not be written: ${(e as Error).message}`);
    }
  }
}

async function fileSignature(warehouse: string): Promise<string> {
  try {
    const s = await stat(tokensPath(warehouse));
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw e;
  }
}
