// A singular embedded-message field sent more than once is one message to
// protobuf: the occurrences' payloads read as if concatenated (scalars: the
// last wins; lists: appended; messages: merged in turn). The columnar path
// must read such bodies as the reference does; each split body here is also
// shown to mean, to the reference, what its unsplit form means.
import { describe, expect, it } from 'vitest';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import type { Signal } from '../../src/otlp/types.ts';
import { harnesses } from './differential.ts';
import { expectSameMeaning, int, kv, referenceOf, str } from './merged-setup.ts';
import { rng } from './random-logs.ts';
import { randomMetricsRequest } from './random-metrics.ts';
import { randomLogsRequest } from './random-logs.ts';
import { randomSpansRequest } from './random-spans.ts';
import { cat, enc, field, splitSingulars } from './wire-split.ts';

const h = harnesses('columnar-merged-');

const resource = (o: object) => enc('resource.v1.Resource', o);
const scope = (o: object) => enc('common.v1.InstrumentationScope', o);
const record = (o: object) => enc('logs.v1.LogRecord', o);
const anyValue = (o: object) => enc('common.v1.AnyValue', o);
const keyValue = (o: object) => enc('common.v1.KeyValue', o);
const array = (...values: object[]) => enc('common.v1.ArrayValue', { values });
const kvlist = (...values: object[]) => enc('common.v1.KeyValueList', { values });

/** An ExportLogsServiceRequest with one resource and one scope, each given as the occurrences listed. */
function logsRequest(resources: Uint8Array[], scopes: Uint8Array[], records: Uint8Array[]): Uint8Array {
  const scopeLogs = field(2, ...scopes.map((s) => field(1, s)), ...records.map((r) => field(2, r)));
  return field(1, ...resources.map((r) => field(1, r)), scopeLogs);
}

const wholeLogs = (resource: object | undefined, scope: object | undefined, logRecords: object[]) =>
  h.logs.protoOf({ resourceLogs: [{ resource, scopeLogs: [{ scope, logRecords }] }] });

/** Both checks on one hand-built logs body. */
async function expectLogs(split: Uint8Array, whole: Uint8Array): Promise<string> {
  expectSameMeaning('logs', split, whole);
  await h.logs.expectSame([split]);
  return referenceOf('logs', split).ndjson;
}

