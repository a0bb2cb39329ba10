// The columnar fillers stamp the token's principal on every resource as the
// service does to each accepted request (access/identity.ts): a sent
// principal attribute is dropped before the attributes are checked, the
// principal added last, a resource created to hold it where none was sent.
// Held equal to stampPrincipal followed by the reference renderer.
import { describe, expect, it } from 'vitest';
import { PRINCIPAL_ATTRIBUTE } from '../../src/access/identity.ts';
import { harnesses } from './differential.ts';
import { randomLogsRequest, rng } from './random-logs.ts';
import { randomMetricsRequest } from './random-metrics.ts';
import { randomSpansRequest } from './random-spans.ts';

const h = harnesses('columnar-principal-');

const str = (s: string) => ({ stringValue: s });
const kv = (key: string, value: object) => ({ key, value });
const logsWith = (resource: object | undefined) =>
  h.logs.protoOf({
    resourceLogs: [{ ...(resource ? { resource } : {}), scopeLogs: [{ scope: { name: 's' }, logRecords: [{ timeUnixNano: '1700000000000000001', body: str('b') }] }] }],
  });

const SPOOF = kv(PRINCIPAL_ATTRIBUTE, str('someone-else'));
const ROWS = [
  ['no resource', undefined],
  ['a resource without attributes', { attributes: [] }],
  ['other attributes only', { attributes: [kv('service.name', str('claude-code')), kv('host.name', str('h1'))] }],
  ['a sent principal among them', { attributes: [kv('service.name', str('x')), SPOOF, kv('host.name', str('h'))] }],
  ['the principal sent twice', { attributes: [SPOOF, kv('a', str('1')), SPOOF] }],
  ['a sent principal whose value repeats a key', { attributes: [kv(PRINCIPAL_ATTRIBUTE, { kvlistValue: { values: [kv('k', str('1')), kv('k', str('2'))] } }), kv('a', str('1'))] }],
] as const;

describe('principal stamping in the columnar fillers equals stampPrincipal and the renderer', () => {
  it.each(ROWS)('on %s, with a principal and without one', async (_, resource) => {
    for (const principal of ['ci-bot', 'ana.müller@example.com', undefined]) {
      expect(await h.logs.expectSame([logsWith(resource)], { principal })).toBe(1);
    }
  });

  it('accepts a principal sent twice only because stamping drops it, in both paths', async () => {
    const body = logsWith({ attributes: [SPOOF, SPOOF] });
    // Unstamped, both paths reject the repeated key ...
    expect(await h.logs.expectSame([body])).toBe(0);
    // ... stamped, the repeats are gone before the check.
    expect(await h.logs.expectSame([body], { principal: 'ci-bot' })).toBe(1);
  });

  it('still rejects a resource whose other attributes repeat a key', async () => {
    const body = logsWith({ attributes: [kv('a', str('1')), SPOOF, kv('a', str('2'))] });
    expect(await h.logs.expectSame([body], { principal: 'ci-bot' })).toBe(0);
  });

  it('on seeded random requests of every signal', async () => {
    const r = rng(20261203);
    let rows = 0;
    for (const principal of ['svc', undefined]) {
      rows += await h.logs.expectSame(Array.from({ length: 20 }, () => h.logs.protoOf(randomLogsRequest(r))), { principal });
      rows += await h.metrics.expectSame(Array.from({ length: 20 }, () => h.metrics.protoOf(randomMetricsRequest(r))), { principal });
      rows += await h.traces.expectSame(Array.from({ length: 20 }, () => h.traces.protoOf(randomSpansRequest(r))), { principal });
    }
    expect(rows).toBeGreaterThan(500);
  });
});
