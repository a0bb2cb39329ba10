// The caps on one request's rendering and the slices a large one is rendered
// in: refused while rendering (nothing past the cap is visited or allocated),
// sliced rendering writes the same bytes as rendering in one go, and a batch
// that grew the shared buffer does not keep it.
import { describe, expect, it } from 'vitest';
import { ATTRIBUTES_PER_MAP_MAX, REQUEST_RENDERED_BYTES_MAX, REQUEST_ROWS_MAX } from '../../src/config/limits.ts';
import { OtlpError } from '../../src/errors.ts';
import { SIGNALS } from '../../src/ingest/signals.ts';
import type { KeyValue, Signal } from '../../src/otlp/types.ts';
import { DEFAULT_CAPS, renderAll, renderHeldBytes, RenderJob, type RenderCaps, type RenderResult } from '../../src/tables/render/job.ts';
import { logsSteps } from '../../src/tables/render/logs.ts';
import { metricsSteps } from '../../src/tables/render/metrics.ts';
import { ByteSink, scratchSink } from '../../src/tables/render/sink.ts';
import { rowsToNdjson } from '../../src/tables/ndjson.ts';
import { kv, kvl, res, scope, str } from './support.ts';

type Obj = Record<string, unknown>;

function logs(resourceAttrs: KeyValue[], records: Obj[]): Obj {
  return { resourceLogs: [{ resource: res(...resourceAttrs), scopeLogs: [{ scope: scope('s'), logRecords: records }] }] };
}

/** Records that count how many of them the renderer looked at. */
function counted(n: number): { records: Obj[]; seen: () => number } {
  let seen = 0;
  const records = Array.from({ length: n }, () => ({
    get eventName() {
      seen += 1;
      return '';
    },
  }));
  return { records, seen: () => seen };
}

const render = (req: Obj, caps: Partial<RenderCaps> = {}): RenderResult => renderAll((job) => logsSteps(job, req as never), caps);

function tooLarge(f: () => unknown): OtlpError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(OtlpError);
    expect((e as OtlpError).kind).toBe('too_large');
    return e as OtlpError;
  }
  throw new Error('expected a too_large refusal');
}

describe('request caps', () => {
  it('refuses more rows than the cap as soon as the row past it is written', () => {
    const { records, seen } = counted(1000);
    const e = tooLarge(() => render(logs([], records), { rowsMax: 10 }));
    expect(e.message).toBe('the request holds more than 10 records to store (REQUEST_ROWS_MAX); send it in smaller requests');
    expect(seen()).toBe(11);
  });

  it('refuses a resource copied into rows past the byte cap, long before the last record', () => {
    const { records, seen } = counted(20_000);
    const e = tooLarge(() => render(logs([kv('big', str('x'.repeat(64 * 1024)))], records)));
    expect(e.message).toBe(
      `the request's rows take more than ${REQUEST_RENDERED_BYTES_MAX} bytes (REQUEST_RENDERED_BYTES_MAX); send it in smaller requests`,
    );
    expect(seen()).toBeLessThanOrEqual(Math.ceil(REQUEST_RENDERED_BYTES_MAX / (64 * 1024)) + 1);
  });

  it('names the limit it was given, and keeps exactly what fits', () => {
    const one = render(logs([], [{}])).ndjson!.length;
    expect(render(logs([], [{}, {}, {}]), { bytesMax: 3 * one }).rows).toBe(3);
    const e = tooLarge(() => render(logs([], [{}, {}, {}]), { bytesMax: 3 * one - 1, bytesMaxName: '--max-staging-bytes' }));
    expect(e.message).toContain(`${3 * one - 1} bytes (--max-staging-bytes)`);
  });

  it('defaults agree with the named limits', () => {
    expect(DEFAULT_CAPS).toMatchObject({ rowsMax: REQUEST_ROWS_MAX, bytesMax: REQUEST_RENDERED_BYTES_MAX });
  });

  it('lets a sink refuse a write past its limit before allocating for it', () => {
    const sink = new ByteSink(16);
    sink.limit(100, 5, (what) => {
      throw new Error(`over ${what}`);
    });
    expect(() => sink.text('x'.repeat(200))).toThrow('over bytes');
    expect(sink.capacity).toBe(16);
    sink.string('y'.repeat(90));
    expect(() => sink.string('z'.repeat(20))).toThrow('over bytes');
  });
});

