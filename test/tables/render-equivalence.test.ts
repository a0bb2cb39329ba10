// The direct NDJSON renderers (what ingestion stages) against the reference:
// flattening to row objects, then rowsToNdjson. Both must write the very same
// bytes and report the same counts, for captured client requests, hand-built
// edge cases and seeded random requests, each given as plain objects and as
// protobufjs messages decoded from protobuf and OTLP/JSON bodies (own
// properties, Long objects and prototype defaults behave differently there).
import { prng } from '../support/prng.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SIGNAL_LIST, SIGNALS } from '../../src/ingest/signals.ts';
import { decodeRequest } from '../../src/otlp/codec.ts';
import { toInt64 } from '../../src/otlp/int64.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import type { AnyValue, Int64, KeyValue, Signal } from '../../src/otlp/types.ts';
import { jsonString } from '../../src/tables/json-text.ts';
import { rowsToNdjson } from '../../src/tables/ndjson.ts';
import type { RenderResult } from '../../src/tables/render/common.ts';
import { ByteSink } from '../../src/tables/render/sink.ts';
import type { FlattenResult } from '../../src/tables/row.ts';
import { arr, bool, bytes, dbl, FIXTURES, int, kv, kvl, long, MAX_I64, MIN_I64, raw, readDecoded, res, scope, str } from './support.ts';

type Obj = Record<string, unknown>;
type Impl = { flatten(req: unknown): FlattenResult; render(req: unknown): RenderResult };
type Counts = { rows: number; rejected: number };

const impl = (signal: Signal): Impl => SIGNALS[signal] as unknown as Impl;

/** Render must agree with flatten + rowsToNdjson on `req`; the reference result is returned. */
function expectSame(signal: Signal, req: unknown, label = ''): FlattenResult {
  const got = impl(signal).render(req);
  const ref = impl(signal).flatten(req);
  expect(got.ndjson?.toString('utf8') ?? '', label).toBe(rowsToNdjson(ref.rows));
  const { rows, rejected, rejectReasons } = got;
  expect({ rows, rejected, rejectReasons }, label).toEqual({ rows: ref.rows.length, rejected: ref.rejected, rejectReasons: ref.rejectReasons });
  // The longest line, newline included, in UTF-8 bytes: it bounds DuckDB's read buffers.
  const lines = rowsToNdjson(ref.rows).split('\n').slice(0, -1);
  expect(got.lineBytesMax, label).toBe(Math.max(0, ...lines.map((l) => Buffer.byteLength(l) + 1)));
  // RenderResult promises no buffer at all for a request without rows.
  if (ref.rows.length === 0) expect(got.ndjson, label).toBeUndefined();
  return ref;
}

// ---- the three ways a request reaches the renderers ------------------------

const LEVELS = {
  metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'], logs: ['resourceLogs', 'scopeLogs', 'logRecords'], traces: ['resourceSpans', 'scopeSpans', 'spans'],
} as const;
const DATA = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];
const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);
/** fixed64 fields: OTLP/JSON spells them unsigned, so the builder's signed bigint goes as its 64-bit pattern. */
const UNSIGNED_64 = new Set(['timeUnixNano', 'startTimeUnixNano', 'endTimeUnixNano', 'observedTimeUnixNano', 'count', 'zeroCount', 'bucketCounts']);
const int64Text = (v: bigint, json: boolean, key: string): string => (json && UNSIGNED_64.has(key) ? BigInt.asUintN(64, v) : v).toString();

/**
 * A builder-shaped request as fromObject input (json: as an OTLP/JSON document): no string
 * discriminators, int64 as decimal strings; for JSON hex ids, base64 bytes and NaN/±Infinity/-0
 * as strings. Protobuf strings are UTF-8, which cannot hold a lone surrogate: those become U+FFFD.
 */
