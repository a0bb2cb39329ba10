// Which oneof member counts when a sender sets several. Decoding protobuf
// keeps the last one on the wire (setting a member clears the others); a JSON
// request is rendered from the decoded object, whose members the reference
// probes in field-number order, so there the first set one wins, and staging
// writes the members in that order.
import { describe, it } from 'vitest';
import { harnesses } from './differential.ts';
import { int, kv, str } from './merged-setup.ts';
import { cat, enc, field } from './wire-split.ts';

const h = harnesses('columnar-merged-');
const json = (o: object) => ({ json: Buffer.from(JSON.stringify(o)) });

describe('a oneof with several members set', () => {
  it('AnyValue: protobuf keeps the last member on the wire, JSON the first in field order', async () => {
    const anyValue = (o: object) => enc('common.v1.AnyValue', o);
    const body = (...members: Uint8Array[]) => field(1, field(2, field(2, field(5, ...members))));
    await h.logs.expectSame([body(anyValue(str('s')), anyValue(int(5))), body(anyValue(int(5)), anyValue(str('s'))), body(anyValue({ boolValue: true }), anyValue({ bytesValue: 'AQ==' }))]);
    const attrs = [kv('a', { stringValue: 's', intValue: '5' }), kv('b', { doubleValue: 1.5, boolValue: true, arrayValue: { values: [] } })];
    await h.logs.expectSame([json({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { intValue: '1', kvlistValue: { values: [] } }, attributes: attrs }] }] }] })]);
  });

  it('Metric data: protobuf keeps the last member on the wire, JSON the first in field order', async () => {
    const metric = { name: 'm', gauge: { dataPoints: [{ asInt: '1' }] }, sum: { dataPoints: [{ asInt: '2' }, { asInt: '3' }] } };
    await h.metrics.expectSame([json({ resourceMetrics: [{ scopeMetrics: [{ metrics: [metric, { name: 'n', histogram: { dataPoints: [{}] }, summary: { dataPoints: [{}] } }] }] }] })]);
    const wire = cat(enc('metrics.v1.Metric', { name: 'm' }), field(7, enc('metrics.v1.Sum', { dataPoints: [{ asInt: 2 }] })), field(5, enc('metrics.v1.Gauge', { dataPoints: [{ asInt: 1 }] })));
    await h.metrics.expectSame([field(1, field(2, field(2, wire)))]);
  });

  it('a number point or exemplar value: protobuf keeps the last, JSON as_double before as_int', async () => {
    const exemplars = [{ asDouble: 2.5, asInt: '7' }];
    const metric = { name: 'g', gauge: { dataPoints: [{ asDouble: 1.5, asInt: '9', exemplars }] } };
    await h.metrics.expectSame([json({ resourceMetrics: [{ scopeMetrics: [{ metrics: [metric] }] }] })]);
    const point = cat(enc('metrics.v1.NumberDataPoint', { asInt: 9 }), enc('metrics.v1.NumberDataPoint', { asDouble: 1.5 }));
    await h.metrics.expectSame([field(1, field(2, field(2, enc('metrics.v1.Metric', { name: 'g' }), field(5, field(1, point)))))]);
  });
});
