// How SDK failures become the errors the Delta code acts on. The SDKs' own
// errors carry the request (headers, signed URLs, sometimes the connection
// string), so none is passed on as a cause: a message is built from the
// status, the store's error code and its text with every secret removed.
import { OutcomeUnknownError, StoreBusyError } from './types.ts';

/** The parts of an SDK failure that are safe to show. */
export type Failure = { status?: number; code?: string; text: string };

/** Removes every occurrence of each secret (and of its URL-encoded form) from `text`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 4) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) out = out.split(form).join('***');
  }
  return out;
}

/** Store statuses that mean "not now": nothing was done, and a later retry may succeed. */
export function isBusyStatus(status: number | undefined): boolean {
  return status === 429 || status === 503;
}

/** A readable one-line error for a failed operation on `where`. */
export function describeFailure(op: string, where: string, f: Failure, secrets: readonly string[]): string {
  const parts = [f.status === undefined ? 'no answer' : `HTTP ${f.status}`, f.code, f.text].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  return scrub(`${op} ${where}: ${parts.join(' ')}`, secrets);
}

/**
 * The error to throw for a failure the operation does not handle itself:
 * busy statuses become StoreBusyError; a missing answer on a write becomes
 * OutcomeUnknownError (the write may have landed); everything else an Error.
 */
export function toStoreError(op: string, where: string, f: Failure, secrets: readonly string[], isWrite: boolean): Error {
  const message = describeFailure(op, where, f, secrets);
  if (isBusyStatus(f.status)) return new StoreBusyError(message);
  if (f.status === undefined && isWrite) return new OutcomeUnknownError(message);
  return new Error(message);
}

/** First line of a message, bounded: SDK texts can carry whole XML bodies and request ids. */
export function firstLine(text: unknown): string {
  return String(text ?? '').split('\n')[0]!.slice(0, 300);
}
