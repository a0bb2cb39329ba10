// The shape of an access token: `o2d_`, 22 base62 characters of randomness
// (131 bits) and a 6-character base62 checksum of everything before it, so a
// mistyped token is refused before any lookup. The public id is derived from
// the secret through its own hash, so a log line can name the token a client
// sent (even an unknown one) without anything that helps recover the secret.
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'o2d_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 62^22 > 2^130: with 16 random bytes (128 bits) every value fits in 22 characters. */
const RANDOM_CHARS = 22;
/** 62^6 > 2^32: a 32-bit checksum; a random typo passes with odds of one in four billion. */
const CHECKSUM_CHARS = 6;
const TOKEN_RE = new RegExp(`^${TOKEN_PREFIX}[0-9A-Za-z]{${RANDOM_CHARS + CHECKSUM_CHARS}}$`);

function base62(n: bigint, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out;
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The checksum characters of the token's first part (prefix and random characters). */
export function tokenChecksum(head: string): string {
  return base62(BigInt(sha256(`otlp2delta token checksum\u0000${head}`).readUInt32BE(0)), CHECKSUM_CHARS);
}

/** A fresh secret. */
export function newTokenSecret(): string {
  const head = TOKEN_PREFIX + base62(BigInt(`0x${randomBytes(16).toString('hex')}`), RANDOM_CHARS);
  return head + tokenChecksum(head);
}

/** Whether `s` has the token shape and its checksum matches (no lookup). */
export function isWellFormedToken(s: string): boolean {
  if (!TOKEN_RE.test(s)) return false;
  const head = s.slice(0, TOKEN_PREFIX.length + RANDOM_CHARS);
  return tokenChecksum(head) === s.slice(head.length);
}

/** What the store keeps instead of the secret: SHA-256 of it, 32 bytes. */
export function tokenHash(secret: string): Buffer {
  return sha256(secret);
}

/** The public id of a token: safe to print, log and audit. */
export function tokenIdOf(secret: string): string {
  return `tk_${sha256(`otlp2delta token id\u0000${secret}`).subarray(0, 8).toString('hex')}`;
}
