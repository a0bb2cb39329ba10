// TableWal takes rows as text or as the UTF-8 bytes the writer already encoded, and counts bytes, not characters.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { segmentName } from '../../src/wal/segment.ts';
import { TableWal } from '../../src/wal/table-wal.ts';
import { H, segmentText } from './frames.ts';

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'otlp2delta-wal-bytes-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

it('stores text and pre-encoded bytes alike, grouped or not, and counts their bytes', async () => {
  const { wal } = await TableWal.open(dir, 0n);
  const lines = ['{"s":"é"}\n', '{"s":"😀"}\n', '{"s":"plain"}\n', `{"s":"${'x'.repeat(5000)}"}\n`];
  await wal.append(lines[0]!, 1);
  // Concurrent appends share one write: strings and buffers mixed.
  await Promise.all([wal.append(Buffer.from(lines[1]!), 1), wal.append(lines[2]!, 1), wal.append(Buffer.from(lines[3]!), 1)]);
  const file = path.join(dir, segmentName(0n));
  expect(await segmentText(file)).toBe(lines.join(''));
  // One record header per append.
  expect(wal.activeByteCount).toBe(4 * H + Buffer.byteLength(lines.join('')));
  expect((await fsp.stat(file)).size).toBe(wal.activeByteCount);
  expect(wal.activeRowCount).toBe(4);
  await wal.close();
});

it('remembers the longest line of each sealed segment, and restores it exactly on recovery', async () => {
  const { wal } = await TableWal.open(dir, 0n);
  await wal.append('{"a":1}\n{"a":22}\n', 2, 9);
  await Promise.all([wal.append('{"a":333}\n', 1, 10), wal.append('{"a":4}\n', 1, 8)]);
  await wal.seal();
  // Without a known longest line, the data's own size stands in for it.
  await wal.append('{"b":"xyz"}\n', 1);
  await wal.seal();
  expect(wal.sealed.map((s) => s.lineBytesMax)).toEqual([10, 12]);
  await wal.close();
  const { wal: reopened } = await TableWal.open(dir, 0n);
  // Each record header carries its rows and longest line, so nothing falls back to the file size.
  expect(reopened.sealed.map((s) => [s.rows, s.lineBytesMax])).toEqual([
    [4, 10],
    [1, 12],
  ]);
  expect(reopened.sealed.map((s) => s.bytes)).toEqual([35 + 3 * H, 12 + H]);
  await reopened.close();
});
