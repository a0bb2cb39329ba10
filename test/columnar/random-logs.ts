// Seeded random ExportLogsServiceRequest objects (protobufjs fromObject form)
// that reach the corners the columnar decoder must get exactly right: every
// AnyValue kind and nesting, int64 and fixed64 extremes, absent and empty
// fields, NULL resources and scopes, repeated keys (rejections), NUL
// characters and code points on both sides of U+E000. No lone surrogates:
// protobuf strings are valid UTF-8, and a body that is not is refused.
import { prng } from '../support/prng.ts';

/** The seeded generator as a bare function, as the generators here take it. */
export const rng = (seed: number): (() => number) => prng(seed).next;

type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const chance = (r: R, p: number) => r() < p;

const STRINGS = ['', 'a', 'INFO', 'é', '😀', '\uE000', '\uFFFF', 'x\u0000y', 'line\nbreak "quoted" \\', 'z'.repeat(40), '😀'.repeat(33)];
const KEYS = ['k', 'service.name', 'a.b', '😀', '\uFFFF', 'k2', ''];
const INTS = ['0', '1', '-1', '9007199254740991', '9007199254740992', '-9007199254740993', '-9223372036854775808', '9223372036854775807'];
const DOUBLES = [0, -0, 1.5, -2.25, Number.NaN, Infinity, -Infinity, 5e-324, 1.7976931348623157e308, 1e21];
const FIXED64 = ['0', '1', '1796230231103000000', '9223372036854775807', '9223372036854775808', '18446744073709551615'];
const UINT32 = [0, 1, 5, 2147483647, 2147483648, 4294967295];

function bytes(r: R, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

export function anyValue(r: R, depth = 0): object {
  const kinds = depth >= 3 ? 5 : 8;
  switch (Math.floor(r() * kinds)) {
    case 0:
      return { stringValue: pick(r, STRINGS) };
    case 1:
      return { boolValue: chance(r, 0.5) };
    case 2:
      return { intValue: pick(r, INTS) };
    case 3:
      return { doubleValue: pick(r, DOUBLES) };
    case 4:
      return chance(r, 0.5) ? { bytesValue: bytes(r, Math.floor(r() * 5)) } : {};
    case 5:
      return { arrayValue: { values: Array.from({ length: Math.floor(r() * 4) }, () => anyValue(r, depth + 1)) } };
    default:
      return { kvlistValue: { values: keyValues(r, Math.floor(r() * 4), depth + 1) } };
  }
}

function keyValues(r: R, n: number, depth = 0): object[] {
  return Array.from({ length: n }, () => (chance(r, 0.1) ? { key: pick(r, KEYS) } : { key: pick(r, KEYS), value: anyValue(r, depth) }));
}

/** Attribute lists mostly with distinct keys, sometimes repeating one (the record is then rejected). */
function attributes(r: R): object[] {
  if (chance(r, 0.15)) return keyValues(r, 2 + Math.floor(r() * 4));
  const keys = [...KEYS].sort(() => r() - 0.5).slice(0, Math.floor(r() * 5));
  return keys.map((key) => (chance(r, 0.1) ? { key } : { key, value: anyValue(r, 1) }));
}

function logRecord(r: R): object {
  const rec: Record<string, unknown> = {};
  if (chance(r, 0.8)) rec.timeUnixNano = pick(r, FIXED64);
  if (chance(r, 0.8)) rec.observedTimeUnixNano = pick(r, FIXED64);
  if (chance(r, 0.8)) rec.severityNumber = pick(r, [0, 1, 9, 13, 17, 21, 24, 25, 99]);
  if (chance(r, 0.7)) rec.severityText = pick(r, STRINGS);
  if (chance(r, 0.8)) rec.body = anyValue(r);
  if (chance(r, 0.8)) rec.attributes = attributes(r);
  if (chance(r, 0.3)) rec.droppedAttributesCount = pick(r, UINT32);
  if (chance(r, 0.3)) rec.flags = pick(r, UINT32);
  if (chance(r, 0.5)) rec.traceId = chance(r, 0.2) ? new Uint8Array(0) : bytes(r, 16);
  if (chance(r, 0.5)) rec.spanId = bytes(r, 8);
  if (chance(r, 0.7)) rec.eventName = pick(r, STRINGS);
  return rec;
}

function scope(r: R): object | undefined {
  if (chance(r, 0.2)) return undefined;
  const s: Record<string, unknown> = {};
  if (chance(r, 0.8)) s.name = pick(r, STRINGS);
  if (chance(r, 0.5)) s.version = pick(r, STRINGS);
  if (chance(r, 0.5)) s.attributes = attributes(r);
  if (chance(r, 0.2)) s.droppedAttributesCount = pick(r, UINT32);
  return s;
}

function resource(r: R): object | undefined {
  if (chance(r, 0.2)) return undefined;
  const res: Record<string, unknown> = { attributes: attributes(r) };
  if (chance(r, 0.2)) res.droppedAttributesCount = pick(r, UINT32);
  return res;
}

/** One request: 1-3 resources of 0-3 scopes of 0-12 records. */
export function randomLogsRequest(r: R): object {
  return {
    resourceLogs: Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
      ...(chance(r, 0.9) ? { resource: resource(r) } : {}),
      ...(chance(r, 0.5) ? { schemaUrl: pick(r, STRINGS) } : {}),
      scopeLogs: Array.from({ length: Math.floor(r() * 4) }, () => ({
        scope: scope(r),
        ...(chance(r, 0.5) ? { schemaUrl: pick(r, STRINGS) } : {}),
        logRecords: Array.from({ length: Math.floor(r() * 13) }, () => logRecord(r)),
      })),
    })),
  };
}
