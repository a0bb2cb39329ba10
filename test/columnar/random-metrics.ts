// Seeded random ExportMetricsServiceRequest objects (protobufjs fromObject
// form) reaching the corners the columnar metrics decoder must get exactly
// right: all five point types, exemplars, bucket and quantile lists (empty,
// absent, long), optional doubles absent or zero, int64/fixed64 extremes,
// NaN and -0, every AnyValue kind in attributes and metadata, repeated keys
// (rejections), metrics without data or points, NULL resources and scopes.
import { anyValue } from './random-logs.ts';

type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const chance = (r: R, p: number) => r() < p;
const upTo = (r: R, n: number) => Math.floor(r() * (n + 1));

const STRINGS = ['', 'a', 'tokens', 'é', '😀', '\uE000', '\uFFFF', 'x\u0000y', 'line\nbreak "q" \\', 'z'.repeat(40)];
const KEYS = ['k', 'service.name', 'a.b', '😀', '\uFFFF', 'k2', ''];
const INTS = ['0', '1', '-1', '9007199254740991', '9007199254740993', '-9007199254740993', '-9223372036854775808', '9223372036854775807'];
const DOUBLES = [0, -0, 1.5, -2.25, Number.NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, 1e21, 0.1];
const FIXED64 = ['0', '1', '1796230231103000000', '9223372036854775807', '9223372036854775808', '18446744073709551615'];
const UINT32 = [0, 1, 5, 2147483647, 2147483648, 4294967295];
const SINT32 = [0, 1, -1, 20, -20, 2147483647, -2147483648];
const TEMPORALITY = [0, 1, 2, 7, -3];

function bytes(r: R, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

function keyValues(r: R, n: number): object[] {
  return Array.from({ length: n }, () => (chance(r, 0.1) ? { key: pick(r, KEYS) } : { key: pick(r, KEYS), value: anyValue(r, 1) }));
}

/** Mostly distinct keys; sometimes a repeated one, which rejects what holds the list. */
function attributes(r: R, badChance = 0.08): object[] {
  if (chance(r, badChance)) return keyValues(r, 2 + upTo(r, 3));
  const keys = [...KEYS].sort(() => r() - 0.5).slice(0, upTo(r, 4));
  return keys.map((key) => (chance(r, 0.1) ? { key } : { key, value: anyValue(r, 1) }));
}

function numberValue(r: R): object {
  const u = r();
  if (u < 0.45) return { asDouble: pick(r, DOUBLES) };
  if (u < 0.9) return { asInt: pick(r, INTS) };
  return {};
}

function exemplars(r: R): object[] {
  if (chance(r, 0.6)) return [];
  return Array.from({ length: 1 + upTo(r, 2) }, () => {
    const e: Record<string, unknown> = { ...numberValue(r) };
    if (chance(r, 0.8)) e.timeUnixNano = pick(r, FIXED64);
    if (chance(r, 0.6)) e.spanId = chance(r, 0.2) ? new Uint8Array(0) : bytes(r, 8);
    if (chance(r, 0.6)) e.traceId = bytes(r, 16);
    if (chance(r, 0.5)) e.filteredAttributes = attributes(r, 0.05);
    return e;
  });
}

function common(r: R): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  if (chance(r, 0.8)) p.startTimeUnixNano = pick(r, FIXED64);
  if (chance(r, 0.9)) p.timeUnixNano = pick(r, FIXED64);
  if (chance(r, 0.8)) p.attributes = attributes(r);
  if (chance(r, 0.3)) p.flags = pick(r, UINT32);
  return p;
}

function numberPoint(r: R): object {
  return { ...common(r), ...numberValue(r), exemplars: exemplars(r) };
}

function optionalDoubles(r: R, p: Record<string, unknown>, names: string[]): void {
  for (const n of names) if (chance(r, 0.6)) p[n] = chance(r, 0.2) ? 0 : pick(r, DOUBLES);
}

function histogramPoint(r: R): object {
  const p = common(r);
  if (chance(r, 0.8)) p.count = pick(r, FIXED64);
  optionalDoubles(r, p, ['sum', 'min', 'max']);
  if (chance(r, 0.8)) p.bucketCounts = Array.from({ length: upTo(r, 16) }, () => pick(r, FIXED64));
  if (chance(r, 0.8)) p.explicitBounds = Array.from({ length: upTo(r, 15) }, () => pick(r, DOUBLES));
  p.exemplars = exemplars(r);
  return p;
}

