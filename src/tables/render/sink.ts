// The byte buffer the direct renderers write NDJSON into. Writing bytes as
// they are produced, instead of concatenating strings and encoding the batch
// at the end, keeps per-record work to plain copies: string ropes had to be
// flattened and then UTF-8 encoded again, and that was most of the cost.
import { jsonString } from '../json-text.ts';

const INITIAL_BYTES = 1 << 20;
/** A scratch buffer grown past this by one huge batch is dropped rather than kept for good. */
const SCRATCH_KEEP_MAX = 16 << 20;

export class ByteSink {
  private buf: Buffer;
  private pos = 0;
  /** Lines (rows) written so far. */
  lines = 0;
  /** Bytes of the longest line so far, newline included. */
  lineBytesMax = 0;
  private lineStart = 0;

  constructor(initialBytes = INITIAL_BYTES) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  private grow(need: number): void {
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
    const most = s.length * 3;
    if (this.pos + most > this.buf.length) this.grow(most);
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
        this.text(jsonString(s));
        return;
      }
      buf[p++] = c;
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
    if (this.pos - this.lineStart > this.lineBytesMax) this.lineBytesMax = this.pos - this.lineStart;
    this.lineStart = this.pos;
  }

  get capacity(): number {
    return this.buf.length;
  }

  reset(): void {
    this.pos = 0;
    this.lines = 0;
    this.lineBytesMax = 0;
    this.lineStart = 0;
  }

  /** A copy of what was written, sized to fit. */
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

// Rendering is synchronous, so one scratch buffer serves every request and
// only the exact-size copy of each batch is allocated.
let scratch: ByteSink | undefined;

/** The shared sink, emptied. */
export function scratchSink(): ByteSink {
  if (scratch === undefined || scratch.capacity > SCRATCH_KEEP_MAX) scratch = new ByteSink();
  scratch.reset();
  return scratch;
}
