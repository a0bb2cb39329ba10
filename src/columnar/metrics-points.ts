// The five data point messages read from the wire into per-type column
// buffers: one table of points per type, dense (a point fills only its own
// type's buffers), each point carrying its row's place in the file and its
// metric. The values are those of src/tables/metric-points.ts.
import { Int32Column, Int64Column, MapColumn, StringColumn } from './columns.ts';
import { DoubleColumn, DoubleListColumn, Int64ListColumn, StructListColumn } from './nested.ts';
import { Attributes, firstMemberWins, fixed64Words, hexIdField, lenEnd, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, type Reader } from './wire.ts';

/** A signed 64-bit value given as words, rounded to the nearest double as Number(bigint) rounds it. */
export function wordsToDouble(lo: number, hi: number): number {
  const h = hi | 0;
  if (h >= -0x200000 && h < 0x200000) return h * 4294967296 + (lo >>> 0);
  return Number((BigInt(h) << 32n) | BigInt(lo >>> 0));
}

/** A varint read as its low and high 32-bit words (uint64 as protobufjs' Long holds it). */
function varint64Words(r: Reader): [lo: number, hi: number] {
  const buf = r.buf;
  let lo = 0;
  let hi = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    if (r.pos >= r.len) throw new RangeError('varint runs past the end of the message');
    const b = buf[r.pos++] as number;
    if (shift < 28) lo |= (b & 0x7f) << shift;
    else if (shift === 28) {
      lo |= (b & 0x0f) << 28;
      hi |= (b & 0x7f) >>> 4;
    } else hi |= (b & 0x7f) << (shift - 32);
    if (b < 0x80) return [lo >>> 0, hi >>> 0];
    shift += 7;
  }
  throw new RangeError('varint longer than 10 bytes');
}

function f64(r: Reader): number {
  if (r.pos + 8 > r.len) throw new RangeError('fixed-width field runs past the end of the message');
  return r.double();
}

/** LIST(STRUCT(time_unix_nano, value, span_id, trace_id, filtered_attributes)). */
export class ExemplarColumn extends StructListColumn {
  readonly time = new Int64Column();
  readonly value = new DoubleColumn();
  readonly spanId = new StringColumn();
  readonly traceId = new StringColumn();
  readonly attrs = new MapColumn();
  constructor() {
    super([]);
    this.children = [this.time, this.value, this.spanId, this.traceId, this.attrs];
  }
}

/** A point's exemplars as read, kept apart until the point is known to be stored. */
class ExemplarScratch {
  n = 0;
  lo: number[] = [];
  hi: number[] = [];
  value: (number | null)[] = [];
  span: (string | null)[] = [];
  trace: (string | null)[] = [];
  keys: string[][] = [];
  values: (string | null)[][] = [];
  /** The first exemplar's reason for rejecting the point, thrown when the reference would. */
  error: unknown = undefined;
  private readonly attrs = new Attributes();

  clear(): void {
    this.n = 0;
    this.error = undefined;
  }

  read(r: Reader): void {
    const end = lenEnd(r);
    const a = this.attrs;
    a.clear();
    let lo = 0;
    let hi = 0;
    let dbl: number | null = null;
    let intLo = 0;
    let intHi = 0;
    let hasInt = false;
    let span: string | null = null;
    let trace: string | null = null;
    while (r.pos < end) {
      const tag = r.uint32();
      const wt = tag & 7;
      switch (tag >>> 3) {
        case 2:
          if (wt !== WIRE_FIXED64) break;
          [lo, hi] = fixed64Words(r);
          continue;
        case 3:
          if (wt !== WIRE_FIXED64 || (hasInt && firstMemberWins())) break;
          dbl = f64(r);
          hasInt = false;
          continue;
        case 6:
          if (wt !== WIRE_FIXED64 || (dbl !== null && firstMemberWins())) break;
          [intLo, intHi] = fixed64Words(r);
          hasInt = true;
          dbl = null;
          continue;
        case 4:
          if (wt !== WIRE_LEN) break;
          span = hexIdField(r);
          continue;
        case 5:
          if (wt !== WIRE_LEN) break;
          trace = hexIdField(r);
          continue;
        case 7:
          if (wt !== WIRE_LEN) break;
          a.read(r);
          continue;
      }
      r.skipType(wt);
    }
    r.pos = end;
    try {
      a.check('exemplar filtered_attributes');
    } catch (e) {
      this.error ??= e;
    }
    const i = this.n++;
    this.lo[i] = lo;
    this.hi[i] = hi;
    this.value[i] = hasInt ? wordsToDouble(intLo, intHi) : dbl !== null ? dbl : null;
    this.span[i] = span;
    this.trace[i] = trace;
    this.keys[i] = a.keys.slice(0, a.n);
    this.values[i] = a.values.slice(0, a.n);
  }

