// Bounds on what the process holds: staged bytes not yet committed (disk), and
// request bytes being read or decoded (memory). Past either bound requests get
// 429 with a Retry-After estimated from how fast the backlog is draining.
import { RETRY_AFTER_MAX_S, RETRY_AFTER_MIN_S } from '../config/limits.ts';

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

/** Request bytes in memory at once; reserved while a body streams in. */
export class InflightBudget {
  private used = 0;
  constructor(readonly max: number) {}
  tryReserve(n: number): boolean {
    if (this.used > 0 && this.used + n > this.max) return false;
    this.used += n;
    return true;
  }
  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
  get usedBytes(): number {
    return this.used;
  }
}