describe('sliced rendering', () => {
  const mixed = (signal: Signal, i: number): Obj => {
    const attrs = [kv('i', str(String(i))), kv('é', str('中'.repeat(i % 7))), kv('kl', kvl(kv('a', str('"q"'))))];
    if (signal === 'logs') return { body: str(`b${i}`), attributes: attrs };
    if (signal === 'traces') return { name: `s${i}`, attributes: attrs, events: [{ name: 'e', attributes: attrs }] };
    return { name: `m${i}`, gauge: { dataPoints: [{ asDouble: i, attributes: attrs }, { asDouble: -i }] } };
  };
  const LEVELS = { metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'], logs: ['resourceLogs', 'scopeLogs', 'logRecords'], traces: ['resourceSpans', 'scopeSpans', 'spans'] };
  const requestOf = (signal: Signal, n: number): Obj => {
    const [r, s, x] = LEVELS[signal] as [string, string, string];
    const records = Array.from({ length: n }, (_, i) => mixed(signal, i));
    // A repeated key in the middle: that record is rejected in whichever slice it falls.
    const dup = [kv('d', str('1')), kv('d', str('2'))];
    records[n >> 1] = signal === 'metrics' ? { name: 'dup', gauge: { dataPoints: [{ asDouble: 1, attributes: dup }] } } : { ...records[n >> 1], attributes: dup };
    return { [r]: [{ resource: res(kv('service.name', str('svc'))), [s]: [{ scope: scope('sc'), [x]: records.slice(0, n >> 2) }, { [x]: records.slice(n >> 2) }] }] };
  };

  it.each(['metrics', 'logs', 'traces'] as Signal[])('%s: writes the same bytes in slices, other renders in between', async (signal) => {
    const desc = SIGNALS[signal] as unknown as { render(r: unknown): RenderResult; flatten(r: unknown): { rows: never[]; rejected: number } };
    const steps = SIGNALS[signal].steps as unknown as (job: RenderJob, r: unknown) => Generator<void, void, void>;
    const req = requestOf(signal, 3000);
    const whole = desc.render(req);
    expect(whole.ndjson!.toString()).toBe(rowsToNdjson(desc.flatten(req).rows));
    // Slices of no time: the renderer yields at every check; each turn another request renders.
    const job = new RenderJob({ ...DEFAULT_CAPS, sliceMs: 0 });
    const pending = job.run(steps(job, req));
    expect(pending).toBeInstanceOf(Promise);
    let turns = 0;
    const other = requestOf(signal, 5);
    const otherBytes = desc.render(other).ndjson!.toString();
    const interleave = (): void => {
      turns += 1;
      expect(desc.render(other).ndjson!.toString()).toBe(otherBytes);
      if (turns < 10_000) timer = setImmediate(interleave);
    };
    let timer = setImmediate(interleave);
    const sliced = await pending;
    clearImmediate(timer);
    expect(turns).toBeGreaterThan(10);
    expect(sliced.ndjson!.equals(whole.ndjson!)).toBe(true);
    expect({ ...sliced, ndjson: undefined }).toEqual({ ...whole, ndjson: undefined });
    expect(sliced.rejected).toBe(1);
  });

  it('refuses with 429 a render that would make the waiting renders hold more than their cap, and gives the bytes back', async () => {
    const req = logs([kv('service.name', str('s'.repeat(1000)))], Array.from({ length: 2000 }, () => ({})));
    const whole = render(req).ndjson!.length;
    const caps = { ...DEFAULT_CAPS, sliceMs: 0, heldBytesMax: Math.floor(whole * 1.5) };
    const first = new RenderJob(caps);
    const second = new RenderJob(caps);
    const a = first.run(logsSteps(first, req as never));
    const b = second.run(logsSteps(second, req as never));
    const [ra, rb] = await Promise.allSettled([a, b]);
    const refused = [ra, rb].filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as OtlpError);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.kind).toBe('overloaded');
    expect(refused[0]!.message).toContain('RENDER_HELD_BYTES_MAX');
    const stored = [ra, rb].find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<RenderResult>;
    expect(stored.value.ndjson!.length).toBe(whole);
    expect(renderHeldBytes()).toBe(0);
  });

  it('gives the held bytes back when a sliced render is refused at its cap', async () => {
    // Big bodies, not a big resource: the cap is met while rendering, after slices were held.
    const req = logs([], Array.from({ length: 2000 }, () => ({ body: str('b'.repeat(1000)) })));
    const job = new RenderJob({ ...DEFAULT_CAPS, sliceMs: 0, bytesMax: 1 << 20 });
    await expect(job.run(logsSteps(job, req as never))).rejects.toThrow(/REQUEST_RENDERED_BYTES_MAX/);
    expect(renderHeldBytes()).toBe(0);
  });

  it('refuses rows that repeat a resource past the cap before rendering any of them', () => {
    const req = logs([kv('service.name', str('s'.repeat(64 * 1024)))], Array.from({ length: 20_000 }, () => ({})));
    const job = new RenderJob({ ...DEFAULT_CAPS, sliceMs: 0 });
    // Synchronously, in the first slice: nothing was copied or held.
    expect(() => job.run(logsSteps(job, req as never))).toThrow(/more than \d+ bytes \(REQUEST_RENDERED_BYTES_MAX\)/);
    expect(renderHeldBytes()).toBe(0);
  });

  it('does not count metrics without data points as rows when bounding a scope', async () => {
    const big = [kv('service.name', str('s'.repeat(64 * 1024)))];
    const metrics = Array.from({ length: 5_000 }, (_, i) => ({ name: `m${i}` }));
    const req = { resourceMetrics: [{ resource: { attributes: big }, scopeMetrics: [{ metrics }] }] };
    const job = new RenderJob({ ...DEFAULT_CAPS, sliceMs: 0 });
    const out = await job.run(metricsSteps(job, req as never));
    expect(out.rows).toBe(0);
    expect(out.rejected).toBe(5_000);
  });

  it('finishes a small request in its first slice, synchronously', () => {
    const job = new RenderJob(DEFAULT_CAPS);
    const out = job.run(logsSteps(job, logs([], [{}, {}]) as never));
    expect(out).not.toBeInstanceOf(Promise);
    expect((out as RenderResult).rows).toBe(2);
  });

  it('does not keep a shared buffer that one huge batch grew', () => {
    const out = render(logs([], [{ body: str('x'.repeat(40 << 20)) }]));
    expect(out.ndjson!.length).toBeGreaterThan(40 << 20);
    expect(scratchSink().capacity).toBeLessThanOrEqual(16 << 20);
  });
});

