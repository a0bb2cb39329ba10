// Seeded random ExportTraceServiceRequest objects (protobufjs fromObject
// form) reaching the corners the columnar spans decoder must get exactly
// right: every span kind (and numbers no kind has), status absent, empty or
// set, events and links (none, some, with every AnyValue kind in their
// attributes), ids absent, empty or present, fixed64 nanosecond extremes,
// repeated keys in any of the span's lists (rejections), NULL resources and
// scopes. Ids are only ever 16 or 8 bytes or empty: any other length makes
// the whole request invalid before a row is built.
import { anyValue } from './random-logs.ts';

type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const chance = (r: R, p: number) => r() < p;
const upTo = (r: R, n: number) => Math.floor(r() * (n + 1));

const STRINGS = ['', 'a', 'chat gpt-5', 'é', '😀', '\uE000', '\uFFFF', 'x\u0000y', 'line\nbreak "q" \\', 'z'.repeat(40), '😀'.repeat(33)];
const KEYS = ['k', 'service.name', 'a.b', '😀', '\uFFFF', 'k2', ''];
const FIXED64 = ['0', '1', '1796230231103000000', '9223372036854775807', '9223372036854775808', '18446744073709551615'];
const UINT32 = [0, 1, 5, 2147483647, 2147483648, 4294967295];
/** Every SpanKind, then numbers a newer sender (or junk) might send. */
const KINDS = [0, 1, 2, 3, 4, 5, 6, 99, -1];
const STATUS_CODES = [0, 1, 2, 3, -2];
const TRACE_STATES = ['', 'rojo=00f067aa0ba902b7', 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7', '😀'];

function bytes(r: R, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

/** An id: absent (undefined), sent empty (NULL too), or of the length its column holds. */
function id(r: R, n: number): Uint8Array | undefined {
  const u = r();
  if (u < 0.15) return undefined;
  if (u < 0.25) return new Uint8Array(0);
  return bytes(r, n);
}

function keyValues(r: R, n: number): object[] {
  return Array.from({ length: n }, () => (chance(r, 0.1) ? { key: pick(r, KEYS) } : { key: pick(r, KEYS), value: anyValue(r, 1) }));
}

/** Mostly distinct keys; sometimes a repeated one, which rejects the span holding the list. */
function attributes(r: R, badChance = 0.06): object[] {
  if (chance(r, badChance)) return keyValues(r, 2 + upTo(r, 3));
  const keys = [...KEYS].sort(() => r() - 0.5).slice(0, upTo(r, 4));
  return keys.map((key) => (chance(r, 0.1) ? { key } : { key, value: anyValue(r, 1) }));
}

/** Sets each field with probability p, so absent and present both occur. */
function some(r: R, p: number, fields: Record<string, () => unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, make] of Object.entries(fields)) if (chance(r, p)) out[k] = make();
  return out;
}

function event(r: R): object {
  return some(r, 0.7, {
    timeUnixNano: () => pick(r, FIXED64),
    name: () => pick(r, STRINGS),
    attributes: () => attributes(r, 0.03),
    droppedAttributesCount: () => pick(r, UINT32),
  });
}

function link(r: R): object {
  return {
    ...some(r, 0.6, {
      traceState: () => pick(r, TRACE_STATES),
      attributes: () => attributes(r, 0.03),
      droppedAttributesCount: () => pick(r, UINT32),
      flags: () => pick(r, UINT32),
    }),
    traceId: id(r, 16),
    spanId: id(r, 8),
  };
}

/** Absent, sent empty (UNSET, ''), or with a message and/or a code. */
function status(r: R): object | undefined {
  const u = r();
  if (u < 0.3) return undefined;
  if (u < 0.45) return {};
  return some(r, 0.6, { message: () => pick(r, STRINGS), code: () => pick(r, STATUS_CODES) });
}

