// Small readers over protobufjs' Reader for the columnar decode loops: fixed
// 64-bit words without a Long or bigint, ids as hex without a byte copy, and
// the attribute lists every signal shares.
import protobuf from 'protobufjs';
import { readString, withSurrogates } from './wire-string.ts';
import { ATTRIBUTES_PER_MAP_MAX } from '../config/limits.ts';
import type { KeyValue } from '../otlp/types.ts';
import { checkKeys } from '../tables/reject.ts';
import { origin, readKeyValue } from './anyvalue-wire.ts';
import { stored } from './columns.ts';

export type Reader = protobuf.Reader;

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

export { Occurrences } from './occurrences.ts';

export function readerOf(body: Uint8Array): Reader {
  return protobuf.Reader.create(body);
}

/** Runs `fn` over a staged body: a JSON request's (`fromJson`) reads its strings and oneofs as that form needs. */
export function readingBody<T>(fromJson: boolean, fn: () => T): T {
  const saved = origin.json;
  origin.json = fromJson;
  try {
    return withSurrogates(fromJson, fn);
  } finally {
    origin.json = saved;
  }
}

/** Whether oneof members are chosen as for a JSON request (the first set one) rather than as decoding does (the last). */
export function firstMemberWins(): boolean {
  return origin.json;
}

/** The end offset of the length-delimited field whose length is at r.pos. */
export function lenEnd(r: Reader): number {
  const n = r.uint32();
  const end = r.pos + n;
  if (end > r.len) throw new RangeError(`length ${n} runs past the end of the message`);
  return end;
}

function checkRoom(r: Reader, n: number): void {
  if (r.pos + n > r.len) throw new RangeError('fixed-width field runs past the end of the message');
}

export function u32le(buf: Uint8Array, p: number): number {
  return ((buf[p] as number) | ((buf[p + 1] as number) << 8) | ((buf[p + 2] as number) << 16) | ((buf[p + 3] as number) << 24)) >>> 0;
}

/** A fixed64 as its two 32-bit words, pushed to `out` (low, high); signed reinterpretation is the caller's view. */
export function fixed64Words(r: Reader): [lo: number, hi: number] {
  checkRoom(r, 8);
  const p = r.pos;
  r.pos += 8;
  return [u32le(r.buf, p), u32le(r.buf, p + 4)];
}

const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** A length-delimited id as lowercase hex; empty is NULL (as hexId). */
export function hexIdField(r: Reader): string | null {
  const end = lenEnd(r);
  const buf = r.buf;
  let out = '';
  for (let p = r.pos; p < end; p++) out += BYTE_HEX[buf[p] as number] as string;
  r.pos = end;
  return out === '' ? null : out;
}

/** A string field as a VARCHAR stores it. */
export function storedString(r: Reader): string {
  return stored(readString(r));
}

/**
 * One attribute list's entries, collected while a message is read. Entries
 * are stored strings (keys and values as a MAP column holds them), so the
 * uniqueness check below compares keys as the reference's checkKeys does.
 */
export class Attributes {
  keys: string[] = [];
  values: (string | null)[] = [];
  /** The keys as sent, for the rejection message. */
  private readonly sent: string[] = [];
  n = 0;
  /**
   * Why each entry's value could not be stored (a key-value list repeating a
   * key), undefined where it could: the reference checks the list's own keys
   * first, so the first of these is thrown only after.
   */
  private readonly errors: unknown[] = [];
  private failed = 0;

  clear(): void {
    this.n = 0;
    this.failed = 0;
  }

  /** Reads one length-delimited KeyValue at r.pos. */
  read(r: Reader): void {
    const end = lenEnd(r);
    this.errors[this.n] = undefined;
    try {
      readKeyValue(r, end, this.sent, this.values, this.n);
    } catch (e) {
      this.errors[this.n] = e;
      this.failed++;
      this.values[this.n] = null;
      r.pos = end;
    }
    this.keys[this.n] = stored(this.sent[this.n] as string);
    const v = this.values[this.n] as string | null;
    if (v !== null) this.values[this.n] = stored(v);
    this.n++;
  }

  /**
   * Drops every entry sent with key `key` and, when `value` is given, adds it
   * last as a string value: what stampPrincipal does to a decoded resource's
   * attributes (see access/identity.ts), before the list is checked.
   */
  stamp(key: string, value: string | undefined): void {
    let kept = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.sent[i] === key) {
        if (this.errors[i] !== undefined) this.failed--;
        continue;
      }
      if (kept !== i) {
        this.sent[kept] = this.sent[i] as string;
        this.keys[kept] = this.keys[i] as string;
        this.values[kept] = this.values[i] as string | null;
        this.errors[kept] = this.errors[i];
      }
      kept++;
    }
    this.n = kept;
    if (value === undefined) return;
    this.sent[kept] = key;
    this.keys[kept] = stored(key);
    this.values[kept] = stored(value);
    this.errors[kept] = undefined;
    this.n++;
  }

  /** Throws RecordRejected, with the reference's message, for too many keys or a repeated one. */
  check(what: string): void {
    const n = this.n;
    if (n < 2 && this.failed === 0) return;
    let bad = n > ATTRIBUTES_PER_MAP_MAX;
    if (!bad) {
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) {
        const k = this.keys[i] as string;
        if (seen.has(k)) {
          bad = true;
          break;
        }
        seen.add(k);
      }
    }
    // Only a list that fails is given to checkKeys, which words the reason.
    if (bad) checkKeys(this.sent.slice(0, n).map((key) => ({ key }) as KeyValue), what);
    if (this.failed > 0) throw this.errors.slice(0, n).find((e) => e !== undefined);
  }

  /** The entries as [key, value] pairs, for the once-per-scope struct values. */
  entries(): [string, string | null][] {
    const out: [string, string | null][] = [];
    for (let i = 0; i < this.n; i++) out.push([this.keys[i] as string, this.values[i] as string | null]);
    return out;
  }
}
