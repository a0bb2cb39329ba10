// Hand-built trace requests through the columnar spans path: the values a
// reader sees asserted one by one (NULL against empty status, int64 extremes,
// which spans a bad list rejects and why, fields merged or reordered on the
// wire), each then compared with the reference as the differential does.
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { fillSpans, SpanColumns } from '../../src/columnar/spans-fill.ts';
import { writeSpanColumns } from '../../src/columnar/spans-write.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { harnesses, readRows } from './differential.ts';

const signals = harnesses('columnar-span-cases-');
const h = signals.traces;

/** The rows the columnar path writes for `bodies`, read back as the differential compares them. */
async function columnarRows(...bodies: Uint8Array[]): Promise<Record<string, unknown>[]> {
  const c = new SpanColumns();
  for (const b of bodies) fillSpans(c, b);
  const out = h.nextName();
  await writeSpanColumns(signals.db(), c, out);
  return (await readRows(out)) as Record<string, unknown>[];
}

const kv = (key: string, v: string) => ({ key, value: { stringValue: v } });
const twice = [kv('a', '1'), kv('a', '2')];
const oneScope = (spans: object[], resource?: object) => h.protoOf({ resourceSpans: [{ ...(resource ? { resource } : {}), scopeSpans: [{ spans }] }] });

/** A length-delimited field: the bytes of a message nested in its parent as field `n`. */
const field = (n: number, bytes: Uint8Array) => protobuf.Writer.create().uint32((n << 3) | 2).bytes(bytes).finish();
const SpanType = SIGNAL_TYPES.traces.request.root.lookupType('opentelemetry.proto.trace.v1.Span');
/** One span whose fields arrive in the given pieces, in that order (concatenated messages merge). */
const spanOfPieces = (...pieces: object[]) =>
  field(1, field(2, field(2, Buffer.concat(pieces.map((p) => SpanType.encode(SpanType.fromObject(p)).finish())))));

describe('columnar spans path, case by case', () => {
  it('keeps a NULL status, an empty one and a set one apart', async () => {
    const body = oneScope([{ name: 'absent' }, { name: 'empty', status: {} }, { name: 'set', status: { message: 'boom', code: 2 } }]);
    const rows = await columnarRows(body);
    // The reader gives a NULL struct as undefined.
    expect(rows.map((r) => r.status ?? null)).toEqual([null, { message: '', code: 'STATUS_CODE_UNSET' }, { message: 'boom', code: 'STATUS_CODE_ERROR' }]);
    expect(await h.expectSame([body])).toBe(3);
  });

  it('keeps int64 nanoseconds exact at the extremes, as signed 64-bit values', async () => {
    const body = oneScope([
      { startTimeUnixNano: '9223372036854775808', endTimeUnixNano: '18446744073709551615', events: [{ timeUnixNano: '9223372036854775807' }] },
      { startTimeUnixNano: '1796230231103000001', endTimeUnixNano: '9007199254740993' },
    ]);
    const rows = await columnarRows(body);
    expect(rows.map((r) => [r.start_time_unix_nano, r.end_time_unix_nano])).toEqual([
      ['-9223372036854775808', '-1'],
      ['1796230231103000001', '9007199254740993'],
    ]);
    expect((rows[0]!.events as { time_unix_nano: string }[])[0]!.time_unix_nano).toBe('9223372036854775807');
    expect(await h.expectSame([body])).toBe(2);
  });

  it('rejects a span whose attributes, an event or a link repeat a key, and keeps its neighbours', async () => {
    const body = oneScope([
      { name: 'kept-1', events: [{ name: 'e' }], links: [{ traceState: 't' }] },
      { name: 'bad-attrs', attributes: twice },
      { name: 'bad-event', events: [{ name: 'ok' }, { name: 'bad', attributes: twice }] },
      { name: 'bad-link', links: [{ attributes: twice }] },
      { name: 'kept-2' },
    ]);
    const c = new SpanColumns();
    fillSpans(c, body);
    expect(c.name.values).toEqual(['kept-1', 'kept-2']);
    // The rejected event's sibling left nothing behind: only kept-1's event is there.
    expect(c.events.name.values).toEqual(['e']);
    expect(c.links.traceState.values).toEqual(['t']);
    expect(c.rejections.rejected).toBe(3);
    expect(c.rejections.rejectReasons).toEqual([
      'key "a" appears twice in attributes (OTLP requires unique keys)',
      'key "a" appears twice in event attributes (OTLP requires unique keys)',
      'key "a" appears twice in link attributes (OTLP requires unique keys)',
    ]);
    expect(await h.expectSame([body])).toBe(2);
  });

  it('rejects every span of a resource that cannot be stored', async () => {
    const body = h.protoOf({
      resourceSpans: [
        { resource: { attributes: twice }, scopeSpans: [{ spans: [{}, {}] }, { spans: [{}] }] },
        { scopeSpans: [{ scope: { attributes: twice }, spans: [{}] }, { spans: [{ name: 'kept' }] }] },
      ],
    });
    const c = new SpanColumns();
    fillSpans(c, body);
    expect([c.rows, c.rejections.rejected]).toEqual([1, 4]);
    expect(await h.expectSame([body])).toBe(1);
  });

  it('gives the reference reason when the lists arrive in another order on the wire', async () => {
    const body = spanOfPieces({ links: [{ attributes: twice }] }, { events: [{ attributes: twice }] }, { attributes: [kv('b', '1'), kv('b', '2')] });
    const c = new SpanColumns();
    fillSpans(c, body);
    expect(c.rejections.rejectReasons).toEqual(['key "b" appears twice in attributes (OTLP requires unique keys)']);
    await h.expectSame([body]);
  });

  it('merges a status sent twice, as decoding does', async () => {
    const body = spanOfPieces({ name: 'x', status: { message: 'first', code: 2 } }, { status: { code: 1 } });
    const rows = await columnarRows(body);
    expect(rows.map((r) => r.status)).toEqual([{ message: 'first', code: 'STATUS_CODE_OK' }]);
    expect(await h.expectSame([body])).toBe(1);
  });
});
