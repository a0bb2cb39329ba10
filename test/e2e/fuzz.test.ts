// Hostile-input fuzzing of every export route of the real service: random, truncated, mutated and adversarial bodies.
import { prng } from '../support/prng.ts';
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRequest } from '../../src/otlp/codec.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { loadCaptures, replayCapture, type Capture } from '../support/fixtures.ts';
import { startTestService, type TestService } from '../support/service.ts';

type Signal = Capture['signal'];
type Media = 'application/x-protobuf' | 'application/json';

// A fixed seed can be forced to reproduce a failure; otherwise each run explores new inputs.
// FUZZ_ROUNDS multiplies the mutated inputs for a longer soak.
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const ROUNDS = Math.max(1, Number(process.env.FUZZ_ROUNDS ?? 1));
const SIGNALS: Signal[] = ['metrics', 'logs', 'traces'];
const MEDIA: Media[] = ['application/x-protobuf', 'application/json'];
const TABLES: Record<Signal, { name: string; kind: 'metrics' | 'logs' | 'spans' }> = {
  metrics: { name: 'fuzz.otel.f_otel_metrics', kind: 'metrics' },
  logs: { name: 'fuzz.otel.f_otel_logs', kind: 'logs' },
  traces: { name: 'fuzz.otel.f_otel_spans', kind: 'spans' },
};
const ROUTES = SIGNALS.flatMap((s) => [`/api/2.0/otel/v1/${s}`, `/v1/${s}`].map((path) => ({ signal: s, path })));

// Each test reseeds from SEED and its own number, so one test reproduces on its own (-t).
let rnd = prng(SEED);

const randomBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => rnd.int(256)));

/** `want` pins the status for inputs whose outcome is known; otherwise any allowed answer will do. */
type Case = { label: string; path: string; signal: Signal; media: Media; gzip: boolean; body: Buffer; want?: number };

// Protobuf by hand, so nesting far past any library's comfort can be expressed.
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
const ld = (field: number, payload: Buffer): Buffer => Buffer.concat([varint((field << 3) | 2), varint(payload.length), payload]);

/** An AnyValue holding arrays `depth` levels deep around a string; headers are built inside-out then joined once. */
function nestedAnyValue(depth: number): Buffer {
  const leaf = ld(1, Buffer.from('deep')); // AnyValue.string_value
  const headers: Buffer[] = [];
  let size = leaf.length;
  for (let i = 0; i < depth; i++) {
    const valuesHeader = Buffer.concat([varint((1 << 3) | 2), varint(size)]); // ArrayValue.values
    size += valuesHeader.length;
    const arrayHeader = Buffer.concat([varint((5 << 3) | 2), varint(size)]); // AnyValue.array_value
    size += arrayHeader.length;
    headers.push(valuesHeader, arrayHeader);
  }
  return Buffer.concat([...headers.reverse(), leaf]);
}

function protoWithDeepValue(signal: Signal, depth: number): Buffer {
  const kv = Buffer.concat([ld(1, Buffer.from('k')), ld(2, nestedAnyValue(depth))]); // KeyValue
  if (signal === 'logs') return ld(1, ld(2, ld(2, Buffer.concat([ld(5, nestedAnyValue(depth)), ld(6, kv)]))));
  if (signal === 'traces') return ld(1, ld(2, ld(2, Buffer.concat([ld(5, Buffer.from('span')), ld(9, kv)]))));
  const point = ld(7, kv); // NumberDataPoint.attributes
  return ld(1, ld(2, ld(2, Buffer.concat([ld(1, Buffer.from('m')), ld(5, ld(1, point))]))));
}

const RESOURCE_KEY = { metrics: 'resourceMetrics', logs: 'resourceLogs', traces: 'resourceSpans' } as const;
function wrapRecord(signal: Signal, record: string): string {
  if (signal === 'logs') return `{"resourceLogs":[{"scopeLogs":[{"logRecords":[${record}]}]}]}`;
  if (signal === 'traces') return `{"resourceSpans":[{"scopeSpans":[{"spans":[${record}]}]}]}`;
  return `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[${record}]}}]}]}]}`;
}
// Logs and points use timeUnixNano, spans and points startTimeUnixNano: set both so every signal reads one.
const times = (v: string) => `{"timeUnixNano":${v},"startTimeUnixNano":${v}}`;
const deepArrays = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepJsonValue = (n: number) => '{"arrayValue":{"values":['.repeat(n) + '{"stringValue":"x"}' + ']}}'.repeat(n);

