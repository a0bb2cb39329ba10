import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generatedSqlFiles } from '../../src/cli/generate-sql.ts';
import { openDuckDb } from '../../src/duckdb/db.ts';
import { createTableDdl, duckdbCreateTableDdl } from '../../src/tables/ddl-generate.ts';
import { parseCreateTable, parseCreateTables } from '../../src/tables/ddl-parse.ts';
import { matchLayout } from '../../src/tables/layout-match.ts';
import { duckdbType, schemaFor, TABLE_KINDS } from '../../src/tables/schema.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PLACEHOLDER = '<catalog>.<schema>.<table_prefix>';

describe('createTableDdl', () => {
  it.each(TABLE_KINDS)('%s parses back to its layout', (kind) => {
    const schema = schemaFor(kind);
    const parsed = parseCreateTable(createTableDdl(schema, `main.tel.x_otel_${kind}`));
    expect(parsed.name).toBe(`main.tel.x_otel_${kind}`);
    expect(parsed.columns).toStrictEqual(schema.columns);
    expect(parsed.properties).toStrictEqual(schema.tableProperties);
    expect(parsed.usingDelta).toBe(true);
    expect(matchLayout(parsed.columns)).toEqual({ kind });
  });

  it('quotes names and property text that need it', () => {
    const ddl = createTableDdl(
      {
        kind: 'logs',
        signal: 'logs',
        tableProperties: { "it's": 'a\\b' },
        columns: [{ name: 'odd name`', type: { struct: [{ name: 'x-y', type: 'long' }] } }],
      },
      't',
    );
    const parsed = parseCreateTable(ddl);
    expect(parsed.columns).toStrictEqual([{ name: 'odd name`', type: { struct: [{ name: 'x-y', type: 'long' }] } }]);
    expect(parsed.properties).toStrictEqual({ "it's": 'a\\b' });
  });
});

describe('generated sql/ddl files', () => {
  const files = generatedSqlFiles();

  it('are up to date on disk', () => {
    for (const [rel, content] of files) {
      let onDisk: string | undefined;
      try {
        onDisk = readFileSync(`${ROOT}${rel}`, 'utf8');
      } catch {
        onDisk = undefined;
      }
      expect(onDisk, `${rel} is missing or stale; run npx tsx src/cli/generate-sql.ts (npm run generate)`).toBe(
        content,
      );
    }
  });

  it('cover every layout, each saying where it comes from', () => {
    expect([...files.keys()].sort()).toEqual(
      TABLE_KINDS.flatMap((k) => [`sql/ddl/duckdb/otel_${k}.sql`, `sql/ddl/otel_${k}.sql`]).sort(),
    );
    for (const [rel, content] of files) {
      const kind = /otel_(\w+)\.sql$/.exec(rel)![1];
      expect(content.split('\n')[0]).toBe(`-- Generated from schemas/${kind}.json by npm run generate; do not edit.`);
    }
  });

  it('hold Databricks DDL that parses to the layouts', () => {
    for (const kind of TABLE_KINDS) {
      const text = files.get(`sql/ddl/otel_${kind}.sql`)!.replaceAll(PLACEHOLDER, 'main.tel.x');
      const [table, ...rest] = parseCreateTables(text);
      expect(rest).toEqual([]);
      expect(table!.name).toBe(`main.tel.x_otel_${kind}`);
      expect(table!.columns).toStrictEqual(schemaFor(kind).columns);
    }
  });

  it('hold DuckDB DDL that DuckDB accepts with the layout types', async () => {
    const db = await openDuckDb();
    try {
      for (const kind of TABLE_KINDS) {
        await db.run(files.get(`sql/ddl/duckdb/otel_${kind}.sql`)!);
        const described = await db.all(`DESCRIBE otel_${kind}`);
        // DuckDB drops quotes from field names that do not need them when it prints a type.
        const unquote = (s: string): string => s.replaceAll('"', '');
        expect(described.map((r) => [r.column_name, unquote(String(r.column_type))])).toEqual(
          schemaFor(kind).columns.map((c) => [c.name, unquote(duckdbType(c.type))]),
        );
      }
    } finally {
      db.close();
    }
  });

  it('DuckDB DDL names the plain table', () => {
    expect(duckdbCreateTableDdl(schemaFor('logs'), 'otel_logs')).toMatch(/^CREATE TABLE otel_logs \(\n {2}"event_name" VARCHAR,/);
  });
});
