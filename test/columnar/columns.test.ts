// The bounds a string column keeps must be DuckDB's (UTF-8 byte order), which
// JavaScript's own comparison is not once surrogates meet U+E000 and up.
import { describe, expect, it } from 'vitest';
import { compareCodePoints, Int64Column, StringColumn } from '../../src/columnar/columns.ts';

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('string column bounds', () => {
  const values = ['a', '\uE000', '😀', '\uFFFF', 'é', '', 'z', '😀a', '\uFFFFz', 'ab'];

  it('orders by code point where < would not', () => {
    expect('😀' < '\uE000').toBe(true);
    expect(compareCodePoints('😀', '\uE000')).toBeGreaterThan(0);
    for (const a of values) for (const b of values) expect(Math.sign(compareCodePoints(a, b)), `${a} vs ${b}`).toBe(Math.sign(utf8Order(a, b)));
  });

  it('keeps the UTF-8 minimum and maximum in any arrival order', () => {
    const sorted = [...values].sort(utf8Order);
    for (let shift = 0; shift < values.length; shift++) {
      const c = new StringColumn();
      for (const v of [...values.slice(shift), ...values.slice(0, shift)]) c.push(v);
      c.push(null);
      expect([c.min, c.max, c.nulls]).toEqual([sorted[0], sorted[sorted.length - 1], 1]);
    }
  });
});

describe('int64 column bounds', () => {
  it('compares signed 64-bit values held as words, extremes included', () => {
    const c = new Int64Column();
    const xs = [0n, -1n, 1n, -(2n ** 63n), 2n ** 63n - 1n, 4294967296n, -4294967297n];
    for (const x of xs) {
      const u = BigInt.asUintN(64, x);
      c.push(Number(u & 0xffffffffn), Number(u >> 32n));
    }
    expect([c.min, c.max]).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    expect(Array.from(new BigInt64Array(c.words.buffer, 0, xs.length))).toEqual(xs);
  });
});
