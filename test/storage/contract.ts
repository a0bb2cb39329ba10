// The behaviour every ObjectStore must show, as tests registered for one
// store. The Delta code relies on each of these; a store that fails one of
// them loses or misorders commits.
import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinKey, type ObjectStore } from '../../src/storage/types.ts';

export type ContractTarget = {
  store: ObjectStore;
  /** Key prefix the tests write under (each test uses a fresh folder below it). */
  root: string;
  /** The store's upload part size, so a file can be made to need several parts. */
  partBytes: number;
  /** A store for the same place with a wrong secret, and that secret. */
  withWrongSecret?: () => ObjectStore;
  wrongSecret?: string;
  close?: () => Promise<void>;
};

const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('utf8'));

/** Runs `fn` over `items` with at most `n` at a time. */
async function inBatches<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i] as T);
    }),
  );
}

export function storeContract(name: string, setup: () => Promise<ContractTarget>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let t: ContractTarget;
    let tmp: string;
    let store: ObjectStore;
    const folder = (): string => joinKey(t.root, randomUUID()) + '/';

    beforeAll(async () => {
      t = await setup();
      store = t.store;
      tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'store-contract-'));
    });
    afterAll(async () => {
      await t?.close?.();
      if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
    });

    it('puts, gets and heads an object; absent objects are undefined', async () => {
      const p = folder();
      await store.put(p + 'a.json', '{"x":1}');
      expect(text(await store.get(p + 'a.json'))).toBe('{"x":1}');
      const info = await store.head(p + 'a.json');
      expect(info?.key).toBe(p + 'a.json');
      expect(info?.size).toBe(7);
      expect(Math.abs((info?.lastModified ?? 0) - Date.now())).toBeLessThan(10 * 60_000);
      expect(await store.get(p + 'missing')).toBeUndefined();
      expect(await store.head(p + 'missing')).toBeUndefined();
      await store.put(p + 'bin', new Uint8Array([0, 255, 1, 254]));
      expect([...((await store.get(p + 'bin')) ?? [])]).toEqual([0, 255, 1, 254]);
    });

    it('lists in key order under a prefix, from after a key', async () => {
      const p = folder();
      const log = p + '_delta_log/';
      const names = ['00000000000000000002.json', '00000000000000000000.json', '00000000000000000001.json', '00000000000000000010.json'];
      for (const n of names) await store.put(log + n, n);
      await store.put(p + 'part-0.parquet', 'data');
      await store.put(p + '_delta_logx', 'not in the log folder');
      const all = await store.list(log);
      expect(all.map((o) => o.key)).toEqual([...names].sort().map((n) => log + n));
      expect(all.every((o) => o.size === 25)).toBe(true);
      const after = await store.list(log, { startAfter: log + '00000000000000000001.json' });
      expect(after.map((o) => o.key)).toEqual([log + '00000000000000000002.json', log + '00000000000000000010.json']);
      // A prefix that is not a folder filters the names in its folder.
      const partial = await store.list(log + '0000000000000000000');
      expect(partial.map((o) => o.key)).toEqual([0, 1, 2].map((i) => `${log}0000000000000000000${i}.json`));
      expect(await store.list(p + 'nothing-here/')).toEqual([]);
      expect((await store.list(p)).map((o) => o.key)).toEqual([...[...names].sort().map((n) => log + n), p + '_delta_logx', p + 'part-0.parquet'].sort());
    });

    it('putIfAbsent creates once and then reports the key taken, leaving the first body', async () => {
      const p = folder();
      expect(await store.putIfAbsent(p + 'v0.json', 'first')).toBe(true);
      expect(await store.putIfAbsent(p + 'v0.json', 'second')).toBe(false);
      expect(text(await store.get(p + 'v0.json'))).toBe('first');
    });

    it('of 20 concurrent putIfAbsent calls on one key exactly one wins, and its body stays', async () => {
      const key = folder() + '_delta_log/00000000000000000007.json';
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.putIfAbsent(key, `writer-${i}`)));
      const winners = results.flatMap((r, i) => (r ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(text(await store.get(key))).toBe(`writer-${winners[0]}`);
    });

    it('put replaces an existing object', async () => {
      const key = folder() + 'x';
      await store.put(key, 'one');
      await store.put(key, 'two, longer');
      expect(text(await store.get(key))).toBe('two, longer');
      expect((await store.head(key))?.size).toBe(11);
    });

    it('uploads a small file and a file of several parts, and downloads them', async () => {
      const p = folder();
      const small = path.join(tmp, `small-${randomUUID()}`);
      const large = path.join(tmp, `large-${randomUUID()}`);
      const smallBody = randomBytes(100);
      const largeBody = randomBytes(Math.floor(t.partBytes * 3.5));
      await fsp.writeFile(small, smallBody);
      await fsp.writeFile(large, largeBody);
      await store.upload(p + 'small.parquet', small);
      await store.upload(p + 'large.parquet', large);
      expect((await store.head(p + 'large.parquet'))?.size).toBe(largeBody.length);
      const back = path.join(tmp, `back-${randomUUID()}`);
      expect(await store.download(p + 'large.parquet', back)).toBe(true);
      expect((await fsp.readFile(back)).equals(largeBody)).toBe(true);
      expect(await store.download(p + 'small.parquet', back)).toBe(true);
      expect((await fsp.readFile(back)).equals(smallBody)).toBe(true);
      expect(await store.download(p + 'absent.parquet', path.join(tmp, 'never'))).toBe(false);
      await expect(fsp.stat(path.join(tmp, 'never'))).rejects.toThrow();
    });

    it('deletes an object, and deleting an absent one is not an error', async () => {
      const key = folder() + 'gone';
      await store.put(key, 'x');
      await store.delete(key);
      expect(await store.get(key)).toBeUndefined();
      await store.delete(key);
      await store.delete(folder() + 'never-was');
    });

    it('keeps keys with spaces, unicode and percent signs exact', async () => {
      const p = folder();
      const keys = [p + 'service=my app/part 1.parquet', p + 'name=ü€😀/x.json', p + 'pct=100%25 & 50%/a+b.json'];
      for (const [i, k] of keys.entries()) {
        expect(await store.putIfAbsent(k, `body-${i}`)).toBe(true);
        expect(await store.putIfAbsent(k, 'again')).toBe(false);
      }
      for (const [i, k] of keys.entries()) expect(text(await store.get(k))).toBe(`body-${i}`);
      const listed = (await store.list(p)).map((o) => o.key);
      expect(new Set(listed)).toEqual(new Set(keys));
      for (const k of keys) await store.delete(k);
      expect(await store.list(p)).toEqual([]);
    });

    it('lists more than 1,000 keys completely, across pages, and from after a key', async () => {
      const p = folder();
      const keys = Array.from({ length: 1_050 }, (_, i) => `${p}${String(i).padStart(20, '0')}.json`);
      await inBatches(keys, 16, (k) => store.put(k, 'x'));
      const listed = await store.list(p);
      expect(listed.map((o) => o.key)).toEqual(keys);
      const after = await store.list(p, { startAfter: keys[999] as string });
      expect(after.map((o) => o.key)).toEqual(keys.slice(1_000));
    }, 120_000);

    it('never shows a credential in an error message', async () => {
      if (!t.withWrongSecret || !t.wrongSecret) {
        // Stores without credentials: their description must still be a plain location.
        expect(store.description).not.toMatch(/key=|secret|password/i);
        return;
      }
      const bad = t.withWrongSecret();
      const secret = t.wrongSecret;
      expect(bad.description).not.toContain(secret);
      const errors: unknown[] = [];
      for (const op of [() => bad.get(folder() + 'x'), () => bad.put(folder() + 'x', 'y'), () => bad.putIfAbsent(folder() + 'x', 'y'), () => bad.list(t.root)]) {
        errors.push(await op().then(() => undefined, (e: unknown) => e));
      }
      expect(errors.every((e) => e instanceof Error)).toBe(true);
      for (const e of errors as Error[]) {
        const shown = [e.message, e.stack ?? '', String(e.cause ?? ''), JSON.stringify(e)].join('\n');
        expect(shown).not.toContain(secret);
        expect(shown).not.toContain(encodeURIComponent(secret));
        expect(e.message).toMatch(/40[13]/);
      }
    });
  });
}
