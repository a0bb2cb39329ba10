// Opens the store a warehouse location names, once per process, before any
// table is read or written there: local folders need nothing; store URLs get
// their client from the SDK's usual environment and are checked to honour
// conditional writes, the Delta log's commit protocol.
import { isRemoteLocation, parseStoreUrl, registeredStore } from './location.ts';

/** Throws with a message naming what to set or fix when the store cannot be used. */
export async function openWarehouse(loc: string): Promise<void> {
  if (!isRemoteLocation(loc) || registeredStore(loc)) return;
  const url = parseStoreUrl(loc);
  throw new Error(`warehouse ${loc}: no store for the scheme ${url?.scheme ?? '?'}:// is available`);
}
