// Damaged staging on disk, committed by the real service: intact records are
// always committed, damage is reported (log and counters), a segment that keeps
// failing is quarantined while later segments commit, and unframed segments of
// earlier versions are still committed after an upgrade.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEGMENT_COMMIT_ATTEMPTS_MAX } from '../../src/config/limits.ts';
import { stagingCorruption } from '../../src/wal/corruption.ts';
import { listQuarantined } from '../../src/wal/quarantine.ts';
import { legacySegmentName, listSegments, scanSegment } from '../../src/wal/segment.ts';
import { logsLine } from '../replay/otlp-json.ts';
import { TableWal } from '../../src/wal/table-wal.ts';
import { bench, bodies, range, row, TABLE, type Bench } from './harness.ts';

let b: Bench;
beforeEach(async () => {
  stagingCorruption.reset();
  b = await bench();
});
afterEach(async () => {
  await b.cleanup();
});

const counts = () => stagingCorruption.snapshot().tables[TABLE];

describe('damaged staging records', () => {
  it('one replaced byte in record 500 of 1000 loses that record only, and says so', async () => {
    const seg = await b.stage(range(0, 1000).map((i) => [i]));
    const { records } = await scanSegment(seg);
    const buf = await fsp.readFile(seg);
    const at = records[499]!.offset + 40;
    buf[at] = buf[at] === 0x41 ? 0x42 : 0x41;
    await fsp.writeFile(seg, buf);

    const { service, logs } = await b.start();
    await service.pipeline.flushAll();
    expect(await b.committedBodies()).toEqual(bodies([...range(0, 499), ...range(500, 1000)]));
    expect(counts()).toMatchObject({ damagedRegions: 1, damagedRowsKnown: 1 });
    expect(logs.some((l) => /^ERROR staging damage in main\.otel\.logs .*1 rows lost/.test(l)), logs.join('\n')).toBe(true);
    // The clean stop's "all accepted rows are committed" names what was skipped.
    expect(stagingCorruption.stopNote()).toMatch(/^ except: 1 damaged staging stretches \(\d+ bytes, at least 1 rows\) were skipped$/);
  });

  it('bytes ff fe in the middle cost only their record, and later segments commit', async () => {
    const first = await b.stage(range(0, 20).map((i) => [i]));
    await b.stage([[100, 101], [102]]);
    const { records } = await scanSegment(first);
    const buf = await fsp.readFile(first);
    buf.set([0xff, 0xfe], records[10]!.offset + 30);
    await fsp.writeFile(first, buf);

    const { service } = await b.start();
    await service.pipeline.flushAll();
    expect(await b.committedBodies()).toEqual(bodies([...range(0, 10), ...range(11, 20), 100, 101, 102]));
    expect(counts()).toMatchObject({ damagedRegions: 1, damagedRowsKnown: 1 });
    expect(await service.pipeline.pendingRows()).toBe(0);
  });

  it('inserted garbage between records is reported and every record around it is committed', async () => {
    const seg = await b.stage(range(0, 10).map((i) => [i]));
    const { records } = await scanSegment(seg);
    const buf = await fsp.readFile(seg);
    const cut = records[5]!.offset;
    await fsp.writeFile(seg, Buffer.concat([buf.subarray(0, cut), Buffer.from('garbage\n\u0000\u00ff'), buf.subarray(cut)]));
    const { service } = await b.start();
    await service.pipeline.flushAll();
    expect(await b.committedBodies()).toEqual(bodies(range(0, 10)));
    expect(counts()).toMatchObject({ damagedRegions: 1, damagedRowsKnown: 0 });
  });

  it('damage that appears in a segment written by this run is found and reported at load', async () => {
    const { service, logs } = await b.start();
    const post = (req: number) =>
      fetch(`${service.url}/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-databricks-uc-table-name': TABLE },
        body: logsLine(req, 1),
      });
    for (let i = 0; i < 6; i++) expect((await post(i)).status).toBe(200);
    const [seg] = await listSegments(b.segDir);
    const { records } = await scanSegment(seg!.path);
    expect(records.length).toBe(6);
    const buf = await fsp.readFile(seg!.path);
    const at = records[2]!.offset + 35;
    buf[at] = buf[at]! ^ 0x20;
    await fsp.writeFile(seg!.path, buf);
    await service.pipeline.flushAll();
    expect(await b.committedBodies()).toEqual(['event 0.0', 'event 1.0', 'event 3.0', 'event 4.0', 'event 5.0']);
    expect(counts()).toMatchObject({ damagedRegions: 1, damagedRowsKnown: 1 });
    expect(logs.filter((l) => l.startsWith('ERROR staging damage')).length).toBe(1);
  });

  it('a torn tail is cut with a warning and counted, not silently', async () => {
    const seg = await b.stage(range(0, 5).map((i) => [i]));
    const { size } = await fsp.stat(seg);
    await fsp.truncate(seg, size - 7);
    const { service, logs } = await b.start();
    await service.pipeline.flushAll();
    expect(await b.committedBodies()).toEqual(bodies(range(0, 4)));
    expect(counts()).toMatchObject({ tornTails: 1 });
    expect(logs.some((l) => /^WARN staging main\.otel\.logs segment .*incomplete last record/.test(l)), logs.join('\n')).toBe(true);
  });

  it('a segment that keeps failing to load is quarantined after bounded attempts, and later segments commit', async () => {
    // Intact by its checksum, yet DuckDB refuses it: the fault is in the data, so retrying cannot help.
    const { wal } = await TableWal.open(b.segDir, 0n, { log: () => undefined });
    await wal.append(row(1), 1);
    await wal.append('{"body": not json}\n', 1);
    await wal.seal();
    await wal.close();
    await b.stage([[7], [8]]);

    const { service, logs } = await b.start();
    for (let i = 0; i < SEGMENT_COMMIT_ATTEMPTS_MAX; i++) await service.pipeline.flushAll();
    expect(await b.committedBodies()).toEqual(bodies([7, 8]));
    const q = await listQuarantined(b.staging);
    expect(q.map((s) => [s.table, s.seq, s.note?.rows, s.note?.attempts])).toEqual([[TABLE, 0n, 2, SEGMENT_COMMIT_ATTEMPTS_MAX]]);
    expect(counts()).toMatchObject({ quarantinedSegments: 1, quarantinedRows: 2 });
    expect(logs.some((l) => /^ERROR staging main\.otel\.logs segment 0: quarantined after 5 failed loads/.test(l)), logs.join('\n')).toBe(true);
    expect(await service.pipeline.pendingRows()).toBe(0);
  });

  it('commits an unframed segment of an earlier version after the upgrade, skipping only its bad line', async () => {
    await fsp.mkdir(b.segDir, { recursive: true });
    const lines = range(0, 8).map(row);
    lines[3] = '{"body":"row 3", broken\n';
    await fsp.writeFile(path.join(b.segDir, legacySegmentName(0n)), `${lines.join('')}{"body":"tor`);
    const { service, logs } = await b.start();
    await service.pipeline.flushAll();
    expect(await b.committedBodies()).toEqual(bodies([0, 1, 2, 4, 5, 6, 7]));
    expect(counts()).toMatchObject({ damagedRegions: 1, damagedRowsKnown: 1, tornTails: 1 });
    expect(logs.some((l) => /converted unframed segment 0+\.ndjson/.test(l))).toBe(true);
    expect(await fsp.readdir(b.segDir)).toEqual([]);
  });
});
