// The Delta table properties that steer maintenance (checkpoint interval and
// retention windows), parsed from metaData.configuration with their defaults.
import type { MetaDataAction } from './actions.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Spark's default tombstone (and VACUUM) retention: `interval 1 week`. */
export const DEFAULT_DELETED_FILE_RETENTION_MS = 7 * DAY_MS;
/** Spark's default log retention: `interval 30 days`. */
export const DEFAULT_LOG_RETENTION_MS = 30 * DAY_MS;

const UNIT_MS: Record<string, number> = {
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: HOUR_MS,
  day: DAY_MS,
  week: 7 * DAY_MS,
};

/**
 * Milliseconds of a Spark interval string such as `interval 1 week`,
 * `interval 168 hours` or `30 days`; undefined when it is not one.
 */
export function parseInterval(text: string): number | undefined {
  const m = /^\s*(?:interval\s+)?(\d+)\s*(millisecond|second|minute|hour|day|week)s?\s*$/i.exec(text);
  if (!m?.[1] || !m[2]) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2].toLowerCase()] as number);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

function durationProperty(meta: MetaDataAction, key: string, fallback: number): number {
  const raw = meta.configuration[key];
  if (raw === undefined) return fallback;
  const ms = parseInterval(raw);
  // A malformed window must not silently shrink to something that deletes more.
  if (ms === undefined) throw new Error(`table property ${key} = '${raw}' is not an interval such as 'interval 7 days'`);
  return ms;
}

/** How long removed files stay protected from VACUUM (delta.deletedFileRetentionDuration). */
export function deletedFileRetentionMs(meta: MetaDataAction): number {
  return durationProperty(meta, 'delta.deletedFileRetentionDuration', DEFAULT_DELETED_FILE_RETENTION_MS);
}

/** How long log entries are kept behind a checkpoint (delta.logRetentionDuration). */
export function logRetentionMs(meta: MetaDataAction): number {
  return durationProperty(meta, 'delta.logRetentionDuration', DEFAULT_LOG_RETENTION_MS);
}

/** Spark removes expired log entries after a checkpoint unless this is 'false'. */
export function expiredLogCleanupEnabled(meta: MetaDataAction): boolean {
  return (meta.configuration['delta.enableExpiredLogCleanup'] ?? 'true').trim().toLowerCase() !== 'false';
}

/** delta.checkpointInterval when it is a positive integer, else `fallback`. */
export function checkpointIntervalOf(meta: MetaDataAction, fallback: number): number {
  const raw = meta.configuration['delta.checkpointInterval'];
  const n = raw === undefined ? NaN : Number(raw.trim());
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}
