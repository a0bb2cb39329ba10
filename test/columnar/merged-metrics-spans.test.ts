// Singular message fields of metrics and spans sent more than once: read as
// the one message decoding merges them into (see merged-fields.test.ts).
import { describe, expect, it } from 'vitest';
import { harnesses } from './differential.ts';
import { expectSameMeaning, int, kv, referenceOf, str } from './merged-setup.ts';
import { cat, enc, field } from './wire-split.ts';

const h = harnesses('columnar-merged-');

const m = (type: string) => (o: object) => enc(`metrics.v1.${type}`, o);
const metricOf = m('Metric');
const gauge = m('Gauge');
const sum = m('Sum');
const histogram = m('Histogram');
const expHistogram = m('ExponentialHistogram');
const summary = m('Summary');
const expPoint = m('ExponentialHistogramDataPoint');
const buckets = m('ExponentialHistogramDataPoint.Buckets');
const resource = (o: object) => enc('resource.v1.Resource', o);
const scope = (o: object) => enc('common.v1.InstrumentationScope', o);
const keyValue = (o: object) => enc('common.v1.KeyValue', o);
const anyValue = (o: object) => enc('common.v1.AnyValue', o);

/** A request with one resource and one scope (each as the occurrences listed) holding `items` (metrics or spans). */
function request(resources: Uint8Array[], scopes: Uint8Array[], items: Uint8Array[]): Uint8Array {
  return field(1, ...resources.map((r) => field(1, r)), field(2, ...scopes.map((s) => field(1, s)), ...items.map((x) => field(2, x))));
}

async function expectMetrics(split: Uint8Array, metrics: object[], res?: object, sc?: object): Promise<void> {
  expectSameMeaning('metrics', split, h.metrics.protoOf({ resourceMetrics: [{ resource: res, scopeMetrics: [{ scope: sc, metrics }] }] }));
  await h.metrics.expectSame([split]);
}

async function expectSpans(split: Uint8Array, spans: object[], res?: object, sc?: object): Promise<void> {
  expectSameMeaning('traces', split, h.traces.protoOf({ resourceSpans: [{ resource: res, scopeSpans: [{ scope: sc, spans }] }] }));
  await h.traces.expectSame([split]);
}

const points = (...xs: number[]) => xs.map((x) => ({ asInt: x }));