  pushTo(c: ExemplarColumn): void {
    for (let i = 0; i < this.n; i++) {
      c.time.push(this.lo[i] as number, this.hi[i] as number);
      c.value.push(this.value[i] as number | null);
      c.spanId.push(this.span[i] as string | null);
      c.traceId.push(this.trace[i] as string | null);
      const k = this.keys[i] as string[];
      c.attrs.pushRow(k, this.values[i] as (string | null)[], k.length);
    }
    c.endRow(c.time.length);
  }
}

/** One point's values as read; a point is pushed only once every part of it could be stored. */
export class PointScratch {
  startLo = 0;
  startHi = 0;
  timeLo = 0;
  timeHi = 0;
  countLo = 0;
  countHi = 0;
  zeroLo = 0;
  zeroHi = 0;
  value: number | null = null;
  sum: number | null = null;
  min: number | null = null;
  max: number | null = null;
  zeroThreshold = 0;
  scale = 0;
  flags = 0;
  /** bucket_counts as word pairs; exponential buckets: [0] positive, [1] negative. */
  buckets: number[] = [];
  bounds: number[] = [];
  quantiles: number[] = [];
  readonly side = [new BucketScratch(), new BucketScratch()];
  readonly exemplars = new ExemplarScratch();
  readonly attrs = new Attributes();

  clear(): void {
    this.startLo = this.startHi = this.timeLo = this.timeHi = 0;
    this.countLo = this.countHi = this.zeroLo = this.zeroHi = 0;
    this.value = this.sum = this.min = this.max = null;
    this.zeroThreshold = this.scale = this.flags = 0;
    this.buckets.length = 0;
    this.bounds.length = 0;
    this.quantiles.length = 0;
    this.side[0]!.clear();
    this.side[1]!.clear();
    this.exemplars.clear();
    this.attrs.clear();
  }
}

class BucketScratch {
  present = false;
  offset = 0;
  words: number[] = [];

  clear(): void {
    this.present = false;
    this.offset = 0;
    this.words.length = 0;
  }

  /** A Buckets message at r.pos; a later occurrence is merged in, as decoding does: its offset wins, its counts append. */
  read(r: Reader): void {
    const end = lenEnd(r);
    this.present = true;
    while (r.pos < end) {
      const tag = r.uint32();
      const wt = tag & 7;
      const f = tag >>> 3;
      if (f === 1 && wt === WIRE_VARINT) this.offset = r.sint32();
      else if (f === 2 && wt === WIRE_VARINT) this.words.push(...varint64Words(r));
      else if (f === 2 && wt === WIRE_LEN) {
        const e = lenEnd(r);
        while (r.pos < e) this.words.push(...varint64Words(r));
      } else r.skipType(wt);
    }
    r.pos = end;
  }
}

function pushWords(c: Int64ListColumn, words: readonly number[]): void {
  for (let i = 0; i < words.length; i += 2) c.items.push(words[i] as number, words[i + 1] as number);
}

/** repeated fixed64 / double, packed or not. */
function readFixed64s(r: Reader, wt: number, out: number[]): void {
  if (wt === WIRE_FIXED64) {
    out.push(...fixed64Words(r));
    return;
  }
  const e = lenEnd(r);
  while (r.pos < e) out.push(...fixed64Words(r));
}

function readDoubles(r: Reader, wt: number, out: number[]): void {
  if (wt === WIRE_FIXED64) {
    out.push(f64(r));
    return;
  }
  const e = lenEnd(r);
  while (r.pos < e) out.push(f64(r));
}

