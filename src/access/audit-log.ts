// The AuditSink the server runs: events are queued in memory (bounded), then
// staged in batches through the table writer that stages exported rows, so an
// audit row is fsync'd to the staging log and committed to system.access.audit
// like any row. Accepted exports are folded into one row per token, table and
// minute. record() never throws and never waits: an audit problem must not
// fail or slow the request it describes.
import {
  AUDIT_EXPORT_KEYS_MAX,
  AUDIT_MINUTE_CHECK_MS,
  AUDIT_QUEUE_EVENTS_MAX,
  AUDIT_RETRY_MS,
} from '../config/limits.ts';
import { randomUUID } from 'node:crypto';
import { auditRow } from './audit-table.ts';
import type { AuditEvent, AuditSink } from './types.ts';

/** The action of one accepted export, as callers record it; stored aggregated as EXPORTS_ACTION. */
export const EXPORT_ACTION = 'export';
export const EXPORTS_ACTION = 'exportsPerMinute';
/** The row that stands for events dropped while the queue was full. */
export const DROPPED_ACTION = 'auditEventsDropped';
/** 429s and 503s (retried by exporters, in floods when the server is busiest), one row per token, table, status and minute. */
export const OVERLOADED_ACTION = 'overloadedPerMinute';
/** Refusals by the policy's rate limits, one row per token, table, limit and minute: apart from load, as they answer to a setting. */
export const RATE_LIMITED_ACTION = 'rateLimitedPerMinute';

/**
 * The per-minute row an event is folded into, if any: accepted exports, and
 * refusals for load (429/503). One row each for those would add audit
 * writes to the very staging budget whose being full caused them.
 */
function perMinuteAction(e: AuditEvent): string | undefined {
  if (e.action === EXPORT_ACTION && e.status === 200) return EXPORTS_ACTION;
  if (e.action === 'refused' && e.params.reason === 'rate_limited') return RATE_LIMITED_ACTION;
  if (e.action === 'refused' && (e.status === 429 || e.status === 503)) return OVERLOADED_ACTION;
  return undefined;
}

export type AuditLogOptions = {
  /** Stages NDJSON rows of the audit table durably (resolves once fsync'd). */
  stage: (ndjson: Buffer, rows: number) => Promise<void>;
  log: (line: string) => void;
  queueEventsMax?: number;
  exportKeysMax?: number;
  now?: () => Date;
};

/** What the operator should see of the audit log; plain numbers for the metrics. */
export type AuditStats = {
  recorded: number;
  stagedRows: number;
  /** Events lost to a full queue or aggregate table; each gap is also written as one DROPPED_ACTION row. */
  droppedEvents: number;
  stageFailures: number;
};

type ExportAggregate = { event: AuditEvent; requests: number; records: number };

const MINUTE_MS = 60_000;

export class AuditLog implements AuditSink {
  readonly stats: AuditStats = { recorded: 0, stagedRows: 0, droppedEvents: 0, stageFailures: 0 };
  private queue: AuditEvent[] = [];
  private readonly exports = new Map<string, ExportAggregate>();
  /** Dropped since the last DROPPED_ACTION row was queued. */
  private droppedPending = 0;
  private draining: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly minuteTimer: NodeJS.Timeout;
  private closed = false;
  private readonly queueMax: number;
  private readonly keysMax: number;
  private readonly now: () => Date;

  constructor(private readonly opts: AuditLogOptions) {
    this.queueMax = opts.queueEventsMax ?? AUDIT_QUEUE_EVENTS_MAX;
    this.keysMax = opts.exportKeysMax ?? AUDIT_EXPORT_KEYS_MAX;
    this.now = opts.now ?? (() => new Date());
    this.minuteTimer = setInterval(() => this.closeMinutes(false), AUDIT_MINUTE_CHECK_MS);
    this.minuteTimer.unref();
  }

  /**
   * Records one event. An accepted export (action EXPORT_ACTION, status 200,
   * params table, signal and records) is added to its token's, table's and
   * minute's row; anything else becomes a row of its own.
   */
  record(event: AuditEvent): void {
    try {
      this.stats.recorded += 1;
      const per = perMinuteAction(event);
      if (per) this.aggregate(event, per);
      else this.enqueue(event);
    } catch (e) {
      this.drop(1, e);
    }
  }

  /** Resolves once every event recorded before the call, finished minutes included, is durably staged. */
  async durable(opts: { openMinutes?: boolean } = {}): Promise<void> {
    this.closeMinutes(opts.openMinutes ?? false);
    while (this.queue.length > 0 || this.droppedPending > 0 || this.draining) {
      await this.drain();
      if (this.stats.stageFailures > 0 && this.queue.length > 0) await new Promise((r) => setTimeout(r, AUDIT_RETRY_MS));
    }
  }

