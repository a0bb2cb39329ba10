// Where replayed requests go (a server or a warehouse), what each request's
// outcome is, and the wait before retrying a refusal that asked for one.
import type { ReplayRequest } from './request.ts';

export type Outcome = {
  /** The request as a whole was accepted (its records may still be partly refused). */
  accepted: boolean;
  /** Records the request held, or undefined when its body could not be decoded. */
  records: number | undefined;
  /** Records refused: the partial-success count, or every record of a refused request. */
  rejectedRecords: number;
  /** Attempts after the first, each after a 429/503 or a connection refused. */
  retries: number;
  /** Why records were refused, as the receiver said it. */
  message?: string | undefined;
};

export type Target = {
  /** Sends one request; `gate` is awaited before every attempt (the rate limit). Never throws. */
  send(req: ReplayRequest, table: string | undefined, gate: () => Promise<void>): Promise<Outcome>;
  /** Finishes (for a warehouse: commits everything); a message when something is left undone. */
  close(): Promise<string | undefined>;
};

/** First wait when the receiver asks for a retry without saying how long. */
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 30_000;

/**
 * How long to wait before retry number `retry` (1-based): the Retry-After
 * header when there is one (seconds or an HTTP date), else exponential backoff
 * with jitter so many concurrent senders do not retry in lockstep.
 */
export function retryDelayMs(retryAfter: string | undefined, retry: number, now = Date.now()): number {
  const v = retryAfter?.trim();
  if (v !== undefined && v !== '') {
    if (/^\d+$/.test(v)) return Number(v) * 1000;
    const at = Date.parse(v);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(20, retry - 1));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function refused(records: number | undefined, retries: number, message: string): Outcome {
  return { accepted: false, records, rejectedRecords: records ?? 0, retries, message };
}
