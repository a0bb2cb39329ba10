// Column buffers into DuckDB data chunk vectors. The node bindings hand back
// copies of a vector's memory, so fixed-width data and validity go in with
// the explicit copy calls; strings are assigned one by one (each is a UTF-8
// conversion in the binding, the reason shared values are not written per row).
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

function assignStrings(vec: Vector, values: readonly (string | null)[], from: number, n: number, hasNulls: boolean): void {
  for (let i = 0; i < n; i++) {
    const s = values[from + i];
    if (s !== null && s !== undefined) duckdb.vector_assign_string_element(vec, i, s);
  }
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