describe('a singular message field sent more than once is read merged', () => {
  it('Resource: attributes appended, scalars last', async () => {
    const a = kv('a', str('1'));
    const b = kv('b', str('2'));
    const split = logsRequest([resource({ attributes: [a], droppedAttributesCount: 7 }), resource({ attributes: [b], droppedAttributesCount: 3 })], [], [record({ eventName: 'e' })]);
    const text = await expectLogs(split, wholeLogs({ attributes: [a, b], droppedAttributesCount: 3 }, undefined, [{ eventName: 'e' }]));
    expect(text).toContain('"dropped_attributes_count":3');
  });

  it('Resource: a key repeated across the occurrences rejects every record', async () => {
    const split = logsRequest([resource({ attributes: [kv('a', str('1'))] }), resource({ attributes: [kv('a', str('2'))] })], [], [record({}), record({})]);
    await expectLogs(split, wholeLogs({ attributes: [kv('a', str('1')), kv('a', str('2'))] }, undefined, [{}, {}]));
    expect(referenceOf('logs', split).rejected).toBe(2);
  });

  it('InstrumentationScope: {name} then {version} is {name, version}; a key repeated across them rejects', async () => {
    const text = await expectLogs(logsRequest([], [scope({ name: 'n' }), scope({ version: 'v' })], [record({})]), wholeLogs(undefined, { name: 'n', version: 'v' }, [{}]));
    expect(text).toContain('"instrumentation_scope":{"name":"n","version":"v"');
    const k = kv('k', int(1));
    const split = logsRequest([], [scope({ attributes: [k] }), scope({ attributes: [k] })], [record({}), record({}), record({})]);
    await expectLogs(split, wholeLogs(undefined, { attributes: [k, k] }, [{}, {}, {}]));
    expect(referenceOf('logs', split).rejected).toBe(3);
  });

  it('KeyValue.value: two arrayValue occurrences are one array', async () => {
    const attr = cat(keyValue({ key: 'k' }), field(2, anyValue({ arrayValue: { values: [int(1)] } })), field(2, anyValue({ arrayValue: { values: [int(2)] } })));
    const whole = wholeLogs(undefined, undefined, [{ attributes: [kv('k', { arrayValue: { values: [int(1), int(2)] } })] }]);
    const text = await expectLogs(logsRequest([], [], [field(6, attr)]), whole);
    expect(text).toContain('"attributes":{"k":"[1,2]"}');
  });

  it('KeyValue.value: a key-value list split in two, and one repeating a key across the halves', async () => {
    const value = (k: string) => field(2, anyValue({ kvlistValue: { values: [kv(k, str(k))] } }));
    const good = cat(keyValue({ key: 'k' }), value('a'), value('b'));
    const bad = cat(keyValue({ key: 'j' }), value('a'), value('a'));
    const whole = (...keys: string[]) => ({ attributes: [kv('k', { kvlistValue: { values: keys.map((x) => kv(x, str(x))) } })] });
    await expectLogs(logsRequest([], [], [field(6, good), record({ eventName: 'x' })]), wholeLogs(undefined, undefined, [whole('a', 'b'), { eventName: 'x' }]));
    const split = logsRequest([], [], [cat(field(6, bad))]);
    await expectLogs(split, h.logs.protoOf({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ attributes: [kv('j', { kvlistValue: { values: [kv('a', str('a')), kv('a', str('a'))] } })] }] }] }] }));
    expect(referenceOf('logs', split).rejected).toBe(1);
  });

  it('AnyValue: an array or key-value list member sent twice in a row is merged', async () => {
    const body = (...members: Uint8Array[]) => logsRequest([], [], [field(5, ...members)]);
    await expectLogs(body(field(5, array(int(1))), field(5, array(str('x'), int(2)))), wholeLogs(undefined, undefined, [{ body: { arrayValue: { values: [int(1), str('x'), int(2)] } } }]));
    await expectLogs(
      body(field(6, kvlist(kv('a', int(1)))), field(6, kvlist(kv('b', int(2))))),
      wholeLogs(undefined, undefined, [{ body: { kvlistValue: { values: [kv('a', int(1)), kv('b', int(2))] } } }]),
    );
    const dup = body(field(6, kvlist(kv('a', int(1)))), field(6, kvlist(kv('a', int(2)))));
    await expectLogs(dup, wholeLogs(undefined, undefined, [{ body: { kvlistValue: { values: [kv('a', int(1)), kv('a', int(2))] } } }]));
    expect(referenceOf('logs', dup).rejected).toBe(1);
  });

  it('AnyValue: another member in between clears the earlier occurrences, and the last member wins', async () => {
    const body = (...members: Uint8Array[]) => logsRequest([], [], [field(5, ...members)]);
    const between = body(field(5, array(int(1))), anyValue(str('x')), field(5, array(int(2))));
    await expectLogs(between, wholeLogs(undefined, undefined, [{ body: { arrayValue: { values: [int(2)] } } }]));
    await expectLogs(body(anyValue(str('x')), anyValue(int(5))), wholeLogs(undefined, undefined, [{ body: int(5) }]));
    await expectLogs(body(field(6, kvlist(kv('a', int(1)), kv('a', int(1)))), anyValue(str('y'))), wholeLogs(undefined, undefined, [{ body: str('y') }]));
  });

  it('LogRecord.body sent twice, with another field between, is one value', async () => {
    const rec = cat(field(5, anyValue({ kvlistValue: { values: [kv('a', int(1))] } })), field(6, keyValue(kv('k', str('v')))), field(5, anyValue({ kvlistValue: { values: [kv('b', int(2))] } })));
    const whole = wholeLogs(undefined, undefined, [{ body: { kvlistValue: { values: [kv('a', int(1)), kv('b', int(2))] } }, attributes: [kv('k', str('v'))] }]);
    const text = await expectLogs(logsRequest([], [], [rec]), whole);
    expect(text).toContain('"body":"{\\"a\\":1,\\"b\\":2}"');
  });

  it('a key-value list entry whose value comes twice: the earlier one alone would reject, the merged one does not', async () => {
    const entry = cat(keyValue({ key: 'k' }), field(2, anyValue({ kvlistValue: { values: [kv('a', int(1)), kv('a', int(2))] } })), field(2, anyValue(str('s'))));
    const split = logsRequest([], [], [field(5, field(6, field(1, entry)))]);
    await expectLogs(split, wholeLogs(undefined, undefined, [{ body: { kvlistValue: { values: [kv('k', str('s'))] } } }]));
    expect(referenceOf('logs', split).rejected).toBe(0);
  });
});

const GENERATORS: { signal: Signal; make: (r: () => number) => object; seed: number }[] = [
  { signal: 'logs', make: randomLogsRequest, seed: 20270101 },
  { signal: 'metrics', make: randomMetricsRequest, seed: 20270102 },
  { signal: 'traces', make: randomSpansRequest, seed: 20270103 },
];

describe('random requests with their singular message fields split', () => {
  for (const g of GENERATORS) {
    it(`${g.signal}: 120 requests, 30 per file`, async () => {
      const r = rng(g.seed);
      const type = SIGNAL_TYPES[g.signal].request;
      let changed = 0;
      let rows = 0;
      for (let f = 0; f < 4; f++) {
        const bodies = Array.from({ length: 30 }, () => {
          const whole = h[g.signal].protoOf(g.make(r));
          const split = splitSingulars(type, whole, r);
          expectSameMeaning(g.signal, split, whole);
          if (split.length !== whole.length) changed++;
          return split;
        });
        rows += await h[g.signal].expectSame(bodies);
      }
      expect(changed).toBeGreaterThan(100);
      expect(rows).toBeGreaterThan(300);
    });
  }
});
