// Each kind of privacy rule on the recorded real-client requests, as rendered
// rows: what is dropped, pseudonymized, masked or left out, the per-row change
// count, and the same rows from a render worker as from the event loop.
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest } from '../../src/ingest/encode.ts';
import { RenderPool } from '../../src/ingest/render-pool.ts';
import { REDACTED_ATTRIBUTE } from '../../src/policy/privacy-apply.ts';
import type { PrivacySection } from '../../src/policy/privacy-config.ts';
import { createPrivacyRules } from '../../src/policy/privacy-rules.ts';
import type { PrivacyPlan } from '../../src/policy/types.ts';
import type { Signal } from '../../src/otlp/types.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { DEFAULT_CAPS, type RenderResult } from '../../src/tables/render/job.ts';
import { loadCaptures, type Capture } from '../support/fixtures.ts';
import { section } from './support.ts';

type Row = { attributes: Record<string, string>; body: string | null; resource: { attributes: Record<string, string> }; [k: string]: unknown };

const KEY_A = 'a'.repeat(32);
const KEY_B = 'b'.repeat(32);
const dir = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-privacy-apply-'));
writeFileSync(path.join(dir, 'a.key'), KEY_A);
writeFileSync(path.join(dir, 'b.key'), KEY_B);

const captures = loadCaptures();
const capture = (id: string): Capture => captures.find((c) => c.id === id) ?? (() => { throw new Error(`no capture ${id}`); })();
const encodingOf = (c: Capture) => (/json/.test(c.headers['content-type'] ?? '') ? 'json' : 'protobuf') as 'json' | 'protobuf';

const planOf = (s: PrivacySection, signal: Signal, table = 'main.agent_telemetry.t'): PrivacyPlan | undefined =>
  createPrivacyRules(() => s).planFor({ principal: undefined, signal, table: parseTableName(table) });

function render(signal: Signal, encoding: 'json' | 'protobuf', body: Uint8Array, privacy: PrivacyPlan | undefined): RenderResult {
  const r = encodeRequest({ signal, encoding, body, privacy }, { ...DEFAULT_CAPS, sliceMs: Infinity });
  if (r instanceof Promise) throw new Error('sliced');
  return r;
}

const rowsOf = (r: RenderResult): Row[] => (r.ndjson?.toString('utf8') ?? '').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
const renderCapture = (c: Capture, s: PrivacySection) => render(c.signal, encodingOf(c), c.body, planOf(s, c.signal));

const pseudonym = (key: string, value: string) => `ps_${createHmac('sha256', key).update(value).digest('hex').slice(0, 32)}`;

let pool: RenderPool;
beforeAll(() => {
  pool = RenderPool.start(1, () => {});
});
afterAll(async () => {
  await pool?.close();
});

