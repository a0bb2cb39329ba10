// Keeps wide JSON number literals exact by quoting them before JSON.parse sees them.
//
// JSON.parse turns every number into a double, so a bare 9223372036854775807
// (legal OTLP/JSON for an int64) would come back rounded. Quoting the literal
// keeps its digits; the decoder then reads a decimal string, exactly, for
// integer fields, and fromObject converts it with Number() for doubles, giving
// the same double JSON.parse would have produced. Integer literals of at most
// 15 digits are always exact as doubles and are left alone. A literal with a
// fraction or exponent is quoted when its magnitude is 10^15 or more or its
// double is an integer: in a double field that changes nothing, and in an
// integer field the decoder can then tell 1e16 (an exact integer) from
// 1.8446744073709552e19 (beyond uint64), 4503599627370496.5 or 1e-400 (not
// integers), which their doubles cannot.

const MAX_EXACT_DIGITS = 15;
const WIDE = 1e15;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Could the text hold a fraction or exponent literal whose double is an
 * integer? Only with an exponent, a fraction ending in 0, or more than 15
 * digits in all (fewer always round-trip through a double, so a non-integer
 * never lands on an integer); 16 digits around a dot put 8 on one side. A
 * loose test on purpose: it matches inside strings too, which costs only a
 * scan, and every part of it runs in bounded steps per position.
 */
/** An integer literal too long to be exact as a double; loose, it matches inside strings too. */
export const WIDE_INTEGER_LITERAL = /\d{16}/;

export const INTEGRAL_FRACTION = /\d[eE]|\d\.\d*0(?!\d)|\d\.\d{8}|\d{8}\.\d/;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const PLUS = 0x2b;

const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

/** Index just past the closing quote of the string literal opening at `start`, or -1 if unterminated. */
function skipString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const close = text.indexOf('"', i);
    if (close < 0) return -1;
    let slashes = 0;
    for (let j = close - 1; j > start && text.charCodeAt(j) === BACKSLASH; j--) slashes++;
    // An odd run of backslashes escapes this quote; keep looking.
    if (slashes % 2 === 0) return close + 1;
    i = close + 1;
  }
}

/**
 * `text` with every number literal a double may not hold exactly wrapped in quotes.
 * Malformed JSON passes through (possibly partly rewritten) for JSON.parse to reject.
 */
export function quoteWideIntegers(text: string): string {
  // Cheap exit for the common case of nothing to quote anywhere, even inside strings.
  if (!WIDE_INTEGER_LITERAL.test(text) && !INTEGRAL_FRACTION.test(text)) return text;
  let out: string[] | null = null;
  let copied = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = skipString(text, i);
      if (end < 0) break;
      i = end;
      continue;
    }
    if (c !== MINUS && !isDigit(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === MINUS) i++;
    const digitsStart = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    const digits = i - digitsStart;
    const next = i < n ? text.charCodeAt(i) : -1;
    let wide = digits > MAX_EXACT_DIGITS;
    if (next === DOT || next === LOWER_E || next === UPPER_E) {
      while (i < n) {
        const d = text.charCodeAt(i);
        if (!(isDigit(d) || d === DOT || d === LOWER_E || d === UPPER_E || d === PLUS || d === MINUS)) break;
        i++;
      }
      const d = Number(text.slice(start, i));
      wide = Math.abs(d) >= WIDE || Number.isInteger(d);
    }
    // Only a well-formed literal is quoted: quoting "01" or "1.e20" would turn malformed JSON into a valid string.
    if (wide && JSON_NUMBER.test(text.slice(start, i))) {
      out ??= [];
      out.push(text.slice(copied, start), '"', text.slice(start, i), '"');
      copied = i;
    }
  }
  if (out === null) return text;
  out.push(text.slice(copied));
  return out.join('');
}