export function randomSpan(r: R): object {
  const s: Record<string, unknown> = {
    ...some(r, 0.7, {
      traceState: () => pick(r, TRACE_STATES),
      flags: () => pick(r, UINT32),
      name: () => pick(r, STRINGS),
      kind: () => pick(r, KINDS),
      startTimeUnixNano: () => pick(r, FIXED64),
      endTimeUnixNano: () => pick(r, FIXED64),
      attributes: () => attributes(r),
    }),
    ...some(r, 0.25, {
      droppedAttributesCount: () => pick(r, UINT32),
      droppedEventsCount: () => pick(r, UINT32),
      droppedLinksCount: () => pick(r, UINT32),
    }),
    traceId: id(r, 16),
    spanId: id(r, 8),
    parentSpanId: id(r, 8),
    status: status(r),
  };
  if (chance(r, 0.5)) s.events = Array.from({ length: upTo(r, 4) }, () => event(r));
  if (chance(r, 0.4)) s.links = Array.from({ length: upTo(r, 3) }, () => link(r));
  return s;
}

function scope(r: R): object | undefined {
  if (chance(r, 0.2)) return undefined;
  return some(r, 0.6, {
    name: () => pick(r, STRINGS),
    version: () => pick(r, STRINGS),
    attributes: () => attributes(r, 0.05),
    droppedAttributesCount: () => pick(r, UINT32),
  });
}

function resource(r: R): object | undefined {
  if (chance(r, 0.2)) return undefined;
  return { attributes: attributes(r, 0.05), ...some(r, 0.2, { droppedAttributesCount: () => pick(r, UINT32) }) };
}

/** One request: 1-3 resources of 0-3 scopes of 0-12 spans. */
export function randomSpansRequest(r: R): object {
  return {
    resourceSpans: Array.from({ length: 1 + upTo(r, 2) }, () => ({
      ...(chance(r, 0.9) ? { resource: resource(r) } : {}),
      ...(chance(r, 0.5) ? { schemaUrl: pick(r, STRINGS) } : {}),
      scopeSpans: Array.from({ length: upTo(r, 3) }, () => ({
        scope: scope(r),
        ...(chance(r, 0.5) ? { schemaUrl: pick(r, STRINGS) } : {}),
        spans: Array.from({ length: upTo(r, 12) }, () => randomSpan(r)),
      })),
    })),
  };
}

/** A Collector-size request: `n` spans, each with events and a link, under a few scopes, none rejected. */
export function spansBatch(r: R, n: number): object {
  const scopes = 3;
  const kv = (key: string, v: string) => ({ key, value: { stringValue: v } });
  return {
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', 'agent'), kv('host.name', `h${upTo(r, 9)}`)] },
        scopeSpans: Array.from({ length: scopes }, (_, s) => ({
          scope: { name: `scope-${s}`, version: '1.0' },
          spans: Array.from({ length: Math.floor(n / scopes) + (s < n % scopes ? 1 : 0) }, (_, i) => ({
            traceId: bytes(r, 16),
            spanId: bytes(r, 8),
            ...(i % 4 === 0 ? {} : { parentSpanId: bytes(r, 8) }),
            name: `tool.${pick(r, ['Read', 'Edit', 'Bash', 'Grep'])}`,
            kind: i % 6,
            startTimeUnixNano: (1796230231103000000n + BigInt(i) * 1000n).toString(),
            endTimeUnixNano: (1796230231103000000n + BigInt(i) * 1000n + 500n).toString(),
            attributes: [kv('gen_ai.request.model', pick(r, ['a', 'b', 'c'])), { key: 'tokens', value: { intValue: upTo(r, 100000) } }],
            events: Array.from({ length: i % 3 }, (_, e) => ({ timeUnixNano: String(e), name: `e${e}`, attributes: [kv('n', String(i))] })),
            links: i % 5 === 0 ? [{ traceId: bytes(r, 16), spanId: bytes(r, 8), flags: 257 }] : [],
            ...(i % 2 === 0 ? { status: { code: 2, message: 'failed' } } : {}),
          })),
        })),
      },
    ],
  };
}
