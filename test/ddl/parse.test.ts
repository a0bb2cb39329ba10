import { SPEC_DIR } from '../support/paths.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DdlSyntaxError, parseCreateTable, parseCreateTables } from '../../src/tables/ddl-parse.ts';
import { schemaFor } from '../../src/tables/schema.ts';

const SPEC = SPEC_DIR;
const spec = (file: string): string =>
  readFileSync(`${SPEC}/${file}`, 'utf8').replaceAll('<catalog>.<schema>.<table_prefix>', 'main.tel.x');

describe('the spec DDL', () => {
  // This is what ties schemas/*.json to the spec: parsed, the spec files are the layouts.
  it('otel-tables.sql parses to the metrics and logs layouts', () => {
    const tables = parseCreateTables(spec('otel-tables.sql'));
    expect(tables.map((t) => t.name)).toEqual(['main.tel.x_otel_metrics', 'main.tel.x_otel_logs']);
    expect(tables[0]!.columns).toStrictEqual(schemaFor('metrics').columns);
    expect(tables[1]!.columns).toStrictEqual(schemaFor('logs').columns);
    for (const t of tables) {
      expect(t.properties).toStrictEqual({ 'otel.schemaVersion': 'v1' });
      expect(t.usingDelta).toBe(true);
      expect(t.ifNotExists).toBe(false);
    }
  });

  it('otel-spans.sql parses to the spans layout', () => {
    const [spans, ...rest] = parseCreateTables(spec('otel-spans.sql'));
    expect(rest).toEqual([]);
    expect(spans!.nameParts).toEqual(['main', 'tel', 'x_otel_spans']);
    expect(spans!.columns).toStrictEqual(schemaFor('spans').columns);
    expect(spans!.properties).toStrictEqual({ 'otel.schemaVersion': 'v1' });
  });
});

describe('accepted variants', () => {
  const canonical = parseCreateTable(
    "CREATE TABLE c.s.t (a STRING, b LONG, c STRUCT<x: INT, y: ARRAY<MAP<STRING, DOUBLE>>>, d BOOLEAN) USING DELTA TBLPROPERTIES ('otel.schemaVersion' = 'v1');",
  );

  it.each([
    [
      'lowercase keywords and types',
      "create table c.s.t (a string, b long, c struct<x: int, y: array<map<string, double>>>, d boolean) using delta tblproperties ('otel.schemaVersion' = 'v1')",
    ],
    [
      'backquoted identifiers',
      "CREATE TABLE `c`.`s`.`t` (`a` STRING, `b` LONG, `c` STRUCT<`x`: INT, `y`: ARRAY<MAP<STRING, DOUBLE>>>, `d` BOOLEAN) USING DELTA TBLPROPERTIES ('otel.schemaVersion' = 'v1')",
    ],
    [
      'comments, including ones holding ; and quotes',
      `-- header; with 'quote'
       CREATE /* inline; */ TABLE c.s.t ( -- trailing
         a STRING, /* multi
         line ; */ b LONG,
         c STRUCT<x: INT, /* nested /* bracketed */ comment */ y: ARRAY<MAP<STRING, DOUBLE>>>,
         d BOOLEAN -- last
       ) USING DELTA TBLPROPERTIES ('otel.schemaVersion' = 'v1') -- done`,
    ],
    [
      'BIGINT, INTEGER and struct fields without colons',
      "CREATE TABLE c.s.t (a STRING, b BIGINT, c STRUCT<x INTEGER, y ARRAY<MAP<STRING, DOUBLE>>>, d BOOLEAN) USING DELTA TBLPROPERTIES ('otel.schemaVersion' = 'v1')",
    ],
    [
      'odd whitespace and no semicolon',
      "CREATE\n\tTABLE\n c . s . t(a STRING,b LONG,c STRUCT<x:INT,y:ARRAY<MAP<STRING,DOUBLE>>>,d BOOLEAN)USING DELTA TBLPROPERTIES('otel.schemaVersion'='v1')\n\n",
    ],
  ])('%s', (_label, sql) => {
    const t = parseCreateTable(sql);
    expect(t.name).toBe('c.s.t');
    expect(t.columns).toStrictEqual(canonical.columns);
    expect(t.properties).toStrictEqual(canonical.properties);
  });

  it('IF NOT EXISTS, no USING and no TBLPROPERTIES', () => {
    const t = parseCreateTable('CREATE TABLE IF NOT EXISTS t (a STRING)');
    expect(t).toStrictEqual({
      name: 't',
      nameParts: ['t'],
      ifNotExists: true,
      columns: [{ name: 'a', type: 'string' }],
      properties: {},
      usingDelta: false,
    });
  });

  it('records NOT NULL and COMMENT, nested too', () => {
    const t = parseCreateTable(
      "CREATE TABLE t (a STRING NOT NULL COMMENT 'it\\'s; fine', b STRUCT<x: INT COMMENT \"x\" NOT NULL>)",
    );
    expect(t.columns).toStrictEqual([
      { name: 'a', type: 'string', notNull: true, comment: "it's; fine" },
      { name: 'b', type: { struct: [{ name: 'x', type: 'integer', notNull: true, comment: 'x' }] } },
    ]);
  });

  it('reads unquoted and numeric property keys and values', () => {
    const t = parseCreateTable("CREATE TABLE t (a INT) TBLPROPERTIES (delta.appendOnly = true, 'x' = 3, 'y' = 'a;b')");
    expect(t.properties).toStrictEqual({ 'delta.appendOnly': 'true', x: '3', y: 'a;b' });
  });

  it('keeps backquoted names with dots and backquotes whole', () => {
    const t = parseCreateTable('CREATE TABLE `my.cat`.s.t (`we``ird` INT)');
    expect(t.nameParts).toEqual(['my.cat', 's', 't']);
    expect(t.columns[0]!.name).toBe('we`ird');
  });
});

