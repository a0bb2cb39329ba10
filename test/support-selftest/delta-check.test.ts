// Self-test of the Delta checker: a hand-built valid logs table passes, and each corruption is named.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDeltaTable, expectTableRows, parseJsonExact, readDeltaLog } from '../support/delta-check.ts';
import { selectSql, toJson, writeHandTable, writeParquet } from './hand-table.ts';

const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;
const LONG_BODY = '😀' + 'z'.repeat(39);
const LONG_URL = 'https://example.com/schemas/logs/v1/extra/long';
const TOP = '\u{10FFFF}';

// One SQL expression per column; absent columns are NULL.
const LOG_ROWS: Array<Record<string, string>> = [
  {
    event_name: `'ev'`, span_id: `'00f067aa0ba902b7'`, time_unix_nano: `${MAX}`, observed_time_unix_nano: '1700000000000000000',
    severity_number: `'SEVERITY_NUMBER_INFO'`, severity_text: `'INFO'`, body: `'hello'`, attributes: `MAP {'k': 'v', '__proto__': 'p'}`,
    dropped_attributes_count: '0', flags: '1', resource: `{'attributes': MAP {'service.name': 'svc'}, 'dropped_attributes_count': 0}`,
    resource_schema_url: `''`, instrumentation_scope: `{'name': 'scope', 'version': NULL, 'attributes': MAP {}, 'dropped_attributes_count': 0}`,
  },
  {
    trace_id: `'4bf92f3577b34da6a3ce929d0e0e4736'`, time_unix_nano: `${MIN}`, severity_number: `'SEVERITY_NUMBER_ERROR'`,
    body: `'${LONG_BODY}'`, dropped_attributes_count: '2',
    instrumentation_scope: `{'name': NULL, 'version': 'v1', 'attributes': NULL, 'dropped_attributes_count': NULL}`, log_schema_url: `'${LONG_URL}'`,
  },
  {
    event_name: `'a'`, time_unix_nano: '0', observed_time_unix_nano: '5', severity_number: `'SEVERITY_NUMBER_UNSPECIFIED'`,
    severity_text: `''`, body: `'\uFFFF'`, attributes: 'MAP {}', dropped_attributes_count: '1', flags: '0',
    resource: `{'attributes': MAP {'a': NULL}, 'dropped_attributes_count': NULL}`, resource_schema_url: `'r'`,
    instrumentation_scope: `{'name': 'scope2', 'version': NULL, 'attributes': MAP {'x': 'y'}, 'dropped_attributes_count': 3}`,
  },
];

const prefix = (s: string) => Array.from(s).slice(0, 32).join('');
const LOG_STATS = {
  numRecords: 3,
  minValues: {
    event_name: 'a', time_unix_nano: MIN, body: 'hello', dropped_attributes_count: 0, flags: 0,
    resource: { dropped_attributes_count: 0 }, instrumentation_scope: { name: 'scope', version: 'v1', dropped_attributes_count: 0 },
    log_schema_url: prefix(LONG_URL),
  },
  maxValues: {
    event_name: 'ev', time_unix_nano: MAX, body: prefix(LONG_BODY) + TOP, dropped_attributes_count: 2, flags: 1,
    resource: { dropped_attributes_count: 0 }, instrumentation_scope: { name: 'scope2', version: 'v1', dropped_attributes_count: 3 },
    log_schema_url: prefix(LONG_URL) + TOP,
  },
  nullCount: {
    event_name: 1, trace_id: 2, time_unix_nano: 0, observed_time_unix_nano: 1, attributes: 1, flags: 1,
    resource: { attributes: 1, dropped_attributes_count: 2 }, instrumentation_scope: { name: 1, version: 2, attributes: 1, dropped_attributes_count: 1 },
  },
};

const EXPECTED_LOG_ROWS = [
  {
    event_name: 'ev', trace_id: null, span_id: '00f067aa0ba902b7', time_unix_nano: MAX, observed_time_unix_nano: 1700000000000000000n,
    severity_number: 'SEVERITY_NUMBER_INFO', severity_text: 'INFO', body: 'hello', attributes: new Map([['k', 'v'], ['__proto__', 'p']]),
    dropped_attributes_count: 0, flags: 1, resource: { attributes: new Map([['service.name', 'svc']]), dropped_attributes_count: 0 },
    resource_schema_url: '', instrumentation_scope: { name: 'scope', version: null, attributes: new Map(), dropped_attributes_count: 0 },
    log_schema_url: null,
  },
  {
    event_name: null, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: null, time_unix_nano: MIN, observed_time_unix_nano: null,
    severity_number: 'SEVERITY_NUMBER_ERROR', severity_text: null, body: LONG_BODY, attributes: null, dropped_attributes_count: 2,
    flags: null, resource: null, resource_schema_url: null,
    instrumentation_scope: { name: null, version: 'v1', attributes: null, dropped_attributes_count: null }, log_schema_url: LONG_URL,
  },
  {
    event_name: 'a', trace_id: null, span_id: null, time_unix_nano: 0n, observed_time_unix_nano: 5n,
    severity_number: 'SEVERITY_NUMBER_UNSPECIFIED', severity_text: '', body: '\uFFFF', attributes: new Map(), dropped_attributes_count: 1,
    flags: 0, resource: { attributes: new Map([['a', null]]), dropped_attributes_count: null }, resource_schema_url: 'r',
    instrumentation_scope: { name: 'scope2', version: null, attributes: new Map([['x', 'y']]), dropped_attributes_count: 3 }, log_schema_url: null,
  },
];

