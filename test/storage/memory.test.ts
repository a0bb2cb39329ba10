import { afterEach, describe, expect, it } from 'vitest';
import { locate, registerStore, unregisterStore } from '../../src/storage/location.ts';
import { MemoryStore } from '../../src/storage/memory.ts';
import { OutcomeUnknownError, StoreBusyError } from '../../src/storage/types.ts';
import { storeContract } from './contract.ts';

storeContract('memory', async () => ({ store: new MemoryStore(), root: 'warehouse', partBytes: 1024 }));

describe('memory store faults', () => {
  afterEach(() => unregisterStore('mem://faults'));

  it('registers under mem://name and serves locations there', async () => {
    const store = new MemoryStore('faults');
    registerStore('mem://faults', store);
    const { store: found, key } = locate('mem://faults/main/s/t/_delta_log');
    expect(found).toBe(store);
    expect(key).toBe('main/s/t/_delta_log');
    expect(store.description).toBe('mem://faults');
  });

  it('a lost answer still lands the write, and the caller learns the outcome is unknown', async () => {
    const store = new MemoryStore();
    store.faults.lostAnswers = 1;
    await expect(store.putIfAbsent('log/0.json', 'ours')).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(Buffer.from((await store.get('log/0.json')) ?? []).toString()).toBe('ours');
    // The fault is used up: the next conditional write answers normally.
    expect(await store.putIfAbsent('log/0.json', 'theirs')).toBe(false);
    store.faults.lostAnswers = 1;
    await expect(store.put('log/1.json', 'x')).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(store.keys()).toEqual(['log/0.json', 'log/1.json']);
  });

  it('throttles the next N calls without doing them', async () => {
    const store = new MemoryStore();
    store.faults.busyCalls = 2;
    await expect(store.putIfAbsent('a', 'x')).rejects.toBeInstanceOf(StoreBusyError);
    await expect(store.get('a')).rejects.toBeInstanceOf(StoreBusyError);
    expect(store.keys()).toEqual([]);
    expect(await store.putIfAbsent('a', 'x')).toBe(true);
  });

  it('a truncated listing returns a prefix of the full answer, once', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 10; i++) await store.put(`log/${i}.json`, 'x');
    store.faults.truncatedLists = 1;
    const short = await store.list('log/');
    const full = await store.list('log/');
    expect(short.length).toBe(5);
    expect(full.length).toBe(10);
    expect(short).toEqual(full.slice(0, 5));
  });

  it('ignoring the condition overwrites and reports a win, as a store without conditional writes does', async () => {
    const store = new MemoryStore();
    store.faults.ignoreCondition = true;
    expect(await store.putIfAbsent('k', 'one')).toBe(true);
    expect(await store.putIfAbsent('k', 'two')).toBe(true);
    expect(Buffer.from((await store.get('k')) ?? []).toString()).toBe('two');
  });

  it('lists keys in UTF-8 byte order, as object stores do', async () => {
    const store = new MemoryStore();
    // U+FFFF sorts before U+1F600 in UTF-8 but after it in UTF-16 code units.
    await store.put('p/\u{1F600}', 'a');
    await store.put('p/\uFFFF', 'b');
    expect((await store.list('p/')).map((o) => o.key)).toEqual(['p/\uFFFF', 'p/\u{1F600}']);
  });
});
