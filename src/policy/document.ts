// A policy file as a whole: TOML (strict types, no implicit conversions, and
// the format the agents' own config files use), with a [limits] and a
// [privacy] part. Parsing is all or nothing: a file with any error is refused
// whole, so a half-understood policy is never in force.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { parseLimits, type LimitsSection } from './limits-config.ts';
import { PolicyError } from './policy-error.ts';
import { parsePrivacy, type PrivacySection } from './privacy-config.ts';

export type PolicyDocument = {
  /** The file it was read from (absolute). */
  file: string;
  limits: LimitsSection;
  privacy: PrivacySection;
};

const TOP_LEVEL = new Set(['limits', 'privacy']);

/** Parses a policy file's text; throws PolicyError naming the first problem. */
export function parsePolicyText(text: string, file: string): PolicyDocument {
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(text);
  } catch (e) {
    const where = e instanceof TomlError ? ` at line ${e.line}, column ${e.column}` : '';
    throw new PolicyError('', `not valid TOML${where}: ${(e as Error).message.split('\n')[0]}`);
  }
  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL.has(key)) throw new PolicyError(key, `unknown setting; a policy file has ${[...TOP_LEVEL].map((k) => `[${k}]`).join(' and ')}`);
  }
  const abs = path.resolve(file);
  return { file: abs, limits: parseLimits(raw.limits), privacy: parsePrivacy(raw.privacy, { baseDir: path.dirname(abs) }) };
}

/** Reads and parses a policy file; errors name the file. */
export function loadPolicyFile(file: string): PolicyDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PolicyError('', `cannot read policy file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return parsePolicyText(text, file);
  } catch (e) {
    if (e instanceof PolicyError) throw new PolicyError('', `policy file ${file}: ${e.message}`);
    throw e;
  }
}
