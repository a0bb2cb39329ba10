// Singular message fields sent more than once: protobuf merges them, and so
// must every reader here that skips protobufjs' decoder.
import protobuf from 'protobufjs';

type Reader = protobuf.Reader;

/**
 * The occurrences of one singular message field in a message. Decoding merges
 * them: the value is the message their payloads concatenated spell. Only the
 * first one's place is kept; a copy is made once a second one comes, which no
 * usual sender does.
 */
export class Occurrences {
  n = 0;
  /** The merged message's end in the reader `open` gave. */
  end = 0;
  private start = 0;
  private stop = 0;
  private readonly more: number[] = [];

  clear(): void {
    this.n = 0;
  }

  /** Notes the length-delimited field at r.pos, leaving r.pos after it. */
  add(r: Reader): void {
    const len = r.uint32();
    const end = r.pos + len;
    if (end > r.len) throw new RangeError(`length ${len} runs past the end of the message`);
    if (this.n === 0) {
      this.start = r.pos;
      this.stop = end;
    } else {
      if (this.n === 1) this.more.length = 0;
      this.more.push(r.pos, end);
    }
    this.n++;
    r.pos = end;
  }

  /** A reader at the merged message's first byte, up to `end`: `r` itself when the field came once. */
  open(r: Reader): Reader {
    if (this.n === 1) {
      r.pos = this.start;
      this.end = this.stop;
      return r;
    }
    const parts = [r.buf.subarray(this.start, this.stop)];
    for (let i = 0; i < this.more.length; i += 2) parts.push(r.buf.subarray(this.more[i], this.more[i + 1]));
    const m = protobuf.Reader.create(Buffer.concat(parts));
    this.end = m.len;
    return m;
  }
}
