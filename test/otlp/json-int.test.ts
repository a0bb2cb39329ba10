// The wide-integer quoting pass that runs before JSON.parse.
import { describe, expect, it } from 'vitest';
import { quoteWideIntegers } from '../../src/otlp/json-int.ts';

describe('quoteWideIntegers', () => {
  it('returns the very same text when nothing needs quoting', () => {
    const text = '{"a":123456789012345,"b":-1,"c":1.5,"d":"x","e":0.125}';
    expect(quoteWideIntegers(text)).toBe(text);
  });

  it('quotes integers of 16 or more digits, keeping their sign and digits', () => {
    expect(quoteWideIntegers('{"a":9223372036854775807}')).toBe('{"a":"9223372036854775807"}');
    expect(quoteWideIntegers('{"a":-9223372036854775808}')).toBe('{"a":"-9223372036854775808"}');
    expect(quoteWideIntegers('[1234567890123456, 123456789012345]')).toBe('["1234567890123456", 123456789012345]');
    expect(quoteWideIntegers('{"t":18446744073709551615 }')).toBe('{"t":"18446744073709551615" }');
  });

  it('leaves fractions that no double rounds to an integer alone', () => {
    const text = '[0.5, -3.25, 123456789.125, 1.5e-7, 0.30000000000000004]';
    expect(quoteWideIntegers(text)).toBe(text);
  });

  it('quotes fractions and exponents of 10^15 or more, or whose double is an integer', () => {
    const text = '[12345678901234567.5, 12345678901234567e2, 1234567890123456789E-3, -12345678901234567.0, 1e30, 1.8446744073709552e19]';
    expect(quoteWideIntegers(text)).toBe(
      '["12345678901234567.5", "12345678901234567e2", "1234567890123456789E-3", "-12345678901234567.0", "1e30", "1.8446744073709552e19"]',
    );
    expect(quoteWideIntegers('[1e3, 2.0, 1e-400, 1.0000000000000001]')).toBe('["1e3", "2.0", "1e-400", "1.0000000000000001"]');
  });

  it('never touches digits inside strings, escaped quotes and backslashes included', () => {
    const text = String.raw`{"a":"1234567890123456789","b":"x\"1234567890123456789\"","c":"\\","d":1234567890123456789}`;
    expect(quoteWideIntegers(text)).toBe(
      String.raw`{"a":"1234567890123456789","b":"x\"1234567890123456789\"","c":"\\","d":"1234567890123456789"}`,
    );
  });

  it('agrees with JSON.parse everywhere except the exactness of wide integers', () => {
    const doc = {
      s: 'a "quoted" 12345678901234567 \\ back\\slash',
      n: [0, -0.5, 1e-7, 123456789012345, 3.14159],
      nested: { k: [{ v: true }, null, 'Ω ≈ ☃'] },
    };
    const text = JSON.stringify(doc);
    expect(JSON.parse(quoteWideIntegers(text))).toEqual(doc);
    const wide = '{"v":[9007199254740993,-9007199254740993]}';
    expect(JSON.parse(quoteWideIntegers(wide))).toEqual({ v: ['9007199254740993', '-9007199254740993'] });
  });

  it('passes malformed input through for JSON.parse to reject', () => {
    for (const bad of ['{"a":1234567890123456789', '{"a":"1234567890123456789', '-', '{"a":--1234567890123456789}']) {
      expect(() => JSON.parse(quoteWideIntegers(bad))).toThrow(SyntaxError);
    }
  });
});
