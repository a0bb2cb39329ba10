// Checks a data file's Parquet layout against a table layout and rebuilds its rows from decoded leaf columns.
import { parquetMetadata, parquetRead, parquetSchema, type FileMetaData, type SchemaTree } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ColumnType, Field } from '../../src/tables/schema.ts';
import { renderValue } from './json-exact.ts';

export type Row = Record<string, unknown>;
export type ParquetContents = { numRows: number; rows: Row[] | undefined };

const PHYSICAL = {
  string: 'BYTE_ARRAY',
  long: 'INT64',
  integer: 'INT32',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'INT64',
  date: 'INT32',
} as const;
// Annotations that keep the plain meaning of the physical type; any other one
// (UINT_64, INT_16, DECIMAL...) makes readers see a different Delta type.
const ALLOWED_ANNOTATION: Record<keyof typeof PHYSICAL, Array<string | undefined>> = {
  string: ['UTF8', 'STRING'],
  long: [undefined, 'INT_64', 'INTEGER(64,true)'],
  integer: [undefined, 'INT_32', 'INTEGER(32,true)'],
  double: [undefined],
  boolean: [undefined],
  // Delta's timestamp is an instant: only the UTC-adjusted annotation reads as one (see checkNode).
  timestamp: ['TIMESTAMP'],
  date: ['DATE'],
};

const isList = (n: SchemaTree) => n.element.converted_type === 'LIST' || n.element.logical_type?.type === 'LIST';
const isMap = (n: SchemaTree) =>
  n.element.converted_type === 'MAP' || n.element.converted_type === 'MAP_KEY_VALUE' || n.element.logical_type?.type === 'MAP';

function annotation(n: SchemaTree): string | undefined {
  const lt = n.element.logical_type;
  if (lt?.type === 'INTEGER') return `INTEGER(${lt.bitWidth},${lt.isSigned})`;
  return lt?.type ?? n.element.converted_type;
}

/** Appends layout mismatches for one column subtree; true when it matches. */
function checkNode(n: SchemaTree, t: ColumnType, where: string, problems: string[]): boolean {
  const bad = (why: string) => (problems.push(`${where}: ${why}`), false);
  const rep = n.element.repetition_type;
  if (rep === 'REPEATED') return bad('is a bare repeated field, expected a nullable column');
  if (typeof t === 'string') {
    if (n.children.length > 0) return bad(`is a group, expected ${PHYSICAL[t]} for Delta ${t}`);
    const ann = annotation(n);
    if (n.element.type !== PHYSICAL[t] || !ALLOWED_ANNOTATION[t].includes(ann)) {
      return bad(`is ${n.element.type}${ann ? `/${ann}` : ''}, expected ${PHYSICAL[t]}${t === 'string' ? '/UTF8' : ''} for Delta ${t}`);
    }
    const lt = n.element.logical_type;
    if (t === 'timestamp' && (lt?.type !== 'TIMESTAMP' || !lt.isAdjustedToUTC)) return bad('is a timestamp not adjusted to UTC, which Delta reads as timestamp_ntz');
    return true;
  }
  if (n.children.length === 0) return bad(`is ${n.element.type}, expected a group for a Delta ${Object.keys(t)[0]}`);
  if ('struct' in t) {
    if (isList(n) || isMap(n)) return bad(`is a ${isList(n) ? 'LIST' : 'MAP'}, expected a plain struct group`);
    const names = n.children.map((c) => c.element.name);
    const want = t.struct.map((f) => f.name);
    if (renderValue(names) !== renderValue(want)) return bad(`struct fields are [${names.join(', ')}], expected [${want.join(', ')}]`);
    return t.struct.map((f, i) => checkNode(n.children[i] as SchemaTree, f.type, `${where}.${f.name}`, problems)).every(Boolean);
  }
  const inner = n.children[0];
  const wantKids = 'array' in t ? 1 : 2;
  if (n.children.length !== 1 || !inner || inner.element.repetition_type !== 'REPEATED' || inner.children.length !== wantKids) {
    return bad(`expected a 3-level ${'array' in t ? 'LIST' : 'MAP'} group with one repeated group of ${wantKids} field(s)`);
  }
  if ('array' in t) {
    if (!isList(n)) return bad('group lacks the LIST annotation');
    return checkNode(inner.children[0] as SchemaTree, t.array, `${where}.element`, problems);
  }
  if (!isMap(n)) return bad('group lacks the MAP annotation');
  const [key, value] = inner.children as [SchemaTree, SchemaTree];
  if (key.element.repetition_type !== 'REQUIRED') return bad('map key must be required');
  const keyOk = checkNode(key, t.map[0], `${where}.key`, problems);
  return checkNode(value, t.map[1], `${where}.value`, problems) && keyOk;
}

/** Leaf columns under a node, keyed the way page callbacks name them. */
function leafKeys(n: SchemaTree): string[] {
  return n.children.length === 0 ? [JSON.stringify(n.path)] : n.children.flatMap(leafKeys);
}

const MISSING = Symbol('missing');

/** A column subtree resolved once per file: `width` leaves, which are
 * contiguous, and each child's leaves start at its offset within them. */
type Plan = { type: ColumnType; label: string; width: number; optionalGroup: boolean; kids: Array<{ plan: Plan; offset: number }> };

