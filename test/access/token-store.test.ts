// The token store on disk and in a server: hashed, owner-only, atomic, re-read
// when it changes, and every way a credential can be refused.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLastUsed, readTokens, tokensPath } from '../../src/access/token-file.ts';
import { createToken, revokeToken, TokenStore } from '../../src/access/token-store.ts';
import { tokenHash } from '../../src/access/token-format.ts';

let warehouse: string;
const lines: string[] = [];
const stores: TokenStore[] = [];
const open = async (now?: () => number) => {
  const s = await TokenStore.open(warehouse, { log: (l) => lines.push(l), pollMs: 3_600_000, ...(now ? { now } : {}) });
  stores.push(s);
  return s;
};

beforeEach(async () => {
  warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-tokens-'));
  lines.length = 0;
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await rm(warehouse, { recursive: true, force: true });
});

describe('token file', () => {
  it('keeps only the SHA-256 of the secret, owner-only, with no temporary files left', async () => {
    const { secret, record } = await createToken(warehouse, { principal: 'svc', groups: ['a', 'a', 'b'], comment: 'ci' });
    const text = readFileSync(tokensPath(warehouse), 'utf8');
    expect(text).not.toContain(secret);
    expect(text).toContain(tokenHash(secret).toString('hex'));
    expect(record.groups).toEqual(['a', 'b']);
    expect(statSync(tokensPath(warehouse)).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(tokensPath(warehouse))).mode & 0o777).toBe(0o700);
    expect(await readdir(path.dirname(tokensPath(warehouse)))).toEqual(['tokens.json']);
  });

  it('keeps every token when creates run concurrently', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => createToken(warehouse, { principal: `p${i}` })));
    expect((await readTokens(warehouse)).map((t) => t.principal).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);
  });

  it('refuses bad names and expiry', async () => {
    await expect(createToken(warehouse, { principal: ' ' })).rejects.toThrow(/--principal/);
    await expect(createToken(warehouse, { principal: 'a\nb' })).rejects.toThrow(/control/);
    await expect(createToken(warehouse, { principal: 'a', groups: ['x`y'] })).rejects.toThrow(/--group/);
    await expect(createToken(warehouse, { principal: 'a', expiresDays: 0 })).rejects.toThrow(/--expires-days/);
  });
});

describe('authenticate', () => {
  it('tells missing, invalid, expired and revoked apart and accepts the right token', async () => {
    let now = Date.now();
    const a = await createToken(warehouse, { principal: 'alice', groups: ['eng'], expiresDays: 1 });
    const b = await createToken(warehouse, { principal: 'bob' });
    await revokeToken(warehouse, b.record.id);
    const store = await open(() => now);
    expect(store.hasTokens()).toBe(true);
    expect(store.authenticate(undefined)).toEqual({ ok: false, problem: 'missing' });
    expect(store.authenticate('Basic abc')).toEqual({ ok: false, problem: 'missing' });
    expect(store.authenticate(`Bearer ${a.secret}`)).toEqual({ ok: true, principal: { tokenId: a.record.id, name: 'alice', groups: ['eng'] } });
    expect(store.authenticate(`bearer%20${a.secret}`)).toMatchObject({ ok: true });
    expect(store.authenticate(`Bearer ${b.secret}`)).toEqual({ ok: false, problem: 'revoked', principal: 'bob' });
    const other = await createToken(path.join(warehouse, 'elsewhere'), { principal: 'x' });
    expect(store.authenticate(`Bearer ${other.secret}`)).toEqual({ ok: false, problem: 'invalid' });
    now += 86_400_000 + 60_000; // past the expiry, which counts from when the token was created (after `now` was read)
    expect(store.authenticate(`Bearer ${a.secret}`)).toEqual({ ok: false, problem: 'expired', principal: 'alice' });
  });

  it('sees a revoke and a new token after a poll, and refuses every token while the file is damaged', async () => {
    const a = await createToken(warehouse, { principal: 'alice' });
    const store = await open();
    expect(store.authenticate(`Bearer ${a.secret}`).ok).toBe(true);
    await revokeToken(warehouse, a.record.id);
    await store.poll();
    expect(store.authenticate(`Bearer ${a.secret}`)).toEqual({ ok: false, problem: 'revoked', principal: 'alice' });
    const c = await createToken(warehouse, { principal: 'carol' });
    await store.poll();
    expect(store.authenticate(`Bearer ${c.secret}`).ok).toBe(true);
    writeFileSync(tokensPath(warehouse), '{"version": 1, "tok');
    await store.poll();
    expect(store.authenticate(`Bearer ${c.secret}`)).toEqual({ ok: false, problem: 'invalid' });
    expect(store.hasTokens()).toBe(true);
    expect(lines.join('\n')).toMatch(/could not be read, every token is refused/);
    await expect(TokenStore.open(warehouse, { log: () => {} })).rejects.toThrow(/not valid JSON/);
  });

  it('has no tokens in a fresh warehouse and writes last-used times at close, outside tokens.json', async () => {
    const empty = await open();
    expect(empty.hasTokens()).toBe(false);
    const a = await createToken(warehouse, { principal: 'alice' });
    await empty.poll();
    expect(empty.hasTokens()).toBe(true);
    const before = readFileSync(tokensPath(warehouse), 'utf8');
    expect(empty.authenticate(`Bearer ${a.secret}`).ok).toBe(true);
    await empty.close();
    expect(Object.keys(await readLastUsed(warehouse))).toEqual([a.record.id]);
    expect(readFileSync(tokensPath(warehouse), 'utf8')).toBe(before);
  });
});
