// Segment files: the valid prefix of an unframed (legacy) segment, and listing segments in order.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanLegacy } from '../../src/wal/legacy-segment.ts';
import { legacySegmentName, listSegments, segmentName } from '../../src/wal/segment.ts';

const line = (i: number) => `{"i":${i},"s":"row ${i}"}\n`;
const lines = (n: number) => Array.from({ length: n }, (_, i) => line(i)).join('');

const kept = (buf: Buffer) => {
  const s = scanLegacy(buf);
  return { text: s.lines.map(([a, b]) => buf.toString('utf8', a, b)).join(''), rows: s.rows, damage: s.damage, tornTail: s.tornTail };
};

describe('scanLegacy (unframed segments of earlier versions)', () => {
  it('keeps a file of complete lines whole', () => {
    const buf = Buffer.from(lines(3));
    expect(kept(buf)).toEqual({ text: lines(3), rows: 3, damage: [], tornTail: undefined });
  });

  it('is empty for an empty file', () => {
    expect(kept(Buffer.alloc(0))).toEqual({ text: '', rows: 0, damage: [], tornTail: undefined });
  });

  it('reports a partial last line as a torn tail', () => {
    const good = lines(2);
    const torn = Buffer.from(good + line(2).slice(0, 7));
    expect(kept(torn)).toEqual({ text: good, rows: 2, damage: [], tornTail: { offset: Buffer.byteLength(good), bytes: 7 } });
  });

  it('treats a complete-looking last object without its newline as torn', () => {
    // An acknowledged write always ends with a newline, so this row was never acknowledged.
    const good = lines(2);
    const buf = Buffer.from(good + line(2).trimEnd());
    expect(kept(buf).tornTail?.offset).toBe(Buffer.byteLength(good));
    expect(kept(buf).rows).toBe(2);
  });

  it('treats zeros at the end (unsynced data after power loss) as a torn tail, not damage', () => {
    const good = Buffer.from(lines(4));
    const buf = Buffer.concat([good, Buffer.alloc(4096)]);
    expect(kept(buf)).toEqual({ text: lines(4), rows: 4, damage: [], tornTail: { offset: good.length, bytes: 4096 } });
  });

  it('skips a garbage line and keeps the valid lines after it', () => {
    const good = lines(3);
    const buf = Buffer.from(`${good}not json\n${line(3)}`);
    expect(kept(buf)).toEqual({ text: good + line(3), rows: 4, damage: [{ offset: Buffer.byteLength(good), bytes: 9, rows: 1 }], tornTail: undefined });
  });

  it('skips a line holding invalid UTF-8 (ff fe), which DuckDB would refuse for the whole file', () => {
    const buf = Buffer.concat([Buffer.from(line(0)), Buffer.from('{"s":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n'), Buffer.from(line(2))]);
    const k = kept(buf);
    expect(k.text).toBe(line(0) + line(2));
    expect(k.damage).toEqual([{ offset: Buffer.byteLength(line(0)), bytes: 12, rows: 1 }]);
  });

  it('refuses lines that are JSON but not objects, or look like objects but do not parse', () => {
    for (const bad of ['[1,2]\n', '"x"\n', '{\n', '{"a":}\n', '{}x\n', '\n', '{"a":1}{"b":2}\n']) {
      const buf = Buffer.from(line(0) + bad + line(1));
      const k = kept(buf);
      expect(k.text, JSON.stringify(bad)).toBe(line(0) + line(1));
      expect(k.damage, JSON.stringify(bad)).toEqual([{ offset: Buffer.byteLength(line(0)), bytes: Buffer.byteLength(bad), rows: 1 }]);
    }
  });

  it('accepts multi-byte text and escaped newlines inside values', () => {
    const text = '{"s":"naïve ☃ \\n still one line"}\n{"t":"日本"}\n';
    const buf = Buffer.from(text);
    expect(kept(buf).rows).toBe(2);
    // A cut in the middle of a multi-byte character is a torn tail like any other.
    const cut = buf.subarray(0, buf.length - 4);
    expect(kept(cut).rows).toBe(1);
    expect(kept(cut).tornTail).toBeDefined();
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
