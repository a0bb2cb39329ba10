// Backfill from OpenTelemetry Collector file exporter output: JSON lines plain, gzip, zstd and the older length-prefixed zstd.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../../src/duckdb/db.ts';
import { sqlString } from '../../src/duckdb/sql.ts';
import { signalOfJson, sniffLayout } from '../../src/replay/collector-file.ts';
import type { Row } from '../support/delta-check.ts';
import { startTestService } from '../support/service.ts';
import { logsLine, metricsLine, spansLine } from './otlp-json.ts';
import { removeTempDirs, replayToWarehouse, rowKeysByTable, tempDir, warehouseRows } from './support.ts';

const PREFIX = 'main.backfill.otelcol';
/** One exporter fed by three pipelines writes all signals into the same file, interleaved. */
const LINES = [metricsLine(1, 3), logsLine(2, 4), spansLine(3, 2), logsLine(4, 1), metricsLine(5, 2), spansLine(6, 3)];
const RECORDS = 3 + 4 + 2 + 1 + 2 + 3;

/** Compresses `src` into a real zstd file with DuckDB (which the project already ships), byte for byte. */
async function zstdFile(src: string, dst: string): Promise<void> {
  const db = await openDuckDb();
  try {
    // One CSV field without quoting or escaping: the file's text plus one newline.
    await db.run(
      `COPY (SELECT content FROM read_text(${sqlString(src)})) TO ${sqlString(dst)} ` +
        `(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01', COMPRESSION zstd)`,
    );
  } finally {
    db.close();
  }
}

/** The file exporter's older compressed layout: each request its own zstd frame behind a big-endian uint32 length. */
async function lengthPrefixedZstd(dir: string, lines: string[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const [i, line] of lines.entries()) {
    const txt = path.join(dir, `record-${i}.txt`);
    writeFileSync(txt, line);
    await zstdFile(txt, `${txt}.zst`);
    const frame = readFileSync(`${txt}.zst`);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(frame.length);
    parts.push(size, frame);
  }
  return Buffer.concat(parts);
}

let dir: string;
let expected: Record<string, string[]>;

