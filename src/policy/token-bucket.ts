// Token buckets kept per limit (and per principal for the default limit),
// bounded in number. A bucket refills continuously at its rate and holds at
// most its burst; its state is two numbers, so forgetting a bucket that has
// refilled loses nothing.
import { RATE_BUCKETS_MAX } from '../config/limits.ts';

export type BucketSpec = { perMinute: number; burst: number };

type Bucket = { tokens: number; at: number };

const MINUTE_MS = 60_000;

export class BucketTable {
  /** In least recently used order (a Map keeps insertion order; a use re-inserts). */
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly now: () => number,
    private readonly max = RATE_BUCKETS_MAX,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  /** The tokens `key` holds now under `spec` (a new bucket starts full). */
  available(key: string, spec: BucketSpec): number {
    const b = this.buckets.get(key);
    if (!b) return spec.burst;
    const t = this.now();
    // A clock that steps back refills nothing rather than draining.
    const refill = (Math.max(0, t - b.at) * spec.perMinute) / MINUTE_MS;
    // Clamped to the burst in force: a lowered limit applies at once, a raised one keeps the debt.
    return Math.min(spec.burst, b.tokens + refill);
  }

  /** Seconds until `key` holds `amount` tokens (amount at most the burst). */
  secondsUntil(key: string, spec: BucketSpec, amount: number): number {
    const missing = amount - this.available(key, spec);
    return missing <= 0 ? 0 : (missing * 60) / spec.perMinute;
  }

  /** Takes `amount` tokens (the caller checked they are there). */
  take(key: string, spec: BucketSpec, amount: number): void {
    const tokens = this.available(key, spec) - amount;
    this.buckets.delete(key);
    this.buckets.set(key, { tokens, at: this.now() });
    if (this.buckets.size > this.max) {
      // The oldest idle bucket: most likely refilled to full, so nothing is lost by forgetting it.
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }

  /** Forgets the buckets of limits no longer in force. */
  retain(keep: (key: string) => boolean): void {
    for (const key of this.buckets.keys()) if (!keep(key)) this.buckets.delete(key);
  }
}
