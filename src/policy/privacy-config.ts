// The [privacy] part of a policy file: rules per table pattern and agent.
import { PolicyError } from './policy-error.ts';

export type PrivacySection = { rules: readonly unknown[] };

export const NO_PRIVACY: PrivacySection = { rules: [] };

export type PrivacyParseContext = {
  /** The policy file's folder: relative paths in the section (key files) are resolved from it. */
  baseDir: string;
};

/** Validates the [privacy] table; `raw` is undefined when the file has none. */
export function parsePrivacy(raw: unknown, _ctx: PrivacyParseContext): PrivacySection {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) throw new PolicyError('privacy', 'must be a table');
  return NO_PRIVACY;
}

/** One line per rule, for `otlp2delta policy check`. */
export function summarizePrivacy(_privacy: PrivacySection): string[] {
  return [];
}
