// Decides whether a statement only reads. Two independent checks must both
// pass: the statement starts with a read keyword, and DuckDB, preparing it
// without running it, classifies it as a query (or an EXPLAIN of one).
import type { Connection } from '../duckdb/db.ts';
import { splitStatements, SqlTextError, tokenize, type Token } from './sql-text.ts';

export class QueryError extends Error {
  constructor(
    message: string,
    /**
     * read_only: refused as not a read; invalid: bad input; failed: DuckDB
     * rejected or failed it; timeout: ran past the statement timeout and was
     * cancelled; busy: every query slot and queue place is taken; closed: the
     * engine is shutting down; forbidden: the caller lacks a privilege the
     * statement needs (its message starts PERMISSION_DENIED).
     */
    readonly code: 'read_only' | 'invalid' | 'failed' | 'timeout' | 'busy' | 'closed' | 'forbidden',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const READ_STARTS = new Set(['select', 'with', 'from', 'values', 'table', 'describe', 'desc', 'show', 'summarize', 'explain', '(']);

const refuse = (what: string): QueryError =>
  new QueryError(`only read statements (SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN) are allowed; ${what}`, 'read_only');

/** `fn`, with unreadable SQL text (an open quote or comment) reported as bad input. */
function lexing<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SqlTextError) throw new QueryError(e.message, 'invalid', { cause: e });
    throw e;
  }
}

/** A token as a keyword: unquoted names in lower case; a quoted name is never a keyword. */
const keyword = (t: Token | undefined): string | undefined => (t?.kind === 'ident' && !t.quoted ? t.value.toLowerCase() : t?.value);

/** The single statement in `sql`, without its trailing ';'. */
export function singleStatement(sql: string): string {
  const { statements, rest } = lexing(() => splitStatements(sql));
  const all = rest === '' ? statements : [...statements, rest];
  if (all.length === 0) throw new QueryError('the statement is empty', 'invalid');
  if (all.length > 1) throw new QueryError(`give one statement at a time; this text holds ${all.length}`, 'invalid');
  return all[0] as string;
}

/** Throws unless the statement's first word is one a read starts with. */
export function assertReadKeyword(sql: string): void {
  const first = lexing(() => tokenize(sql))[0];
  const word = first?.kind === 'ident' && first.quoted ? sql.slice(first.start, first.end) : keyword(first);
  if (word === undefined || !READ_STARTS.has(word)) throw refuse(`this statement starts with ${JSON.stringify(word ?? '')}`);
}

/**
 * For `EXPLAIN [ANALYZE] [(options)] stmt`, the text of stmt: EXPLAIN ANALYZE
 * runs its statement, so what it explains must pass the same checks.
 */
export function explainedStatement(sql: string): string | undefined {
  const tokens = lexing(() => tokenize(sql));
  const word = (i: number) => keyword(tokens[i]);
  if (word(0) !== 'explain') return undefined;
  let i = 1;
  if (word(i) === 'analyze' || word(i) === 'analyse') i++;
  if (word(i) === '(') {
    let depth = 0;
    for (; i < tokens.length; i++) {
      if (word(i) === '(') depth++;
      if (word(i) === ')' && --depth === 0) {
        i++;
        break;
      }
    }
  }
  const next = tokens[i];
  return next === undefined ? '' : sql.slice(next.start);
}

/**
 * Prepares (binds, never runs) the statement on `conn`, where its views
 * already exist, and throws unless DuckDB calls it a SELECT, or an EXPLAIN of
 * a statement that passes this check itself.
 */
export async function assertReadOnly(conn: Connection, sql: string): Promise<void> {
  assertReadKeyword(sql);
  const inner = explainedStatement(sql);
  if (inner !== undefined) {
    if (inner === '') throw new QueryError('EXPLAIN needs a statement to explain', 'invalid');
    await assertReadOnly(conn, inner);
    return;
  }
  let types: string[];
  try {
    types = await conn.statementTypes(sql);
  } catch (e) {
    throw new QueryError((e as Error).message, 'failed', { cause: e });
  }
  if (types.length !== 1) throw new QueryError(`give one statement at a time; DuckDB found ${types.length}`, 'invalid');
  if (types[0] !== 'SELECT') throw refuse(`DuckDB classifies this statement as ${types[0]}`);
}