function forWire(x: unknown, json: boolean, key = ''): unknown {
  if (typeof x === 'string') return json ? x : (x as string & { toWellFormed(): string }).toWellFormed();
  if (typeof x === 'bigint') return int64Text(x, json, key);
  if (typeof x === 'number' && json && x < 0 && Number.isInteger(x) && UNSIGNED_64.has(key)) return int64Text(BigInt(x), json, key);
  if (typeof x === 'number' && json && (!Number.isFinite(x) || Object.is(x, -0))) return Object.is(x, -0) ? '-0' : String(x);
  if (x instanceof Uint8Array) return json ? Buffer.from(x).toString(ID_FIELDS.has(key) ? 'hex' : 'base64') : x;
  if (Array.isArray(x)) return x.map((v) => forWire(v, json, key));
  if (x === null || typeof x !== 'object') return x;
  if ('low' in x && 'high' in x && 'unsigned' in x) return int64Text(toInt64(x as Int64), json, key);
  const kept = Object.entries(x).filter(([k, v]) => !((k === 'value' || k === 'data') && typeof v === 'string'));
  return Object.fromEntries(kept.map(([k, v]) => [k, forWire(v, json, k)]));
}

const PATHS = {
  plain: (_signal: Signal, req: Obj): unknown => req,
  protobuf: (signal: Signal, req: Obj): unknown => {
    const type = SIGNAL_TYPES[signal].request;
    return decodeRequest(signal, type.encode(type.fromObject(forWire(req, false) as Obj)).finish(), 'protobuf');
  },
  json: (signal: Signal, req: Obj): unknown => decodeRequest(signal, Buffer.from(JSON.stringify(forWire(req, true))), 'json'),
};
type Path = keyof typeof PATHS;
const PATH_NAMES = Object.keys(PATHS) as Path[];

/** Rows and rejections a builder-shaped request must yield, counted independently of both implementations. */
function expectedCounts(signal: Signal, req: Obj): Counts {
  const [r, s, x] = LEVELS[signal];
  const list = (o: Obj, k: string): Obj[] => (o[k] as Obj[] | null | undefined) ?? [];
  const out = { rows: 0, rejected: 0 };
  for (const rec of list(req, r).flatMap((rl) => list(rl, s)).flatMap((sl) => list(sl, x))) {
    const member = DATA.find((m) => rec[m] != null);
    if (signal !== 'metrics') out.rows += 1;
    else if (member === undefined) out.rejected += 1;
    else out.rows += list(rec[member] as Obj, 'dataPoints').length;
  }
  return out;
}

function expectAgrees(signal: Signal, path: Path, req: Obj, label = ''): Counts {
  const ref = expectSame(signal, PATHS[path](signal, req), label);
  const counts = { rows: ref.rows.length, rejected: ref.rejected };
  expect(counts, label).toEqual(expectedCounts(signal, req));
  return counts;
}

// ---- values that stress the text encodings ---------------------------------

const TRACE = bytes('5b8efff798038103d269b633813fc60c');
const SPAN = bytes('eee19b7ec3c1b174');
const NO_ID = new Uint8Array();
const WIDE = [MIN_I64, MAX_I64, -1n, 0n, 2n ** 53n + 1n, 2n ** 53n, -(2n ** 53n) - 1n, 2n ** 32n, 1_700_000_000_123_456_789n];
const DOUBLES = [0, -0, 1.5, -2.25, NaN, Infinity, -Infinity, 1e21, 5e-324, 0.1, 2 ** 53 + 2, -1e-7];
// Escapes, non-ASCII, lone surrogates, and lengths either side of 256 (where string encoding changes strategy).
const STRINGS = [
  '', 'plain', 'q"uote', 'back\\slash', 'ctl\u0000\u0001\b\f\n\r\t\u001f\u007f', 'é中文', '😀👍🏽', 'lone\ud800', '\udc00low',
  '\udc00\ud800', '\u2028\u2029', 'x'.repeat(300), 'é'.repeat(300), `${'y'.repeat(255)}"`, `${'y'.repeat(254)}\n`,
  '"'.repeat(300), `${'z'.repeat(300)}\ud83d`, 'w'.repeat(256),
];

