// TableWal: concurrent appends, group commit, sealing, failed writes and recovery after a crash.
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listSegments, segmentName } from '../../src/wal/segment.ts';
import { TableWal } from '../../src/wal/table-wal.ts';
import { H, record, segmentText } from './frames.ts';

const row = (i: number) => `{"i":${i}}\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** FileHandle methods live on a shared prototype; spying there sees the WAL's private handle. */
async function fileHandleProto(dir: string): Promise<FileHandle> {
  const fh = await fsp.open(path.join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(fh) as FileHandle;
  await fh.close();
  await fsp.rm(path.join(dir, 'probe'));
  return proto;
}

async function fileLines(file: string): Promise<string[]> {
  const text = await segmentText(file);
  expect(text.endsWith('\n') || text === '').toBe(true);
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'otlp2delta-wal-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('TableWal appends', () => {
  it('resolves 200 concurrent appends and holds every line exactly once', async () => {
    const { wal, recoveredRows } = await TableWal.open(dir, 0n);
    expect(recoveredRows).toBe(0);
    await Promise.all(Array.from({ length: 200 }, (_, i) => wal.append(row(i), 1)));
    expect(wal.activeRowCount).toBe(200);
    const file = path.join(dir, segmentName(0n));
    const got = await fileLines(file);
    expect(got.slice().sort()).toEqual(Array.from({ length: 200 }, (_, i) => row(i).trimEnd()).sort());
    expect(wal.activeByteCount).toBe((await fsp.stat(file)).size);
    await wal.close();
  });

  it('finishes a group after short writes, splitting inside a buffer', async () => {
    const proto = await fileHandleProto(dir);
    const realWritev = proto.writev;
    // The kernel may take fewer bytes than asked: 5 bytes at a time here.
    vi.spyOn(proto, 'writev').mockImplementation(function (this: FileHandle, bufs: readonly NodeJS.ArrayBufferView[], pos?: number) {
      const first = Buffer.from((bufs[0] as Buffer).subarray(0, 5));
      return realWritev.call(this, [first], pos);
    } as FileHandle['writev']);
    const { wal } = await TableWal.open(dir, 0n);
    await Promise.all([0, 1, 2, 3].map((i) => wal.append(row(i * 1111), 1)));
    vi.restoreAllMocks();
    await wal.append(row(9), 1);
    const file = path.join(dir, segmentName(0n));
    expect(await fileLines(file)).toEqual([0, 1111, 2222, 3333, 9].map((i) => row(i).trimEnd()));
    expect(wal.activeByteCount).toBe((await fsp.stat(file)).size);
    await wal.close();
  });

  it('groups appends that arrive during an in-flight write into one write and one fdatasync', async () => {
    const proto = await fileHandleProto(dir);
    const realSync = proto.datasync;
    const realWrite = proto.writev as (this: FileHandle, ...a: unknown[]) => Promise<unknown>;
    // Each event is numbered in order so durability can be checked per append.
    const events: { kind: 'append' | 'sync-start' | 'sync-end' | 'resolve'; i?: number }[] = [];
    let writes = 0;
    vi.spyOn(proto, 'writev').mockImplementation(function (this: FileHandle, ...a: unknown[]) {
      writes += 1;
      return realWrite.apply(this, a);
    } as FileHandle['writev']);
    // A slow disk: each fdatasync takes a while, so later appends pile up behind it.
    vi.spyOn(proto, 'datasync').mockImplementation(async function (this: FileHandle) {
      events.push({ kind: 'sync-start' });
      await sleep(15);
      await realSync.call(this);
      events.push({ kind: 'sync-end' });
    });

    const { wal } = await TableWal.open(dir, 0n);
    const pending: Promise<void>[] = [];
    for (let wave = 0; wave < 20; wave++) {
      for (let k = 0; k < 10; k++) {
        const i = wave * 10 + k;
        events.push({ kind: 'append', i });
        pending.push(wal.append(row(i), 1).then(() => void events.push({ kind: 'resolve', i })));
      }
      await sleep(3);
    }
    await Promise.all(pending);

    const syncs = events.filter((e) => e.kind === 'sync-start').length;
    // Far fewer flushes than appends, but more than one: later arrivals waited for the next group.
    expect(syncs).toBeGreaterThan(1);
    expect(syncs).toBeLessThanOrEqual(20);
    expect(writes).toBeGreaterThanOrEqual(syncs);
    expect(writes).toBeLessThanOrEqual(syncs * 2);

    // No append is acknowledged before an fdatasync that started after it was queued has finished.
    for (let i = 0; i < 200; i++) {
      const queuedAt = events.findIndex((e) => e.kind === 'append' && e.i === i);
      const resolvedAt = events.findIndex((e) => e.kind === 'resolve' && e.i === i);
      const startAfter = events.findIndex((e, j) => j > queuedAt && e.kind === 'sync-start');
      const endAfter = events.findIndex((e, j) => j > startAfter && e.kind === 'sync-end');
      expect(startAfter, `append ${i}`).toBeGreaterThan(queuedAt);
      expect(resolvedAt, `append ${i}`).toBeGreaterThan(endAfter);
    }
    // Appends resolve in batches, one batch per fdatasync.
    const batches = new Set<number>();
    let ends = 0;
    for (const e of events) {
      if (e.kind === 'sync-end') ends += 1;
      if (e.kind === 'resolve') batches.add(ends);
    }
    expect(batches.size).toBe(syncs);

    const got = await fileLines(path.join(dir, segmentName(0n)));
    expect(got.length).toBe(200);
    expect(new Set(got).size).toBe(200);
    await wal.close();
  });

  it('rejects a whole group whose fdatasync fails, cuts the file back, and keeps working', async () => {
    const proto = await fileHandleProto(dir);
    const { wal } = await TableWal.open(dir, 0n);
    await wal.append(row(0), 1);
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    vi.spyOn(proto, 'datasync').mockRejectedValueOnce(eio);
    const failed = await Promise.allSettled([wal.append(row(1), 1), wal.append(row(2), 1)]);
    expect(failed.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect((failed[0] as PromiseRejectedResult).reason).toBe(eio);
    await wal.append(row(3), 1);
    expect(await fileLines(path.join(dir, segmentName(0n)))).toEqual([row(0).trimEnd(), row(3).trimEnd()]);
    expect(wal.activeRowCount).toBe(2);
    await wal.close();
  });

  it('seals a segment it could not cut back, counting only the rows that were acknowledged', async () => {
    const proto = await fileHandleProto(dir);
    const { wal } = await TableWal.open(dir, 0n);
    await wal.append(row(0), 1);
    const eio = Object.assign(new Error('EIO'), { code: 'EIO' });
    vi.spyOn(proto, 'datasync').mockRejectedValueOnce(eio);
    vi.spyOn(proto, 'truncate').mockRejectedValueOnce(eio);
    await expect(wal.append(row(1), 1)).rejects.toBe(eio);
    await wal.append(row(2), 1);
    // The damaged segment holds the unacknowledged row on disk, but its recorded length stops before it.
    expect(wal.sealed).toEqual([{ seq: 0n, path: path.join(dir, segmentName(0n)), bytes: H + row(0).length, rows: 1, lineBytesMax: row(0).length, damage: [], attempts: 0 }]);
    expect(await fileLines(path.join(dir, segmentName(1n)))).toEqual([row(2).trimEnd()]);
    await wal.close();
  });
});

describe('TableWal seal', () => {
  it('rotates to the next number and keeps no empty segments', async () => {
    const { wal } = await TableWal.open(dir, 3n);
    await wal.seal(); // nothing written yet: nothing to keep
    expect(wal.sealed).toEqual([]);
    await wal.append(row(0), 1);
    await wal.append(row(1), 1);
    await wal.seal();
    expect(wal.sealed).toEqual([
      { seq: 3n, path: path.join(dir, segmentName(3n)), bytes: 2 * H + row(0).length + row(1).length, rows: 2, lineBytesMax: Math.max(row(0).length, row(1).length), damage: [], attempts: 0 },
    ]);
    expect(wal.activeRowCount).toBe(0);
    expect(wal.activeByteCount).toBe(0);
    await wal.seal();
    await wal.seal();
    expect(wal.sealed.length).toBe(1);
    await wal.append(row(2), 1);
    await wal.seal();
    expect(wal.sealed.map((s) => s.seq)).toEqual([3n, 4n]);
    expect(wal.stagedBytes).toBe(3 * H + row(0).length + row(1).length + row(2).length);
    expect((await listSegments(dir)).map((s) => s.seq)).toEqual([3n, 4n]);
    await wal.remove(wal.sealed[0]!);
    expect((await listSegments(dir)).map((s) => s.seq)).toEqual([4n]);
    expect(wal.sealed.map((s) => s.seq)).toEqual([4n]);
    await wal.close();
  });

  it('removes a segment whose only write failed when it is sealed', async () => {
    const proto = await fileHandleProto(dir);
    const { wal } = await TableWal.open(dir, 0n);
    vi.spyOn(proto, 'datasync').mockRejectedValueOnce(Object.assign(new Error('EIO'), { code: 'EIO' }));
    await expect(wal.append(row(0), 1)).rejects.toThrow('EIO');
    expect((await listSegments(dir)).length).toBe(1);
    await wal.seal();
    expect(wal.sealed).toEqual([]);
    expect(await listSegments(dir)).toEqual([]);
    await wal.close();
  });

  it('seals at least every append queued before it, and loses none queued after', async () => {
    const { wal } = await TableWal.open(dir, 0n);
    const appends = Array.from({ length: 50 }, (_, i) => wal.append(row(i), 1));
    const sealed = wal.seal();
    // Appends queued behind a pending write may join it, and so land in the sealed segment.
    const later = Array.from({ length: 50 }, (_, i) => wal.append(row(50 + i), 1));
    await Promise.all([...appends, sealed, ...later]);
    expect(wal.sealed.length).toBe(1);
    expect(wal.sealed[0]!.rows).toBeGreaterThanOrEqual(50);
    expect(wal.sealed[0]!.rows + wal.activeRowCount).toBe(100);
    const all: string[] = [];
    for (const s of await listSegments(dir)) all.push(...(await fileLines(s.path)));
    expect(all.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => row(i).trimEnd()));
    expect(new Set(all).size).toBe(100);
    await wal.close();
  });
});

describe('TableWal.open after a crash', () => {
  async function crashedSegment(seq: bigint, rows: number, torn: Buffer): Promise<number> {
    const { wal } = await TableWal.open(dir, seq);
    for (let i = 0; i < rows; i++) await wal.append(row(i), 1);
    const valid = wal.activeByteCount;
    // close() only releases the handle; it does not seal, like a process that died.
    await wal.close();
    await fsp.appendFile(path.join(dir, segmentName(seq)), torn);
    return valid;
  }

  it('recovers the valid rows and starts a new segment after them', async () => {
    // A record whose write a crash interrupted: header and part of its payload.
    const valid = await crashedSegment(0n, 7, record([row(7)]).subarray(0, H + 3));
    const { wal, recoveredRows } = await TableWal.open(dir, 0n, { log: () => undefined });
    expect(recoveredRows).toBe(7);
    expect(wal.sealed).toEqual([{ seq: 0n, path: path.join(dir, segmentName(0n)), bytes: valid, rows: 7, lineBytesMax: row(0).length, damage: [], attempts: 0 }]);
    expect((await fsp.stat(path.join(dir, segmentName(0n)))).size).toBe(valid);
    await wal.append(row(100), 1);
    expect(await fileLines(path.join(dir, segmentName(1n)))).toEqual([row(100).trimEnd()]);
    expect(wal.stagedBytes).toBe(valid + H + row(100).length);
    await wal.close();
  });

  it('starts after minNextSeq when that is later than any segment on disk', async () => {
    await crashedSegment(2n, 3, Buffer.alloc(64));
    const { wal, recoveredRows } = await TableWal.open(dir, 10n, { log: () => undefined });
    expect(recoveredRows).toBe(3);
    expect(wal.sealed.map((s) => s.seq)).toEqual([2n]);
    await wal.append(row(0), 1);
    expect((await listSegments(dir)).map((s) => s.seq)).toEqual([2n, 10n]);
    await wal.close();
  });

  it('starts after the last segment when that is later than minNextSeq', async () => {
    await crashedSegment(4n, 2, record([row(2)]).subarray(0, 10));
    await crashedSegment(9n, 1, Buffer.from(''));
    const { wal, recoveredRows } = await TableWal.open(dir, 5n, { log: () => undefined });
    expect(recoveredRows).toBe(3);
    expect(wal.sealed.map((s) => [s.seq, s.rows])).toEqual([
      [4n, 2],
      [9n, 1],
    ]);
    await wal.append(row(0), 1);
    expect((await listSegments(dir)).map((s) => s.seq)).toEqual([4n, 9n, 10n]);
    await wal.close();
  });

  it('deletes segments that hold nothing but a torn tail instead of keeping them', async () => {
    await fsp.writeFile(path.join(dir, segmentName(0n)), '');
    await fsp.writeFile(path.join(dir, segmentName(1n)), Buffer.alloc(4096));
    await fsp.writeFile(path.join(dir, segmentName(2n)), record([row(0)]).subarray(0, H + 2));
    const { wal, recoveredRows } = await TableWal.open(dir, 0n, { log: () => undefined });
    expect(recoveredRows).toBe(0);
    expect(wal.sealed).toEqual([]);
    expect(await listSegments(dir)).toEqual([]);
    // Reusing a number that held no row is safe: no commit can carry it.
    await wal.append(row(0), 1);
    expect((await listSegments(dir)).map((s) => s.seq)).toEqual([0n]);
    await wal.close();
  });
});
