// DuckDB replaces some Unicode space characters with a plain space before it
// reads a statement, skipping quoted text and `--` comments by rules of its
// own (block comments are not among them, so a quote inside one hides what
// follows). This module repeats that pass byte for byte over the UTF-8 text,
// so the lexer in sql-text.ts sees the statement exactly as DuckDB's parser does.

/** A character DuckDB may treat as a space; anything else leaves the text unchanged. */
const CANDIDATES = /[\u00a0\u2000-\u200b\u202f\u205f\u2060\u3000\ufeff]/;

const DOLLAR = 0x24;
const isTagFirst = (c: number | undefined): boolean =>
  c !== undefined && ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80);
const isTagNext = (c: number | undefined): boolean => isTagFirst(c) || (c !== undefined && c >= 0x30 && c <= 0x39);

/** Length in bytes of the space DuckDB replaces at `pos`, or 0. */
function spaceAt(q: Buffer, pos: number): number {
  const [a, b, c] = [q[pos], q[pos + 1], q[pos + 2]];
  if (a === 0xc2 && b === 0xa0) return 2;
  if (a === 0xe2 && b === 0x80 && c !== undefined && ((c >= 0x80 && c <= 0x8b) || c === 0xaf)) return 3;
  if (a === 0xe2 && b === 0x81 && (c === 0x9f || c === 0xa0)) return 3;
  if (a === 0xe3 && b === 0x80 && c === 0x80) return 3;
  if (a === 0xef && b === 0xbb && c === 0xbf) return 3;
  return 0;
}

/** Byte offsets of the spaces DuckDB replaces. */
function replacedOffsets(q: Buffer): number[] {
  const n = q.length;
  const found: number[] = [];
  let pos = 0;
  // The states of DuckDB's pass; each loop's bounds are DuckDB's, so a space in
  // the last two bytes is never replaced and an unfinished quote runs to the end.
  type State = 'regular' | 'quote' | 'dollar' | 'comment';
  let state: State = 'regular';
  let quote = 0;
  let tag: Buffer = Buffer.alloc(0);
  for (;;) {
    if (state === 'regular') {
      let next: State | undefined;
      for (; pos + 2 < n; pos++) {
        const ch = q[pos] as number;
        const len = spaceAt(q, pos);
        if (len > 0) {
          found.push(pos);
          continue;
        }
        if (ch === 0x22 || ch === 0x27) {
          quote = ch;
          pos++;
          next = 'quote';
          break;
        }
        if (ch === DOLLAR && (q[pos + 1] === DOLLAR || isTagFirst(q[pos + 1]))) {
          const start = ++pos;
          let ended = false;
          for (; pos + 2 < n; pos++) {
            if (q[pos] === DOLLAR) {
              tag = q.subarray(start, pos);
              next = 'dollar';
              break;
            }
            if (!isTagNext(q[pos])) {
              ended = true;
              break;
            }
          }
          if (next || ended) break;
          return found;
        }
        if (ch === 0x2d && q[pos + 1] === 0x2d) {
          next = 'comment';
          break;
        }
      }
      if (next === undefined) {
        // An invalid tag character: DuckDB goes on from that very byte.
        if (pos + 2 < n) continue;
        return found;
      }
      state = next;
    } else if (state === 'quote') {
      let closed = false;
      for (; pos + 1 < n; pos++) {
        if (q[pos] !== quote) continue;
        if (q[pos + 1] === quote) {
          pos++;
          continue;
        }
        pos++;
        closed = true;
        break;
      }
      if (!closed) return found;
      state = 'regular';
    } else if (state === 'dollar') {
      let closed = false;
      for (; pos + 2 < n; pos++) {
        if (q[pos] === DOLLAR && n - (pos + 1) >= tag.length + 1 && q[pos + tag.length + 1] === DOLLAR && q.subarray(pos + 1, pos + 1 + tag.length).equals(tag)) {
          pos += tag.length + 1;
          closed = true;
          break;
        }
      }
      if (!closed) return found;
      state = 'regular';
    } else {
      while (pos < n && q[pos] !== 0x0a && q[pos] !== 0x0d) pos++;
      if (pos >= n) return found;
      state = 'regular';
    }
  }
}

/** `sql` with the Unicode spaces DuckDB replaces turned into ' '; every offset stays where it was. */
export function withDuckDbSpaces(sql: string): string {
  if (!CANDIDATES.test(sql)) return sql;
  const bytes = Buffer.from(sql, 'utf8');
  const offsets = new Set(replacedOffsets(bytes));
  if (offsets.size === 0) return sql;
  let out = '';
  let byte = 0;
  for (const ch of sql) {
    // Each replaced character is one UTF-16 unit, so one space keeps offsets.
    out += offsets.has(byte) ? ' ' : ch;
    byte += Buffer.byteLength(ch, 'utf8');
  }
  return out;
}
