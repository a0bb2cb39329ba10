// Reads SQL text without parsing it: tokens that skip string literals and
// comments, statement splitting on ';', and the three-part names
// (catalog.schema.table) a statement mentions, so they can be rewritten.
// The lexing rules are DuckDB's own, checked against it by the tests, so the
// first word and the statement boundaries seen here are the ones DuckDB sees.
import { withDuckDbSpaces } from './unicode-spaces.ts';

export type Token =
  | { kind: 'ident'; value: string; quoted: boolean; start: number; end: number }
  | { kind: 'dot' | 'semicolon' | 'punct' | 'number' | 'string'; value: string; start: number; end: number };

// The character classes are DuckDB's (its Postgres-derived scanner): any
// non-ASCII character may start or continue a name or a dollar-quote tag, and
// only these five are whitespace (a vertical tab is not).
const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const NUMBER = /(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?/y;
const SPACE = /[ \t\n\r\f]/;
/** String.trim would also drop characters DuckDB does not take for spaces (a vertical tab, U+2028). */
const trimSpace = (s: string): string => s.replace(/^[ \t\n\r\f]+|[ \t\n\r\f]+$/g, '');

export class SqlTextError extends Error {}

export type LexOptions = {
  /**
   * Read `name` as a quoted name, as Databricks does. DuckDB has no such
   * quotes (a backquote is an operator character there), so only the search
   * for three-part names, which rewrites them away, uses it.
   */
  backquotes?: boolean;
};

/** Index just past a quoted run that starts at `i` with `q`; a doubled `q` is an escaped one. */
function skipQuoted(sql: string, i: number, q: string, backslashEscapes = false): number {
  let j = i + 1;
  while (j < sql.length) {
    const ch = sql[j];
    if (backslashEscapes && ch === '\\') {
      j += 2;
      continue;
    }
    if (ch === q) {
      if (sql[j + 1] === q) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  throw new SqlTextError(`unterminated ${q === "'" ? 'string literal' : 'quoted name'} starting at offset ${i}`);
}

/** Index just past the block comment opening at `i`; block comments nest, as in DuckDB. */
function skipBlockComment(sql: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < sql.length) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      j += 2;
      if (--depth === 0) return j;
    } else j++;
  }
  throw new SqlTextError(`unterminated comment starting at offset ${i}`);
}

/**
 * Index past whitespace and comments from `i`; a `--` comment ends at a line
 * feed or a carriage return. DuckDB also passes over vertical tabs where a
 * statement starts, before any comment, but nowhere else.
 */
function skipTrivia(sql: string, i: number, statementStart: boolean): number {
  let j = i;
  let leading = statementStart;
  for (;;) {
    const ch = sql[j];
    if (ch === undefined) return j;
    if (SPACE.test(ch) || (leading && ch === '\v')) j++;
    else if (ch === '-' && sql[j + 1] === '-') {
      j += 2;
      while (j < sql.length && sql[j] !== '\n' && sql[j] !== '\r') j++;
      leading = false;
    } else if (ch === '/' && sql[j + 1] === '*') {
      j = skipBlockComment(sql, j);
      leading = false;
    } else return j;
  }
}

function unquote(text: string, q: string): string {
  return text.slice(1, -1).replaceAll(q + q, q);
}