describe('drop (Gemini CLI preset on its recorded logs)', () => {
  const gemini = capture('gemini-cli/http-basic/0004');
  it('removes the prompt, the raw API bodies and the command line, and counts the changes per row', () => {
    expect(gemini.body.toString()).toContain('say hi');
    const r = renderCapture(gemini, section({ rules: [{ preset: 'gemini-cli' }] }));
    const text = r.ndjson!.toString();
    expect(text).not.toContain('say hi');
    for (const k of ['"prompt"', '"request_text"', '"response_text"', '"process.command_args"']) expect(text).not.toContain(k);
    const rows = rowsOf(r);
    expect(rows).toHaveLength(14);
    const prompt = rows.find((x) => x.attributes['event.name'] === 'gemini_cli.user_prompt')!;
    // process.command_args on the resource, and prompt on the record.
    expect(prompt.attributes[REDACTED_ATTRIBUTE]).toBe('2');
    // Untouched values stay as sent, integers included.
    expect(prompt.attributes.prompt_length).toBe('6');
    expect(prompt.resource.attributes['process.pid']).toBe('11411');
    expect(rows.every((x) => Number(x.attributes[REDACTED_ATTRIBUTE]) >= 1)).toBe(true);
    expect(r.privacyChanges).toEqual({ dropped: 10, pseudonymized: 0, masked: 0, disallowed: 0 });
  });

  it('leaves other agents and other tables alone, and writes no count where nothing changed', () => {
    const claude = capture('claude-code/json-basic/0003');
    const s = section({ rules: [{ preset: 'gemini-cli' }, { tables: ['main.other.*'], drop: ['prompt'] }] });
    const r = renderCapture(claude, s);
    expect(r.ndjson!.equals(render('logs', 'json', claude.body, undefined).ndjson!)).toBe(true);
    expect(rowsOf(r).some((x) => REDACTED_ATTRIBUTE in x.attributes)).toBe(false);
    expect(planOf(section({ rules: [{ tables: ['main.other.*'], drop: ['prompt'] }] }), 'logs')).toBeUndefined();
  });

  it('drops or blanks log bodies, and removes a count the sender made up', () => {
    const body = Buffer.from(JSON.stringify({
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'User prompt: fire Bob' }, attributes: [{ key: REDACTED_ATTRIBUTE, value: { intValue: '99' } }] }] }] }],
    }));
    const dropped = rowsOf(render('logs', 'json', body, planOf(section({ rules: [{ body: 'drop' }] }), 'logs')))[0]!;
    expect([dropped.body, dropped.attributes]).toEqual([null, { [REDACTED_ATTRIBUTE]: '1' }]);
    const blank = rowsOf(render('logs', 'json', body, planOf(section({ rules: [{ body: 'blank' }] }), 'logs')))[0]!;
    expect(blank.body).toBe('');
    const kept = rowsOf(render('logs', 'json', body, planOf(section({ rules: [{ drop: ['x'] }] }), 'logs')))[0]!;
    expect([kept.body, kept.attributes]).toEqual(['User prompt: fire Bob', {}]);
  });
});

describe('pseudonymize', () => {
  const claude = capture('claude-code/json-basic/0003');
  const userId = 'be8aea4ed76067c766b9fcc5245f4032a7911a2285b62c236eeb1327a7e5b2d5';
  const withKey = (file: string) => section({ pseudonym_key_file: file, rules: [{ agents: ['claude-code'], pseudonymize: ['user.id', 'event.sequence'] }] }, dir);

  it('replaces values by their keyed HMAC: the same per key, different across keys', () => {
    const a = rowsOf(renderCapture(claude, withKey('a.key')));
    expect(a.map((x) => x.attributes['user.id'])).toEqual([pseudonym(KEY_A, userId), pseudonym(KEY_A, userId), pseudonym(KEY_A, userId)]);
    // An int value is pseudonymized by its exact text.
    expect(a[0]!.attributes['event.sequence']).toBe(pseudonym(KEY_A, '0'));
    expect(a[0]!.attributes[REDACTED_ATTRIBUTE]).toBe('2');
    const again = rowsOf(renderCapture(claude, withKey('a.key')));
    expect(again[0]!.attributes['user.id']).toBe(a[0]!.attributes['user.id']);
    const b = rowsOf(renderCapture(claude, withKey('b.key')));
    expect(b[0]!.attributes['user.id']).toBe(pseudonym(KEY_B, userId));
    expect(b[0]!.attributes['user.id']).not.toBe(a[0]!.attributes['user.id']);
  });
});

