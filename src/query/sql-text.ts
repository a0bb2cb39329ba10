// Reads SQL text without parsing it: tokens that skip string literals and
// comments, statement splitting on ';', and the three-part names
// (catalog.schema.table) a statement mentions, so they can be rewritten.

export type Token =
  | { kind: 'ident'; value: string; quoted: boolean; start: number; end: number }
  | { kind: 'dot' | 'semicolon' | 'punct' | 'number' | 'string'; value: string; start: number; end: number };

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/;

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

export class SqlTextError extends Error {}

/** Index past whitespace and comments from `i`. */
function skipTrivia(sql: string, i: number): number {
  let j = i;
  for (;;) {
    const ch = sql[j];
    if (ch === undefined) return j;
    if (/\s/.test(ch)) j++;
    else if (ch === '-' && sql[j + 1] === '-') {
      const nl = sql.indexOf('\n', j);
      j = nl < 0 ? sql.length : nl + 1;
    } else if (ch === '/' && sql[j + 1] === '*') {
      const close = sql.indexOf('*/', j + 2);
      if (close < 0) throw new SqlTextError(`unterminated comment starting at offset ${j}`);
      j = close + 2;
    } else return j;
  }
}

function unquote(text: string, q: string): string {
  return text.slice(1, -1).replaceAll(q + q, q);
}

/** One token starting at `i` (not trivia). */
function readToken(sql: string, i: number): Token {
  const ch = sql[i] as string;
  if (ch === "'") {
    const end = skipQuoted(sql, i, "'");
    return { kind: 'string', value: sql.slice(i, end), start: i, end };
  }
  if ((ch === 'e' || ch === 'E') && sql[i + 1] === "'") {
    const end = skipQuoted(sql, i + 1, "'", true);
    return { kind: 'string', value: sql.slice(i, end), start: i, end };
  }
  if (ch === '"' || ch === '`') {
    const end = skipQuoted(sql, i, ch);
    return { kind: 'ident', value: unquote(sql.slice(i, end), ch), quoted: true, start: i, end };
  }
  if (ch === '$') {
    const tag = DOLLAR_TAG.exec(sql.slice(i))?.[0];
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
    const m = /^(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?/.exec(sql.slice(i));
    const end = i + Math.max(1, m?.[0].length ?? 1);
    return { kind: 'number', value: sql.slice(i, end), start: i, end };
  }
  const kind = ch === '.' ? 'dot' : ch === ';' ? 'semicolon' : 'punct';
  return { kind, value: ch, start: i, end: i + 1 };
}

/** All tokens of `sql`; comments and whitespace are left out. */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  for (let i = skipTrivia(sql, 0); i < sql.length; i = skipTrivia(sql, i)) {
    const t = readToken(sql, i);
    out.push(t);
    i = t.end;
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
    const text = sql.slice(from, t.start).trim();
    if (tokenize(text).length > 0) statements.push(text);
    from = t.end;
  }
  const rest = sql.slice(from);
  return { statements, rest: tokenize(rest).length === 0 ? '' : rest.trim() };
}

export type NameRef = { start: number; end: number; parts: [string, string, string] };

const isIdent = (t: Token | undefined): t is Extract<Token, { kind: 'ident' }> => t?.kind === 'ident';

/**
 * Every `a.b.c` in the statement (quoted with "" or `` ` `` or not), lower
 * case as Unity Catalog stores names. A name preceded by a dot (part of a
 * longer path) or followed by '(' (a function) is not a table reference.
 */
export function findThreePartNames(sql: string): NameRef[] {
  const tokens = tokenize(sql);
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