function jsonCases(signal: Signal): [string, string | Buffer][] {
  const top = RESOURCE_KEY[signal];
  const rec = (r: string): string => wrapRecord(signal, r);
  return [
    ['null', 'null'], ['empty body', ''], ['array at top', '[]'], ['string at top', '"hello"'], ['number at top', '42'],
    ['array of objects at top', `[{"${top}":[]}]`],
    ['10k nested arrays at top', deepArrays(10_000)],
    ['10k nested arrays in a field', `{"${top}":${deepArrays(10_000)}}`],
    ['10k nested objects', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)],
    ['10k nested AnyValue arrays', rec(`{"name":"n","attributes":[{"key":"k","value":${deepJsonValue(10_000)}}]}`)],
    ['string instead of array', `{"${top}":"x"}`], ['object instead of array', `{"${top}":{}}`],
    ['numbers in the array', `{"${top}":[1,2,3]}`], ['null elements', `{"${top}":[null]}`],
    ['huge exponent', rec(times('1e400'))], ['huge negative exponent', rec(times('-1e400'))],
    ['huge integer', rec(times('9'.repeat(400)))],
    ['huge integer string', rec(times(`"${'9'.repeat(40)}"`))],
    ['negative int64 overflow', rec(times('"-99999999999999999999"'))],
    ['fractional timestamp', rec(times('1.5'))], ['boolean timestamp', rec(times('true'))],
    ['timestamp as array', rec(times('[1]'))],
    ['huge double value', rec('{"asDouble":1e999,"asInt":"1e400"}')],
    ['attributes as object', rec('{"attributes":{"k":"v"}}')],
    ['attribute key as number', rec('{"attributes":[{"key":7,"value":{"intValue":"x"}}]}')],
    ['attribute value as string', rec('{"attributes":[{"key":"k","value":"plain"}]}')],
    ['bool as word', rec('{"attributes":[{"key":"k","value":{"boolValue":"yes"}}]}')],
    ['bytes not base64', rec('{"attributes":[{"key":"k","value":{"bytesValue":"%%%"}}]}')],
    ['two value members', rec('{"attributes":[{"key":"k","value":{"stringValue":"a","intValue":"1"}}]}')],
    ['body as string', rec('{"body":"text","severityNumber":"BOGUS","kind":"NOPE"}')],
    ['enum out of range', rec('{"severityNumber":99999,"kind":-7,"status":{"code":12345}}')],
    ['odd-length ids', rec('{"traceId":"abc","spanId":"0","parentSpanId":"123"}')],
    ['non-hex ids', rec('{"traceId":"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz","spanId":"gggggggggggggggg"}')],
    ['overlong ids', rec(`{"traceId":"${'ab'.repeat(64)}","spanId":"${'cd'.repeat(40)}"}`)],
    ['ids as numbers', rec('{"traceId":12,"spanId":[1]}')],
    ['exemplar with odd ids', rec('{"exemplars":[{"traceId":"f","spanId":"e","asDouble":1}]}')],
    ['lone surrogates and NUL', rec('{"name":"\\ud800\\u0000","body":{"stringValue":"\\udfff"},"attributes":[{"key":"\\ud800","value":{"stringValue":"\\u0000"}}]}')],
    ['__proto__ keys', `{"__proto__":{"${top}":[]},"${top}":[{"__proto__":{"x":1},"constructor":{}}]}`],
    ['snake_case and wrong nesting', `{"${top.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}":[{"scope_logs":5,"scope_spans":"x","scope_metrics":{}}]}`],
    ['invalid utf-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
    ['byte order mark', `\ufeff{"${top}":[]}`], ['trailing garbage', `{"${top}":[]}}}}`],
  ];
}

// The Status shape read with a schema of our own, not the service's, so a mismatch between the two shows.
const STATUS = protobuf.parse('syntax = "proto3"; message Status { int32 code = 1; string message = 2; }').root.lookupType('Status');
const decodeStatusProto = (b: Uint8Array) => STATUS.toObject(STATUS.decode(b), { defaults: true }) as { code: unknown; message: unknown };

