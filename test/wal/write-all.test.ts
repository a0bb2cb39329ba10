// Staging writes are split into calls the OS handles: at most WRITEV_BYTES_MAX
// bytes and WRITEV_BUFFERS_MAX buffers per writev, and an impossible count
// returned by a call fails the append instead of being taken as progress.
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WRITEV_BUFFERS_MAX, WRITEV_BYTES_MAX } from '../../src/config/limits.ts';
import { scanSegment, segmentName } from '../../src/wal/segment.ts';
import { TableWal } from '../../src/wal/table-wal.ts';

let dir: string;
let proto: FileHandle;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'otlp2delta-writev-'));
  const fh = await fsp.open(path.join(dir, 'probe'), 'w');
  proto = Object.getPrototypeOf(fh) as FileHandle;
  await fh.close();
  await fsp.rm(path.join(dir, 'probe'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('staging writes', () => {
  it('splits one large group into writev calls within the byte and buffer limits', async () => {
    const real = proto.writev;
    const calls: { bytes: number; buffers: number }[] = [];
    vi.spyOn(proto, 'writev').mockImplementation(function (this: FileHandle, bufs: readonly NodeJS.ArrayBufferView[], pos?: number) {
      calls.push({ bytes: bufs.reduce((n, b) => n + b.byteLength, 0), buffers: bufs.length });
      return real.call(this, bufs, pos);
    } as FileHandle['writev']);
    const { wal } = await TableWal.open(dir, 0n, { log: () => undefined });
    // 1,500 appends in one tick form one group: 3,000 buffers (header + payload each), about 75 MB.
    const line = (i: number) => `{"i":${i},"pad":"${'p'.repeat(50_000)}"}\n`;
    await Promise.all(Array.from({ length: 1500 }, (_, i) => wal.append(line(i), 1)));
    await wal.close();
    const total = calls.reduce((n, c) => n + c.bytes, 0);
    expect(total).toBeGreaterThan(WRITEV_BYTES_MAX);
    expect(calls.length).toBeGreaterThan(1);
    for (const c of calls) {
      expect(c.bytes).toBeLessThanOrEqual(WRITEV_BYTES_MAX);
      expect(c.buffers).toBeLessThanOrEqual(WRITEV_BUFFERS_MAX);
    }
    const scan = await scanSegment(path.join(dir, segmentName(0n)));
    expect(scan.rows).toBe(1500);
    expect(scan.damage).toEqual([]);
    expect(scan.size).toBe(total);
  });

  it('fails the append when writev reports a negative count, and leaves the segment clean', async () => {
    const real = proto.writev;
    let lie = true;
    vi.spyOn(proto, 'writev').mockImplementation(async function (this: FileHandle, bufs: readonly NodeJS.ArrayBufferView[], pos?: number) {
      const res = await real.call(this, bufs, pos);
      if (!lie) return res;
      lie = false;
      return { ...res, bytesWritten: -1_494_967_296 };
    } as FileHandle['writev']);
    const { wal } = await TableWal.open(dir, 0n, { log: () => undefined });
    await expect(wal.append('{"i":1}\n', 1)).rejects.toThrow(/write returned -1494967296/);
    await wal.append('{"i":2}\n', 1);
    await wal.close();
    const scan = await scanSegment(path.join(dir, segmentName(0n)));
    expect(scan.rows).toBe(1);
    expect(scan.damage).toEqual([]);
  });
});
