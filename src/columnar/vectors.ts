// Column buffers into DuckDB data chunk vectors. The node bindings hand back
// copies of a vector's memory, so fixed-width data and validity go in with
// the explicit copy calls; strings as described at assignStrings (a string
// assigned through the binding is a call and a UTF-8 conversion each, the
// reason shared values are not written per row).
import duckdb from '@duckdb/node-bindings';
import type { Int32Column, Int64Column, MapColumn, StringColumn } from './columns.ts';

type Vector = duckdb.Vector;

/** Rows per data chunk: DuckDB's vector size. */
export const CHUNK_ROWS = duckdb.vector_size();

let validity: Uint8Array<ArrayBuffer> = new Uint8Array(CHUNK_ROWS / 8);

function validityBuffer(rows: number): Uint8Array<ArrayBuffer> {
  const bytes = Math.ceil(rows / 64) * 8;
  if (validity.length < bytes) validity = new Uint8Array(bytes);
  validity.fill(0xff, 0, bytes);
  return validity;
}

function markNulls(vec: Vector, values: readonly (string | null)[], from: number, n: number): void {
  const bits = validityBuffer(n);
  for (let i = 0; i < n; i++) if (values[from + i] === null) bits[i >>> 3] = (bits[i >>> 3] as number) & ~(1 << (i & 7));
  duckdb.vector_ensure_validity_writable(vec);
  duckdb.copy_data_to_vector_validity(vec, 0, bits.buffer, bits.byteOffset, Math.ceil(n / 64) * 8);
}

// A VARCHAR vector's data is an array of 16-byte duckdb_string_t (C API):
// {uint32 length, 12 bytes inline} for up to 12 bytes, else {uint32 length,
// 4-byte prefix, pointer into the vector's own string heap}. Short ASCII
// strings are written straight into that array with one copy call per chunk;
// each distinct longer string is assigned once, and its other rows get a copy
// of its 16 bytes, whose pointer stays valid within the same vector. This
// turns 20-25 binding calls per log row into a few per chunk.
const STRING_T = 16;
const INLINE_MAX = 12;
let slots = new Uint8Array(STRING_T * CHUNK_ROWS);
let slotWords = new Uint32Array(slots.buffer);
const firstRow = new Map<string, number>();
let copies = new Int32Array(2 * CHUNK_ROWS);

/** Zeroes the first `n` slots, growing the buffer if a chunk is larger. */
function clearSlots(n: number): void {
  if (slots.length < STRING_T * n) {
    slots = new Uint8Array(STRING_T * n);
    slotWords = new Uint32Array(slots.buffer);
  }
  slots.fill(0, 0, STRING_T * n);
}

/**
 * Writes `s` inline at slot `i` if it is ASCII of at most 12 bytes. When it
 * is not, bytes already written stay: the slot is assigned or copied over whole.
 */
function inlineAscii(s: string, i: number): boolean {
  const len = s.length;
  if (len > INLINE_MAX) return false;
  const at = STRING_T * i + 4;
  for (let k = 0; k < len; k++) {
    const c = s.charCodeAt(k);
    if (c >= 0x80) return false;
    slots[at + k] = c;
  }
  slotWords[4 * i] = len;
  return true;
}

function assignStrings(vec: Vector, values: readonly (string | null)[], from: number, n: number, hasNulls: boolean): void {
  clearSlots(n);
  if (copies.length < 2 * n) copies = new Int32Array(2 * n);
  let nCopies = 0;
  firstRow.clear();
  for (let i = 0; i < n; i++) {
    const s = values[from + i];
    if (s === null || s === undefined || inlineAscii(s, i)) continue;
    const j = firstRow.get(s);
    if (j === undefined) firstRow.set(s, i);
    else {
      copies[nCopies++] = i;
      copies[nCopies++] = j;
    }
  }
  duckdb.copy_data_to_vector(vec, 0, slots.buffer, 0, STRING_T * n);
  for (const [s, i] of firstRow) duckdb.vector_assign_string_element(vec, i, s);
  if (nCopies > 0) {
    // A copy of the vector's memory (the binding returns no view), pointers included.
    const data = duckdb.vector_get_data(vec, STRING_T * n);
    for (let k = 0; k < nCopies; k += 2) {
      const to = STRING_T * (copies[k] as number);
      const src = STRING_T * (copies[k + 1] as number);
      data.copyWithin(to, src, src + STRING_T);
    }
    duckdb.copy_data_to_vector(vec, 0, data.buffer as ArrayBuffer, data.byteOffset, STRING_T * n);
  }
  firstRow.clear();
  if (hasNulls) markNulls(vec, values, from, n);
}

/** Rows from..from+n of a VARCHAR column. */
export function writeStrings(vec: Vector, col: StringColumn, from: number, n: number): void {
  assignStrings(vec, col.values, from, n, col.nulls > 0);
}

export function writeInt64(vec: Vector, col: Int64Column, from: number, n: number): void {
  duckdb.copy_data_to_vector(vec, 0, col.words.buffer, col.words.byteOffset + from * 8, n * 8);
}

export function writeInt32(vec: Vector, col: Int32Column, from: number, n: number): void {
  duckdb.copy_data_to_vector(vec, 0, col.values.buffer, col.values.byteOffset + from * 4, n * 4);
}

let entries = new Uint32Array(4 * CHUNK_ROWS);

/** Rows from..from+n of a MAP(VARCHAR, VARCHAR) column: list entries, then the keys and values children. */
export function writeMap(vec: Vector, col: MapColumn, from: number, n: number): void {
  const base = col.offsets[from] as number;
  const total = (col.offsets[from + n] as number) - base;
  if (entries.length < 4 * n) entries = new Uint32Array(4 * n);
  // list_entry_t is {uint64 offset, uint64 length}; both fit the low words.
  entries.fill(0, 0, 4 * n);
  for (let i = 0; i < n; i++) {
    const start = col.offsets[from + i] as number;
    entries[4 * i] = start - base;
    entries[4 * i + 2] = (col.offsets[from + i + 1] as number) - start;
  }
  duckdb.copy_data_to_vector(vec, 0, entries.buffer, entries.byteOffset, 16 * n);
  duckdb.list_vector_reserve(vec, total);
  duckdb.list_vector_set_size(vec, total);
  if (total === 0) return;
  const child = duckdb.list_vector_get_child(vec);
  const keys = duckdb.struct_vector_get_child(child, 0);
  const values = duckdb.struct_vector_get_child(child, 1);
  assignStrings(keys, col.keys, base, total, false);
  let hasNulls = false;
  for (let i = 0; i < total && !hasNulls; i++) hasNulls = col.values[base + i] === null;
  assignStrings(values, col.values, base, total, hasNulls);
}