const ALL_KINDS: KeyValue[] = [
  kv('s', str('v')), kv('empty', str('')), kv('t', bool(true)), kv('f', bool(false)),
  ...WIDE.map((w, i) => kv(`i${i}`, int(long(w)))), kv('small', int(7)),
  ...DOUBLES.map((d, i) => kv(`d${i}`, dbl(d))),
  kv('b', raw(bytes('deadbeef'))), kv('b0', raw(NO_ID)),
  kv('a', arr(str('x"'), int(long(MAX_I64)), dbl(NaN), dbl(-0), bool(false), arr(), kvl(kv('n', str('m'))), raw(bytes('00ff')), {})),
  kv('kl', kvl(kv('dup', str('1')), kv('x', dbl(Infinity)), kv('dup', str('2')), kv('nested', arr(kvl(), arr(str('é')))), kv('nul'))),
  kv('missing'), kv('null', null), kv('noMember', {}),
];
const NASTY_ATTRS = STRINGS.map((s, i) => kv(s, i % 2 ? str(s) : arr(str(s), kvl(kv(s, str(s))))));
// A repeated key keeps its first position and its last value.
const DUP_ATTRS: KeyValue[] = [
  kv('k', str('1')), kv('o', int(long(1n))), kv('k', str('2')), kv('', str('e')), kv('k'),
  kv(undefined as unknown as string, str('no key')), kv('é', str('a')), kv('é', str('b"')),
];
// No discriminator: own members only, as protobufjs messages carry them (two set is a wire quirk).
const BARE: KeyValue[] = [
  kv('s', { stringValue: 'bare' }), kv('i', { intValue: long(-5n) }), kv('two', { stringValue: 's', intValue: 3 }),
  kv('nulls', { stringValue: null, boolValue: false }), kv('esc', { stringValue: 'a"b\u00e9' }),
  // A plain object's discriminator wins over the members it carries.
  kv('named', { stringValue: 'not me', intValue: 4, value: 'intValue' }),
];
const ATTR_SETS: KeyValue[][] = [ALL_KINDS, NASTY_ATTRS, DUP_ATTRS, BARE, []];
const attrSet = (i: number): KeyValue[] => ATTR_SETS[i % ATTR_SETS.length] as KeyValue[];

// ---- hand-built requests -----------------------------------------------------

function request(signal: Signal, records: Obj[]): Obj {
  const [r, s, x] = LEVELS[signal];
  const resource = res(kv('service.name', str('svc')));
  return { [r]: [{ resource, schemaUrl: 'https://r/1', [s]: [{ scope: scope('sc', '1.0'), schemaUrl: 'https://s/1', [x]: records }] }] };
}

/** Several resources and scopes: absent, empty and attribute-laden ones, odd schema URLs. */
function layered(signal: Signal, records: Obj[]): Obj {
  const [r, s, x] = LEVELS[signal];
  const nastyScope = { scope: scope('"n"', 'é', ...NASTY_ATTRS), schemaUrl: 'lone\ud800', [x]: [] };
  const dupScope = { scope: { ...scope('', '', ...DUP_ATTRS), droppedAttributesCount: 3 }, schemaUrl: 'q"', [x]: records.slice(2) };
  return {
    [r]: [
      { resource: null, [s]: [{ scope: null, [x]: records.slice(0, 2) }, nastyScope] },
      { resource: { ...res(...ALL_KINDS), droppedAttributesCount: 4294967295 }, schemaUrl: 'x'.repeat(300), [s]: [dupScope, {}] },
      { resource: res(), [s]: [{ scope: scope('only'), [x]: records.slice(0, 1) }] },
      {},
    ],
  };
}

const asD = (x: number): Obj => ({ asDouble: x, value: 'asDouble' });
const asI = (v: bigint | number): Obj => ({ asInt: typeof v === 'bigint' ? long(v) : v, value: 'asInt' });
const pt = (extra: Obj = {}): Obj => ({ attributes: [kv('h', str('1'))], startTimeUnixNano: long(1n), timeUnixNano: long(2n), exemplars: [], flags: 0, ...extra });
const metric = (member: string, body: Obj, extra: Obj = {}): Obj => ({ name: 'm', description: 'd', unit: 'ms', metadata: [], [member]: body, data: member, ...extra });
const gauge = (points: Obj[], extra: Obj = {}): Obj => metric('gauge', { dataPoints: points }, extra);
const points = (member: string, dataPoints: Obj[], extra: Obj = {}): Obj => metric(member, { dataPoints, ...extra });
const EXEMPLARS: Obj[] = [
  { filteredAttributes: [kv('f', str('x'))], timeUnixNano: long(MAX_I64), spanId: SPAN, traceId: TRACE, ...asD(NaN) },
  { filteredAttributes: [], timeUnixNano: long(-1n), spanId: NO_ID, traceId: NO_ID, ...asI(MIN_I64) },
  { filteredAttributes: DUP_ATTRS, timeUnixNano: long(0n) },
];
const [A, B, C] = [long(MAX_I64 - 1n), long(MIN_I64 + 3n), long(2n ** 62n + 12345n)];
const WIDE_LONGS = WIDE.map((w) => long(w));