describe('mask', () => {
  const AWS = 'AKIAIOSFODNN7EXAMPLE';
  const GH = `ghp_${'x1'.repeat(18)}`;
  const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl';
  const DAPI = `dapi${'0123456789abcdef'.repeat(2)}`;
  const body = Buffer.from(JSON.stringify({
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] },
      scopeLogs: [{ logRecords: [
        { body: { stringValue: `export AWS_ACCESS_KEY_ID=${AWS}; call corp-7.example` }, attributes: [{ key: 'tool_parameters', value: { stringValue: `{"bash_command":"curl -H 'Authorization: Bearer ${DAPI}'"}` } }] },
        {
          body: { kvlistValue: { values: [{ key: 'args', value: { arrayValue: { values: [{ stringValue: 'push' }, { stringValue: GH }] } } }] } },
          attributes: [
            { key: 'nested', value: { kvlistValue: { values: [{ key: 'auth', value: { stringValue: `token ${JWT}` } }, { key: 'n', value: { intValue: '9007199254740993' } }] } } },
            { key: 'count', value: { intValue: '9223372036854775807' } },
          ],
        },
      ] }],
    }],
  }));
  const s = section({ rules: [{ mask: ['secrets', { pattern: 'corp-[0-9]+\\.example', replacement: '[host]' }] }] });

  it('masks string bodies and attribute values, nested arrays and kvlists too, and keeps int64 exact', () => {
    const r = render('logs', 'json', body, planOf(s, 'logs'));
    const text = r.ndjson!.toString();
    for (const secret of [AWS, GH, JWT, DAPI, 'corp-7.example']) expect(text).not.toContain(secret);
    const [first, second] = rowsOf(r);
    expect(first!.body).toBe('export AWS_ACCESS_KEY_ID=[redacted:aws-access-key]; call [host]');
    expect(first!.attributes.tool_parameters).toBe(`{"bash_command":"curl -H 'Authorization: Bearer [redacted:databricks-token]'"}`);
    expect(first!.attributes[REDACTED_ATTRIBUTE]).toBe('2');
    expect(second!.body).toBe('{"args":["push","[redacted:github-token]"]}');
    // Past 2^53 an int stays exact as a JSON string, as without masks.
    expect(second!.attributes.nested).toBe('{"auth":"token [redacted:jwt]","n":"9007199254740993"}');
    expect(second!.attributes.count).toBe('9223372036854775807');
    expect(r.privacyChanges).toEqual({ dropped: 0, pseudonymized: 0, masked: 4, disallowed: 0 });
  });

  it('a render worker writes the same rows and counts as the event loop', async () => {
    for (const [signal, encoding, b, plan] of [
      ['logs', 'json', body, planOf(s, 'logs')],
      ...captures.filter((c) => !c.headers['content-encoding']).map((c) => [c.signal, encodingOf(c), c.body, planOf(section({ rules: [{ preset: 'gemini-cli' }, { preset: 'claude-code' }, { preset: 'codex' }, { mask: ['secrets', 'email'] }] }), c.signal)] as const),
    ] as const) {
      const here = render(signal, encoding, b, plan);
      const there = await pool.render({ signal, encoding, body: b, privacy: plan });
      expect(there.ndjson?.equals(here.ndjson!)).toBe(true);
      expect(there.privacyChanges).toEqual(here.privacyChanges);
    }
  });
});

describe('allow-list mode', () => {
  it('keeps only the listed keys, service.name and event.name at every level, and drops bodies', () => {
    const codex = capture('codex/json-basic/0005');
    const r = renderCapture(codex, section({ rules: [{ agents: ['codex'], allow: ['model', 'conversation.id'] }] }));
    const rows = rowsOf(r);
    expect(rows.length).toBeGreaterThan(3);
    for (const row of rows) {
      expect(Object.keys(row.attributes).every((k) => ['model', 'conversation.id', 'event.name', REDACTED_ATTRIBUTE].includes(k)), JSON.stringify(row.attributes)).toBe(true);
      expect(Object.keys(row.resource.attributes)).toEqual(['service.name']);
      expect(row.body).toBeNull();
    }
    expect(rows.some((x) => x.attributes.model === 'gpt-5.1-codex')).toBe(true);
    expect(r.privacyChanges!.disallowed).toBeGreaterThan(10);
    expect(r.ndjson!.toString()).not.toContain('say hi');
  });

  it('counts on metric points, keeps their exact values, and leaves series apart', () => {
    const claude = capture('claude-code/json-basic/0004');
    const point = (x: Row) => (x.sum ?? x.gauge ?? x.histogram) as { value?: number; sum?: number; attributes: Record<string, string> };
    const rows = rowsOf(renderCapture(claude, section({ rules: [{ allow: ['type', 'model'] }] })));
    const plain = rowsOf(render('metrics', 'json', claude.body, undefined));
    expect(rows.map((x) => [x.name, point(x).value ?? point(x).sum, point(x).attributes.type])).toEqual(plain.map((x) => [x.name, point(x).value ?? point(x).sum, point(x).attributes.type]));
    // Every point lost user.id, session.id and terminal.type plus three resource keys.
    for (const row of rows) expect(Number(point(row).attributes[REDACTED_ATTRIBUTE])).toBeGreaterThanOrEqual(6);
    expect(rows.every((x) => !('session.id' in point(x).attributes) && !('user.id' in point(x).attributes))).toBe(true);
    // Points that differed by the kept keys stay apart: the count is the same within a series.
    const series = (xs: Row[], f: (x: Row) => unknown) => new Set(xs.map((x) => `${String(x.name)} ${JSON.stringify(f(x))}`)).size;
    expect(series(rows, (x) => point(x).attributes)).toBe(series(plain, (x) => [point(x).attributes.type, point(x).attributes.model]));
  });
});