/** Columns every point table starts with: the row's place in the file and its metric. */
class PointTable {
  readonly seq = new Int32Column();
  readonly metricIx = new Int32Column();
  readonly start_time_unix_nano = new Int64Column();
  readonly time_unix_nano = new Int64Column();

  get rows(): number {
    return this.seq.length;
  }

  protected head(p: PointScratch, seq: number, metricIx: number): void {
    this.seq.push(seq);
    this.metricIx.push(metricIx);
    this.start_time_unix_nano.push(p.startLo, p.startHi);
    this.time_unix_nano.push(p.timeLo, p.timeHi);
  }
}

/** gauge and sum points (NumberDataPoint); sum's temporality and monotonicity are the metric's. */
export class NumberPoints extends PointTable {
  readonly value = new DoubleColumn();
  readonly exemplars = new ExemplarColumn();
  readonly attributes = new MapColumn();
  readonly flags = new Int32Column();

  /** NumberDataPoint bytes r.pos..end into `p`; throws RecordRejected as gaugePoint would. */
  static read(r: Reader, end: number, p: PointScratch): void {
    p.clear();
    let dbl: number | null = null;
    let intLo = 0;
    let intHi = 0;
    let hasInt = false;
    while (r.pos < end) {
      const tag = r.uint32();
      const wt = tag & 7;
      switch (tag >>> 3) {
        case 2:
          if (wt !== WIRE_FIXED64) break;
          [p.startLo, p.startHi] = fixed64Words(r);
          continue;
        case 3:
          if (wt !== WIRE_FIXED64) break;
          [p.timeLo, p.timeHi] = fixed64Words(r);
          continue;
        case 4:
          // The value oneof: the last member sent wins, or a JSON request's as_double (see firstMemberWins).
          if (wt !== WIRE_FIXED64 || (hasInt && firstMemberWins())) break;
          dbl = f64(r);
          hasInt = false;
          continue;
        case 6:
          if (wt !== WIRE_FIXED64 || (dbl !== null && firstMemberWins())) break;
          [intLo, intHi] = fixed64Words(r);
          hasInt = true;
          dbl = null;
          continue;
        case 5:
          if (wt !== WIRE_LEN) break;
          p.exemplars.read(r);
          continue;
        case 7:
          if (wt !== WIRE_LEN) break;
          p.attrs.read(r);
          continue;
        case 8:
          if (wt !== WIRE_VARINT) break;
          p.flags = r.uint32() | 0;
          continue;
      }
      r.skipType(wt);
    }
    p.value = hasInt ? wordsToDouble(intLo, intHi) : dbl !== null ? dbl : null;
    if (p.exemplars.error !== undefined) throw p.exemplars.error;
    p.attrs.check('attributes');
  }

  push(p: PointScratch, seq: number, metricIx: number): void {
    this.head(p, seq, metricIx);
    this.value.push(p.value);
    p.exemplars.pushTo(this.exemplars);
    this.attributes.pushRow(p.attrs.keys, p.attrs.values, p.attrs.n);
    this.flags.push(p.flags);
  }
}

export class HistogramPoints extends PointTable {
  readonly count = new Int64Column();
  readonly sum = new DoubleColumn();
  readonly bucket_counts = new Int64ListColumn();
  readonly explicit_bounds = new DoubleListColumn();
  readonly exemplars = new ExemplarColumn();
  readonly attributes = new MapColumn();
  readonly flags = new Int32Column();
  readonly min = new DoubleColumn();
  readonly max = new DoubleColumn();

