// End-to-end replay of every recorded client capture: HTTP answers, Delta validity, rows against decoded.json and goldens.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import type { Row } from '../support/delta-check.ts';
import { firstDifference } from '../support/json-exact.ts';
import { FIXTURES_DIR, loadCaptures, type Capture } from '../support/fixtures.ts';
import { describeGoldenDiff, goldenPath, goldenText, listGoldenFiles, normalise, readGolden, rowKey, UPDATE_COMMAND } from '../golden/golden.ts';
import { deriveExpectedRows, type Derived } from './expected-rows.ts';
import { replayAllCaptures, rowsOfRun, runKey, targetOf, type Outcome, type ReplayResult } from './replay-all.ts';

const CAPTURES = loadCaptures();
const derivedOf = (c: Capture): Derived =>
  deriveExpectedRows(readFileSync(path.join(FIXTURES_DIR, c.client, c.run, `${c.id.split('/')[2]}.decoded.json`), 'utf8'));
const DERIVED = new Map(CAPTURES.map((c) => [c.id, derivedOf(c)]));
const TABLES = [...new Set(CAPTURES.map((c) => targetOf(c).table))].sort();
const RUNS = [...new Set(CAPTURES.map(runKey))];

/** Rows every capture sent to `table` should have produced (optionally only one run's). */
function expectedFor(table: string, run?: string): Row[] {
  return CAPTURES.filter((c) => targetOf(c).table === table && (run === undefined || runKey(c) === run)).flatMap(
    (c) => DERIVED.get(c.id)!.rows,
  );
}

const clip = (s: string) => (s.length > 600 ? `${s.slice(0, 600)}…` : s);

