// The lexer against DuckDB itself: for each tricky statement, the first word
// and the statement count this project sees, and what the installed DuckDB
// makes of the same text (statement type or parse error), so a difference in
// comment, quote or whitespace rules fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb, withConnection, type Db } from '../../src/duckdb/db.ts';
import { assertReadKeyword, QueryError, singleStatement } from '../../src/query/read-only.ts';
import { splitStatements, tokenize } from '../../src/query/sql-text.ts';

let db: Db;
beforeAll(async () => {
  db = await openDuckDb();
});
afterAll(() => db?.close());

/** DuckDB's view: the statement types, or 'error' when it cannot parse the text. */
async function duckdbTypes(sql: string): Promise<string[] | 'error'> {
  return withConnection(db, (c) => c.statementTypes(sql)).catch(() => 'error' as const);
}

/** This project's view: the first word the keyword check reads, or why it could not read one. */
function firstWord(sql: string): string {
  try {
    const t = tokenize(sql)[0];
    return t === undefined ? '' : sql.slice(t.start, t.end).toLowerCase();
  } catch {
    return 'unreadable';
  }
}

const COPY = "COPY (SELECT 1) TO 'x.csv'";

// [statement, first word seen here, DuckDB's statement type or 'error']
const TABLE: [string, string, string][] = [
  [`/* /* */ SELECT 1 */ ${COPY}`, 'copy', 'COPY'],
  [`/* a /* b */ c */ SELECT 1`, 'select', 'SELECT'],
  [`/*/* x */*/${COPY}`, 'copy', 'COPY'],
  [`/* a /* b */ SELECT 1`, 'unreadable', 'error'],
  [`/* **/ ${COPY}`, 'copy', 'COPY'],
  [`/* -- */ ${COPY}`, 'copy', 'COPY'],
  [`-- /*\n${COPY}`, 'copy', 'COPY'],
  [`-- SELECT\r${COPY}`, 'copy', 'COPY'],
  [`--x\r\nSELECT 1`, 'select', 'SELECT'],
  [`/* ' */ ${COPY}`, 'copy', 'COPY'],
  [`\u00a0${COPY}`, 'copy', 'COPY'],
  [`\u3000\ufeffSELECT 1`, 'select', 'SELECT'],
  // A quote inside a block comment hides the rest from DuckDB's space pass.
  [`/* ' */\u00a0SELECT 1`, '\u00a0select', 'error'],
  [`\u2028SELECT 1`, '\u2028select', 'error'],
  [`\vSELECT 1`, 'select', 'SELECT'],
  [`/**/\vSELECT 1`, '\v', 'error'],
  [`SELECT\v1`, 'select', 'error'],
  [` \vSELECT 1`, 'select', 'SELECT'],
  [`\fSELECT 1`, 'select', 'SELECT'],
  [`"select" FROM t`, '"select"', 'error'],
  [`$$x$$`, '$$x$$', 'error'],
  [`$é$ /* $é$ ${COPY}`, '$é$ /* $é$', 'error'],
  [`\`x\` ${COPY}`, '`', 'error'],
  [`(SELECT 1)`, '(', 'SELECT'],
  [`SELECT 1 /* open`, 'unreadable', 'error'],
  [`E'\\'' ${COPY}`, "e'\\''", 'error'],
  [`EXPLAIN ${COPY}`, 'explain', 'EXPLAIN'],
];

describe('first words, as DuckDB reads them', () => {
  it.each(TABLE)('%j', async (sql, word, duckdb) => {
    expect(firstWord(sql)).toBe(word);
    const types = await duckdbTypes(sql);
    expect(types === 'error' ? 'error' : types.join(',')).toBe(duckdb);
    // The keyword check passes only a read, whatever DuckDB would have said.
    let passed = true;
    try {
      assertReadKeyword(singleStatement(sql));
    } catch (e) {
      expect(e).toBeInstanceOf(QueryError);
      passed = false;
    }
    expect(passed).toBe(['select', '(', 'explain'].includes(word));
  });
});

// [script, statements seen here]
const SPLITS: [string, number][] = [
  ['SELECT 1 --x\r; SELECT 2', 2],
  ['SELECT 1 /* ; /* ; */ ; */; SELECT 2', 2],
  ["SELECT ';'", 1],
  ['SELECT $a$;$a$', 1],
  ['SELECT $é$;$é$', 1],
  ['SELECT $_$ ; $_$', 1],
  ['SELECT $a$ ; $A$ ; $a$', 1],
  ['SELECT "a;b" FROM (SELECT 1 AS "a;b")', 1],
  ["SELECT e'\\';' ; SELECT 2", 2],
];

describe('statement boundaries, as DuckDB finds them', () => {
  it.each(SPLITS)('%j', async (sql, count) => {
    const { statements, rest } = splitStatements(sql);
    expect(statements.length + (rest === '' ? 0 : 1)).toBe(count);
    const types = await duckdbTypes(sql);
    expect(types === 'error' ? 'error' : types.length).toBe(count);
  });
});
