// Records that cannot be stored: the error that rejects one while its row is
// built, the unique-key check every attribute and key-value list passes, and
// the bounded tally of reasons partial_success reports.
import { ATTRIBUTES_PER_MAP_MAX } from '../config/limits.ts';
import type { KeyValue } from '../otlp/types.ts';

/** Thrown while a record's row is built: that record (or every record sharing the part) is not stored. */
export class RecordRejected extends Error {
  override readonly name = 'RecordRejected';
}

export type Rejections = { rejected: number; rejectReasons: string[] };

/** Enough distinct reasons to diagnose a bad sender without bloating the response. */
const REASONS_MAX = 5;

/** Counts `count` records as rejected for `reason`; nothing when no record was affected. */
export function reject(result: Rejections, reason: string, count = 1): void {
  if (count <= 0) return;
  result.rejected += count;
  if (result.rejectReasons.length < REASONS_MAX && !result.rejectReasons.includes(reason)) result.rejectReasons.push(reason);
}

/** The reason `e` gives, or `e` rethrown when it is not a record rejection. */
export function rejectionReason(e: unknown): string {
  if (e instanceof RecordRejected) return e.message;
  throw e;
}

// Keys are quoted in messages, and a key may be megabytes long.
const KEY_SHOWN_MAX = 64;

function shown(key: string): string {
  return key.length > KEY_SHOWN_MAX ? `${JSON.stringify(key.slice(0, KEY_SHOWN_MAX))}...` : JSON.stringify(key);
}

// Node 20 ships these ES2024 string methods; the compiler's lib stops at ES2023.
type WellFormedApi = string & { isWellFormed(): boolean; toWellFormed(): string };

/** A key as stored in a MAP column: lone surrogates become U+FFFD there (see jsonString). */
function storedKey(kv: KeyValue, utf8: boolean): string {
  const key = kv.key ?? '';
  return utf8 && !(key as WellFormedApi).isWellFormed() ? (key as WellFormedApi).toWellFormed() : key;
}

function repeated(first: KeyValue, again: KeyValue, stored: string, what: string): RecordRejected {
  const a = first.key ?? '';
  const b = again.key ?? '';
  const which = a === b ? `key ${shown(a)} appears twice` : `keys ${shown(a)} and ${shown(b)} are the same key ${shown(stored)} in UTF-8`;
  return new RecordRejected(`${which} in ${what} (OTLP requires unique keys)`);
}

// Below this many keys comparing pairs is cheaper than building a set.
const PAIRWISE_MAX = 16;

/**
 * Refuses a list over ATTRIBUTES_PER_MAP_MAX keys or with a repeated key, so
 * no stored map or JSON object ever holds a key twice and no value is
 * silently replaced. `utf8`: compare keys as a MAP column stores them (two
 * different lone surrogates are one key there); JSON text keeps them apart.
 * Linear in the keys (the cap bounds the pairwise case too).
 */
export function checkKeys(kvs: readonly KeyValue[], what: string, utf8 = true): void {
  const n = kvs.length;
  if (n > ATTRIBUTES_PER_MAP_MAX) {
    throw new RecordRejected(`${n} keys in ${what}, more than ATTRIBUTES_PER_MAP_MAX (${ATTRIBUTES_PER_MAP_MAX}) allows`);
  }
  if (n < 2) return;
  if (n <= PAIRWISE_MAX) {
    for (let i = 1; i < n; i++) {
      const key = storedKey(kvs[i] as KeyValue, utf8);
      for (let j = 0; j < i; j++) {
        if (storedKey(kvs[j] as KeyValue, utf8) === key) throw repeated(kvs[j] as KeyValue, kvs[i] as KeyValue, key, what);
      }
    }
    return;
  }
  const seen = new Map<string, KeyValue>();
  for (const kv of kvs) {
    const key = storedKey(kv, utf8);
    const first = seen.get(key);
    if (first !== undefined) throw repeated(first, kv, key, what);
    seen.set(key, kv);
  }
}