function compile(n: SchemaTree, t: ColumnType, label: string): Plan {
  const plan: Plan = { type: t, label, width: 1, optionalGroup: false, kids: [] };
  if (typeof t === 'string') return plan;
  plan.optionalGroup = n.element.repetition_type === 'OPTIONAL';
  const inner = n.children[0] as SchemaTree;
  const parts: Array<[SchemaTree, ColumnType, string]> =
    'struct' in t ? t.struct.map((f, i) => [n.children[i] as SchemaTree, f.type, `${label}.${f.name}`])
    : 'array' in t ? [[inner.children[0] as SchemaTree, t.array, `${label}[]`]]
    : [[inner.children[0] as SchemaTree, t.map[0], `${label}.key`], [inner.children[1] as SchemaTree, t.map[1], `${label}.value`]];
  let offset = 0;
  for (const [node, type, l] of parts) {
    const kid = compile(node, type, l);
    plan.kids.push({ plan: kid, offset });
    offset += kid.width;
  }
  plan.width = offset;
  return plan;
}

/** How many entries every leaf agrees a nesting level holds at this point. */
function levelLength(vals: unknown[], p: Plan): number {
  const first = vals[0];
  if (!Array.isArray(first)) throw new Error(`${p.label}: leaf data is not nested where the layout nests`);
  for (const v of vals) {
    if (!Array.isArray(v) || v.length !== first.length) throw new Error(`${p.label}: leaf columns disagree on nesting`);
  }
  return first.length;
}

/*
 * Page data arrives per leaf in Dremel-assembled form: below the top-level
 * column every OPTIONAL group adds an array of 0 (null) or 1 entries, every
 * REPEATED group an array of its entries, and the leaf itself is a value or
 * null. Rebuilding from that keeps map keys such as "__proto__" and duplicate
 * keys visible, which assembled object rows would silently drop.
 */
function build(p: Plan, vals: unknown[], fail: (why: string) => void): unknown {
  const t = p.type;
  if (typeof t === 'string') {
    const v = vals[0];
    if (v === undefined || v === null) return null;
    return t === 'long' && typeof v === 'number' ? BigInt(v) : v;
  }
  if (p.optionalGroup) {
    const len = levelLength(vals, p);
    if (len === 0) return null;
    if (len !== 1) throw new Error(`${p.label}: optional group repeats`);
    vals = vals.map((v) => (v as unknown[])[0]);
  }
  const sub = (k: { plan: Plan; offset: number }, from: unknown[]) => build(k.plan, from.slice(k.offset, k.offset + k.plan.width), fail);
  if ('struct' in t) {
    const obj: Row = {};
    t.struct.forEach((f, i) => (obj[f.name] = sub(p.kids[i]!, vals)));
    return obj;
  }
  const count = levelLength(vals, p);
  const entry = (i: number) => vals.map((v) => (v as unknown[])[i]);
  if ('array' in t) return Array.from({ length: count }, (_, i) => build(p.kids[0]!.plan, entry(i), fail));
  const out = new Map<unknown, unknown>();
  for (let i = 0; i < count; i++) {
    const e = entry(i);
    const key = sub(p.kids[0]!, e);
    if (key === null) fail(`${p.label}: map has a null key`);
    if (out.has(key)) fail(`${p.label}: map repeats key ${renderValue(key)}`);
    out.set(key, sub(p.kids[1]!, e));
  }
  return out;
}

/** Reads one data file; rows are left undefined when its layout is wrong. */
export async function readParquetFile(bytes: Uint8Array, columns: Field[], label: string, problems: string[]): Promise<ParquetContents | undefined> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(file);
  } catch (e) {
    problems.push(`${label}: not a readable Parquet file: ${(e as Error).message}`);
    return undefined;
  }
  const numRows = Number(metadata.num_rows);
  const root = parquetSchema(metadata);
  const names = root.children.map((c) => c.element.name);
  const want = columns.map((c) => c.name);
  if (renderValue(names) !== renderValue(want)) {
    problems.push(`${label}: Parquet columns are [${names.join(', ')}], expected [${want.join(', ')}]`);
    return { numRows, rows: undefined };
  }
  const ok = columns.map((c, i) => checkNode(root.children[i] as SchemaTree, c.type, `${label}: column ${c.name}`, problems)).every(Boolean);
  if (!ok) return { numRows, rows: undefined };

  const leaves = new Map<string, unknown[]>();
  try {
    await parquetRead({
      file,
      metadata,
      compressors,
      onPage: ({ pathInSchema, columnData, rowStart }) => {
        const key = JSON.stringify(pathInSchema);
        let slots = leaves.get(key);
        if (!slots) leaves.set(key, (slots = new Array<unknown>(numRows).fill(MISSING)));
        for (let i = 0; i < columnData.length; i++) slots[rowStart + i] = columnData[i];
      },
    });
    for (const key of leafKeys(root)) {
      const gap = leaves.get(key)?.indexOf(MISSING) ?? 0;
      if (gap >= 0 && numRows > 0) throw new Error(`leaf ${key} has no data for row ${gap}`);
    }
    const plans = columns.map((c, i) => {
      const node = root.children[i] as SchemaTree;
      return { name: c.name, plan: compile(node, c.type, c.name), data: leafKeys(node).map((k) => leaves.get(k) as unknown[]) };
    });
    const rows: Row[] = [];
    for (let r = 0; r < numRows; r++) {
      const row: Row = {};
      const fail = (why: string) => problems.push(`${label}: row ${r} ${why}`);
      for (const c of plans) row[c.name] = build(c.plan, c.data.map((d) => d[r]), fail);
      rows.push(row);
    }
    return { numRows, rows };
  } catch (e) {
    problems.push(`${label}: reading rows failed: ${(e as Error).message}`);
    return { numRows, rows: undefined };
  }
}
