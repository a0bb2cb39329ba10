// TableWal takes rows as text or as the UTF-8 bytes the writer already encoded, and counts bytes, not characters.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { segmentName } from '../../src/wal/segment.ts';
import { TableWal } from '../../src/wal/table-wal.ts';

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
  expect(await fsp.readFile(file, 'utf8')).toBe(lines.join(''));
  expect(wal.activeByteCount).toBe(Buffer.byteLength(lines.join('')));
  expect(wal.activeRowCount).toBe(4);
  await wal.close();
});
