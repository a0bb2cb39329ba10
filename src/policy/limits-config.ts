// The [limits] part of a policy file: rate limits per principal, per group,
// a default per user, and global.
import { PolicyError } from './policy-error.ts';

export type LimitsSection = Record<string, never>;

export const NO_LIMITS: LimitsSection = {};

/** Validates the [limits] table; `raw` is undefined when the file has none. */
export function parseLimits(raw: unknown): LimitsSection {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) throw new PolicyError('limits', 'must be a table');
  return NO_LIMITS;
}

/** One line per limit in force, for `otlp2delta policy check`. */
export function summarizeLimits(_limits: LimitsSection): string[] {
  return [];
}