/** Rows compared as multisets: same rows, same multiplicity, exact types (bigint, Map), any order. */
function expectSameRows(actual: Row[], expected: Row[], label: string): void {
  const sort = (rows: Row[]) => rows.map((row) => ({ row, key: rowKey(row) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const a = sort(actual);
  const e = sort(expected);
  const aKeys = new Set(a.map((x) => x.key));
  const eKeys = new Set(e.map((x) => x.key));
  const extra = a.filter((x) => !eKeys.has(x.key));
  const missing = e.filter((x) => !aKeys.has(x.key));
  if (extra.length > 0 || missing.length > 0 || a.length !== e.length) {
    const first = extra[0] && missing[0] ? firstDifference(normalise(extra[0].row), normalise(missing[0].row)) : undefined;
    expect.fail(
      `${label}: ${a.length} rows landed, ${e.length} expected; ${extra.length} unexpected, ${missing.length} missing` +
        (first ? `\n  first difference (landed vs expected): ${clip(first)}` : '') +
        (extra[0] ? `\n  unexpected: ${clip(extra[0].key)}` : '') +
        (missing[0] ? `\n  missing: ${clip(missing[0].key)}` : ''),
    );
  }
  expect(a.map((x) => x.row)).toEqual(e.map((x) => x.row));
}

function decodeAnswer(o: Outcome): Record<string, unknown> {
  if (o.capture.headers['content-type']?.includes('json')) return JSON.parse(Buffer.from(o.body).toString('utf8')) as Record<string, unknown>;
  const t = SIGNAL_TYPES[o.capture.signal].response;
  return t.toObject(t.decode(o.body), { longs: String }) as Record<string, unknown>;
}

let result: ReplayResult;
const table = (name: string) => result.tables.get(name)!;
const rowsOf = (name: string) => table(name).check.rows;
const point = (r: Row) => r[r.metric_type as string] as Row;
const attrs = (m: unknown) => m as Map<string, string | null>;

beforeAll(async () => {
  result = await replayAllCaptures(CAPTURES);
}, 120_000);

describe('replaying every capture through the real HTTP service', () => {
  it('answers each capture 200 with an Export…ServiceResponse in the request encoding', () => {
    expect(result.outcomes.map((o) => o.capture.id)).toEqual(CAPTURES.map((c) => c.id));
    for (const o of result.outcomes) {
      const label = `${o.capture.id} (${o.capture.headers['content-type']}${o.capture.headers['content-encoding'] ? ', gzip' : ''})`;
      expect(o.status, `${label}: ${Buffer.from(o.body).toString('utf8').slice(0, 300)}`).toBe(200);
      const json = o.capture.headers['content-type']!.includes('json');
      expect(o.contentType, label).toMatch(json ? /^application\/json/ : /^application\/x-protobuf/);
      const answer = decodeAnswer(o);
      const rejected = DERIVED.get(o.capture.id)!.rejected;
      if (rejected === 0) expect(answer.partialSuccess, label).toBeUndefined();
      else expect(answer.partialSuccess, label).toMatchObject({ [SIGNAL_TYPES[o.capture.signal].rejectedField]: String(rejected) });
    }
  });

  it('replays the gzip captures and the header-less trace capture', () => {
    expect(CAPTURES.filter((c) => c.headers['content-encoding'] === 'gzip').length).toBeGreaterThan(0);
    const traces = result.outcomes.filter((o) => o.capture.signal === 'traces');
    expect(traces.map((o) => o.target.table)).toEqual(['main.agent_telemetry.gemini_otel_spans']);
  });

  it.each(TABLES)('%s is a valid Delta table whose rows equal those derived from decoded.json', (name) => {
    const t = table(name);
    expect(t.check.orphans).toEqual([]);
    expect(t.rowsByRun.has('(after the last run)')).toBe(false);
    expectSameRows(t.check.rows, expectedFor(name), name);
  });

  it.each(RUNS)('%s: each run landed exactly its own rows, and they match its golden file', (run) => {
    const perTable = rowsOfRun(result, run);
    for (const name of TABLES) expectSameRows(perTable.get(name) ?? [], expectedFor(name, run), `${run} -> ${name}`);
    const [client, name] = run.split('/') as [string, string];
    const file = path.relative(process.cwd(), goldenPath(client, name));
    const golden = readGolden(client, name);
    if (golden === undefined) expect.fail(`golden file ${file} is missing; run \`${UPDATE_COMMAND}\` and review it`);
    const text = goldenText(perTable);
    if (text !== golden) {
      expect.fail(`${file} differs from the replayed rows: ${describeGoldenDiff(text, golden)}\nIf the change is intended, run \`${UPDATE_COMMAND}\` and review the diff.`);
    }
  });

  it('has a golden file for every run and none for runs that no longer exist', () => {
    expect(listGoldenFiles()).toEqual(RUNS.map((r) => `${r.replace('/', '__')}.jsonl`).sort());
  });
});

describe('client behaviour the tables must keep', () => {
  it('Codex logs keep time_unix_nano 0 (only the observed time is set) and their event_name as sent', () => {
    const rows = rowsOf('main.agent_telemetry.codex_otel_logs');
    expect(rows).toHaveLength(4 + 9 + 13);
    for (const r of rows) {
      expect(r.time_unix_nano).toBe(0n);
      expect(r.observed_time_unix_nano as bigint).toBeGreaterThan(1_700_000_000_000_000_000n);
      expect(r.event_name).toMatch(/^event otel\/src\/[\w/]+\.rs:\d+$/);
    }
    expect(rows.filter((r) => r.body === null).length).toBeGreaterThan(0);
    expect(rows.some((r) => r.body === 'flushing OTEL metrics' && r.severity_number === 'SEVERITY_NUMBER_DEBUG')).toBe(true);
  });

  it("Claude Code logs carry the event name in attributes['event.name'] and the body, with event_name ''", () => {
    const rows = rowsOf('main.agent_telemetry.claude_otel_logs');
    expect(rows).toHaveLength(3 + 3 + 1 + 2);
    for (const r of rows) {
      expect(r.event_name).toBe('');
      const name = attrs(r.attributes).get('event.name');
      expect(name).toMatch(/^[a-z_]+$/);
      expect(r.body).toBe(`claude_code.${name}`);
      expect(r.severity_number).toBe('SEVERITY_NUMBER_UNSPECIFIED');
    }
  });

  it('Codex histograms keep up to 513 explicit bounds and 514 bucket counts exactly', () => {
    const rows = rowsOf('main.agent_telemetry.codex_otel_metrics');
    const wide = rows.filter((r) => r.name === 'codex.thread.skills.enabled_total').map(point);
    expect(wide).toHaveLength(4);
    for (const h of wide) {
      expect(h.explicit_bounds).toEqual(Array.from({ length: 513 }, (_, i) => i));
      const counts = h.bucket_counts as bigint[];
      expect(counts).toHaveLength(514);
      expect(counts.reduce((s, n) => s + n, 0n)).toBe(h.count);
    }
    const frac = rows.find((r) => r.name === 'codex.thread.skills.description_truncated_chars')!;
    const bounds = point(frac).explicit_bounds as number[];
    expect(bounds).toHaveLength(511);
    expect(bounds.slice(0, 3)).toEqual([0, 1, 1.0234203467988563]);
    expect(bounds.at(-1)).toBe(131072);
  });

  it('cumulative exports land one row per exported point; repeated exports are separate rows', () => {
    const cumulative = rowsOf('main.agent_telemetry.sdk_cumulative_otel_metrics');
    expect(cumulative).toHaveLength(4 * 25);
    const counter = cumulative.filter((r) => r.name === 'synth.other_scope.counter').map(point);
    expect(counter).toHaveLength(4);
    expect(new Set(counter.map((p) => p.start_time_unix_nano)).size).toBe(1);
    expect(new Set(counter.map((p) => p.time_unix_nano)).size).toBe(4);
    expect(rowsOf('main.agent_telemetry.sdk_delta_otel_metrics')).toHaveLength(25 + 11 + 8 + 8);

    const claude = table('main.agent_telemetry.claude_otel_metrics').rowsByRun.get('claude-code/proto-cumulative')!;
    const sessions = claude.filter((r) => r.name === 'claude_code.session.count').map(point);
    expect(sessions).toHaveLength(2);
    expect(sessions.every((p) => p.aggregation_temporality === 'AGGREGATION_TEMPORALITY_CUMULATIVE')).toBe(true);
    expect(sessions[0]!.start_time_unix_nano).toBe(sessions[1]!.start_time_unix_nano);
    expect(sessions[0]!.time_unix_nano).not.toBe(sessions[1]!.time_unix_nano);
  });

  it('the JS SDK capture covers every metric type it can produce, each in its own struct column', () => {
    const rows = rowsOf('main.agent_telemetry.sdk_cumulative_otel_metrics');
    expect(new Set(rows.map((r) => r.metric_type))).toEqual(new Set(['sum', 'gauge', 'histogram', 'exponential_histogram']));
    for (const r of rows) {
      for (const col of ['gauge', 'sum', 'histogram', 'exponential_histogram', 'summary']) {
        if (col === r.metric_type) expect(r[col]).not.toBeNull();
        else expect(r[col]).toBeNull();
      }
    }
    const exp = rows.filter((r) => r.name === 'synth.exp_histogram').map(point);
    expect(exp.find((p) => attrs(p.attributes).get('kind') === 'zero')).toMatchObject({
      count: 3n, zero_count: 3n, scale: 0, sum: 0, min: 0, max: 0,
      positive_bucket: { offset: 0, bucket_counts: [] }, negative_bucket: { offset: 0, bucket_counts: [] },
    });
    const pos = exp.find((p) => attrs(p.attributes).get('kind') === 'pos')!;
    expect(pos).toMatchObject({ count: 6n, scale: 4, sum: 3712.5, min: 1.5, max: 1234.5, aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE' });
    expect((pos.positive_bucket as Row).offset).toBe(9);
    const ints = rows.filter((r) => r.name === 'synth.gauge.int').map(point);
    expect(ints.every((p) => typeof p.value === 'number')).toBe(true);
    const unversioned = rows.find((r) => r.name === 'synth.other_scope.counter')!;
    expect(unversioned.instrumentation_scope).toEqual({ name: 'synth.meter.unversioned', version: '', attributes: new Map(), dropped_attributes_count: 0 });
  });

  it('the JS SDK capture renders every AnyValue kind per docs/docs/mapping.md rule 7 and 8', () => {
    const metric = rowsOf('main.agent_telemetry.sdk_cumulative_otel_metrics').find(
      (r) => r.name === 'synth.counter.double' && attrs(point(r).attributes).has('attr.string'),
    )!;
    expect(Object.fromEntries(attrs(point(metric).attributes))).toMatchObject({
      'attr.string': 's0', 'attr.int': '0', 'attr.double': '0.5', 'attr.bool': 'true',
      'attr.string_array': '["x","y"]', 'attr.int_array': '[0,1]', 'attr.double_array': '[0.5,1.5]', 'attr.bool_array': '[true,false]',
    });
    expect(Object.fromEntries(attrs((metric.resource as Row).attributes))).toMatchObject({
      'res.int': '42', 'res.double': '3.25', 'res.bool': 'true', 'res.string_array': '["a","b"]', 'res.int_array': '[1,2,3]',
    });

    const logs = rowsOf('main.agent_telemetry.sdk_otel_logs');
    const byEvent = (e: string) => logs.find((r) => r.event_name === e)!;
    const first = byEvent('synth.event.string_body');
    expect(Object.fromEntries(attrs(first.attributes))).toEqual({
      'a.string': 'hello', 'a.int': '123', 'a.double': '1.25', 'a.bool': 'false', 'a.string_array': '["p","q"]',
      'a.mixed_array': '[1,"two",true,3.5]', 'a.kvlist': '{"nested":{"deeper":"yes","n":1},"list":[1,2]}',
      'a.bytes': '3q2+7w==', 'a.empty_string': '', 'a.null': null,
    });
    expect(first).toMatchObject({
      body: 'plain string body', severity_number: 'SEVERITY_NUMBER_INFO', severity_text: 'INFO', flags: 1,
      trace_id: '5b8efff798038103d269b633813fc60c', span_id: 'eee19b7ec3c1b174', log_schema_url: 'https://opentelemetry.io/schemas/1.26.0',
    });
    expect(first.instrumentation_scope).toEqual({
      name: 'synth.logger', version: '0.2.0', attributes: new Map([['scope.attr.string', 'x'], ['scope.attr.int', '7']]), dropped_attributes_count: 0,
    });
    expect(byEvent('synth.event.map_body').body).toBe('{"message":"structured","count":3,"ratio":0.5,"ok":true,"tags":["a","b"],"inner":{"k":"v"},"raw":"AQID"}');
    expect(byEvent('synth.event.no_body').body).toBeNull();
    const bodies = logs.filter((r) => r.event_name === '').map((r) => [r.body, r.severity_number]);
    expect(bodies).toEqual(expect.arrayContaining([
      ['["array","body",42]', 'SEVERITY_NUMBER_ERROR'], ['42', 'SEVERITY_NUMBER_DEBUG2'], ['2.5', 'SEVERITY_NUMBER_FATAL'],
      ['true', 'SEVERITY_NUMBER_UNSPECIFIED'], ['yv4=', 'SEVERITY_NUMBER_UNSPECIFIED'], ['from second logger (no version)', 'SEVERITY_NUMBER_UNSPECIFIED'],
    ]));
  });

  it('Gemini spans land with hex ids, enum names and their status, resource and scope', () => {
    const spans = rowsOf('main.agent_telemetry.gemini_otel_spans');
    expect(spans).toHaveLength(2);
    for (const s of spans) {
      expect(s.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(s.span_id).toMatch(/^[0-9a-f]{16}$/);
      expect(s.kind).toBe('SPAN_KIND_INTERNAL');
      expect(s.end_time_unix_nano as bigint).toBeGreaterThan(s.start_time_unix_nano as bigint);
      expect(s.events).toEqual([]);
      expect(s.instrumentation_scope).toMatchObject({ name: 'gemini-cli', version: 'v1' });
      expect(attrs((s.resource as Row).attributes).get('process.command_args')).toMatch(/^\["\/usr\/bin\/node",/);
    }
    expect(spans.map((s) => (s.status as Row | null)?.code)).toEqual(expect.arrayContaining(['STATUS_CODE_OK']));
  });
});
