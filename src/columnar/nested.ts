// Column buffers beyond the flat ones of columns.ts, for point and span
// tables: nullable DOUBLE with its Delta figures, lists of BIGINT or DOUBLE,
// and lists of structs whose children are ordinary column buffers. Each comes
// with its data chunk writer; child vectors are fetched after the list is
// reserved, as reserving may move them.
import duckdb from '@duckdb/node-bindings';
import { Int32Column, Int64Column, MapColumn, StringColumn } from './columns.ts';
import { writeInt32, writeInt64, writeMap, writeStrings } from './vectors.ts';

type Vector = duckdb.Vector;

function grownF64(a: Float64Array<ArrayBuffer>, need: number): Float64Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Float64Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

function grownU8(a: Uint8Array<ArrayBuffer>, need: number): Uint8Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Uint8Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

function grownU32(a: Uint32Array<ArrayBuffer>, need: number): Uint32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Uint32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

let bits = new Uint8Array(256);

/** Sets the validity of rows from..from+n from per-row null flags (1 = NULL). */
function writeValidity(vec: Vector, isNull: Uint8Array, from: number, n: number): void {
  const bytes = Math.ceil(n / 64) * 8;
  if (bits.length < bytes) bits = new Uint8Array(bytes);
  bits.fill(0xff, 0, bytes);
  for (let i = 0; i < n; i++) if (isNull[from + i] === 1) bits[i >>> 3] = (bits[i >>> 3] as number) & ~(1 << (i & 7));
  duckdb.vector_ensure_validity_writable(vec);
  duckdb.copy_data_to_vector_validity(vec, 0, bits.buffer, bits.byteOffset, bytes);
}

/** DOUBLE values; NULL for proto3 `optional` fields left out. NaN and infinities are counted, as the stats query does. */
export class DoubleColumn {
  values = new Float64Array(1024);
  isNull = new Uint8Array(1024);
  length = 0;
  nulls = 0;
  nonFinite = 0;
  min: number | null = null;
  max: number | null = null;

  push(x: number | null): void {
    const i = this.length++;
    this.values = grownF64(this.values, this.length);
    this.isNull = grownU8(this.isNull, this.length);
    if (x === null) {
      this.isNull[i] = 1;
      this.values[i] = 0;
      this.nulls++;
      return;
    }
    this.isNull[i] = 0;
    this.values[i] = x;
    if (!Number.isFinite(x)) {
      this.nonFinite++;
      return;
    }
    if (this.min === null || x < this.min) this.min = x;
    if (this.max === null || x > this.max) this.max = x;
  }
}

export function writeDoubles(vec: Vector, col: DoubleColumn, from: number, n: number): void {
  duckdb.copy_data_to_vector(vec, 0, col.values.buffer, col.values.byteOffset + from * 8, n * 8);
  if (col.nulls > 0) writeValidity(vec, col.isNull, from, n);
}

/** Row offsets of a LIST column; a row may be NULL (an absent message holding the list). */
export class ListOffsets {
  offsets = new Uint32Array(1025);
  isNull = new Uint8Array(1024);
  length = 0;
  nulls = 0;

  /** Closes a row whose entries end at `end` in the child buffers. */
  pushRow(end: number, isNull = false): void {
    this.offsets = grownU32(this.offsets, this.length + 2);
    this.isNull = grownU8(this.isNull, this.length + 1);
    this.isNull[this.length] = isNull ? 1 : 0;
    if (isNull) this.nulls++;
    this.offsets[++this.length] = end;
  }
}

let entries = new Uint32Array(4 * 2048);

/** The list entries of rows from..from+n; returns the child range [base, base + total). */
function writeListEntries(vec: Vector, l: ListOffsets, from: number, n: number): [base: number, total: number] {
  const base = l.offsets[from] as number;
  const total = (l.offsets[from + n] as number) - base;
  if (entries.length < 4 * n) entries = new Uint32Array(4 * n);
  entries.fill(0, 0, 4 * n);
  for (let i = 0; i < n; i++) {
    const start = l.offsets[from + i] as number;
    entries[4 * i] = start - base;
    entries[4 * i + 2] = (l.offsets[from + i + 1] as number) - start;
  }
  duckdb.copy_data_to_vector(vec, 0, entries.buffer, entries.byteOffset, 16 * n);
  if (l.nulls > 0) writeValidity(vec, l.isNull, from, n);
  duckdb.list_vector_reserve(vec, total);
  duckdb.list_vector_set_size(vec, total);
  return [base, total];
}

/** BIGINT[]: entries as 32-bit word pairs, like Int64Column. */
export class Int64ListColumn {
  readonly rows = new ListOffsets();
  readonly items = new Int64Column();

  /** Closes the row holding every item pushed since the last one. */
  endRow(isNull = false): void {
    this.rows.pushRow(this.items.length, isNull);
  }
}

/** DOUBLE[]. */
export class DoubleListColumn {
  readonly rows = new ListOffsets();
  readonly items = new DoubleColumn();

  endRow(isNull = false): void {
    this.rows.pushRow(this.items.length, isNull);
  }
}

/** Column buffers a struct list's children are kept in. */
export type ChildColumn = StringColumn | Int64Column | Int32Column | DoubleColumn | MapColumn | Int64ListColumn | DoubleListColumn;

/** LIST(STRUCT(...)): the struct's children in field order; entries are never NULL. */
export class StructListColumn {
  readonly rows = new ListOffsets();
  constructor(public children: readonly ChildColumn[]) {}

  /** Closes the row whose entries end at the first child's current length. */
  endRow(entriesEnd: number): void {
    this.rows.pushRow(entriesEnd);
  }
}

export type AnyColumn = ChildColumn | StructListColumn;

/** Rows from..from+n of any column buffer into its vector. */
export function writeAny(vec: Vector, col: AnyColumn, from: number, n: number): void {
  if (col instanceof StringColumn) writeStrings(vec, col, from, n);
  else if (col instanceof Int64Column) writeInt64(vec, col, from, n);
  else if (col instanceof Int32Column) writeInt32(vec, col, from, n);
  else if (col instanceof DoubleColumn) writeDoubles(vec, col, from, n);
  else if (col instanceof MapColumn) writeMap(vec, col, from, n);
  else if (col instanceof Int64ListColumn) {
    const [base, total] = writeListEntries(vec, col.rows, from, n);
    if (total > 0) writeInt64(duckdb.list_vector_get_child(vec), col.items, base, total);
  } else if (col instanceof DoubleListColumn) {
    const [base, total] = writeListEntries(vec, col.rows, from, n);
    if (total > 0) writeDoubles(duckdb.list_vector_get_child(vec), col.items, base, total);
  } else {
    const [base, total] = writeListEntries(vec, col.rows, from, n);
    if (total === 0) return;
    const child = duckdb.list_vector_get_child(vec);
    col.children.forEach((c, i) => writeAny(duckdb.struct_vector_get_child(child, i), c, base, total));
  }
}