  static read(r: Reader, end: number, p: PointScratch): void {
    p.clear();
    while (r.pos < end) {
      const tag = r.uint32();
      const wt = tag & 7;
      switch (tag >>> 3) {
        case 2:
          if (wt !== WIRE_FIXED64) break;
          [p.startLo, p.startHi] = fixed64Words(r);
          continue;
        case 3:
          if (wt !== WIRE_FIXED64) break;
          [p.timeLo, p.timeHi] = fixed64Words(r);
          continue;
        case 4:
          if (wt !== WIRE_FIXED64) break;
          [p.countLo, p.countHi] = fixed64Words(r);
          continue;
        case 5:
          if (wt !== WIRE_FIXED64) break;
          p.sum = f64(r);
          continue;
        case 6:
          if (wt !== WIRE_FIXED64 && wt !== WIRE_LEN) break;
          readFixed64s(r, wt, p.buckets);
          continue;
        case 7:
          if (wt !== WIRE_FIXED64 && wt !== WIRE_LEN) break;
          readDoubles(r, wt, p.bounds);
          continue;
        case 8:
          if (wt !== WIRE_LEN) break;
          p.exemplars.read(r);
          continue;
        case 9:
          if (wt !== WIRE_LEN) break;
          p.attrs.read(r);
          continue;
        case 10:
          if (wt !== WIRE_VARINT) break;
          p.flags = r.uint32() | 0;
          continue;
        case 11:
          if (wt !== WIRE_FIXED64) break;
          p.min = f64(r);
          continue;
        case 12:
          if (wt !== WIRE_FIXED64) break;
          p.max = f64(r);
          continue;
      }
      r.skipType(wt);
    }
    if (p.exemplars.error !== undefined) throw p.exemplars.error;
    p.attrs.check('attributes');
  }

  push(p: PointScratch, seq: number, metricIx: number): void {
    this.head(p, seq, metricIx);
    this.count.push(p.countLo, p.countHi);
    this.sum.push(p.sum);
    pushWords(this.bucket_counts, p.buckets);
    this.bucket_counts.endRow();
    for (const b of p.bounds) this.explicit_bounds.items.push(b);
    this.explicit_bounds.endRow();
    p.exemplars.pushTo(this.exemplars);
    this.attributes.pushRow(p.attrs.keys, p.attrs.values, p.attrs.n);
    this.flags.push(p.flags);
    this.min.push(p.min);
    this.max.push(p.max);
  }
}

export class ExponentialPoints extends PointTable {
  readonly attributes = new MapColumn();
  readonly count = new Int64Column();
  readonly sum = new DoubleColumn();
  readonly scale = new Int32Column();
  readonly zero_count = new Int64Column();
  /** positive_bucket's offset; the struct is NULL where its bucket list is. */
  readonly positive_offset = new Int32Column();
  readonly positive_bucket_counts = new Int64ListColumn();
  readonly negative_offset = new Int32Column();
  readonly negative_bucket_counts = new Int64ListColumn();
  readonly flags = new Int32Column();
  readonly exemplars = new ExemplarColumn();
  readonly min = new DoubleColumn();
  readonly max = new DoubleColumn();
  readonly zero_threshold = new DoubleColumn();
  /** Rows whose positive / negative bucket message is absent, for the offsets' null counts. */
  positiveNulls = 0;
  negativeNulls = 0;

  static read(r: Reader, end: number, p: PointScratch): void {
    p.clear();
    while (r.pos < end) {
      const tag = r.uint32();
      const wt = tag & 7;
      switch (tag >>> 3) {
        case 1:
          if (wt !== WIRE_LEN) break;
          p.attrs.read(r);
          continue;
        case 2:
          if (wt !== WIRE_FIXED64) break;
          [p.startLo, p.startHi] = fixed64Words(r);
          continue;
        case 3:
          if (wt !== WIRE_FIXED64) break;
          [p.timeLo, p.timeHi] = fixed64Words(r);
          continue;
        case 4:
          if (wt !== WIRE_FIXED64) break;
          [p.countLo, p.countHi] = fixed64Words(r);
          continue;
        case 5:
          if (wt !== WIRE_FIXED64) break;
          p.sum = f64(r);
          continue;
        case 6:
          if (wt !== WIRE_VARINT) break;
          p.scale = r.sint32();
          continue;
        case 7:
          if (wt !== WIRE_FIXED64) break;
          [p.zeroLo, p.zeroHi] = fixed64Words(r);
          continue;
        case 8:
          if (wt !== WIRE_LEN) break;
          p.side[0]!.read(r);
          continue;
        case 9:
          if (wt !== WIRE_LEN) break;
          p.side[1]!.read(r);
          continue;
        case 10:
          if (wt !== WIRE_VARINT) break;
          p.flags = r.uint32() | 0;
          continue;
        case 11:
          if (wt !== WIRE_LEN) break;
          p.exemplars.read(r);
          continue;
        case 12:
          if (wt !== WIRE_FIXED64) break;
          p.min = f64(r);
          continue;
        case 13:
          if (wt !== WIRE_FIXED64) break;
          p.max = f64(r);
          continue;
        case 14:
          if (wt !== WIRE_FIXED64) break;
          p.zeroThreshold = f64(r);
          continue;
      }
      r.skipType(wt);
    }
    // The reference builds this struct's attributes before its exemplars.
    p.attrs.check('attributes');
    if (p.exemplars.error !== undefined) throw p.exemplars.error;
  }

