import path from 'node:path';
import { SPEC_DIR } from '../support/paths.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCreateTable, parseCreateTables, type ParsedField } from '../../src/tables/ddl-parse.ts';
import { layoutDifference, matchLayout, validateTableProperties } from '../../src/tables/layout-match.ts';
import { schemaFor, TABLE_KINDS, type ColumnType, type Field, type TableKind } from '../../src/tables/schema.ts';

const SPEC = readFileSync(path.join(SPEC_DIR, 'otel-tables.sql'), 'utf8').replaceAll(
  '<catalog>.<schema>.<table_prefix>',
  'main.tel.x',
);

// A copy of a layout's columns to break on purpose.
const columnsOf = (kind: TableKind): ParsedField[] => structuredClone(schemaFor(kind).columns);

function structOf(t: ColumnType | undefined): Field[] {
  if (t === undefined || typeof t !== 'object' || !('struct' in t)) throw new Error('not a struct');
  return t.struct;
}

function field(fields: Field[], name: string): Field {
  const f = fields.find((x) => x.name === name);
  if (!f) throw new Error(`no field ${name}`);
  return f;
}

describe('matchLayout', () => {
  it('recognises each layout', () => {
    for (const kind of TABLE_KINDS) expect(matchLayout(columnsOf(kind))).toEqual({ kind });
  });

  it('compares names case-insensitively', () => {
    const cols = columnsOf('logs').map((c) => ({ ...c, name: c.name.toUpperCase() }));
    expect(matchLayout(cols)).toEqual({ kind: 'logs' });
  });

  it('names a nested INT that became LONG', () => {
    const cols = columnsOf('metrics');
    field(structOf(field(cols, 'gauge').type), 'flags').type = 'long';
    expect(matchLayout(cols)).toEqual({ error: 'column 5 "gauge": field "flags" is LONG, the metrics layout has INT' });
  });

  it('gives a readable path through arrays', () => {
    const metrics = columnsOf('metrics');
    const exemplars = field(structOf(field(metrics, 'gauge').type), 'exemplars').type;
    if (typeof exemplars !== 'object' || !('array' in exemplars)) throw new Error('exemplars is not an array');
    field(structOf(exemplars.array), 'trace_id').type = 'long';
    expect(matchLayout(metrics)).toEqual({
      error: 'column 5 "gauge": field "exemplars[].trace_id" is LONG, the metrics layout has STRING',
    });

    const spans = columnsOf('spans');
    spans[11] = { name: 'events', type: { array: { struct: [{ name: 'time_unix_nano', type: 'long' }] } } };
    expect(matchLayout(spans)).toEqual({
      error: 'column 12 "events": missing field "events[].name" (field 2 of "events[]" in the spans layout)',
    });
  });

  it('names map keys and values and whole-type mismatches', () => {
    const metrics = columnsOf('metrics');
    field(metrics, 'metadata').type = { map: ['string', 'long'] };
    expect(matchLayout(metrics)).toEqual({
      error: 'column 10 "metadata": the map values are LONG, the metrics layout has STRING',
    });
    const logs = columnsOf('logs');
    field(logs, 'attributes').type = 'string';
    expect(matchLayout(logs)).toEqual({
      error: 'column 9 "attributes" is STRING, the logs layout has MAP<STRING, STRING>',
    });
  });

  it('names a renamed column', () => {
    const cols = columnsOf('metrics');
    cols[2]!.name = 'units';
    expect(matchLayout(cols)).toEqual({ error: 'column 3 is "units", the metrics layout has "unit"' });
  });

  it('names a renamed nested field', () => {
    const cols = columnsOf('logs');
    structOf(field(cols, 'resource').type)[1]!.name = 'dropped';
    expect(matchLayout(cols)).toEqual({
      error: 'column 12 "resource": field 2 of "resource" is "dropped", the logs layout has "dropped_attributes_count"',
    });
  });

  it('names a missing last column', () => {
    const cols = columnsOf('metrics').slice(0, -1);
    expect(matchLayout(cols)).toEqual({
      error: 'missing column "metric_schema_url" (column 14 of the metrics layout)',
    });
  });

  it('names a missing column in the middle', () => {
    const cols = columnsOf('logs').filter((c) => c.name !== 'body');
    expect(matchLayout(cols)).toEqual({ error: 'missing column "body" (column 8 of the logs layout)' });
  });

  it('names an extra column', () => {
    const cols: Field[] = [...columnsOf('logs'), { name: 'foo', type: 'string' }];
    expect(matchLayout(cols)).toEqual({ error: 'extra column "foo" (column 16; the logs layout has 15 columns)' });
    const inserted = columnsOf('logs');
    inserted.splice(2, 0, { name: 'foo', type: 'string' });
    expect(matchLayout(inserted)).toEqual({ error: 'extra column "foo" (column 3; the logs layout has 15 columns)' });
  });

  it('names reordered columns and still compares with their own layout', () => {
    const cols = columnsOf('logs');
    [cols[0], cols[1]] = [cols[1]!, cols[0]!];
    expect(matchLayout(cols)).toEqual({
      error: 'column 1 is "trace_id", the logs layout has "event_name" there (the columns are in a different order)',
    });
  });

  it('treats NOT NULL as a difference', () => {
    const cols = columnsOf('spans');
    cols[0]!.notNull = true;
    expect(matchLayout(cols)).toEqual({ error: 'column 1 "trace_id" is NOT NULL, the spans layout has it nullable' });
  });

  it('refuses parsed DDL with a first difference', () => {
    const [metrics] = parseCreateTables(SPEC.replace('    flags: INT\n  >,\n  sum', '    flags: LONG\n  >,\n  sum'));
    expect(matchLayout(metrics!.columns)).toEqual({
      error: 'column 5 "gauge": field "flags" is LONG, the metrics layout has INT',
    });
    const statusless = parseCreateTable('CREATE TABLE t (trace_id STRING, span_id STRING, flags INT)');
    expect(layoutDifference(statusless.columns, 'spans')).toBe(
      'missing column "trace_state" (column 3 of the spans layout)',
    );
  });
});

describe('validateTableProperties', () => {
  it('accepts the right version and adds it when absent', () => {
    expect(validateTableProperties({ 'otel.schemaVersion': 'v1', other: 'x' })).toEqual({
      properties: { 'otel.schemaVersion': 'v1', other: 'x' },
    });
    expect(validateTableProperties({}, 'logs')).toEqual({ properties: { 'otel.schemaVersion': 'v1' } });
  });

  it('refuses another version, naming it', () => {
    const parsed = parseCreateTable(
      "CREATE TABLE t (a INT) USING DELTA TBLPROPERTIES ('otel.schemaVersion' = 'v2')",
    );
    expect(validateTableProperties(parsed.properties)).toEqual({
      error: "table property 'otel.schemaVersion' is 'v2'; this service writes 'v1' tables",
    });
  });

  it('refuses the key in another case', () => {
    expect(validateTableProperties({ 'otel.schemaversion': 'v1' })).toEqual({
      error: "table property 'otel.schemaversion' must be spelled 'otel.schemaVersion' (property keys are case-sensitive)",
    });
  });
});