const METRIC_CASES: [string, Obj[]][] = [
  ['gauge values: doubles, wide ints, neither', [gauge([...DOUBLES.map((d) => pt(asD(d))), ...WIDE.map((w) => pt(asI(w))), pt(asI(12)), pt()])]],
  ['sum: each temporality, monotonic or not', [0, 1, 2, 7, -1].flatMap((aggregationTemporality) =>
    [true, false].map((isMonotonic) => points('sum', [pt(asI(5n)), pt(asD(-0))], { aggregationTemporality, isMonotonic })))],
  ['wide timestamps and flags', [gauge([...WIDE_LONGS.map((w, i) =>
    pt({ ...asD(i), startTimeUnixNano: w, timeUnixNano: WIDE_LONGS.at(-1 - i), flags: [0, 1, 4294967295, 2 ** 31][i % 4] })),
  // Int64 may also be a plain number or a bigint.
  pt({ startTimeUnixNano: -3, timeUnixNano: MIN_I64 }), pt({ startTimeUnixNano: 2 ** 53, timeUnixNano: 2n ** 60n })])]],
  // Three alternating wide times outrun a memo of the last two.
  ['timestamps cycling among three wide values', [gauge([A, B, C, A, B, A, C, C, B, A].map((t, i) =>
    pt({ ...asD(i), startTimeUnixNano: t, timeUnixNano: [B, C, A][i % 3] })))]],
  ['histograms with and without sum/min/max', [points('histogram', [
    pt({ count: long(MAX_I64), sum: 5005, min: -0, max: Infinity, bucketCounts: WIDE_LONGS, explicitBounds: DOUBLES }),
    pt({ count: long(0n), bucketCounts: [], explicitBounds: [] }),
    pt({ count: long(-1n), sum: null, min: null, max: NaN, bucketCounts: [long(1n)] }),
    pt({ count: long(3n), sum: 0, min: 0, max: 0, exemplars: EXEMPLARS }),
  ], { aggregationTemporality: 2 }), points('histogram', [pt()], { aggregationTemporality: 9 })]],
  ['exponential histograms with and without buckets', [points('exponentialHistogram', [
    pt({ count: long(2n ** 53n + 1n), sum: 1e21, scale: -3, zeroCount: long(MIN_I64), zeroThreshold: 5e-324, min: -1, max: 1,
      positive: { offset: -7, bucketCounts: WIDE_LONGS }, negative: { offset: 2147483647, bucketCounts: [long(0n)] } }),
    pt({ count: long(0n), scale: 20, zeroCount: long(0n), positive: { offset: 0, bucketCounts: [] }, negative: null }),
    pt({ count: long(1n), exemplars: EXEMPLARS, negative: { offset: -2147483648, bucketCounts: [long(-1n)] } }),
    pt({ count: long(5n), sum: NaN, zeroThreshold: -0 }),
  ], { aggregationTemporality: 1 })]],
  ['summaries', [points('summary', [pt({ count: long(0n), quantileValues: [] }), pt({ count: long(-1n), sum: 5e-324 }),
    pt({ count: long(MAX_I64), sum: -Infinity, quantileValues: [{ quantile: 0, value: NaN }, { quantile: 0.5, value: -0 }, { value: 1e21 }, {}] })])]],
  ['exemplars on gauge and sum points', [gauge([pt({ ...asD(1), exemplars: EXEMPLARS }), pt({ ...asI(2n), exemplars: EXEMPLARS.slice(2) }), pt(asD(3))]),
    points('sum', [pt({ ...asI(MAX_I64), exemplars: EXEMPLARS }), pt(asI(1n))], { aggregationTemporality: 1, isMonotonic: true })]],
  // More distinct reasons than the response carries, and a repeated one.
  ['metrics without data are rejected', [
    ...['a', 'b"', 'é', 'd', 'a', 'e', 'f', 'g'].map((name) => ({ name, description: '', unit: '', metadata: [] })),
    gauge([pt(asD(1))]), { name: 'nulled', gauge: null, sum: null }, points('sum', []),
  ]],
  ['metrics with data but zero points', [gauge([]), metric('sum', {}), points('histogram', []), metric('exponentialHistogram', {}), metric('summary', {})]],
  ['nasty names, units and metadata', STRINGS.map((s, i) =>
    gauge([pt({ ...asD(i), attributes: attrSet(i) })], { name: s, description: s, unit: s, metadata: attrSet(i + 1) }))],
  ['every attribute list on points', [gauge(ATTR_SETS.map((attributes) => pt({ ...asD(1), attributes })))]],
  ['without discriminators, fields left out', [{ name: 'bare', gauge: { dataPoints: [{ asDouble: 2 }, { asInt: long(MIN_I64) }, {}] } }, { sum: { dataPoints: [{}] } }]],
];

