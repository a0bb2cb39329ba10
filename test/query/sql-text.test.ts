// The SQL text helpers: tokens that skip literals and comments, three-part
// names, statement splitting, and the keyword side of the read-only check.
import { describe, expect, it } from 'vitest';
import { assertReadKeyword, explainedStatement, QueryError, singleStatement } from '../../src/query/read-only.ts';
import { findThreePartNames, replaceRanges, splitStatements, SqlTextError, tokenize } from '../../src/query/sql-text.ts';

const names = (sql: string) => findThreePartNames(sql).map((r) => r.parts.join('.'));

describe('three-part names', () => {
  it('finds names in FROM and JOIN, lower-cased, quoted or not', () => {
    expect(names('SELECT * FROM Main.Agent_Telemetry.claude_otel_metrics m JOIN "c"."s"."t" ON true')).toEqual([
      'main.agent_telemetry.claude_otel_metrics',
      'c.s.t',
    ]);
    expect(names('SELECT * FROM `main`.`agent_telemetry`.`t`')).toEqual(['main.agent_telemetry.t']);
  });

  it('skips string literals, comments, dollar quotes and two-part paths', () => {
    const sql = `-- from a.b.c
      SELECT 'x.y.z', $$p.q.r$$, e'it''s\\' a.b.c', sum.value, attributes['a.b.c'] /* d.e.f */ FROM g.h.i`;
    expect(names(sql)).toEqual(['g.h.i']);
  });

  it('leaves functions and longer paths alone, and keeps a column after a table name', () => {
    // In a four-part path only the leading catalog.schema.table can be a table.
    expect(names('SELECT x.a.b.c, a.b.c(1) FROM t')).toEqual(['x.a.b']);
    const refs = findThreePartNames('SELECT c.s.t.col FROM c.s.t');
    expect(refs.map((r) => r.parts.join('.'))).toEqual(['c.s.t', 'c.s.t']);
    expect(replaceRanges('SELECT c.s.t.col FROM c.s.t', refs.map((r) => ({ ...r, text: 'v' })))).toBe('SELECT v.col FROM v');
  });

  it('tokenizes numbers without splitting them into dots', () => {
    expect(tokenize('SELECT 1.5e3, .5 FROM a.b.c').filter((t) => t.kind === 'dot')).toHaveLength(2);
  });
});

describe('statements', () => {
  it('splits at top-level semicolons only and returns the unfinished rest', () => {
    expect(splitStatements("SELECT ';'; SELECT 2 -- ; no\n; SELECT")).toEqual({ statements: ["SELECT ';'", 'SELECT 2 -- ; no'], rest: 'SELECT' });
    expect(splitStatements('SELECT 1;  -- done\n')).toEqual({ statements: ['SELECT 1'], rest: '' });
  });

  it('reports an unterminated literal so a prompt can keep reading', () => {
    expect(() => splitStatements("SELECT 'abc")).toThrow(SqlTextError);
  });

  it('wants exactly one statement', () => {
    expect(singleStatement('SELECT 1;')).toBe('SELECT 1');
    expect(() => singleStatement('SELECT 1; SELECT 2')).toThrow(/one statement/);
    expect(() => singleStatement(' ; ')).toThrow(/empty/);
  });
});

describe('read keywords', () => {
  it('accepts the read statements', () => {
    for (const s of ['SELECT 1', 'with a as (select 1) select * from a', 'FROM t', 'VALUES (1)', 'DESCRIBE t', 'SHOW TABLES', 'SUMMARIZE t', 'EXPLAIN SELECT 1', '(SELECT 1)']) {
      expect(() => assertReadKeyword(s), s).not.toThrow();
    }
  });

  it('refuses everything else before DuckDB sees it', () => {
    for (const s of ['INSERT INTO t VALUES (1)', "COPY t TO 'x'", 'CREATE TABLE t (a INT)', 'DROP TABLE t', "ATTACH 'x.db'", 'SET threads = 1', 'PRAGMA version', 'CALL pragma_version()', 'INSTALL httpfs', 'UPDATE t SET a = 1', 'DELETE FROM t']) {
      expect(() => assertReadKeyword(s), s).toThrow(QueryError);
    }
  });

  it('finds what EXPLAIN explains, past ANALYZE and options', () => {
    expect(explainedStatement("EXPLAIN ANALYZE COPY t TO 'x'")).toBe("COPY t TO 'x'");
    expect(explainedStatement('EXPLAIN (FORMAT json) SELECT 1')).toBe('SELECT 1');
    expect(explainedStatement('SELECT 1')).toBeUndefined();
  });
});
