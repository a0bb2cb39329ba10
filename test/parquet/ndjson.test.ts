import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb, type Db } from '../../src/duckdb/db.ts';
import { rowsToNdjson, rowToJson } from '../../src/tables/ndjson.ts';

const MAX = 9_223_372_036_854_775_807n;
const MIN = -9_223_372_036_854_775_808n;

describe('rowToJson', () => {
  it('writes int64 as bare integer literals, exact at both bounds', () => {
    expect(rowToJson({ a: MAX, b: MIN, c: 0n })).toBe('{"a":9223372036854775807,"b":-9223372036854775808,"c":0}');
  });

  it('writes doubles in shortest form, keeps -0 and names the specials', () => {
    const row = { a: 0.1, b: -0, c: Number.NaN, d: Number.POSITIVE_INFINITY, e: Number.NEGATIVE_INFINITY, f: 1e21, g: 5e-324, h: 3 };
    expect(rowToJson(row)).toBe('{"a":0.1,"b":-0.0,"c":"NaN","d":"Infinity","e":"-Infinity","f":1e+21,"g":5e-324,"h":3}');
  });

  it('writes maps as objects with escaped keys and null values', () => {
    const m = new Map<string, string | null>([
      ['a"b', 'x\\y'],
      ['line\nbreak', null],
      ['ctl\u0001', '\u2028'],
    ]);
    const text = rowToJson({ m, empty: new Map() });
    expect(text).toBe('{"m":{"a\\"b":"x\\\\y","line\\nbreak":null,"ctl\\u0001":"\u2028"},"empty":{}}');
    expect(JSON.parse(text)).toEqual({ m: { 'a"b': 'x\\y', 'line\nbreak': null, 'ctl\u0001': '\u2028' }, empty: {} });
  });

  it('nests structs and arrays, and writes null and booleans', () => {
    const row = { s: { x: 1n, arr: [{ q: 0.5, v: null }, null], t: true, f: false }, n: null, e: [], o: {} };
    expect(rowToJson(row)).toBe('{"s":{"x":1,"arr":[{"q":0.5,"v":null},null],"t":true,"f":false},"n":null,"e":[],"o":{}}');
  });

  it('replaces lone surrogates, which DuckDB would reject, and keeps valid pairs', () => {
    expect(JSON.parse(rowToJson({ s: 'a\ud800b', t: '😀', k: 'x'.repeat(300) + '\udc00' }))).toEqual({
      s: 'a\ufffdb',
      t: '😀',
      k: `${'x'.repeat(300)}\ufffd`,
    });
  });

  it('joins rows with a trailing newline', () => {
    expect(rowsToNdjson([{ a: 1n }, { a: 2n }])).toBe('{"a":1}\n{"a":2}\n');
    expect(rowsToNdjson([])).toBe('');
  });
});

describe('NDJSON through DuckDB', () => {
  let db: Db;
  let dir: string;
  beforeAll(async () => {
    db = await openDuckDb({ threads: 1 });
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'ndjson-'));
  });
  afterAll(async () => {
    db.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('loads the edge values exactly into typed columns', async () => {
    const file = path.join(dir, 'edge.ndjson');
    const rows = [
      { t: MAX, d: -0, m: new Map([['k"', null]]), arr: [Number.NaN, Number.NEGATIVE_INFINITY, 0.1] },
      { t: MIN, d: 2 ** 63, m: new Map(), arr: [] },
    ];
    await fsp.writeFile(file, rowsToNdjson(rows));
    const got = await db.all(
      `SELECT t, d, 1 / d AS inv, m, arr FROM read_ndjson('${file}', columns = {'t': 'BIGINT', 'd': 'DOUBLE', ` +
        `'m': 'MAP(VARCHAR, VARCHAR)', 'arr': 'DOUBLE[]'}, format = 'newline_delimited')`,
    );
    expect(got).toEqual([
      { t: MAX, d: -0, inv: Number.NEGATIVE_INFINITY, m: [{ key: 'k"', value: null }], arr: [Number.NaN, Number.NEGATIVE_INFINITY, 0.1] },
      { t: MIN, d: 2 ** 63, inv: 2 ** -63, m: [], arr: [] },
    ]);
  });
});