const rec = (extra: Obj = {}): Obj => ({
  timeUnixNano: long(1n), observedTimeUnixNano: long(2n), severityNumber: 9, severityText: 'INFO', body: str('hi'),
  attributes: [kv('a', str('b'))], droppedAttributesCount: 0, flags: 0, traceId: TRACE, spanId: SPAN, eventName: 'e', ...extra,
});
const LOG_CASES: [string, Obj[]][] = [
  ['ids, severities (known and not), times and flags', [0, 1, 9, 17, 24, 25, 99, -1].map((severityNumber, i) => rec({
    severityNumber, traceId: i % 2 ? TRACE : NO_ID, spanId: i % 3 ? SPAN : NO_ID, timeUnixNano: WIDE_LONGS[i],
    observedTimeUnixNano: WIDE_LONGS[i + 1], flags: [0, 1, 4294967295][i % 3], droppedAttributesCount: i * 1000,
  }))],
  ['bodies of every kind and none', [...[...ALL_KINDS, ...BARE].map((a) => rec({ body: a.value })), rec({ body: null }), rec({ body: undefined })]],
  ['nasty event names, severity texts and attributes', STRINGS.map((s, i) => rec({ eventName: s, severityText: s, body: str(s), attributes: attrSet(i) }))],
  ['records with every field left out', [{}, { body: kvl(), timeUnixNano: -3, observedTimeUnixNano: MAX_I64 }, {}]],
];

const span = (extra: Obj = {}): Obj => ({
  traceId: TRACE, spanId: SPAN, traceState: '', parentSpanId: NO_ID, flags: 0, name: 's', kind: 1, startTimeUnixNano: long(1n), endTimeUnixNano: long(2n),
  attributes: [kv('a', str('b'))], droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, ...extra,
});
const EVENTS: Obj[] = [
  { timeUnixNano: long(MIN_I64), name: 'ev"1', attributes: ALL_KINDS, droppedAttributesCount: 2 },
  { timeUnixNano: long(2n ** 53n + 1n), name: 'é', attributes: DUP_ATTRS }, {},
];
const LINKS: Obj[] = [
  { traceId: TRACE, spanId: SPAN, traceState: 'k=v,"q"', attributes: NASTY_ATTRS, droppedAttributesCount: 1, flags: 4294967295 },
  { traceId: NO_ID, spanId: NO_ID, attributes: [] }, {},
];
const STATUSES = [undefined, null, {}, { code: 2, message: 'boom "x"\n' }, { code: 7, message: 'é' }, { code: 1 }];
const SPAN_CASES: [string, Obj[]][] = [
  ['kinds (known and not) and statuses (absent, empty, set)', [0, 1, 2, 3, 4, 5, 9, -2].map((kind, i) => span({ kind, status: STATUSES[i % 6] }))],
  ['events and links', [span({ events: EVENTS, links: LINKS, droppedEventsCount: 3, droppedLinksCount: 4294967295 }),
    span({ events: EVENTS.slice(2) }), span({ links: LINKS.slice(1) })]],
  ['ids, times and flags', WIDE.map((w, i) => span({
    startTimeUnixNano: long(w), endTimeUnixNano: long(-w), parentSpanId: i % 2 ? SPAN : NO_ID, traceId: i % 3 ? TRACE : NO_ID,
    flags: [0, 256, 4294967295][i % 3],
  }))],
  ['nasty names, trace states and attributes', STRINGS.map((s, i) => span({ name: s, traceState: s, attributes: attrSet(i) }))],
  ['spans with every field left out', [{}, {}]],
];

