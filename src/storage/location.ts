// A location is how the rest of the code names a warehouse, table or file: a
// local path ("/data/warehouse/main/s/t") or a store URL
// ("az://container/prefix/main/s/t", "s3://bucket/prefix/main/s/t"). Code
// that stores bytes turns it into a store and a key once, with `locate`;
// everything else only joins and compares locations.
import path from 'node:path';
import { LocalStore } from './local.ts';
import { joinKey, type ObjectStore } from './types.ts';

export type Located = { store: ObjectStore; key: string };

const URL_RE = /^([a-z][a-z0-9+.-]*):\/\/([^/]+)(?:\/(.*))?$/;

/** Every local path is a key under the filesystem's root folder. */
const LOCAL = new LocalStore('/');

/** Stores opened for a scheme and container/bucket, keyed "scheme://name". */
const stores = new Map<string, ObjectStore>();

/** True when `loc` names a store URL rather than a local path. */
export function isRemoteLocation(loc: string): boolean {
  return URL_RE.test(loc);
}

/** The parts of a store URL, or undefined for a local path. */
export function parseStoreUrl(loc: string): { scheme: string; name: string; prefix: string } | undefined {
  const m = URL_RE.exec(loc);
  if (!m) return undefined;
  return { scheme: m[1] as string, name: m[2] as string, prefix: joinKey(m[3] ?? '') };
}

/** `loc` with more parts appended, in its own kind of syntax. */
export function joinLocation(loc: string, ...parts: string[]): string {
  const url = parseStoreUrl(loc);
  if (!url) return path.join(loc, ...parts);
  return `${url.scheme}://${url.name}/${joinKey(url.prefix, ...parts)}`;
}

/** Makes `store` the one that URLs under "scheme://name" resolve to. */
export function registerStore(base: string, store: ObjectStore): void {
  const url = parseStoreUrl(base);
  if (!url || url.prefix !== '') throw new Error(`a store registers under scheme://name, not ${base}`);
  stores.set(`${url.scheme}://${url.name}`, store);
}

/** Forgets the store registered under "scheme://name" (tests, shutdown). */
export function unregisterStore(base: string): void {
  stores.delete(base.replace(/\/+$/, ''));
}

/** The store registered for a URL's scheme and name, if any. */
export function registeredStore(loc: string): ObjectStore | undefined {
  const url = parseStoreUrl(loc);
  return url ? stores.get(`${url.scheme}://${url.name}`) : undefined;
}

/**
 * The store and key a location is at. A store URL must have had its store
 * opened first (see open.ts); a local path resolves against the working folder.
 */
export function locate(loc: string): Located {
  const url = parseStoreUrl(loc);
  if (!url) return { store: LOCAL, key: joinKey(path.resolve(loc)) };
  const store = stores.get(`${url.scheme}://${url.name}`);
  if (!store) throw new Error(`no store is open for ${url.scheme}://${url.name}`);
  return { store, key: url.prefix };
}
