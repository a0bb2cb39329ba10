// Bounds on what the process holds: staged bytes not yet committed (disk), and
// request bytes being read or decoded (memory). Past either bound requests get
// 429 with a Retry-After estimated from how fast the backlog is draining;
// stalled uploads give their memory back to moving ones.
import { BODY_PROGRESS_BYTES_MIN, BODY_STALL_RECLAIM_MS, RETRY_AFTER_MAX_S, RETRY_AFTER_MIN_S } from '../config/limits.ts';

/** Smoothing of the commit-throughput estimate: recent flushes weigh most. */
const THROUGHPUT_WEIGHT = 0.3;

export class StagingBudget {
  private used = 0;
  /** Committed bytes per second, smoothed; starts at a modest guess. */
  private bytesPerSecond = 8 * 1024 * 1024;
  private lastCommitAt = Date.now();

  constructor(readonly max: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** True when nothing more may be staged: callers refuse before spending work on a request. */
  get full(): boolean {
    return this.used >= this.max;
  }

  tryReserve(n: number): boolean {
    // One oversized request may pass when nothing is staged, or it could never pass.
    if (this.used > 0 && this.used + n > this.max) return false;
    this.used += n;
    return true;
  }

  /** Reservation that may not be refused (segments recovered at start). */
  reserve(n: number): void {
    this.used += n;
  }

  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }

  recordCommitted(bytes: number): void {
    const now = Date.now();
    const seconds = Math.max(0.05, (now - this.lastCommitAt) / 1000);
    this.lastCommitAt = now;
    const rate = bytes / seconds;
    this.bytesPerSecond = (1 - THROUGHPUT_WEIGHT) * this.bytesPerSecond + THROUGHPUT_WEIGHT * rate;
  }

  /** Seconds until the backlog has likely drained enough to take more. */
  retryAfterSeconds(): number {
    const s = Math.ceil(this.used / Math.max(1, this.bytesPerSecond));
    return Math.min(RETRY_AFTER_MAX_S, Math.max(RETRY_AFTER_MIN_S, s));
  }
}

/**
 * One request's share of the in-flight budget. Bytes are reserved as they
 * arrive, never ahead of them, and all are returned by release().
 */
export type InflightHold = {
  /** Reserves n more bytes; false when there is no room even after reclaiming stalled uploads. */
  tryAdd(n: number): boolean;
  /** The body is complete: what it holds is now being decoded and is no longer reclaimable. */
  settle(): void;
  /** Returns every byte held; safe to call more than once, and after a reclaim. */
  release(): void;
  /**
   * Called (synchronously, at most once) when the bytes are taken back because
   * the upload stalled while others waited for room; the hold is then empty.
   */
  onReclaim(cb: (() => void) | undefined): void;
  readonly bytes: number;
};

type Holder = {
  bytes: number;
  /** Last time the upload delivered BODY_PROGRESS_BYTES_MIN since the previous mark. */
  progressAt: number;
  sinceMark: number;
  onReclaim: (() => void) | undefined;
};

/**
 * Request bytes in memory at once (bodies streaming in, then being decoded).
 *
 * Reserving bytes only as they arrive is not enough on its own: 256 clients
 * that each send 1 MiB and stop would hold the whole budget until their
 * timeouts, and every active client would get 429 meanwhile. So when a
 * reservation does not fit, uploads that have stopped making progress for
 * BODY_STALL_RECLAIM_MS give their bytes back (their requests are answered
 * 408), oldest stall first, and only when that makes enough room; a client
 * that keeps its upload moving is never reclaimed, and genuine overload by
 * moving uploads still gets 429. A per-address share was the alternative, but
 * a Collector or a NAT puts many honest exporters behind one address, while a
 * hostile client has many addresses.
 */
export class InflightBudget {
  private used = 0;
  /** Holders still receiving their body: the only ones that may be reclaimed. */
  private readonly streaming = new Set<Holder>();

  constructor(
    readonly max: number,
    private readonly stallMs = BODY_STALL_RECLAIM_MS,
    private readonly progressBytes = BODY_PROGRESS_BYTES_MIN,
    private readonly now: () => number = Date.now,
  ) {}

  get usedBytes(): number {
    return this.used;
  }

  /** A hold for one request, empty until its bytes arrive. */
  open(): InflightHold {
    const h: Holder = { bytes: 0, progressAt: this.now(), sinceMark: 0, onReclaim: undefined };
    this.streaming.add(h);
    return {
      tryAdd: (n) => this.add(h, n),
      settle: () => {
        this.streaming.delete(h);
      },
      release: () => {
        this.streaming.delete(h);
        this.used = Math.max(0, this.used - h.bytes);
        h.bytes = 0;
      },
      onReclaim: (cb) => {
        h.onReclaim = cb;
      },
      get bytes() {
        return h.bytes;
      },
    };
  }

  private add(h: Holder, n: number): boolean {
    // One oversized request may pass when nothing is held, or it could never pass.
    if (this.used > 0 && this.used + n > this.max && !this.reclaim(this.used + n - this.max, h)) return false;
    this.used += n;
    h.bytes += n;
    h.sinceMark += n;
    if (h.sinceMark >= this.progressBytes) {
      h.sinceMark = 0;
      h.progressAt = this.now();
    }
    return true;
  }

  /** Frees at least `need` bytes from stalled uploads other than `asker`, or nothing at all. */
  private reclaim(need: number, asker: Holder): boolean {
    const cutoff = this.now() - this.stallMs;
    const stalled = [...this.streaming].filter((h) => h !== asker && h.bytes > 0 && h.progressAt <= cutoff);
    if (stalled.reduce((sum, h) => sum + h.bytes, 0) < need) return false;
    stalled.sort((a, b) => a.progressAt - b.progressAt);
    let freed = 0;
    for (const h of stalled) {
      if (freed >= need) break;
      freed += h.bytes;
      this.streaming.delete(h);
      this.used -= h.bytes;
      h.bytes = 0;
      const notify = h.onReclaim;
      h.onReclaim = undefined;
      notify?.();
    }
    return true;
  }
}
