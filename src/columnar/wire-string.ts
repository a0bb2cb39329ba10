// String fields of a staged body. Bodies received as protobuf passed strict
// UTF-8 validation, so protobufjs' reader decodes them. A JSON request staged
// as protobuf may hold lone surrogates (JSON "\ud800" escapes), which
// protobufjs encodes as 3-byte sequences; the standard decoder would turn each
// into three U+FFFD where the reference, working on the JSON-decoded strings,
// keeps one U+FFFD in a column and the escape itself in JSON text. Such bodies
// are read with a decoder that gives those code units back.
import type protobuf from 'protobufjs';

let keepSurrogates = false;

/** Runs `fn` reading strings as JSON-origin bodies need (see above). */
export function withSurrogates<T>(on: boolean, fn: () => T): T {
  const saved = keepSurrogates;
  keepSurrogates = on;
  try {
    return fn();
  } finally {
    keepSurrogates = saved;
  }
}

/** UTF-8 that may encode surrogate code units on their own (as protobufjs writes them), to a JS string. */
function decodeKeepingSurrogates(buf: Uint8Array, start: number, end: number): string {
  const units: number[] = [];
  let p = start;
  while (p < end) {
    const b = buf[p++] as number;
    if (b < 0x80) units.push(b);
    else if (b < 0xe0) units.push(((b & 0x1f) << 6) | ((buf[p++] as number) & 0x3f));
    else if (b < 0xf0) units.push(((b & 0x0f) << 12) | (((buf[p++] as number) & 0x3f) << 6) | ((buf[p++] as number) & 0x3f));
    else {
      const cp = (((b & 0x07) << 18) | (((buf[p++] as number) & 0x3f) << 12) | (((buf[p++] as number) & 0x3f) << 6) | ((buf[p++] as number) & 0x3f)) - 0x10000;
      units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    }
  }
  let out = '';
  for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode(...units.slice(i, i + 4096));
  return out;
}

/** A length-delimited string field at r.pos. */
export function readString(r: protobuf.Reader): string {
  if (!keepSurrogates) return r.string();
  const n = r.uint32();
  const end = r.pos + n;
  if (end > r.len) throw new RangeError(`length ${n} runs past the end of the message`);
  const s = decodeKeepingSurrogates(r.buf, r.pos, end);
  r.pos = end;
  return s;
}
