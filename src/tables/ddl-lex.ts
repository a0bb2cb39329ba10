// Splits Databricks SQL text into tokens, dropping comments and tracking
// line:column so every later syntax error can say where it is.

export class DdlSyntaxError extends Error {
  readonly line: number;
  readonly column: number;

  constructor(line: number, column: number, message: string) {
    super(`syntax error at ${line}:${column}: ${message}`);
    this.name = 'DdlSyntaxError';
    this.line = line;
    this.column = column;
  }
}

// 'word' is a bare word (keyword or identifier); 'quoted' a backquoted
// identifier, which is never taken as a keyword.
export type Token = {
  kind: 'word' | 'quoted' | 'string' | 'number' | 'punct' | 'eof';
  text: string;
  value: string;
  line: number;
  col: number;
};

const PUNCT = new Set(['(', ')', '<', '>', ',', ':', ';', '.', '=']);
// Sticky, so matching starts at lastIndex without copying the rest of the input.
const WORD = /[A-Za-z0-9_]+/y;
const NUMBER = /[0-9]+(\.[0-9]+)?/y;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0' };

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  // Moves to index j, keeping line/column right across any newlines skipped.
  const moveTo = (j: number): void => {
    for (; i < j; i++) {
      if (src[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
  };
  function fail(l: number, c: number, msg: string): never {
    throw new DdlSyntaxError(l, c, msg);
  }

  while (i < src.length) {
    const c = src[i]!;
    const l = line;
    const col = i - lineStart + 1;
    const push = (kind: Token['kind'], end: number, value: string): void => {
      out.push({ kind, text: src.slice(i, end), value, line: l, col });
      moveTo(end);
    };
    if (/\s/.test(c)) {
      moveTo(i + 1);
    } else if (c === '-' && src[i + 1] === '-') {
      const nl = src.indexOf('\n', i);
      moveTo(nl < 0 ? src.length : nl);
    } else if (c === '/' && src[i + 1] === '*') {
      // Spark lets bracketed comments nest, so count depth rather than stop at the first */.
      let depth = 0;
      let j = i;
      do {
        if (src.startsWith('/*', j)) {
          depth++;
          j += 2;
        } else if (src.startsWith('*/', j)) {
          depth--;
          j += 2;
        } else if (j >= src.length) {
          fail(l, col, 'unterminated /* comment');
        } else {
          j++;
        }
      } while (depth > 0);
      moveTo(j);
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        const d = src[j];
        if (d === undefined) fail(l, col, 'unterminated string literal');
        if (d === c) break;
        if (d === '\\') {
          const e = src[j + 1];
          if (e === undefined) fail(l, col, 'unterminated string literal');
          value += ESCAPES[e] ?? e;
          j += 2;
        } else {
          value += d;
          j++;
        }
      }
      push('string', j + 1, value);
    } else if (c === '`') {
      let j = i + 1;
      let value = '';
      for (;;) {
        const d = src[j];
        if (d === undefined) fail(l, col, 'unterminated `quoted` identifier');
        if (d === '`') {
          if (src[j + 1] !== '`') break;
          j++;
        }
        value += d;
        j++;
      }
      if (value === '') fail(l, col, 'empty `quoted` identifier');
      push('quoted', j + 1, value);
    } else if (/[A-Za-z_]/.test(c)) {
      WORD.lastIndex = i;
      const end = i + WORD.exec(src)![0].length;
      push('word', end, src.slice(i, end));
    } else if (/[0-9]/.test(c)) {
      NUMBER.lastIndex = i;
      const end = i + NUMBER.exec(src)![0].length;
      push('number', end, src.slice(i, end));
    } else if (PUNCT.has(c)) {
      push('punct', i + 1, c);
    } else {
      fail(l, col, `unexpected character ${JSON.stringify(c)}`);
    }
  }
  out.push({ kind: 'eof', text: '', value: '', line, col: i - lineStart + 1 });
  return out;
}