describe('several statements', () => {
  it('splits on ; outside strings, names and comments and skips empty statements', () => {
    const sql = `;;
      CREATE TABLE a (x STRING COMMENT 'a;b') TBLPROPERTIES ('k;' = 'v;');
      -- CREATE TABLE commented_out (y INT);
      /* ; */ ;
      CREATE TABLE \`b;\` (y INT)
      ;
      -- only a comment after the last one`;
    const tables = parseCreateTables(sql);
    expect(tables.map((t) => t.name)).toEqual(['a', 'b;']);
    expect(tables[0]!.properties).toEqual({ 'k;': 'v;' });
    expect(parseCreateTables('  -- nothing here\n ; ')).toEqual([]);
  });

  it('reports positions within the whole file', () => {
    expect(() => parseCreateTables('CREATE TABLE a (x INT);\n\nCREATE TABLE b (y INT,)')).toThrow(
      'syntax error at 3:23: expected a column name, found ")"',
    );
    expect(() => parseCreateTables('CREATE TABLE a (x INT) CREATE TABLE b (y INT)')).toThrow(
      'syntax error at 1:24: expected ";" between statements, found "CREATE"',
    );
  });
});

describe('syntax errors', () => {
  const errorOf = (sql: string): DdlSyntaxError => {
    try {
      parseCreateTable(sql);
    } catch (e) {
      if (e instanceof DdlSyntaxError) return e;
      throw e;
    }
    throw new Error('expected a syntax error');
  };

  it.each([
    ['CREATE TABLE t (a STRING b LONG)', 'syntax error at 1:26: expected "," or ")" after column "a", found "b"'],
    ['CREATE TABLE t (\n  a STRUCT<x: INT\n)', 'syntax error at 3:1: expected "," or ">" after field "x", found ")"'],
    ['CREATE TABLE t (a FLOAT)', 'syntax error at 1:19: unsupported type "FLOAT"'],
    ['CREATE TABLE t (a MAP<STRING>)', 'syntax error at 1:29: expected "," between the MAP key and value types'],
    ['CREATE TABLE <catalog>.<schema>.t (a INT)', 'replace the <catalog>.<schema>.<table_prefix> placeholder'],
    ['CREATE TABLE a.b.c.d (a INT)', 'syntax error at 1:19: expected "(" and the column list, found "."'],
    ['CREATE VIEW t (a INT)', 'syntax error at 1:8: expected TABLE, found "VIEW"'],
    ['CREATE TABLE t (a INT) USING PARQUET', 'syntax error at 1:30: expected DELTA, found "PARQUET"'],
    ['CREATE TABLE t (a INT, A LONG)', 'syntax error at 1:24: duplicate column "A"'],
    ["CREATE TABLE t (a INT) TBLPROPERTIES ('k' = 'v', 'k' = 'w')", "duplicate table property 'k'"],
    ["CREATE TABLE t (a INT COMMENT 'open)", 'syntax error at 1:31: unterminated string literal'],
    ['CREATE TABLE t (a INT) /* open', 'syntax error at 1:24: unterminated /* comment'],
    ['CREATE TABLE t (`a INT)', 'syntax error at 1:17: unterminated `quoted` identifier'],
    ['CREATE TABLE t (a INT) ; extra', 'syntax error at 1:26: expected ";" or end of input, found "extra"'],
    ['CREATE TABLE t (a INT', 'syntax error at 1:22: expected "," or ")" after column "a", found end of input'],
    ['CREATE TABLE t (a INT) #', 'syntax error at 1:24: unexpected character "#"'],
  ])('%s', (sql, message) => {
    expect(errorOf(sql).message).toContain(message);
  });

  it('exposes line and column', () => {
    const e = errorOf('CREATE TABLE t (\n  a STRING,\n  b DECIMAL(10, 2)\n)');
    expect([e.line, e.column]).toEqual([3, 5]);
  });
});