/** One token starting at `i` (not trivia). */
function readToken(sql: string, i: number, opts: LexOptions): Token {
  const ch = sql[i] as string;
  if (ch === "'") {
    const end = skipQuoted(sql, i, "'");
    return { kind: 'string', value: sql.slice(i, end), start: i, end };
  }
  if ((ch === 'e' || ch === 'E') && sql[i + 1] === "'") {
    const end = skipQuoted(sql, i + 1, "'", true);
    return { kind: 'string', value: sql.slice(i, end), start: i, end };
  }
  if (ch === '"') {
    const end = skipQuoted(sql, i, ch);
    return { kind: 'ident', value: unquote(sql.slice(i, end), ch), quoted: true, start: i, end };
  }
  if (ch === '`' && opts.backquotes) {
    // An unpaired backquote is left to DuckDB, which reads it as an operator.
    const close = sql.indexOf('`', i + 1);
    if (close >= 0) {
      const end = skipQuoted(sql, i, ch);
      return { kind: 'ident', value: unquote(sql.slice(i, end), ch), quoted: true, start: i, end };
    }
  }
  if (ch === '$') {
    DOLLAR_TAG.lastIndex = i;
    const tag = DOLLAR_TAG.exec(sql)?.[0];
    if (tag !== undefined) {
      const close = sql.indexOf(tag, i + tag.length);
      if (close < 0) throw new SqlTextError(`unterminated ${tag}-quoted string starting at offset ${i}`);
      return { kind: 'string', value: sql.slice(i, close + tag.length), start: i, end: close + tag.length };
    }
  }
  if (IDENT_START.test(ch)) {
    let j = i + 1;
    while (j < sql.length && IDENT_PART.test(sql[j] as string)) j++;
    return { kind: 'ident', value: sql.slice(i, j), quoted: false, start: i, end: j };
  }
  if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(sql);
    const end = i + Math.max(1, m?.[0].length ?? 1);
    return { kind: 'number', value: sql.slice(i, end), start: i, end };
  }
  const kind = ch === '.' ? 'dot' : ch === ';' ? 'semicolon' : 'punct';
  return { kind, value: ch, start: i, end: i + 1 };
}

/**
 * All tokens of `sql`, read as DuckDB reads it; comments and whitespace are
 * left out. Offsets are those of `sql` itself.
 */
export function tokenize(source: string, opts: LexOptions = {}): Token[] {
  const sql = withDuckDbSpaces(source);
  const out: Token[] = [];
  for (let i = skipTrivia(sql, 0, true); i < sql.length; ) {
    const t = readToken(sql, i, opts);
    out.push(t);
    i = skipTrivia(sql, t.end, t.kind === 'semicolon');
  }
  return out;
}

/**
 * Splits a script into statements at top-level ';'. `rest` is the text after
 * the last ';' (empty or only trivia when the script ends with one), which an
 * interactive prompt keeps reading into.
 */
export function splitStatements(sql: string): { statements: string[]; rest: string } {
  const statements: string[] = [];
  let from = 0;
  for (const t of tokenize(sql)) {
    if (t.kind !== 'semicolon') continue;
    const text = trimSpace(sql.slice(from, t.start));
    if (tokenize(text).length > 0) statements.push(text);
    from = t.end;
  }
  const rest = sql.slice(from);
  return { statements, rest: tokenize(rest).length === 0 ? '' : trimSpace(rest) };
}

export type NameRef = { start: number; end: number; parts: [string, string, string] };

const isIdent = (t: Token | undefined): t is Extract<Token, { kind: 'ident' }> => t?.kind === 'ident';

/**
 * Every `a.b.c` in the statement (quoted with "" or `` ` `` or not), lower
 * case as Unity Catalog stores names. A name preceded by a dot (part of a
 * longer path) or followed by '(' (a function) is not a table reference.
 */
export function findThreePartNames(sql: string): NameRef[] {
  const tokens = tokenize(sql, { backquotes: true });
  const refs: NameRef[] = [];
  for (let i = 0; i + 4 < tokens.length; i++) {
    const [a, d1, b, d2, c] = tokens.slice(i, i + 5);
    if (!isIdent(a) || d1?.kind !== 'dot' || !isIdent(b) || d2?.kind !== 'dot' || !isIdent(c)) continue;
    if (tokens[i - 1]?.kind === 'dot') continue;
    if (tokens[i + 5]?.value === '(') continue;
    refs.push({ start: a.start, end: c.end, parts: [a.value.toLowerCase(), b.value.toLowerCase(), c.value.toLowerCase()] });
    i += 4;
  }
  return refs;
}

/** `sql` with each range replaced; ranges must not overlap. */
export function replaceRanges(sql: string, edits: { start: number; end: number; text: string }[]): string {
  const sorted = [...edits].sort((x, y) => x.start - y.start);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new Error('overlapping SQL edits');
    out += sql.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + sql.slice(at);
}
