// Counting the records a protobuf export request holds from its tags and
// lengths alone, before decoding it. Decoding builds an object per record,
// and a 20 MiB body of empty records is millions of them (seconds of work and
// about a GiB of heap), only for rendering to refuse the request at its row
// cap. Reading the wire stops as soon as the count passes the cap.
import type { Signal } from '../otlp/types.ts';

/** A field's number, wire type and, for a length-delimited one, where its bytes lie. */
type Visit = (field: number, wireType: number, start: number, end: number) => void;

class Malformed extends Error {}

function varint(b: Uint8Array, at: { pos: number }, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at.pos >= end) throw new Malformed();
    const byte = b[at.pos++] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
  throw new Malformed();
}

/** Calls `visit` for each field of the message in b[start, end); anything the decoder would refuse stops the count. */
function eachField(b: Uint8Array, start: number, end: number, visit: Visit): void {
  const at = { pos: start };
  while (at.pos < end) {
    const tag = varint(b, at, end);
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    let valueStart = at.pos;
    switch (wireType) {
      case 0:
        varint(b, at, end);
        break;
      case 1:
        at.pos += 8;
        break;
      case 2: {
        const len = varint(b, at, end);
        valueStart = at.pos;
        at.pos += len;
        break;
      }
      case 5:
        at.pos += 4;
        break;
      default:
        throw new Malformed();
    }
    if (at.pos > end) throw new Malformed();
    visit(field, wireType, valueStart, at.pos);
  }
}

class OverCap extends Error {}

/** Metric fields holding its data (gauge, sum, histogram, exponential_histogram, summary): each has data_points as field 1. */
const DATA_FIELDS = new Set([5, 7, 9, 10, 11]);

/**
 * Rows (data points, log records, spans) a protobuf request would render at
 * most, counted up to `cap`: true when there are more than `cap`. False too
 * when the body is not well-formed protobuf, so that the decoder reports it.
 */
export function recordsOverCap(signal: Signal, body: Uint8Array, cap: number): boolean {
  let count = 0;
  const add = (n: number): void => {
    count += n;
    if (count > cap) throw new OverCap();
  };
  // Fields 1 (resource_*), 2 (scope_*) and 2 (log_records, spans, metrics) nest the same way for every signal.
  const within = (field: number, next: Visit): Visit => (f, wt, s, e) => {
    if (f === field && wt === 2) eachField(body, s, e, next);
  };
  const record: Visit =
    signal === 'metrics'
      ? (f, wt, s, e) => {
          if (f !== 2 || wt !== 2) return;
          // One data member survives decoding: a later different member replaces the points of an earlier one.
          let member = 0;
          let points = 0;
          eachField(body, s, e, (mf, mwt, ms, me) => {
            if (!DATA_FIELDS.has(mf) || mwt !== 2) return;
            if (mf !== member) points = 0;
            member = mf;
            eachField(body, ms, me, (pf, pwt) => {
              if (pf === 1 && pwt === 2) points += 1;
            });
          });
          add(points);
        }
      : (f, wt) => {
          if (f === 2 && wt === 2) add(1);
        };
  try {
    eachField(body, 0, body.length, within(1, within(2, record)));
  } catch (e) {
    if (e instanceof OverCap) return true;
    if (e instanceof Malformed) return false;
    throw e;
  }
  return false;
}
