// The start-up check that a store keeps the promise the Delta log depends on:
// a conditional write to a key that exists must fail. Some S3-compatible
// stores ignore If-None-Match and overwrite; on them two writers would both
// "win" a version and one commit would silently vanish.
import { randomUUID } from 'node:crypto';
import { joinKey, type ObjectStore } from './types.ts';

/** Where probe objects go, under the warehouse's prefix. */
export const PROBE_FOLDER = '_otlp2delta';

/** Throws with an explanation unless `store` refuses a conditional write to an existing key. */
export async function probeConditionalWrites(store: ObjectStore, prefix: string, where: string): Promise<void> {
  const key = joinKey(prefix, PROBE_FOLDER, `probe-${randomUUID()}`);
  let failed = true;
  try {
    // Inside the try: a first write whose answer was lost may still have landed.
    const first = await store.putIfAbsent(key, 'first');
    if (!first) throw new Error(`the store at ${where} refused a conditional write to a new key (${key}); it cannot hold a Delta log`);
    const second = await store.putIfAbsent(key, 'second');
    const body = await store.get(key);
    const kept = body !== undefined && Buffer.from(body).toString('utf8') === 'first';
    if (second || !kept) {
      throw new Error(
        `the store at ${where} overwrote an existing object on a conditional write; ` +
          'Delta commits would be lost; use a store that honours If-None-Match: *',
      );
    }
    failed = false;
  } finally {
    // After a failure the cleanup is best effort, so the failure itself is what the caller sees.
    const removal = store.delete(key);
    if (failed) await removal.catch(() => undefined);
    else await removal;
  }
}