// Routes, tables, content types and sizes are all valid here, so a 404, 413 or 415
// would mean the input never reached a decoder: the fuzzing would be hollow.
const ALLOWED = new Set([200, 400, 429]);

function statusProblem(status: number, contentType: string, body: Uint8Array): string | undefined {
  if (!ALLOWED.has(status)) return `status ${status}`;
  if (status === 200) return undefined;
  try {
    const json = contentType.startsWith('application/json');
    const s = json ? (JSON.parse(Buffer.from(body).toString('utf8')) as { code: unknown; message: unknown }) : decodeStatusProto(body);
    if (typeof s.code !== 'number' || s.code <= 0 || s.code > 16) return `status ${status}: bad Status code ${String(s.code)}`;
    if (typeof s.message !== 'string' || s.message === '') return `status ${status}: Status without a message`;
  } catch (e) {
    return `status ${status}: body (${contentType}) is not a google.rpc.Status: ${(e as Error).message}`;
  }
}

describe(`fuzzing every export route (seed ${SEED}; rerun with FUZZ_SEED=${SEED})`, () => {
  let svc: TestService;
  const real = loadCaptures();
  const captures: Pick<Capture, 'id' | 'signal' | 'headers' | 'body'>[] = [...real];
  // No client sent traces as protobuf; re-encode the JSON trace capture so that decoder is fuzzed too.
  for (const c of captures.filter((x) => x.signal === 'traces' && x.headers['content-type'] === 'application/json')) {
    const body = Buffer.from(SIGNAL_TYPES.traces.request.encode(decodeRequest('traces', c.body, 'json')).finish());
    captures.push({ id: `${c.id} as protobuf`, signal: 'traces', headers: { 'content-type': 'application/x-protobuf' }, body });
  }

  beforeAll(async () => {
    svc = await startTestService({ flushIntervalMs: 100 });
    for (const t of Object.values(TABLES)) await svc.createTable(t.name, t.kind);
  });
  afterAll(() => svc?.stop().catch(() => undefined));

  async function send(c: Case): Promise<string | undefined> {
    const headers: Record<string, string> = { 'content-type': c.media, 'x-databricks-uc-table-name': TABLES[c.signal].name };
    if (c.gzip) headers['content-encoding'] = 'gzip';
    try {
      const res = await fetch(`${svc.url}${c.path}`, { method: 'POST', headers, body: c.body, signal: AbortSignal.timeout(15_000) });
      const body = new Uint8Array(await res.arrayBuffer());
      const problem =
        c.want !== undefined && res.status !== c.want
          ? `status ${res.status}, expected ${c.want}`
          : statusProblem(res.status, res.headers.get('content-type') ?? '', body);
      return problem && `${problem} (${Buffer.from(body).toString('utf8').slice(0, 200)})`;
    } catch (e) {
      return `request failed: ${(e as Error).message}`;
    }
  }

  async function runAll(cases: Case[]): Promise<void> {
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const problem = await send(c);
        if (problem) failures.push(`[seed ${SEED}] ${c.label} -> POST ${c.path} ${c.media}${c.gzip ? ' gzip' : ''} (${c.body.length} bytes): ${problem}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    // The service logs the stack of every internal error; show the first few next to the inputs.
    const internal = svc.logs.filter((l) => l.startsWith('internal error')).slice(0, 3);
    expect(failures, [...internal, ...failures.slice(0, 20)].join('\n')).toEqual([]);
  }

  /** Randomly gzip-wraps a body, sends it raw under a gzip label, or leaves it plain. */
  function encodeRandomly(body: Buffer): { body: Buffer; gzip: boolean; how: string } {
    const r = rnd.int(4);
    if (r === 0) return { body: gzipSync(body), gzip: true, how: 'gzip' };
    if (r === 1) {
      const z = gzipSync(body), cut = rnd.int(z.length);
      return { body: z.subarray(0, cut), gzip: true, how: `gzip cut at ${cut}` };
    }
    return { body, gzip: false, how: 'plain' };
  }

  type Seed = (typeof captures)[number];
  const captureRoute = (c: Seed) => rnd.pick(ROUTES.filter((r) => r.signal === c.signal));
  // Mostly the capture's own content type; sometimes the other, so each decoder sees the other's bytes.
  const mediaOf = (c: Seed): Media => (rnd.next() < 0.8 ? (c.headers['content-type'] as Media) : rnd.pick(MEDIA));

  it('(a) random bytes of random lengths, every route, both content types, with and without gzip', async () => {
    rnd = prng(SEED + 1);
    const cases: Case[] = [];
    for (const route of ROUTES)
      for (const media of MEDIA)
        for (const gzip of [false, true])
          for (let k = 0; k < 3 * ROUNDS; k++) {
            const len = rnd.pick([0, 1, 2, 5, 17, 100, 1000, 4096, 70_000]) + rnd.int(8);
            const raw = randomBytes(len);
            const wrapped = gzip && k % 3 > 0; // one in three is raw bytes under a gzip label
            cases.push({ label: `random ${len}${wrapped ? ' gzip-wrapped' : ''}`, ...route, media, gzip, body: wrapped ? gzipSync(raw) : raw });
          }
    await runAll(cases);
  });

  it('(b) every real capture truncated at random points, also inside gzip', async () => {
    rnd = prng(SEED + 2);
    const cases: Case[] = [];
    for (const c of captures) {
      const points = [0, 1, c.body.length - 1, ...Array.from({ length: 5 * ROUNDS }, () => rnd.int(c.body.length))];
      for (const p of points) {
        const enc = encodeRandomly(c.body.subarray(0, p));
        cases.push({ label: `${c.id} cut at ${p}, ${enc.how}`, ...captureRoute(c), media: mediaOf(c), gzip: enc.gzip, body: enc.body });
      }
    }
    await runAll(cases);
  });

  it('(c) real captures with random byte flips', async () => {
    rnd = prng(SEED + 3);
    const cases: Case[] = [];
    for (const c of captures)
      for (let k = 0; k < 6 * ROUNDS; k++) {
        const body = Buffer.from(c.body);
        const flips = 1 + rnd.int(8);
        for (let f = 0; f < flips; f++) body[rnd.int(body.length)] = rnd.int(256);
        const enc = encodeRandomly(body);
        cases.push({ label: `${c.id} with ${flips} flips, ${enc.how}`, ...captureRoute(c), media: mediaOf(c), gzip: enc.gzip, body: enc.body });
      }
    await runAll(cases);
  });

  it('(d) JSON edge cases: deep nesting, huge numbers, wrong types, odd ids, non-objects', async () => {
    rnd = prng(SEED + 4);
    const cases: Case[] = [];
    for (const route of ROUTES)
      for (const [label, text] of jsonCases(route.signal)) {
        const enc = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
        const gzip = rnd.next() < 0.25;
        cases.push({ label, ...route, media: 'application/json', gzip, body: gzip ? gzipSync(enc) : enc });
      }
    await runAll(cases);
  });

  it('(e) protobuf AnyValue nested 10k arrays deep, built by hand', async () => {
    const cases: Case[] = [];
    for (const route of ROUTES)
      for (const depth of [10_000, 150, 40]) {
        const body = protoWithDeepValue(route.signal, depth);
        const gzip = depth === 150;
        // 40 arrays are 80 messages, inside the decoder's depth limit of 100: that one must be stored.
        const want = depth === 40 ? 200 : undefined;
        const media = 'application/x-protobuf';
        cases.push({ label: `AnyValue ${depth} deep`, ...route, media, gzip, body: gzip ? gzipSync(body) : body, want });
      }
    await runAll(cases);
  });

  it('still accepts valid requests, and leaves valid tables after stop', async () => {
    for (const signal of SIGNALS) {
      const c = real.find((x) => x.signal === signal)!;
      const res = await replayCapture(svc.url, c, { 'x-databricks-uc-table-name': TABLES[signal].name });
      expect(res.status, `${c.id}: ${await res.text()}`).toBe(200);
    }
    await svc.stop({ keep: true });
    for (const t of Object.values(TABLES)) {
      const check = await checkDeltaTable(svc.tableDir(t.name), t.kind);
      expect(check.rows.length, t.name).toBeGreaterThan(0);
    }
  });
});