  /** Stages everything, the minute still open included; no event is taken after. */
  async close(deadlineMs = 10_000): Promise<void> {
    this.closed = true;
    clearInterval(this.minuteTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const done = this.durable({ openMinutes: true });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(r, deadlineMs)));
    await Promise.race([done, late]);
    clearTimeout(timer);
    if (this.queue.length > 0) this.opts.log(`audit: ${this.queue.length} events could not be staged before shutdown`);
  }

  private aggregate(e: AuditEvent, action: string): void {
    const minute = Math.floor(e.time.getTime() / MINUTE_MS) * MINUTE_MS;
    const table = e.params.table ?? '';
    const limit = e.params.limit;
    const key = `${minute}\u0000${action}\u0000${e.status}\u0000${e.tokenId ?? ''}\u0000${table}\u0000${limit ?? ''}`;
    const records = Number(e.params.records ?? 0) || 0;
    const known = this.exports.get(key);
    if (known) {
      known.requests += 1;
      known.records += records;
      // The last request's client details stand for the minute's.
      known.event.sourceIp = e.sourceIp ?? known.event.sourceIp;
      known.event.userAgent = e.userAgent ?? known.event.userAgent;
      return;
    }
    if (this.exports.size >= this.keysMax) return this.drop(1);
    this.exports.set(key, {
      event: { ...e, time: new Date(minute), action, params: { table, signal: e.params.signal ?? '', ...(limit !== undefined ? { limit } : {}) } },
      requests: 1,
      records,
    });
  }

  /** Moves finished minutes (all of them with `all`) from the aggregates to the queue. */
  private closeMinutes(all: boolean): void {
    const current = Math.floor(this.now().getTime() / MINUTE_MS) * MINUTE_MS;
    for (const [key, agg] of this.exports) {
      if (!all && agg.event.time.getTime() >= current) continue;
      this.exports.delete(key);
      agg.event.params.requests = String(agg.requests);
      agg.event.params.records = String(agg.records);
      this.enqueue(agg.event);
    }
  }

  private enqueue(e: AuditEvent): void {
    if (this.queue.length >= this.queueMax) return this.drop(1);
    this.queue.push(e);
    this.schedule();
  }

  private drop(n: number, cause?: unknown): void {
    if (this.droppedPending === 0) {
      const why = cause === undefined ? 'the audit queue is full' : `an event could not be recorded (${(cause as Error)?.message ?? String(cause)})`;
      this.opts.log(`audit: ${why}; dropped events are counted and written as one ${DROPPED_ACTION} row`);
    }
    this.stats.droppedEvents += n;
    this.droppedPending += n;
    this.schedule();
  }

  private schedule(): void {
    if (this.draining || this.retryTimer) return;
    // After the current turn, so the events of a burst are staged together.
    setImmediate(() => void this.drain());
  }

  /** Stages what is queued, one batch at a time; on failure the batch stays queued and is retried. */
  private drain(): Promise<void> {
    this.draining ??= this.stageQueued().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async stageQueued(): Promise<void> {
    while (this.queue.length > 0 || this.droppedPending > 0) {
      const batch = this.queue;
      this.queue = [];
      const dropped = this.droppedPending;
      this.droppedPending = 0;
      const good: AuditEvent[] = [];
      const lines: string[] = [];
      for (const e of batch) {
        try {
          lines.push(`${auditRow(e)}\n`);
          good.push(e);
        } catch (err) {
          // One malformed event must not hold back the others.
          this.stats.droppedEvents += 1;
          this.opts.log(`audit: an event could not be written and was dropped: ${(err as Error).message}`);
        }
      }
      if (dropped > 0) lines.push(`${auditRow(this.droppedRow(dropped))}\n`);
      if (lines.length === 0) continue;
      try {
        await this.opts.stage(Buffer.from(lines.join('')), lines.length);
        this.stats.stagedRows += lines.length;
      } catch (e) {
        this.stats.stageFailures += 1;
        // Back to the front, within the bound: what does not fit is counted as dropped.
        const room = Math.max(0, this.queueMax - this.queue.length);
        this.queue = [...good.slice(0, room), ...this.queue];
        const lost = good.length - Math.min(room, good.length);
        this.droppedPending += dropped + lost;
        this.stats.droppedEvents += lost;
        if (this.stats.stageFailures === 1 || this.stats.stageFailures % 100 === 0) {
          this.opts.log(`audit: staging audit rows failed (${this.stats.stageFailures} times so far), will retry: ${(e as Error).message}`);
        }
        if (!this.retryTimer && !this.closed) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            void this.drain();
          }, AUDIT_RETRY_MS);
          this.retryTimer.unref();
        }
        return;
      }
    }
  }

  private droppedRow(count: number): AuditEvent {
    return {
      time: this.now(),
      service: 'otlp',
      action: DROPPED_ACTION,
      requestId: randomUUID(),
      params: { count: String(count) },
      status: 503,
      error: `${count} audit events were dropped: the audit queue was full`,
    };
  }
}
