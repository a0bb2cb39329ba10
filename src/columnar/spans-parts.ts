// A span's events, links and status read from the wire. Each list is kept
// apart until its span is known to be stored, and remembers the first reason
// it would reject the span for: the reference checks the span's own
// attributes, then every event, then every link, whatever order the fields
// arrive in on the wire.
import { enumName, STATUS_CODE } from '../tables/enums.ts';
import { Int32Column, Int64Column, MapColumn, StringColumn } from './columns.ts';
import { StructListColumn } from './nested.ts';
import { Attributes, fixed64Words, hexIdField, lenEnd, storedString, u32le, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, type Reader } from './wire.ts';

export function fixed32(r: Reader): number {
  if (r.pos + 4 > r.len) throw new RangeError('fixed32 runs past the end of the message');
  const v = u32le(r.buf, r.pos) | 0;
  r.pos += 4;
  return v;
}

/** LIST(STRUCT(time_unix_nano, name, attributes, dropped_attributes_count)). */
export class EventColumn extends StructListColumn {
  readonly time = new Int64Column();
  readonly name = new StringColumn();
  readonly attrs = new MapColumn();
  readonly dropped = new Int32Column();
  constructor() {
    super([]);
    this.children = [this.time, this.name, this.attrs, this.dropped];
  }
}

/** LIST(STRUCT(trace_id, span_id, trace_state, attributes, dropped_attributes_count, flags)). */
export class LinkColumn extends StructListColumn {
  readonly traceId = new StringColumn();
  readonly spanId = new StringColumn();
  readonly traceState = new StringColumn();
  readonly attrs = new MapColumn();
  readonly dropped = new Int32Column();
  readonly flags = new Int32Column();
  constructor() {
    super([]);
    this.children = [this.traceId, this.spanId, this.traceState, this.attrs, this.dropped, this.flags];
  }
}

/** What every list of entries with attributes keeps per entry. */
abstract class EntryScratch {
  n = 0;
  keys: string[][] = [];
  values: (string | null)[][] = [];
  dropped: number[] = [];
  /** The first entry's reason to reject the span. */
  error: unknown = undefined;
  protected readonly attrs = new Attributes();

  clear(): void {
    this.n = 0;
    this.error = undefined;
  }

  /** Closes entry `i` once its fields are read: its attributes checked and copied out. */
  protected close(i: number, what: string): void {
    const a = this.attrs;
    try {
      a.check(what);
    } catch (e) {
      this.error ??= e;
    }
    this.keys[i] = a.keys.slice(0, a.n);
    this.values[i] = a.values.slice(0, a.n);
  }
}

export class EventScratch extends EntryScratch {
  lo: number[] = [];
  hi: number[] = [];
  name: string[] = [];

  /** One Span.Event at r.pos (length-prefixed). */
  read(r: Reader): void {
    const end = lenEnd(r);
    const i = this.n++;
    this.attrs.clear();
    let lo = 0;
    let hi = 0;
    let name = '';
    let dropped = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      const wt = tag & 7;
      const f = tag >>> 3;
      if (f === 1 && wt === WIRE_FIXED64) [lo, hi] = fixed64Words(r);
      else if (f === 2 && wt === WIRE_LEN) name = storedString(r);
      else if (f === 3 && wt === WIRE_LEN) this.attrs.read(r);
      else if (f === 4 && wt === WIRE_VARINT) dropped = r.uint32() | 0;
      else r.skipType(wt);
    }
    this.lo[i] = lo;
    this.hi[i] = hi;
    this.name[i] = name;
    this.dropped[i] = dropped;
    this.close(i, 'event attributes');
  }

  pushTo(c: EventColumn): void {
    for (let i = 0; i < this.n; i++) {
      c.time.push(this.lo[i] as number, this.hi[i] as number);
      c.name.push(this.name[i] as string);
      const k = this.keys[i] as string[];
      c.attrs.pushRow(k, this.values[i] as (string | null)[], k.length);
      c.dropped.push(this.dropped[i] as number);
    }
    c.endRow(c.time.length);
  }
}

export class LinkScratch extends EntryScratch {
  traceId: (string | null)[] = [];
  spanId: (string | null)[] = [];
  traceState: string[] = [];
  flags: number[] = [];

  /** One Span.Link at r.pos (length-prefixed). */
  read(r: Reader): void {
    const end = lenEnd(r);
    const i = this.n++;
    this.attrs.clear();
    let traceId: string | null = null;
    let spanId: string | null = null;
    let traceState = '';
    let dropped = 0;
    let flags = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      const wt = tag & 7;
      const f = tag >>> 3;
      if (f === 1 && wt === WIRE_LEN) traceId = hexIdField(r);
      else if (f === 2 && wt === WIRE_LEN) spanId = hexIdField(r);
      else if (f === 3 && wt === WIRE_LEN) traceState = storedString(r);
      else if (f === 4 && wt === WIRE_LEN) this.attrs.read(r);
      else if (f === 5 && wt === WIRE_VARINT) dropped = r.uint32() | 0;
      else if (f === 6 && wt === WIRE_FIXED32) flags = fixed32(r);
      else r.skipType(wt);
    }
    this.traceId[i] = traceId;
    this.spanId[i] = spanId;
    this.traceState[i] = traceState;
    this.dropped[i] = dropped;
    this.flags[i] = flags;
    this.close(i, 'link attributes');
  }

  pushTo(c: LinkColumn): void {
    for (let i = 0; i < this.n; i++) {
      c.traceId.push(this.traceId[i] as string | null);
      c.spanId.push(this.spanId[i] as string | null);
      c.traceState.push(this.traceState[i] as string);
      const k = this.keys[i] as string[];
      c.attrs.pushRow(k, this.values[i] as (string | null)[], k.length);
      c.dropped.push(this.dropped[i] as number);
      c.flags.push(this.flags[i] as number);
    }
    c.endRow(c.traceId.length);
  }
}

/**
 * Span.status. A message field sent more than once is merged, as decoding
 * does: a later occurrence changes only the fields it carries.
 */
export class StatusScratch {
  present = false;
  message = '';
  code = 0;

  clear(): void {
    this.present = false;
    this.message = '';
    this.code = 0;
  }

  /** One Status at r.pos (length-prefixed). */
  read(r: Reader): void {
    const end = lenEnd(r);
    this.present = true;
    while (r.pos < end) {
      const tag = r.uint32();
      const wt = tag & 7;
      const f = tag >>> 3;
      if (f === 2 && wt === WIRE_LEN) this.message = storedString(r);
      else if (f === 3 && wt === WIRE_VARINT) this.code = r.int32();
      else r.skipType(wt);
    }
  }

  /** The code column's value; NULL (with the message) when no status was sent, which makes the struct NULL. */
  codeName(): string | null {
    return this.present ? enumName(STATUS_CODE, this.code) : null;
  }
}
