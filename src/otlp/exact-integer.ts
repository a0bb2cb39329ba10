// The exact integer a decimal number text stands for, or why it stands for none.
//
// OTLP/JSON integer fields may be written as a number or as a string holding
// one, and the proto3 JSON mapping lets either use a fraction or an exponent
// ("1.5e3" is 1500). Reading such text through a double would round anything
// beyond 2^53 and turn "1e30" into a value no 64-bit column holds, so the
// digits are scaled here as text: linear in the length, never a huge power.

/** A JSON number, optionally negative; leading zeros are tolerated (the value is unambiguous). */
const NUMBER_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

const ZERO = 0x30;

/** More digits than 2^64 has (20) can only be out of every integer range we read. */
const DIGITS_MAX = 20;

export type ExactInteger = { value: bigint } | { error: 'not a number' | 'not an integer' | 'too large' };

export function exactInteger(text: string): ExactInteger {
  const m = NUMBER_TEXT.exec(text);
  if (m === null) return { error: 'not a number' };
  const negative = m[1] === '-';
  const fraction = m[3] ?? '';
  let digits = (m[2] as string) + fraction;
  let start = 0;
  while (start < digits.length && digits.charCodeAt(start) === ZERO) start++;
  let end = digits.length;
  while (end > start && digits.charCodeAt(end - 1) === ZERO) end--;
  if (start === end) return { value: 0n };
  // Trailing zeros move into the exponent, so "1500e-2" is 15 and "1.50" is not an integer only when it is.
  const scale = (m[4] === undefined ? 0 : Number(m[4])) - fraction.length + (digits.length - end);
  digits = digits.slice(start, end);
  if (scale < 0) return { error: 'not an integer' };
  if (digits.length + scale > DIGITS_MAX) return { error: 'too large' };
  const magnitude = BigInt(digits) * 10n ** BigInt(scale);
  return { value: negative ? -magnitude : magnitude };
}
