import { describe, expect, it } from 'vitest';
import { deltaSchemaString, duckdbType, schemaFor, TABLE_KINDS } from '../../src/tables/schema.ts';

describe('schemas', () => {
  it('loads every table kind with resolved references', () => {
    for (const kind of TABLE_KINDS) {
      const s = schemaFor(kind);
      expect(s.kind).toBe(kind);
      expect(JSON.stringify(s.columns)).not.toContain('"ref"');
    }
  });
  it('renders nested DuckDB and Delta types', () => {
    const logs = schemaFor('logs');
    const res = logs.columns.find((c) => c.name === 'resource');
    expect(duckdbType(res!.type)).toBe('STRUCT("attributes" MAP(VARCHAR, VARCHAR), "dropped_attributes_count" INTEGER)');
    const parsed = JSON.parse(deltaSchemaString(logs.columns));
    expect(parsed.fields[3]).toEqual({ name: 'time_unix_nano', type: 'long', nullable: true, metadata: {} });
  });
});