const CASES: [string, Signal, Obj][] = [
  ...(
    [['metrics', METRIC_CASES, gauge([pt(asD(1))])], ['logs', LOG_CASES, rec()], ['traces', SPAN_CASES, span({ events: EVENTS })]] as const
  ).flatMap(([signal, cases, one]): [string, Signal, Obj][] => [
    ...cases.map(([name, records]): [string, Signal, Obj] => [`${signal}: ${name}`, signal, request(signal, records)]),
    [`${signal}: several resources and scopes`, signal, layered(signal, [one, { ...one, attributes: DUP_ATTRS }, one, {}])],
    [`${signal}: empty`, signal, { [LEVELS[signal][0]]: [{}, { [LEVELS[signal][1]]: [{}, { scope: null }] }] }],
  ]),
];

// ---- seeded random requests ----------------------------------------------------

const CHARS = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\u0001', '\u007f', 'é', '中', '😀', '\ud800', '\udc00', '\u2028', '/'];
// Keys from a small pool, so attribute lists often repeat one.
const KEYS = ['a', 'b', 'c', 'é', 'k"q', ''];

function generator(seed: number): (signal: Signal) => Obj {
  const { next, int: n, pick } = prng(seed);
  const maybe = (p = 0.5): boolean => next() < p;
  const times = <T>(k: number, f: () => T): T[] => Array.from({ length: n(k) }, () => f());
  const i64 = (): Int64 => long(maybe(0.3) ? pick(WIDE) : BigInt.asIntN(64, (BigInt(n(2 ** 32)) << 32n) | BigInt(n(2 ** 32))));
  const f64 = (): number => (maybe(0.4) ? pick(DOUBLES) : (next() - 0.5) * 10 ** (n(40) - 20));
  const text = (): string => (maybe(0.3) ? pick(STRINGS) : Array.from({ length: maybe(0.1) ? 250 + n(20) : n(12) }, () => pick(CHARS)).join(''));
  const id = (len: number): Uint8Array => (maybe(0.2) ? NO_ID : Uint8Array.from({ length: len }, () => n(256)));
  const flags = (): number => (maybe(0.3) ? n(2 ** 32) : 0);
  const value = (depth = 0): AnyValue => {
    const kinds = [
      () => str(text()), () => str(pick(KEYS)), () => bool(maybe()), () => int(i64()), () => dbl(f64()),
      () => raw(Uint8Array.from({ length: n(5) }, () => n(256))), () => ({}),
      () => arr(...times(4, () => value(depth + 1))), () => kvl(...attrs(depth + 1)),
    ];
    return pick(depth < 2 ? kinds : kinds.slice(0, -2))();
  };
  const attrs = (depth = 0): KeyValue[] => times(6, () => kv(maybe(0.8) ? pick(KEYS) : text(), maybe(0.1) ? null : value(depth)));
  const num = (): Obj => pick([() => asD(f64()), () => ({ asInt: i64(), value: 'asInt' }), () => ({})])();
  const exemplar = (): Obj => ({ filteredAttributes: attrs(), timeUnixNano: i64(), spanId: id(8), traceId: id(16), ...num() });
  const point = (extra: () => Obj): Obj => ({
    attributes: attrs(), startTimeUnixNano: i64(), timeUnixNano: i64(), flags: flags(), exemplars: maybe(0.2) ? times(3, exemplar) : [], ...extra(),
  });
  const temporality = (): number => pick([0, 1, 2, n(10)]);
  const buckets = (): Obj | null => (maybe(0.3) ? null : { offset: n(41) - 20, bucketCounts: times(5, i64) });
  const opt = (): number | null => (maybe() ? f64() : null);
  const hist = (): Obj => ({ count: i64(), sum: opt(), min: opt(), max: opt() });
  const bodies: Record<string, () => Obj> = {
    gauge: () => ({ dataPoints: times(4, () => point(num)) }),
    sum: () => ({ dataPoints: times(4, () => point(num)), aggregationTemporality: temporality(), isMonotonic: maybe() }),
    histogram: () => ({
      aggregationTemporality: temporality(), dataPoints: times(4, () => point(() => ({ ...hist(), bucketCounts: times(6, i64), explicitBounds: times(5, f64) }))),
    }),
    exponentialHistogram: () => ({
      aggregationTemporality: temporality(),
      dataPoints: times(4, () => point(() =>
        ({ ...hist(), scale: n(41) - 20, zeroCount: i64(), zeroThreshold: maybe() ? f64() : 0, positive: buckets(), negative: buckets() }))),
    }),
    summary: () => ({ dataPoints: times(4, () => point(() => ({ count: i64(), sum: f64(), quantileValues: times(4, () => ({ quantile: next(), value: f64() })) }))) }),
  };
  const metric = (): Obj => {
    const base = { name: text(), description: text(), unit: pick(['', 'ms', 'é']), metadata: maybe(0.2) ? attrs() : [] };
    const member = pick([...DATA, 'none']);
    const body = bodies[member]?.();
    return body === undefined ? base : { ...base, [member]: body, ...(maybe() ? { data: member } : {}) };
  };
  const log = (): Obj => ({
    timeUnixNano: i64(), observedTimeUnixNano: i64(), severityNumber: n(30), severityText: text(), body: maybe(0.8) ? value() : null,
    attributes: attrs(), droppedAttributesCount: n(3), flags: flags(), traceId: id(16), spanId: id(8), eventName: maybe() ? text() : '',
  });
  const spanOf = (): Obj => ({
    traceId: id(16), spanId: id(8), traceState: maybe(0.8) ? '' : text(), parentSpanId: id(8), flags: flags(), name: text(), kind: n(8),
    startTimeUnixNano: i64(), endTimeUnixNano: i64(), attributes: attrs(), droppedAttributesCount: n(2), droppedEventsCount: n(2),
    events: times(3, () => ({ timeUnixNano: i64(), name: text(), attributes: attrs(), droppedAttributesCount: n(2) })),
    links: times(3, () => ({ traceId: id(16), spanId: id(8), traceState: text(), attributes: attrs(), droppedAttributesCount: n(2), flags: flags() })),
    droppedLinksCount: n(2), status: maybe(0.3) ? null : { code: n(5), message: text() },
  });
  const records = { metrics: metric, logs: log, traces: spanOf };
  return (signal) => {
    const [r, s, x] = LEVELS[signal];
    const scopeLevel = (): Obj => ({
      scope: maybe(0.2) ? null : scope(text(), text(), ...attrs()), schemaUrl: maybe() ? text() : '', [x]: times(5, records[signal]),
    });
    const resource = (): Obj | null => (maybe(0.2) ? null : { attributes: attrs(), droppedAttributesCount: n(3) });
    return { [r]: times(4, () => ({ resource: resource(), schemaUrl: maybe() ? text() : '', [s]: times(4, scopeLevel) })) };
  };
}