  push(p: PointScratch, seq: number, metricIx: number): void {
    this.head(p, seq, metricIx);
    this.attributes.pushRow(p.attrs.keys, p.attrs.values, p.attrs.n);
    this.count.push(p.countLo, p.countHi);
    this.sum.push(p.sum);
    this.scale.push(p.scale);
    this.zero_count.push(p.zeroLo, p.zeroHi);
    const [pos, neg] = p.side as [BucketScratch, BucketScratch];
    this.positive_offset.push(pos.offset);
    pushWords(this.positive_bucket_counts, pos.words);
    this.positive_bucket_counts.endRow(!pos.present);
    if (!pos.present) this.positiveNulls++;
    this.negative_offset.push(neg.offset);
    pushWords(this.negative_bucket_counts, neg.words);
    this.negative_bucket_counts.endRow(!neg.present);
    if (!neg.present) this.negativeNulls++;
    this.flags.push(p.flags);
    p.exemplars.pushTo(this.exemplars);
    this.min.push(p.min);
    this.max.push(p.max);
    this.zero_threshold.push(p.zeroThreshold);
  }
}

/** LIST(STRUCT(quantile, value)). */
export class QuantileColumn extends StructListColumn {
  readonly quantile = new DoubleColumn();
  readonly value = new DoubleColumn();
  constructor() {
    super([]);
    this.children = [this.quantile, this.value];
  }
}

export class SummaryPoints extends PointTable {
  readonly count = new Int64Column();
  readonly sum = new DoubleColumn();
  readonly quantile_values = new QuantileColumn();
  readonly attributes = new MapColumn();
  readonly flags = new Int32Column();

  static read(r: Reader, end: number, p: PointScratch): void {
    p.clear();
    p.sum = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      const wt = tag & 7;
      switch (tag >>> 3) {
        case 2:
          if (wt !== WIRE_FIXED64) break;
          [p.startLo, p.startHi] = fixed64Words(r);
          continue;
        case 3:
          if (wt !== WIRE_FIXED64) break;
          [p.timeLo, p.timeHi] = fixed64Words(r);
          continue;
        case 4:
          if (wt !== WIRE_FIXED64) break;
          [p.countLo, p.countHi] = fixed64Words(r);
          continue;
        case 5:
          if (wt !== WIRE_FIXED64) break;
          p.sum = f64(r);
          continue;
        case 6: {
          if (wt !== WIRE_LEN) break;
          const e = lenEnd(r);
          let q = 0;
          let v = 0;
          while (r.pos < e) {
            const t = r.uint32();
            const f = t >>> 3;
            if (f === 1 && (t & 7) === WIRE_FIXED64) q = f64(r);
            else if (f === 2 && (t & 7) === WIRE_FIXED64) v = f64(r);
            else r.skipType(t & 7);
          }
          r.pos = e;
          p.quantiles.push(q, v);
          continue;
        }
        case 7:
          if (wt !== WIRE_LEN) break;
          p.attrs.read(r);
          continue;
        case 8:
          if (wt !== WIRE_VARINT) break;
          p.flags = r.uint32() | 0;
          continue;
      }
      r.skipType(wt);
    }
    p.attrs.check('attributes');
  }

  push(p: PointScratch, seq: number, metricIx: number): void {
    this.head(p, seq, metricIx);
    this.count.push(p.countLo, p.countHi);
    this.sum.push(p.sum);
    const q = this.quantile_values;
    for (let i = 0; i < p.quantiles.length; i += 2) {
      q.quantile.push(p.quantiles[i] as number);
      q.value.push(p.quantiles[i + 1] as number);
    }
    q.endRow(q.quantile.length);
    this.attributes.pushRow(p.attrs.keys, p.attrs.values, p.attrs.n);
    this.flags.push(p.flags);
  }
}