beforeAll(async () => {
  dir = await tempDir('otelcol');
  // The reference: the same lines sent one by one as OTLP/JSON to a server.
  const svc = await startTestService();
  try {
    for (const kind of ['metrics', 'logs', 'spans'] as const) await svc.createTable(`${PREFIX}_otel_${kind}`, kind);
    for (const line of LINES) {
      const signal = signalOfJson(line) as string;
      const table = `${PREFIX}_otel_${signal === 'traces' ? 'spans' : signal}`;
      const res = await fetch(`${svc.url}/v1/${signal}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': table },
        body: line,
      });
      expect(res.status).toBe(200);
    }
    await svc.stop({ keep: true });
    expected = rowKeysByTable(await warehouseRows(svc.warehouse));
  } finally {
    await svc.stop();
  }
  expect(Object.values(expected).flat()).toHaveLength(RECORDS);
}, 60_000);

afterAll(removeTempDirs);

async function backfill(file: string): Promise<{ rows: Map<string, Row[]>; stats: Awaited<ReturnType<typeof replayToWarehouse>> }> {
  const warehouse = await tempDir('otelcol-wh');
  const stats = await replayToWarehouse([file], warehouse, { tablePrefix: PREFIX });
  return { rows: await warehouseRows(warehouse), stats };
}

describe('Collector file exporter output backfilled into a warehouse', () => {
  const text = LINES.join('\n') + '\n';
  const variants: [string, string, () => Promise<void>][] = [
    ['JSON lines', 'plain.jsonl', async () => writeFileSync(path.join(dir, 'plain.jsonl'), text)],
    ['JSON lines, byte order mark, CRLF and blank lines', 'crlf.json', async () => {
      writeFileSync(path.join(dir, 'crlf.json'), `\uFEFF${LINES.join('\r\n\r\n')}\r\n\r\n`);
    }],
    ['gzip, two members', 'rotated.jsonl.gz', async () => {
      const half = LINES.length / 2;
      const a = gzipSync(LINES.slice(0, half).join('\n') + '\n');
      const b = gzipSync(LINES.slice(half).join('\n') + '\n');
      writeFileSync(path.join(dir, 'rotated.jsonl.gz'), Buffer.concat([a, b]));
    }],
    ['zstd stream', 'native.jsonl.zst', async () => {
      writeFileSync(path.join(dir, 'to-compress.txt'), text);
      await zstdFile(path.join(dir, 'to-compress.txt'), path.join(dir, 'native.jsonl.zst'));
    }],
    ['length-prefixed zstd records', 'legacy.zst', async () => {
      writeFileSync(path.join(dir, 'legacy.zst'), await lengthPrefixedZstd(dir, LINES));
    }],
  ];

  it.each(variants)('%s: every request lands, rows identical to sending the lines over HTTP', async (_label, name, make) => {
    await make();
    const { rows, stats } = await backfill(path.join(dir, name));
    expect(stats).toMatchObject({ requests: LINES.length, records: RECORDS, acceptedRecords: RECORDS, rejectedRequests: 0, rejectedRecords: 0 });
    expect(rowKeysByTable(rows)).toEqual(expected);
  });

  it('a line that is not an OTLP request is refused and named; the other lines land', async () => {
    const file = path.join(dir, 'mixed.jsonl');
    writeFileSync(file, [LINES[0], 'not json at all', '{"something":"else"}', LINES[1]].join('\n'));
    const { rows, stats } = await backfill(file);
    expect(stats).toMatchObject({ requests: 4, rejectedRequests: 2, records: 7, acceptedRecords: 7 });
    expect(stats.problems).toEqual([
      expect.stringMatching(/mixed\.jsonl:2: is not JSON/),
      expect.stringMatching(/mixed\.jsonl:3: has none of resourceMetrics/),
    ]);
    expect([...rows.values()].flat()).toHaveLength(7);
  });

  it('a truncated zstd file yields the complete requests and reports the damage', async () => {
    writeFileSync(path.join(dir, 'whole.txt'), text);
    await zstdFile(path.join(dir, 'whole.txt'), path.join(dir, 'whole.zst'));
    const whole = readFileSync(path.join(dir, 'whole.zst'));
    const cut = path.join(dir, 'cut.jsonl.zst');
    writeFileSync(cut, whole.subarray(0, whole.length - 12));
    const { stats } = await backfill(cut);
    expect(stats.rejectedRequests).toBeGreaterThanOrEqual(1);
    expect(stats.problems.join('\n')).toMatch(/zstd/);
  });

  it('refuses length-prefixed protobuf, which names no signal', async () => {
    const file = path.join(dir, 'proto.bin');
    writeFileSync(file, Buffer.from([0, 0, 0, 3, 0x0a, 0x01, 0x00]));
    const { stats } = await backfill(file);
    expect(stats).toMatchObject({ requests: 1, rejectedRequests: 1 });
    expect(stats.problems[0]).toMatch(/format: proto/);
  });
});

describe('Collector file sniffing', () => {
  it('tells the layouts apart by their first bytes', () => {
    expect(sniffLayout(Buffer.from('{"resourceLogs":[]}'))).toBe('lines');
    expect(sniffLayout(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('gzip-lines');
    expect(sniffLayout(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]))).toBe('zstd-lines');
    expect(sniffLayout(Buffer.from([0, 0, 1, 0, 0x28, 0xb5, 0x2f, 0xfd]))).toBe('length-prefixed-zstd');
    expect(sniffLayout(Buffer.from([0, 0, 1, 0, 0x0a, 1, 2, 3]))).toBe('length-prefixed');
  });

  it('finds the signal from the top-level key, in either spelling and any key order', () => {
    expect(signalOfJson('{"resourceMetrics":[]}')).toBe('metrics');
    expect(signalOfJson(' { "resource_logs": [] }')).toBe('logs');
    expect(signalOfJson('{"extra":1,"resourceSpans":[]}')).toBe('traces');
    expect(signalOfJson('{"resourceMetrics":null,"resourceLogs":[]}')).toBe('logs');
    expect(signalOfJson('{}')).toBeUndefined();
    expect(signalOfJson('{"resourceLogs":[')).toBe('logs');
    expect(signalOfJson('[1]')).toBeUndefined();
    expect(signalOfJson('nope')).toBe('not-json');
  });
});
