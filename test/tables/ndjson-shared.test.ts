// NDJSON rendering of rows that share struct and map objects (resource, scope, metadata), as flattening builds them.
import { describe, expect, it } from 'vitest';
import { rowsToNdjson, rowToJson } from '../../src/tables/ndjson.ts';
import type { Row } from '../../src/tables/row.ts';

const resource = (): Row => ({ attributes: new Map([['service.name', 'svc'], ['host', 'h"1']]), dropped_attributes_count: 0 });
const scope = (): Row => ({ name: 's', version: '1', attributes: new Map(), dropped_attributes_count: 0 });

/** Each row's own text, rendered alone: what a batch must equal line by line. */
const alone = (rows: Row[]) => rows.map((r) => `${rowToJson(r)}\n`).join('');

describe('rowsToNdjson with shared objects', () => {
  it('renders rows that share objects exactly as rows with their own copies', () => {
    const shared = { resource: resource(), scope: scope() };
    const rows: Row[] = Array.from({ length: 5 }, (_, i) => ({
      n: BigInt(i),
      attributes: new Map([['i', String(i)]]),
      resource: shared.resource,
      instrumentation_scope: shared.scope,
    }));
    const copies: Row[] = rows.map((r) => ({ ...r, resource: resource(), instrumentation_scope: scope() }));
    expect(rowsToNdjson(rows)).toBe(rowsToNdjson(copies));
    expect(rowsToNdjson(rows)).toBe(alone(rows));
  });

  it('follows a shared object that changes from one run of rows to the next', () => {
    const a = resource();
    const b: Row = { attributes: new Map([['service.name', 'other']]), dropped_attributes_count: 3 };
    const rows: Row[] = [a, a, b, b, a, null, a].map((res, i) => ({ i, resource: res }));
    expect(rowsToNdjson(rows)).toBe(alone(rows));
  });

  it('keeps columns apart when rows skip an undefined column', () => {
    const m = new Map([['k', 'v']]);
    const rows: Row[] = [
      { a: m, b: m },
      { a: undefined as unknown as null, b: m },
      { a: m, b: new Map() },
    ];
    expect(rowsToNdjson(rows)).toBe(alone(rows));
  });

  it('renders a large batch, joined in pieces, exactly as its rows one by one', () => {
    const res = resource();
    const rows: Row[] = Array.from({ length: 3000 }, (_, i) => ({
      name: `m${i % 7}`,
      value: i / 3,
      attributes: new Map([['i', String(i)], ['q', 'a"b\\c']]),
      resource: i < 1500 ? res : resource(),
    }));
    expect(rowsToNdjson(rows)).toBe(alone(rows));
  });
});
