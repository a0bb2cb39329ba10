// Refused requests, logged for the operator with what identifies the client,
// at most REJECTION_LOG_BURST lines per reason and table a window. What the
// window left out is said in one summary line when it ends, so a flood of
// identical refusals costs a few lines, never the log.
import { LOGGED_VALUE_CHARS_MAX, REJECTION_LOG_BURST, REJECTION_LOG_KEYS_MAX, REJECTION_LOG_WINDOW_MS } from '../config/limits.ts';
import type { EventLog } from './event-log.ts';

export type Rejection = {
  status: number;
  /** The refusal's kind (errors.ts), or `partial_success` for records refused inside an accepted request. */
  reason: string;
  message: string;
  method: string;
  path: string;
  signal?: string | undefined;
  table?: string | undefined;
  remote?: string | undefined;
  userAgent?: string | undefined;
  tokenId?: string | undefined;
  principal?: string | undefined;
};

type Window = { started: number; logged: number; suppressed: number; reason: string; table: string | undefined };

const OVERFLOW_KEY = '\u0000overflow';

/** A client-supplied value cut to a length fit for one log line. */
export function shortValue(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  return v.length > LOGGED_VALUE_CHARS_MAX ? `${v.slice(0, LOGGED_VALUE_CHARS_MAX)}...` : v;
}

export type RejectionLogOptions = {
  burst?: number;
  windowMs?: number;
  keysMax?: number;
  now?: () => number;
  /** Called once per line left out (the metrics count them). */
  onSuppressed?: () => void;
};

export class RejectionLog {
  private readonly windows = new Map<string, Window>();
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly keysMax: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly log: EventLog,
    private readonly opts: RejectionLogOptions = {},
  ) {
    this.burst = opts.burst ?? REJECTION_LOG_BURST;
    this.windowMs = opts.windowMs ?? REJECTION_LOG_WINDOW_MS;
    this.keysMax = opts.keysMax ?? REJECTION_LOG_KEYS_MAX;
    this.now = opts.now ?? Date.now;
    this.timer = setInterval(() => this.endWindows(false), this.windowMs);
    this.timer.unref();
  }

  record(r: Rejection): void {
    const table = shortValue(r.table);
    const w = this.windowFor(r.reason, table);
    if (w.logged >= this.burst) {
      w.suppressed += 1;
      this.opts.onSuppressed?.();
      return;
    }
    w.logged += 1;
    const fields = {
      status: r.status,
      reason: r.reason,
      method: r.method,
      path: r.path,
      signal: r.signal,
      table,
      remote: r.remote,
      userAgent: shortValue(r.userAgent),
      tokenId: r.tokenId,
      principal: shortValue(r.principal),
    };
    const what = r.status < 400 ? `partly rejected ${r.method} ${r.path} to ${table}` : `refused ${r.status} ${r.method} ${r.path}`;
    // The caller's identity goes in the text too, for line-based logs that drop the fields.
    const who = [r.tokenId && `token ${r.tokenId}`, r.principal && `principal ${fields.principal}`, r.status >= 400 && table && `table ${table}`].filter(Boolean).join(', ');
    this.log.warn(fields, `${what}: ${r.message}${who && (r.tokenId || r.principal) ? ` (${who})` : ''}`);
  }

  /** Writes the summaries still owed (at stop) and stops the window timer. */
  close(): void {
    clearInterval(this.timer);
    this.endWindows(true);
  }

  private windowFor(reason: string, table: string | undefined): Window {
    const now = this.now();
    const key = `${reason}\u0000${table ?? ''}`;
    let w = this.windows.get(key);
    if (w && now - w.started >= this.windowMs) {
      this.summarise(w);
      this.windows.delete(key);
      w = undefined;
    }
    if (w) return w;
    if (this.windows.size >= this.keysMax) this.endWindows(false);
    if (this.windows.size >= this.keysMax) {
      // Still full of live windows: every further pair shares one allowance.
      let overflow = this.windows.get(OVERFLOW_KEY);
      if (!overflow) {
        overflow = { started: now, logged: 0, suppressed: 0, reason: 'various', table: undefined };
        this.windows.set(OVERFLOW_KEY, overflow);
      }
      return overflow;
    }
    w = { started: now, logged: 0, suppressed: 0, reason, table };
    this.windows.set(key, w);
    return w;
  }

  private endWindows(all: boolean): void {
    const now = this.now();
    for (const [key, w] of this.windows) {
      if (all || now - w.started >= this.windowMs) {
        this.summarise(w);
        this.windows.delete(key);
      }
    }
  }

  private summarise(w: Window): void {
    if (w.suppressed === 0) return;
    const seconds = Math.round(Math.max(0, this.now() - w.started) / 1000);
    const where = w.table === undefined ? '' : ` for table ${w.table}`;
    this.log.warn(
      { reason: w.reason, table: w.table, suppressed: w.suppressed },
      `${w.suppressed} more refusals (${w.reason})${where} in the last ${seconds} s were not logged one by one`,
    );
  }
}
