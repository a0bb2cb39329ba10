// The principal stamp on decoded requests of every signal, from protobuf and
// OTLP/JSON bodies (protobufjs shares frozen empty lists between messages):
// the direct renderer and the row-object reference write the same bytes, and
// the attribute holds the principal whatever the sender put there.
import { describe, expect, it } from 'vitest';
import { PRINCIPAL_ATTRIBUTE, stampPrincipal } from '../../src/access/identity.ts';
import { SIGNAL_LIST, SIGNALS } from '../../src/ingest/signals.ts';
import { decodeRequest } from '../../src/otlp/codec.ts';
import { SIGNAL_TYPES } from '../../src/otlp/schema.ts';
import type { Signal } from '../../src/otlp/types.ts';
import { rowsToNdjson } from '../../src/tables/ndjson.ts';
import type { Row } from '../../src/tables/row.ts';

type Impl = { flatten(req: unknown): { rows: Row[] }; render(req: unknown): { ndjson?: Buffer | undefined } };

const records: Record<Signal, (attrs: unknown[] | undefined) => unknown> = {
  logs: (attrs) => ({ resourceLogs: [{ ...(attrs ? { resource: { attributes: attrs } } : {}), scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] }),
  metrics: (attrs) => ({
    resourceMetrics: [{ ...(attrs ? { resource: { attributes: attrs } } : {}), scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: [{ asInt: '1' }] } }] }] }],
  }),
  traces: (attrs) => ({
    resourceSpans: [
      {
        ...(attrs ? { resource: { attributes: attrs } } : {}),
        scopeSpans: [{ spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 's' }] }],
      },
    ],
  }),
};

const resourceAttrsOf = (row: Row) => (row.resource as { attributes: Map<string, string | null> } | null)?.attributes;

describe('stampPrincipal', () => {
  for (const signal of SIGNAL_LIST) {
    for (const encoding of ['json', 'protobuf'] as const) {
      for (const [label, attrs] of [
        ['no resource', undefined],
        ['an empty resource', []],
        ['a spoofed principal', [{ key: PRINCIPAL_ATTRIBUTE, value: { stringValue: 'mallory' } }, { key: 'service.name', value: { stringValue: 'svc' } }]],
      ] as const) {
        it(`${signal} over ${encoding} with ${label}: same bytes on both paths, the principal set or removed`, () => {
          const json = new TextEncoder().encode(JSON.stringify(records[signal](attrs as unknown[] | undefined)));
          const type = SIGNAL_TYPES[signal].request;
          const body = encoding === 'json' ? json : type.encode(decodeRequest(signal, json, 'json') as Parameters<typeof type.encode>[0]).finish();
          const impl = SIGNALS[signal] as unknown as Impl;
          for (const principal of ['carol@example.com', undefined]) {
            const req = stampPrincipal(signal, decodeRequest(signal, body, encoding), principal);
            const rows = impl.flatten(req).rows;
            expect(impl.render(req).ndjson?.toString('utf8')).toBe(rowsToNdjson(rows));
            expect(rows).toHaveLength(1);
            const got = resourceAttrsOf(rows[0]!);
            if (principal === undefined) expect(got?.get(PRINCIPAL_ATTRIBUTE)).toBeUndefined();
            else expect(got?.get(PRINCIPAL_ATTRIBUTE)).toBe(principal);
            if (label === 'a spoofed principal') expect(got?.get('service.name')).toBe('svc');
          }
        });
      }
    }
  }
});