describe('attribute cap', () => {
  const keys = (n: number): KeyValue[] => Array.from({ length: n }, (_, i) => kv(`k${i}`, str('v')));
  it('stores a map of exactly the cap and rejects one key more, in both implementations', () => {
    const req = logs([], [{ attributes: keys(ATTRIBUTES_PER_MAP_MAX) }, { attributes: keys(ATTRIBUTES_PER_MAP_MAX + 1) }, { body: kvl(...keys(ATTRIBUTES_PER_MAP_MAX + 1)) }]);
    const reference = SIGNALS.logs.flatten(req as never);
    const out = render(req);
    expect(out.ndjson!.toString()).toBe(rowsToNdjson(reference.rows));
    expect(out).toMatchObject({ rows: 1, rejected: 2 });
    expect(out.rejectReasons).toEqual([
      `${ATTRIBUTES_PER_MAP_MAX + 1} keys in attributes, more than ATTRIBUTES_PER_MAP_MAX (${ATTRIBUTES_PER_MAP_MAX}) allows`,
      `${ATTRIBUTES_PER_MAP_MAX + 1} keys in a key-value list value, more than ATTRIBUTES_PER_MAP_MAX (${ATTRIBUTES_PER_MAP_MAX}) allows`,
    ]);
    expect(reference).toMatchObject({ rejected: 2, rejectReasons: out.rejectReasons });
  });

  it('names both keys when two become one in UTF-8', () => {
    const out = render(logs([], [{ attributes: [kv('\ud800', str('1')), kv('\ud801', str('2'))] }, {}]));
    expect(out).toMatchObject({ rows: 1, rejected: 1 });
    expect(out.rejectReasons).toEqual(['keys "\\ud800" and "\\ud801" are the same key "\ufffd" in UTF-8 in attributes (OTLP requires unique keys)']);
  });

  it('rejects every point of a metric whose metadata repeats a key, and every record under a bad scope', () => {
    const metric = { name: 'm', metadata: [kv('a'), kv('a')], gauge: { dataPoints: [{ asDouble: 1 }, { asDouble: 2 }] } };
    const req = {
      resourceMetrics: [{ scopeMetrics: [{ metrics: [metric, { name: 'ok', gauge: { dataPoints: [{ asDouble: 3 }] } }] }, { scope: scope('bad', '', kv('x'), kv('x')), metrics: [metric] }] }],
    };
    const out = SIGNALS.metrics.render(req as never);
    expect(out).toMatchObject({ rows: 1, rejected: 4 });
    expect(out.rejectReasons).toEqual([
      'key "a" appears twice in metric metadata (OTLP requires unique keys)',
      'key "x" appears twice in scope attributes (OTLP requires unique keys)',
    ]);
    expect(SIGNALS.metrics.flatten(req as never)).toMatchObject({ rejected: 4, rejectReasons: out.rejectReasons });
  });

  it('checks huge maps in linear time: 50,000 keys on a point, a span, an event or a log record are each refused at once', () => {
    const huge = keys(50_000);
    const requests: [Signal, Obj][] = [
      ['metrics', { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: [{ asDouble: 1, attributes: huge }, { asDouble: 2 }] } }] }] }] }],
      ['traces', { resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'a', attributes: huge }, { name: 'b', events: [{ name: 'e', attributes: huge }] }, { name: 'c' }] }] }] }],
      ['logs', logs([], [{ attributes: huge }, { body: kvl(...huge) }, {}])],
    ];
    const t0 = performance.now();
    for (const [signal, req] of requests) {
      const desc = SIGNALS[signal] as unknown as { render(r: unknown): RenderResult; flatten(r: unknown): { rejected: number } };
      const out = desc.render(req);
      expect(out.rows, signal).toBe(1);
      expect(out.rejected, signal).toBe(signal === 'metrics' ? 1 : 2);
      expect(out.rejectReasons[0], signal).toMatch(/^50000 keys in .*more than ATTRIBUTES_PER_MAP_MAX/);
      expect(desc.flatten(req).rejected, signal).toBe(out.rejected);
    }
    // Comparing keys pairwise took seconds per map this size; a liveness bound, not a benchmark.
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('stores many maps of the cap\'s size, each checked in linear time', () => {
    const records = Array.from({ length: 200 }, () => ({ attributes: keys(ATTRIBUTES_PER_MAP_MAX) }));
    const t0 = performance.now();
    const out = render(logs([], records));
    expect(out).toMatchObject({ rows: 200, rejected: 0 });
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