function buckets(r: R): object | undefined {
  if (chance(r, 0.3)) return undefined;
  const b: Record<string, unknown> = {};
  if (chance(r, 0.7)) b.offset = pick(r, SINT32);
  if (chance(r, 0.8)) b.bucketCounts = Array.from({ length: upTo(r, 12) }, () => pick(r, FIXED64));
  return b;
}

function exponentialPoint(r: R): object {
  const p = common(r);
  if (chance(r, 0.8)) p.count = pick(r, FIXED64);
  optionalDoubles(r, p, ['sum', 'min', 'max']);
  if (chance(r, 0.7)) p.scale = pick(r, SINT32);
  if (chance(r, 0.7)) p.zeroCount = pick(r, FIXED64);
  if (chance(r, 0.5)) p.zeroThreshold = pick(r, DOUBLES);
  const pos = buckets(r);
  const neg = buckets(r);
  if (pos !== undefined) p.positive = pos;
  if (neg !== undefined) p.negative = neg;
  p.exemplars = exemplars(r);
  return p;
}

function summaryPoint(r: R): object {
  const p = common(r);
  if (chance(r, 0.8)) p.count = pick(r, FIXED64);
  if (chance(r, 0.7)) p.sum = pick(r, DOUBLES);
  if (chance(r, 0.8)) {
    p.quantileValues = Array.from({ length: upTo(r, 5) }, () => {
      const q: Record<string, unknown> = {};
      if (chance(r, 0.8)) q.quantile = pick(r, [0, 0.5, 0.99, 1]);
      if (chance(r, 0.8)) q.value = pick(r, DOUBLES);
      return q;
    });
  }
  return p;
}

const points = (r: R, make: (r: R) => object) => Array.from({ length: chance(r, 0.1) ? 0 : 1 + upTo(r, 6) }, () => make(r));

function metric(r: R): object {
  const m: Record<string, unknown> = {};
  if (chance(r, 0.9)) m.name = pick(r, STRINGS);
  if (chance(r, 0.5)) m.description = pick(r, STRINGS);
  if (chance(r, 0.5)) m.unit = pick(r, STRINGS);
  if (chance(r, 0.3)) m.metadata = attributes(r, 0.1);
  switch (upTo(r, 5)) {
    case 0:
      m.gauge = { dataPoints: points(r, numberPoint) };
      break;
    case 1:
      m.sum = { dataPoints: points(r, numberPoint), aggregationTemporality: pick(r, TEMPORALITY), isMonotonic: chance(r, 0.5) };
      break;
    case 2:
      m.histogram = { dataPoints: points(r, histogramPoint), aggregationTemporality: pick(r, TEMPORALITY) };
      break;
    case 3:
      m.exponentialHistogram = { dataPoints: points(r, exponentialPoint), aggregationTemporality: pick(r, TEMPORALITY) };
      break;
    case 4:
      m.summary = { dataPoints: points(r, summaryPoint) };
      break;
    default:
      // No data member at all: one rejected record.
      break;
  }
  return m;
}

function scope(r: R): object | undefined {
  if (chance(r, 0.2)) return undefined;
  const s: Record<string, unknown> = {};
  if (chance(r, 0.8)) s.name = pick(r, STRINGS);
  if (chance(r, 0.5)) s.version = pick(r, STRINGS);
  if (chance(r, 0.5)) s.attributes = attributes(r, 0.05);
  if (chance(r, 0.2)) s.droppedAttributesCount = pick(r, UINT32);
  return s;
}

function resource(r: R): object | undefined {
  if (chance(r, 0.2)) return undefined;
  const res: Record<string, unknown> = { attributes: attributes(r, 0.05) };
  if (chance(r, 0.2)) res.droppedAttributesCount = pick(r, UINT32);
  return res;
}

/** One request: 1-3 resources of 0-3 scopes of 0-6 metrics. */
export function randomMetricsRequest(r: R): object {
  return {
    resourceMetrics: Array.from({ length: 1 + upTo(r, 2) }, () => ({
      ...(chance(r, 0.9) ? { resource: resource(r) } : {}),
      ...(chance(r, 0.5) ? { schemaUrl: pick(r, STRINGS) } : {}),
      scopeMetrics: Array.from({ length: upTo(r, 3) }, () => ({
        scope: scope(r),
        ...(chance(r, 0.5) ? { schemaUrl: pick(r, STRINGS) } : {}),
        metrics: Array.from({ length: upTo(r, 6) }, () => metric(r)),
      })),
    })),
  };
}
