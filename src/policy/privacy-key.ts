// The pseudonym key: read from a file next to the policy file or from an
// environment variable, never from the policy file itself (policy files are
// reviewed and committed; keys are not). Errors name where the key was looked
// for, never what it holds.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { PSEUDONYM_KEY_BYTES_MIN, PSEUDONYM_KEY_FILE_BYTES_MAX } from '../config/limits.ts';
import { PolicyError } from './policy-error.ts';

export type PseudonymKey = {
  /** The key bytes as hex (what the plan carries). */
  hex: string;
  /** Where it came from, for `policy check`: `file /x/key` or `env NAME`. */
  source: string;
  /** A short one-way digest, so two instances can be checked for the same key without showing it. */
  fingerprint: string;
};

function keyOf(bytes: Buffer, source: string, setting: string): PseudonymKey {
  // A trailing newline is what an editor or `echo >` leaves; it is not part of the key.
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--;
  const key = bytes.subarray(0, end);
  if (key.length < PSEUDONYM_KEY_BYTES_MIN) {
    throw new PolicyError(setting, `the key from ${source} is ${key.length} bytes; at least ${PSEUDONYM_KEY_BYTES_MIN} (PSEUDONYM_KEY_BYTES_MIN), e.g. from \`openssl rand -hex 32\``);
  }
  const fingerprint = createHash('sha256').update('otlp2delta pseudonym key fingerprint\0').update(key).digest('hex').slice(0, 12);
  return { hex: key.toString('hex'), source, fingerprint };
}

/** Reads `file` (relative to `baseDir`). */
export function readKeyFile(file: string, baseDir: string, setting: string): PseudonymKey {
  const abs = path.resolve(baseDir, file);
  let bytes: Buffer;
  try {
    const size = statSync(abs).size;
    if (size > PSEUDONYM_KEY_FILE_BYTES_MAX) throw new PolicyError(setting, `${abs} is ${size} bytes, too large for a key (PSEUDONYM_KEY_FILE_BYTES_MAX is ${PSEUDONYM_KEY_FILE_BYTES_MAX})`);
    bytes = readFileSync(abs);
  } catch (e) {
    if (e instanceof PolicyError) throw e;
    throw new PolicyError(setting, `cannot read the key file ${abs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return keyOf(bytes, `file ${abs}`, setting);
}

/** Reads the environment variable `name`. */
export function readKeyEnv(name: string, env: NodeJS.ProcessEnv, setting: string): PseudonymKey {
  const value = env[name];
  if (value === undefined || value === '') throw new PolicyError(setting, `the environment variable ${name} is not set`);
  return keyOf(Buffer.from(value, 'utf8'), `env ${name}`, setting);
}