describe('spans', () => {
  it('drops and masks span, event and link attributes, and counts them on the span row', () => {
    const body = Buffer.from(JSON.stringify({
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'gemini-cli' } }, { key: 'user.email', value: { stringValue: 'ann@example.com' } }] },
        scopeSpans: [{ spans: [{
          traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'tool_call', startTimeUnixNano: '1', endTimeUnixNano: '2',
          attributes: [{ key: 'function_args', value: { stringValue: '{"path":"/home/ann/notes.txt"}' } }, { key: 'gen_ai.usage.input_tokens', value: { intValue: '12' } }],
          events: [{ name: 'call', timeUnixNano: '1', attributes: [{ key: 'prompt', value: { stringValue: 'say hi' } }, { key: 'note', value: { stringValue: 'AKIAIOSFODNN7EXAMPLE' } }] }],
          links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203332', attributes: [{ key: 'gen_ai.input.messages', value: { stringValue: 'say hi' } }] }],
        }] }],
      }],
    }));
    const r = render('traces', 'json', body, planOf(section({ rules: [{ preset: 'gemini-cli', mask: ['aws-access-key'] }] }), 'traces'));
    const text = r.ndjson!.toString();
    for (const secret of ['say hi', 'notes.txt', 'ann@example.com', 'AKIAIOSFODNN7EXAMPLE']) expect(text).not.toContain(secret);
    const [span] = rowsOf(r);
    // user.email (no key: dropped), function_args, the event's prompt and note, the link's messages.
    expect(span!.attributes).toEqual({ 'gen_ai.usage.input_tokens': '12', [REDACTED_ATTRIBUTE]: '5' });
    expect(r.privacyChanges).toEqual({ dropped: 4, pseudonymized: 0, masked: 1, disallowed: 0 });
  });
});

describe('metric points', () => {
  it('drops exemplar attributes without counting them on the point, and leaves the values alone', () => {
    const point = (prompt: string | undefined) => ({
      startTimeUnixNano: '1', timeUnixNano: '2', asInt: '9223372036854775807',
      attributes: [{ key: 'type', value: { stringValue: 'input' } }, { key: 'prompt', value: { stringValue: 'say hi' } }],
      exemplars: prompt === undefined ? [] : [{ timeUnixNano: '2', asInt: '1', filteredAttributes: [{ key: 'prompt', value: { stringValue: prompt } }] }],
    });
    const body = Buffer.from(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [point('exemplar prompt'), point(undefined)] } }] }] }] }));
    const r = render('metrics', 'json', body, planOf(section({ rules: [{ drop: ['prompt'] }] }), 'metrics'));
    expect(r.ndjson!.toString()).not.toContain('prompt');
    const sums = rowsOf(r).map((x) => x.sum as { value: unknown; attributes: Record<string, string> });
    expect(sums.map((x) => x.attributes)).toEqual([{ type: 'input', [REDACTED_ATTRIBUTE]: '1' }, { type: 'input', [REDACTED_ATTRIBUTE]: '1' }]);
    // The points' values are as rendered without rules.
    const plain = rowsOf(render('metrics', 'json', body, undefined)).map((x) => (x.sum as { value: unknown }).value);
    expect(sums.map((x) => x.value)).toEqual(plain);
    expect(r.privacyChanges!.dropped).toBe(3);
  });
});