const SEEDS: Record<Signal, number> = { metrics: 0x5eed1, logs: 0x5eed2, traces: 0x5eed3 };
const RANDOM_REQUESTS = 300;

// ---- the tests ------------------------------------------------------------------

const CAPTURES = (readdirSync(FIXTURES, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.decoded.json'))
  .map((f) => f.slice(0, -'.decoded.json'.length))
  .sort();

describe('captured client requests', () => {
  it.each(CAPTURES)('%s, decoded as sent', (file) => {
    const { signal, wireFormat } = readDecoded(file) as { signal: Signal; wireFormat: 'json' | 'protobuf' };
    const meta = JSON.parse(readFileSync(`${FIXTURES}/${file}.meta.json`, 'utf8')) as { headers: Record<string, string> };
    let body = readFileSync(`${FIXTURES}/${file}.body.bin`);
    if (meta.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    expect(expectSame(signal, decodeRequest(signal, body, wireFormat)).rows.length).toBeGreaterThan(0);
  });

  // The readable decoding is OTLP/JSON (hex ids, int64 strings), so protobuf captures arrive as JSON bodies too.
  it.each(CAPTURES)('%s, as an OTLP/JSON body', (file) => {
    const { signal, request: req } = readDecoded(file) as { signal: Signal; request: Obj };
    expect(expectSame(signal, decodeRequest(signal, Buffer.from(JSON.stringify(req)), 'json')).rows.length).toBeGreaterThan(0);
  });
});

describe.each(PATH_NAMES)('hand-built requests (%s)', (path) => {
  it.each(CASES)('%s', (_name, signal, req) => {
    expectAgrees(signal, path, req);
  });
});

describe.each(PATH_NAMES)('seeded random requests (%s)', (path) => {
  it.each(SIGNAL_LIST)('%s', (signal) => {
    const generate = generator(SEEDS[signal]);
    const total = { rows: 0, rejected: 0 };
    for (let i = 0; i < RANDOM_REQUESTS; i++) {
      const got = expectAgrees(signal, path, generate(signal), `${signal} request ${i} (seed ${SEEDS[signal]})`);
      total.rows += got.rows;
      total.rejected += got.rejected;
    }
    // Guard against a generator that stopped producing records.
    expect(total.rows).toBeGreaterThan(RANDOM_REQUESTS);
    if (signal === 'metrics') expect(total.rejected).toBeGreaterThan(0);
  });
});

describe('batches, the shared buffer and rejections', () => {
  // Growth at every edge of a small buffer, against the plain encoders: the
  // shared sink keeps its grown size, so no request can be aimed at its edge.
  it('writes the bytes of jsonString and Buffer.from at every buffer edge', () => {
    for (const piece of ['', 'ab', 'q"', 'é', '😀', 'lone\ud800', 'x'.repeat(40), '中'.repeat(9)]) {
      for (let size = 1; size <= 24; size++) {
        for (let lead = 0; lead <= 8; lead++) {
          const sink = new ByteSink(size);
          sink.ascii('{'.repeat(lead));
          sink.string(piece);
          sink.text(piece);
          sink.bytes(Buffer.from(piece));
          sink.nullableString(null);
          sink.endLine();
          const want = Buffer.from(`${'{'.repeat(lead)}${jsonString(piece)}${piece}${piece}null\n`);
          expect(sink.take().toString('latin1'), `${JSON.stringify(piece)} size ${size} lead ${lead}`).toBe(want.toString('latin1'));
        }
      }
    }
  });

  // Three UTF-8 bytes per char, more than the shared sink holds here: growth must budget them all.
  it('agrees on one string of 9 MiB of UTF-8', () => {
    const huge = request('traces', [span({ name: `${'中'.repeat(3 << 20)}"` }), span()]);
    expect(expectAgrees('traces', 'protobuf', huge).rows).toBe(2);
  });

  it('agrees on batches larger than the initial 1 MiB sink', () => {
    const records = Array.from({ length: 5000 }, (_, i) => rec({ body: str(`${'b'.repeat(300)}${i}`), attributes: [kv('i', int(i))] }));
    expect(expectAgrees('logs', 'plain', request('logs', records)).rows).toBe(5000);
  });

  it('keeps a result intact after the next render', () => {
    const first = request('metrics', [gauge([pt(asD(1)), pt(asI(MAX_I64))])]);
    const got = impl('metrics').render(first).ndjson;
    impl('metrics').render(request('metrics', [gauge([pt(asD(2))], { name: 'other' })]));
    expect(got?.toString('utf8')).toBe(rowsToNdjson(impl('metrics').flatten(first).rows));
  });

  it('reports at most five distinct reasons for metrics without data', () => {
    const out = impl('metrics').render(request('metrics', ['a', 'b', 'a', 'c', 'd', 'e', 'f', 'g'].map((name) => ({ name }))));
    expect(out).toMatchObject({ rows: 0, rejected: 8, ndjson: undefined });
    expect(out.rejectReasons.map((r) => r.split('"')[1])).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