let root: string;
let instance: DuckDBInstance;
let conn: DuckDBConnection;

type TableOpts = { parquet?: string; stats?: unknown; sizeDelta?: number };

function makeTable(name: string, opts: TableOpts = {}): { dir: string; dataPath: string } {
  return writeHandTable(join(root, name), {
    kind: 'logs',
    parquet: opts.parquet ?? join(root, 'logs.parquet'),
    stats: opts.stats ?? LOG_STATS,
    sizeDelta: opts.sizeDelta ?? 0,
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'delta-check-'));
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  await writeParquet(conn, join(root, 'logs.parquet'), selectSql('logs', LOG_ROWS));
  await writeParquet(conn, join(root, 'logs-int64.parquet'), selectSql('logs', LOG_ROWS, { dropped_attributes_count: 'BIGINT' }));
});

afterAll(() => {
  conn?.closeSync();
  instance?.closeSync();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('parseJsonExact', () => {
  it('keeps int64 values exact and other numbers as numbers', () => {
    expect(parseJsonExact('[9223372036854775807,-9223372036854775808,9007199254740991,1.5,-0,1e3]')).toEqual([MAX, MIN, 9007199254740991, 1.5, -0, 1000]);
    expect(parseJsonExact('{"a":"\\u00e9\\ud83d\\ude00\\n","__proto__":true}')).toEqual(JSON.parse('{"a":"é😀\\n","__proto__":true}'));
    expect(Object.keys(parseJsonExact('{"__proto__":1}') as object)).toEqual(['__proto__']);
  });
  it('rejects malformed JSON and duplicate keys', () => {
    for (const bad of ['{"a":1,"a":2}', '[1,]', '01', '{"a":1} x', '"\t"', 'NaN', '']) expect(() => parseJsonExact(bad), bad).toThrow(SyntaxError);
  });
});

describe('checkDeltaTable on a valid logs table', () => {
  it('passes and returns the exact rows, stats and txns', async () => {
    const { dir, dataPath } = makeTable('valid');
    writeFileSync(join(dir, 'stray.parquet'), 'not referenced');
    const t = await checkDeltaTable(dir, 'logs');
    expect(t.version).toBe(1);
    expect(t.rows).toEqual(EXPECTED_LOG_ROWS);
    expect(t.rows[0]?.time_unix_nano).toBe(MAX);
    expect([...(t.rows[0]?.attributes as Map<string, string>).keys()]).toEqual(['k', '__proto__']);
    expect(t.files.map((f) => [f.path, f.numRecords, f.version, f.dataChange])).toEqual([[dataPath, 3, 1, true]]);
    expect((t.files[0]?.stats.maxValues as Record<string, unknown>).time_unix_nano).toBe(MAX);
    expect(t.txns).toEqual(new Map([['lane-1', 9007199254740993n]]));
    expect(t.orphans).toEqual(['stray.parquet']);
    expect(t.commits.map((c) => c.actions.map((a) => Object.keys(a)[0]))).toEqual([['protocol', 'metaData'], ['commitInfo', 'add', 'txn']]);
    expect(await expectTableRows(dir, 'logs')).toHaveLength(3);
    expect(readDeltaLog(dir).version).toBe(1);
  });
});

describe('checkDeltaTable replays later commits', () => {
  it('applies remove, re-add and the latest txn, and lists the removed file as an orphan', async () => {
    const { dir, dataPath } = makeTable('replay');
    const v1 = readFileSync(join(dir, '_delta_log', '00000000000000000001.json'), 'utf8').split('\n');
    const add = parseJsonExact(v1[1] as string) as { add: Record<string, unknown> };
    const moved = `sub/part-00001-${dataPath.slice(11)}`;
    mkdirSync(join(dir, 'sub'));
    copyFileSync(join(dir, dataPath), join(dir, moved));
    const v2 = [
      toJson({ remove: { path: dataPath, deletionTimestamp: 1700000000999, dataChange: false } }),
      toJson({ add: { ...add.add, path: moved, dataChange: false } }),
      toJson({ txn: { appId: 'lane-1', version: 5 } }),
      toJson({ txn: { appId: 'lane-2', version: 1 } }),
    ];
    writeFileSync(join(dir, '_delta_log', '00000000000000000002.json'), v2.join('\n'));
    writeFileSync(join(dir, '_delta_log', '00000000000000000002.crc'), '{}');
    const t = await checkDeltaTable(dir, 'logs');
    expect(t.version).toBe(2);
    expect(t.files.map((f) => [f.path, f.version, f.dataChange])).toEqual([[moved, 2, false]]);
    expect(t.txns).toEqual(new Map<string, bigint | number>([['lane-1', 5], ['lane-2', 1]]));
    expect(t.orphans).toEqual([dataPath]);
    expect(t.rows).toEqual(EXPECTED_LOG_ROWS);
  });
});

describe('checkDeltaTable catches corruption', () => {
  const withStats = (edit: (s: typeof LOG_STATS) => void) => {
    const s = structuredClone(LOG_STATS);
    edit(s);
    return s;
  };
  const cases: Array<[string, () => string, RegExp]> = [
    ['wrong size', () => makeTable('size', { sizeDelta: 1 }).dir, /add\.size \d+ but the file is \d+ bytes/],
    ['wrong numRecords', () => makeTable('numrec', { stats: withStats((s) => (s.numRecords = 4)) }).dir, /numRecords 4 but the file has 3 rows/],
    [
      'a wrong int64 max',
      () => makeTable('max', { stats: withStats((s) => (s.maxValues.time_unix_nano = MAX - 1n)) }).dir,
      /maxValues\.time_unix_nano: max 9223372036854775806n but the data's max is 9223372036854775807n/,
    ],
    [
      'a string max chosen by UTF-16 order',
      () => makeTable('strmax', { stats: withStats((s) => (s.maxValues.body = '\uFFFF')) }).dir,
      /maxValues\.body: max "\uFFFF" vs the data's max .*below the data's max/,
    ],
    [
      'a string min that is not a prefix',
      () => makeTable('strmin', { stats: withStats((s) => (s.minValues.log_schema_url = 'https://example.com/schemas/logs/v2')) }).dir,
      /minValues\.log_schema_url: .*prefix/,
    ],
    [
      'a nullCount that ignores a null parent struct',
      () => makeTable('nulls', { stats: withStats((s) => (s.nullCount.resource.dropped_attributes_count = 1)) }).dir,
      /nullCount\.resource\.dropped_attributes_count: nullCount 1 but the file has 2 null/,
    ],
    ['stats for an unknown column', () => makeTable('unknown', { stats: withStats((s) => Object.assign(s.nullCount, { nope: 0 })) }).dir, /nullCount\.nope: no such column/],
    [
      'a missing referenced file',
      () => {
        const { dir, dataPath } = makeTable('missing');
        unlinkSync(join(dir, dataPath));
        return dir;
      },
      /referenced file is missing/,
    ],
    [
      'BIGINT where the schema says integer',
      () => makeTable('int64', { parquet: join(root, 'logs-int64.parquet') }).dir,
      /column dropped_attributes_count: is INT64\/INT_64, expected INT32 for Delta integer/,
    ],
    [
      'a non-contiguous version',
      () => {
        const { dir } = makeTable('gap');
        renameSync(join(dir, '_delta_log', '00000000000000000001.json'), join(dir, '_delta_log', '00000000000000000002.json'));
        return dir;
      },
      /not contiguous from 0: found \[0, 2\], missing 1/,
    ],
    [
      'a blank line',
      () => {
        const { dir } = makeTable('blank');
        const f = join(dir, '_delta_log', '00000000000000000001.json');
        writeFileSync(f, readFileSync(f, 'utf8').replace('\n', '\n\n'));
        return dir;
      },
      /00000000000000000001\.json line 2: blank line/,
    ],
    [
      'a leftover temp file in _delta_log',
      () => {
        const { dir } = makeTable('tmp');
        writeFileSync(join(dir, '_delta_log', '.00000000000000000002.json.1234.tmp'), '{}');
        return dir;
      },
      /unexpected file '\.00000000000000000002\.json\.1234\.tmp'/,
    ],
    [
      'a second add of the same path in one commit',
      () => {
        const { dir } = makeTable('dup');
        const f = join(dir, '_delta_log', '00000000000000000001.json');
        const addLine = readFileSync(f, 'utf8').split('\n')[1] as string;
        appendFileSync(f, addLine + '\n');
        return dir;
      },
      /more than one add for path/,
    ],
  ];
  it.each(cases)('%s', async (_name, build, message) => {
    await expect(checkDeltaTable(build(), 'logs')).rejects.toThrow(message);
  });

  it('reports every problem in one message', async () => {
    const { dir } = makeTable('many', { sizeDelta: -1, stats: withStats((s) => (s.numRecords = 2)) });
    writeFileSync(join(dir, '_delta_log', 'junk'), '');
    const err = await checkDeltaTable(dir, 'logs').catch((e: Error) => e);
    expect(String(err)).toMatch(/3 problem\(s\)[\s\S]*junk[\s\S]*add\.size[\s\S]*numRecords 2/);
  });
});