describe('metrics: a singular message field sent more than once is read merged', () => {
  it('Metric.gauge and Metric.sum sent twice: points appended, temporality and monotonicity from either', async () => {
    const g = cat(metricOf({ name: 'g' }), field(5, gauge({ dataPoints: points(1) })), field(5, gauge({ dataPoints: points(2, 3) })));
    const s = cat(metricOf({ name: 's' }), field(7, sum({ dataPoints: points(4), aggregationTemporality: 2 })), field(7, sum({ isMonotonic: true, dataPoints: points(5) })));
    await expectMetrics(request([], [], [g, s]), [
      { name: 'g', gauge: { dataPoints: points(1, 2, 3) } },
      { name: 's', sum: { dataPoints: points(4, 5), aggregationTemporality: 2, isMonotonic: true } },
    ]);
  });

  it('histogram, exponential histogram and summary sent twice, with other fields between', async () => {
    const hist = cat(field(9, histogram({ dataPoints: [{ count: 1 }] })), metricOf({ name: 'h', unit: 'ms' }), field(9, histogram({ aggregationTemporality: 1, dataPoints: [{ count: 2 }] })));
    const exp = cat(metricOf({ name: 'e' }), field(10, expHistogram({ dataPoints: [{ count: 1 }] })), field(10, expHistogram({ aggregationTemporality: 2, dataPoints: [{ count: 2 }] })));
    const summ = cat(field(11, summary({ dataPoints: [{ count: 1 }] })), field(11, summary({ dataPoints: [{ count: 2, quantileValues: [{ quantile: 0.5, value: 1 }] }] })));
    await expectMetrics(request([], [], [hist, exp, summ]), [
      { name: 'h', unit: 'ms', histogram: { aggregationTemporality: 1, dataPoints: [{ count: 1 }, { count: 2 }] } },
      { name: 'e', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ count: 1 }, { count: 2 }] } },
      { summary: { dataPoints: [{ count: 1 }, { count: 2, quantileValues: [{ quantile: 0.5, value: 1 }] }] } },
    ]);
  });

  it('another data member in between clears the earlier occurrences', async () => {
    const mixed = cat(metricOf({ name: 'x' }), field(5, gauge({ dataPoints: points(1) })), field(7, sum({ dataPoints: points(2) })), field(5, gauge({ dataPoints: points(3) })));
    await expectMetrics(request([], [], [mixed]), [{ name: 'x', gauge: { dataPoints: points(3) } }]);
  });

  it('ExponentialHistogramDataPoint.positive and .negative sent twice: offset last, counts appended', async () => {
    const point = cat(
      expPoint({ count: 3, positive: { offset: 1, bucketCounts: [1, 2] } }),
      field(8, buckets({ bucketCounts: [3] })),
      field(9, buckets({ offset: -2 })),
      field(9, buckets({ bucketCounts: [4] })),
    );
    const split = request([], [], [cat(metricOf({ name: 'e' }), field(10, field(1, point)))]);
    const whole = { count: 3, positive: { offset: 1, bucketCounts: [1, 2, 3] }, negative: { offset: -2, bucketCounts: [4] } };
    await expectMetrics(split, [{ name: 'e', exponentialHistogram: { dataPoints: [whole] } }]);
  });

  it('a scope or resource rejected after merging rejects every point of the merged data', async () => {
    const k = kv('k', str('v'));
    const g = cat(metricOf({ name: 'g' }), field(5, gauge({ dataPoints: points(1) })), field(5, gauge({ dataPoints: points(2, 3) })));
    const byScope = request([], [scope({ attributes: [k] }), scope({ name: 'n', attributes: [k] })], [g]);
    await expectMetrics(byScope, [{ name: 'g', gauge: { dataPoints: points(1, 2, 3) } }], undefined, { name: 'n', attributes: [k, k] });
    expect(referenceOf('metrics', byScope).rejected).toBe(3);
    const byResource = request([resource({ attributes: [k] }), resource({ attributes: [k] })], [scope({ name: 'a' }), scope({ version: 'b' })], [g]);
    await expectMetrics(byResource, [{ name: 'g', gauge: { dataPoints: points(1, 2, 3) } }], { attributes: [k, k] }, { name: 'a', version: 'b' });
    expect(referenceOf('metrics', byResource).rejected).toBe(3);
  });

  it('a data point attribute whose value comes twice', async () => {
    const attr = cat(keyValue({ key: 'k' }), field(2, anyValue({ arrayValue: { values: [int(1)] } })), field(2, anyValue({ arrayValue: { values: [int(2)] } })));
    const point = cat(enc('metrics.v1.NumberDataPoint', { asInt: 1 }), field(7, attr));
    const split = request([], [], [cat(metricOf({ name: 'g' }), field(5, field(1, point)))]);
    await expectMetrics(split, [{ name: 'g', gauge: { dataPoints: [{ asInt: 1, attributes: [kv('k', { arrayValue: { values: [int(1), int(2)] } })] }] } }]);
  });
});

describe('spans: a singular message field sent more than once is read merged', () => {
  const span = (o: object) => enc('trace.v1.Span', o);

  it('Resource and InstrumentationScope sent twice', async () => {
    const a = kv('a', int(1));
    const b = kv('b', int(2));
    const split = request([resource({ attributes: [a] }), resource({ attributes: [b] })], [scope({ name: 'n' }), scope({ version: 'v', attributes: [a] })], [span({ name: 's' })]);
    await expectSpans(split, [{ name: 's' }], { attributes: [a, b] }, { name: 'n', version: 'v', attributes: [a] });
  });

  it('a scope repeating a key across its occurrences rejects every span', async () => {
    const a = kv('a', int(1));
    const split = request([], [scope({ attributes: [a] }), scope({ attributes: [a] })], [span({ name: 's' }), span({ name: 't' })]);
    await expectSpans(split, [{ name: 's' }, { name: 't' }], undefined, { attributes: [a, a] });
    expect(referenceOf('traces', split).rejected).toBe(2);
  });

  it('Span.status sent twice, and event and link attribute values sent twice', async () => {
    const status = cat(field(15, enc('trace.v1.Status', { message: 'm' })), field(15, enc('trace.v1.Status', { code: 2 })));
    const attr = cat(keyValue({ key: 'k' }), field(2, anyValue({ kvlistValue: { values: [kv('x', int(1))] } })), field(2, anyValue({ kvlistValue: { values: [kv('y', int(2))] } })));
    const merged = [kv('k', { kvlistValue: { values: [kv('x', int(1)), kv('y', int(2))] } })];
    const s = cat(span({ name: 's' }), status, field(11, field(3, attr)), field(13, field(4, attr)), field(9, attr));
    await expectSpans(request([], [], [s]), [{ name: 's', status: { message: 'm', code: 2 }, events: [{ attributes: merged }], links: [{ attributes: merged }], attributes: merged }]);
  });
});
