// Per-column buffers a decode loop fills row by row, each keeping the
// statistics Delta's add action needs (null count, min, max) as values arrive,
// so no aggregate query has to read the written file back.

// Node 20 ships these ES2024 string methods; the compiler's lib stops at ES2023.
type WellFormedApi = string & { isWellFormed(): boolean; toWellFormed(): string };

/** A string as a VARCHAR stores it: lone surrogates become U+FFFD, as JSON text and N-API both turn them. */
export function stored(s: string): string {
  return (s as WellFormedApi).isWellFormed() ? s : (s as WellFormedApi).toWellFormed();
}

/**
 * Code point order, which is UTF-8 byte order and so DuckDB's VARCHAR order.
 * JavaScript's `<` compares UTF-16 code units, which differs only where a
 * surrogate meets a code unit from U+E000 up.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // A surrogate pair stands for a code point above U+FFFF, above any lone code unit.
      const xs = x <= 0xdfff;
      const ys = y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Holds a code unit from U+D800 up: only then can `<` and code point order disagree. */
const HIGH_UNIT = /[\uD800-\uFFFF]/;

/** `a` before `b` in code point order; `high` says whether both hold a unit from U+D800 up. */
function before(a: string, b: string, high: boolean): boolean {
  return high ? compareCodePoints(a, b) < 0 : a < b;
}

export class StringColumn {
  readonly values: (string | null)[] = [];
  nulls = 0;
  min: string | null = null;
  max: string | null = null;
  private minHigh = false;
  private maxHigh = false;

  push(s: string | null): void {
    this.values.push(s);
    if (s === null) {
      this.nulls++;
      return;
    }
    // Most values equal a bound already (severities, event names), and most
    // hold no unit from U+D800 up, where the native comparison is exact.
    if (s === this.min || s === this.max) return;
    const high = HIGH_UNIT.test(s);
    if (this.min === null || before(s, this.min, high && this.minHigh)) {
      this.min = s;
      this.minHigh = high;
    }
    if (this.max === null || before(this.max, s, high && this.maxHigh)) {
      this.max = s;
      this.maxHigh = high;
    }
  }

  get length(): number {
    return this.values.length;
  }
}

/**
 * BIGINT values as pairs of 32-bit words (low, high), so a row costs no
 * bigint: the buffer is handed to DuckDB as its little-endian int64 memory.
 * Bounds are kept as words too and become bigints once per file.
 */
export class Int64Column {
  words = new Uint32Array(2 * 1024);
  length = 0;
  private minHi = 0;
  private minLo = 0;
  private maxHi = 0;
  private maxLo = 0;

  push(lo: number, hi: number): void {
    if (2 * this.length === this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    this.words[2 * this.length] = lo;
    this.words[2 * this.length + 1] = hi;
    const h = hi | 0;
    const l = lo >>> 0;
    if (this.length === 0) {
      this.minHi = this.maxHi = h;
      this.minLo = this.maxLo = l;
    } else {
      if (h < this.minHi || (h === this.minHi && l < this.minLo)) (this.minHi = h), (this.minLo = l);
      if (h > this.maxHi || (h === this.maxHi && l > this.maxLo)) (this.maxHi = h), (this.maxLo = l);
    }
    this.length++;
  }

  get min(): bigint | null {
    return this.length === 0 ? null : (BigInt(this.minHi) << 32n) | BigInt(this.minLo);
  }

  get max(): bigint | null {
    return this.length === 0 ? null : (BigInt(this.maxHi) << 32n) | BigInt(this.maxLo);
  }
}

export class Int32Column {
  values = new Int32Array(1024);
  length = 0;
  min: number | null = null;
  max: number | null = null;

  push(v: number): void {
    if (this.length === this.values.length) {
      const grown = new Int32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = v;
    if (this.min === null || v < this.min) this.min = v;
    if (this.max === null || v > this.max) this.max = v;
  }
}

/**
 * MAP(VARCHAR, VARCHAR) rows: entry i of a row spans offsets[row] to
 * offsets[row + 1] in keys/values. A map column here is never NULL (an empty
 * attribute list is an empty map), so its null count is always zero.
 */
export class MapColumn {
  readonly keys: string[] = [];
  readonly values: (string | null)[] = [];
  offsets = new Uint32Array(1025);
  length = 0;

  /** Appends one row's map: the first `n` entries of keys/values. */
  pushRow(keys: readonly string[], values: readonly (string | null)[], n: number): void {
    for (let i = 0; i < n; i++) {
      this.keys.push(keys[i] as string);
      this.values.push(values[i] as string | null);
    }
    if (this.length + 1 === this.offsets.length) {
      const grown = new Uint32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[++this.length] = this.keys.length;
  }
}
