// Segment files: the valid prefix of an unframed (legacy) segment, and listing segments in order.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validPrefixLength } from '../../src/wal/legacy-segment.ts';
import { legacySegmentName, listSegments, segmentName } from '../../src/wal/segment.ts';

const line = (i: number) => `{"i":${i},"s":"row ${i}"}\n`;
const lines = (n: number) => Array.from({ length: n }, (_, i) => line(i)).join('');

describe('validPrefixLength', () => {
  it('keeps a file of complete lines whole', () => {
    const buf = Buffer.from(lines(3));
    expect(validPrefixLength(buf)).toEqual({ bytes: buf.length, rows: 3 });
  });

  it('is empty for an empty file', () => {
    expect(validPrefixLength(Buffer.alloc(0))).toEqual({ bytes: 0, rows: 0 });
  });

  it('drops a partial last line', () => {
    const good = lines(2);
    const torn = Buffer.from(good + line(2).slice(0, 7));
    expect(validPrefixLength(torn)).toEqual({ bytes: Buffer.byteLength(good), rows: 2 });
  });

  it('drops a complete-looking last object that never got its newline', () => {
    // Without the newline we cannot know the write finished, and an
    // acknowledged write always ends with one, so the row was never acknowledged.
    const good = lines(2);
    const buf = Buffer.from(good + line(2).trimEnd());
    expect(validPrefixLength(buf)).toEqual({ bytes: Buffer.byteLength(good), rows: 2 });
  });

  it('stops at zeros left where unsynced data was to go', () => {
    const good = Buffer.from(lines(4));
    const buf = Buffer.concat([good, Buffer.alloc(4096)]);
    expect(validPrefixLength(buf)).toEqual({ bytes: good.length, rows: 4 });
  });

  it('stops at zeros even when a newline follows them', () => {
    const good = Buffer.from(lines(1));
    const buf = Buffer.concat([good, Buffer.alloc(20), Buffer.from('\n'), Buffer.from(line(9))]);
    expect(validPrefixLength(buf)).toEqual({ bytes: good.length, rows: 1 });
  });

  it('stops at the first garbage line and ignores valid lines after it', () => {
    const good = lines(3);
    const buf = Buffer.from(`${good}not json\n${line(3)}`);
    expect(validPrefixLength(buf)).toEqual({ bytes: Buffer.byteLength(good), rows: 3 });
  });

  it('rejects lines that are JSON but not objects, or look like objects but do not parse', () => {
    for (const bad of ['[1,2]\n', '"x"\n', '{\n', '{"a":}\n', '{}x\n', '\n', '{"a":1}{"b":2}\n']) {
      const buf = Buffer.from(line(0) + bad + line(1));
      expect(validPrefixLength(buf), JSON.stringify(bad)).toEqual({ bytes: Buffer.byteLength(line(0)), rows: 1 });
    }
  });

  it('accepts multi-byte text and escaped newlines inside values', () => {
    const text = '{"s":"naïve ☃ \\n still one line"}\n{"t":"日本"}\n';
    const buf = Buffer.from(text);
    expect(validPrefixLength(buf)).toEqual({ bytes: buf.length, rows: 2 });
    // A cut in the middle of a multi-byte character is a torn tail like any other.
    const cut = buf.subarray(0, buf.length - 4);
    expect(validPrefixLength(cut)).toEqual({ bytes: Buffer.byteLength('{"s":"naïve ☃ \\n still one line"}\n'), rows: 1 });
  });
});

describe('listSegments', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-seg-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names segments with 20 zero-padded digits so names sort like numbers', () => {
    expect(segmentName(7n)).toBe('00000000000000000007.wal');
    expect(segmentName(18446744073709551615n)).toBe('18446744073709551615.wal');
  });

  it('lists segments oldest first by number, ignoring other files', async () => {
    const seqs = [10n, 2n, 1n, 100n, 9n, 18446744073709551615n, 0n];
    for (const s of seqs) await writeFile(path.join(dir, segmentName(s)), '');
    for (const other of ['LOCK', '1.wal', '00000000000000000003.wal.tmp', '0000000000000000000x.wal', 'notes.txt']) {
      await writeFile(path.join(dir, other), '');
    }
    const listed = await listSegments(dir);
    expect(listed.map((s) => s.seq)).toEqual([...seqs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    for (const s of listed) expect(s.path).toBe(path.join(dir, segmentName(s.seq)));
  });

  it('lists unframed segments of earlier versions among them, flagged', async () => {
    await writeFile(path.join(dir, segmentName(2n)), '');
    await writeFile(path.join(dir, legacySegmentName(1n)), '');
    expect(await listSegments(dir)).toEqual([
      { seq: 1n, path: path.join(dir, legacySegmentName(1n)), legacy: true },
      { seq: 2n, path: path.join(dir, segmentName(2n)) },
    ]);
  });

  it('returns nothing for a folder that does not exist', async () => {
    expect(await listSegments(path.join(dir, 'missing'))).toEqual([]);
  });
});
