// The token shape: prefix, 128+ random bits, a checksum that refuses any one-character typo.
import { describe, expect, it } from 'vitest';
import { isWellFormedToken, newTokenSecret, tokenChecksum, tokenHash, tokenIdOf, TOKEN_PREFIX } from '../../src/access/token-format.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('token format', () => {
  it('makes o2d_ tokens of 22 random base62 characters and a 6-character checksum', () => {
    const t = newTokenSecret();
    expect(t).toMatch(/^o2d_[0-9A-Za-z]{28}$/);
    expect(t.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(tokenChecksum(t.slice(0, 26))).toBe(t.slice(26));
    expect(isWellFormedToken(t)).toBe(true);
    // 22 base62 characters hold 131 bits, enough for the 128 drawn.
    expect(22 * Math.log2(62)).toBeGreaterThan(128);
  });

  it('draws fresh randomness every time', () => {
    const seen = new Set(Array.from({ length: 2000 }, () => newTokenSecret().slice(4, 26)));
    expect(seen.size).toBe(2000);
  });

  it('refuses every one-character substitution of a token', () => {
    for (let n = 0; n < 3; n++) {
      const t = newTokenSecret();
      for (let i = TOKEN_PREFIX.length; i < t.length; i++) {
        for (const ch of ALPHABET) {
          if (ch === t[i]) continue;
          const typo = t.slice(0, i) + ch + t.slice(i + 1);
          expect(isWellFormedToken(typo), typo).toBe(false);
        }
      }
    }
  });

  it('refuses wrong lengths, prefixes and alphabets', () => {
    const t = newTokenSecret();
    for (const bad of [t.slice(0, -1), `${t}a`, `x2d_${t.slice(4)}`, `${t.slice(0, 10)}-${t.slice(11)}`, '', 'o2d_', `O2D_${t.slice(4)}`]) {
      expect(isWellFormedToken(bad), bad).toBe(false);
    }
  });

  it('derives a public id that is neither the secret nor its stored hash', () => {
    const t = newTokenSecret();
    const id = tokenIdOf(t);
    expect(id).toMatch(/^tk_[0-9a-f]{16}$/);
    expect(tokenIdOf(t)).toBe(id);
    expect(tokenHash(t).toString('hex')).not.toContain(id.slice(3));
    expect(tokenIdOf(newTokenSecret())).not.toBe(id);
  });
});
