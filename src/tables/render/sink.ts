// The byte buffer the direct renderers write NDJSON into. Writing bytes as
// they are produced, instead of concatenating strings and encoding the batch
// at the end, keeps per-record work to plain copies: string ropes had to be
// flattened and then UTF-8 encoded again, and that was most of the cost.

const INITIAL_BYTES = 1 << 20;
/** A scratch buffer grown past this by one huge batch is dropped rather than kept for good. */
const SCRATCH_KEEP_MAX = 16 << 20;

/** Called when a write would pass the sink's byte or line limit; it throws. */
export type OverLimit = (what: 'bytes' | 'rows') => never;

/** The letter after the backslash for the control characters JSON.stringify spells short; 0: spelled \u00XX. */
const SHORT_ESCAPE = new Uint8Array(0x20);
SHORT_ESCAPE[0x08] = 0x62; // b
SHORT_ESCAPE[0x09] = 0x74; // t
SHORT_ESCAPE[0x0a] = 0x6e; // n
SHORT_ESCAPE[0x0c] = 0x66; // f
SHORT_ESCAPE[0x0d] = 0x72; // r
const HEX = Buffer.from('0123456789abcdef');

const unlimited: OverLimit = (what) => {
  throw new Error(`sink ${what} limit passed without a handler`);
};

export class ByteSink {
  private buf: Buffer;
  private pos = 0;
  /** Lines (rows) written so far. */
  lines = 0;
  /** Bytes of the longest line so far, newline included. */
  lineBytesMax = 0;
  private lineStart = 0;
  /** Bytes and lines the sink may hold; passing either calls overLimit before anything more is allocated. */
  private bytesMax = Infinity;
  private linesMax = Infinity;
  private overLimit: OverLimit = unlimited;

  constructor(initialBytes = INITIAL_BYTES) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Sets the limits until the next reset. */
  limit(bytesMax: number, linesMax: number, overLimit: OverLimit): void {
    this.bytesMax = bytesMax;
    this.linesMax = linesMax;
    this.overLimit = overLimit;
  }

  /** `need` is exact, so a write that fits the limit is never refused. */
  private grow(need: number): void {
    if (this.pos + need > this.bytesMax) this.overLimit('bytes');
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + need));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Text known to be ASCII: keys, numbers and punctuation. */
  ascii(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Any text, UTF-8 encoded. */
  text(s: string): void {
    if (this.pos + s.length * 3 > this.buf.length) {
      const exact = Buffer.byteLength(s);
      if (this.pos + exact > this.buf.length) this.grow(exact);
    }
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bytes(b: Uint8Array): void {
    if (this.pos + b.length > this.buf.length) this.grow(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A JSON string literal, the same bytes as jsonString(s) encoded as UTF-8. */
  string(s: string): void {
    const n = s.length;
    if (this.pos + n + 2 > this.buf.length) this.grow(n + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      // Anything to escape, and anything beyond ASCII, takes the general way.
      if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x80) {
        this.pos = p;
        this.escapedFrom(s, i);
        return;
      }
      buf[p++] = c;
    }
    buf[p++] = 0x22;
    this.pos = p;
  }

  /**
   * The rest of a string literal from `from` on, escaped and UTF-8 encoded
   * straight into the buffer: JSON.stringify's escapes, lone surrogates as
   * U+FFFD (see jsonString). One pass, where building the escaped string and
   * encoding it took several over a long string.
   */
  private escapedFrom(s: string, from: number): void {
    const n = s.length;
    let buf = this.buf;
    let p = this.pos;
    for (let i = from; i < n; i++) {
      let c = s.charCodeAt(i);
      let size = 1;
      if (c < 0x80) {
        if (c < 0x20) size = SHORT_ESCAPE[c] === 0 ? 6 : 2;
        else if (c === 0x22 || c === 0x5c) size = 2;
      } else if (c < 0x800) size = 2;
      else if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          size = 4;
          i++;
        } else {
          c = 0xfffd;
          size = 3;
        }
      } else size = 3;
      if (p + size > buf.length) {
        this.pos = p;
        this.grow(size);
        buf = this.buf;
      }
      if (size === 1) buf[p++] = c;
      else if (c < 0x80) {
        buf[p++] = 0x5c;
        if (size === 2) buf[p++] = c < 0x20 ? SHORT_ESCAPE[c]! : c;
        else {
          buf[p++] = 0x75; // \u00XX
          buf[p++] = 0x30;
          buf[p++] = 0x30;
          buf[p++] = HEX[c >> 4]!;
          buf[p++] = HEX[c & 15]!;
        }
      } else if (size === 2) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else if (size === 3) {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      } else {
        buf[p++] = 0xf0 | (c >> 18);
        buf[p++] = 0x80 | ((c >> 12) & 0x3f);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      }
    }
    if (p + 1 > buf.length) {
      this.pos = p;
      this.grow(1);
      buf = this.buf;
    }
    buf[p++] = 0x22;
    this.pos = p;
  }

  nullableString(s: string | null): void {
    if (s === null) this.ascii('null');
    else this.string(s);
  }

  endLine(): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = 0x0a;
    this.lines += 1;
    if (this.pos > this.bytesMax) this.overLimit('bytes');
    if (this.lines > this.linesMax) this.overLimit('rows');
    if (this.pos - this.lineStart > this.lineBytesMax) this.lineBytesMax = this.pos - this.lineStart;
    this.lineStart = this.pos;
  }

  /** Forgets the line being written: its record turned out not to be storable. */
  dropLine(): void {
    this.pos = this.lineStart;
  }

  get capacity(): number {
    return this.buf.length;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  reset(): void {
    this.pos = 0;
    this.lines = 0;
    this.lineBytesMax = 0;
    this.lineStart = 0;
    this.bytesMax = Infinity;
    this.linesMax = Infinity;
    this.overLimit = unlimited;
  }

  /** A copy of what was written, sized to fit. */
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

// Rendering runs synchronously between the points where a large request
// yields, and everything written is taken out before it yields, so one
// scratch buffer serves every request and only the exact-size copy of each
// batch is allocated.
let scratch: ByteSink | undefined;

/** The shared sink, emptied. */
export function scratchSink(): ByteSink {
  if (scratch === undefined) scratch = new ByteSink();
  scratch.reset();
  return scratch;
}

/** Lets go of the shared sink when one huge batch grew it, instead of keeping that memory until the next request. */
export function trimScratch(): void {
  if (scratch !== undefined && scratch.capacity > SCRATCH_KEEP_MAX) scratch = undefined;
}
