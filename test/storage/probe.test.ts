import { afterEach, describe, expect, it } from 'vitest';
import { registerStore, registeredStore, unregisterStore } from '../../src/storage/location.ts';
import { MemoryStore } from '../../src/storage/memory.ts';
import { openWarehouse } from '../../src/storage/open.ts';
import { probeConditionalWrites } from '../../src/storage/probe.ts';
import { OutcomeUnknownError, StoreBusyError } from '../../src/storage/types.ts';

describe('start-up check of conditional writes', () => {
  afterEach(() => unregisterStore('mem://probe'));

  it('passes on a store that honours the condition and leaves nothing behind', async () => {
    const store = new MemoryStore();
    await probeConditionalWrites(store, 'prod/w', 'mem://probe/prod/w');
    expect(store.keys()).toEqual([]);
  });

  it('refuses a store that overwrites on a conditional write, and removes the probe', async () => {
    const store = new MemoryStore();
    store.faults.ignoreCondition = true;
    await expect(probeConditionalWrites(store, 'prod/w', 'mem://probe/prod/w')).rejects.toThrow(
      'the store at mem://probe/prod/w overwrote an existing object on a conditional write; Delta commits would be lost; use a store that honours If-None-Match: *',
    );
    expect(store.keys()).toEqual([]);
  });

  it('writes its probe under the prefix in _otlp2delta', async () => {
    const store = new MemoryStore();
    const seen: string[] = [];
    const original = store.putIfAbsent.bind(store);
    store.putIfAbsent = (key, body) => {
      seen.push(key);
      return original(key, body);
    };
    await probeConditionalWrites(store, 'prod/w', 'x');
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatch(/^prod\/w\/_otlp2delta\/probe-[0-9a-f-]{36}$/);
    expect(seen[1]).toBe(seen[0]);
  });

  it('passes a lost answer or throttling on to the caller instead of deciding', async () => {
    const store = new MemoryStore();
    store.faults.busyCalls = 1;
    await expect(probeConditionalWrites(store, 'w', 'x')).rejects.toBeInstanceOf(StoreBusyError);
    store.faults.lostAnswers = 1;
    await expect(probeConditionalWrites(store, 'w', 'x')).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(store.keys()).toEqual([]);
  });

  it('openWarehouse leaves local paths and already-registered stores alone, and refuses unknown schemes', async () => {
    await openWarehouse('/tmp/some/warehouse');
    const store = new MemoryStore('probe');
    registerStore('mem://probe', store);
    await openWarehouse('mem://probe/w');
    expect(registeredStore('mem://probe/w')).toBe(store);
    await expect(openWarehouse('gs://bucket/w')).rejects.toThrow('warehouse gs://bucket/w: no store for the scheme gs:// is available');
  });
});
