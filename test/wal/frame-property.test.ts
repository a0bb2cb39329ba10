// Property of the framing: whatever damage a segment suffers (flipped bytes,
// a cut tail, inserted garbage, at random offsets, several at once), every
// record whose bytes are untouched is handed out exactly once and in order,
// every touched record is covered by a reported region, and the reported
// regions and intact records account for every byte of the file.
import { promises as fsp } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, FRAME_HEADER_BYTES, FRAME_MAGIC, frameHeader, scanFrames } from '../../src/wal/frame.ts';
import { extractPayloads } from '../../src/wal/segment.ts';

/** mulberry32: small, seeded, good enough to spread offsets and sizes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rec = { id: number; payload: Buffer; start: number; end: number; touched: boolean; gone: boolean };

function buildSegment(rnd: () => number, base: number): { buf: Buffer; recs: Rec[] } {
  const n = 1 + Math.floor(rnd() * 40);
  const parts: Buffer[] = [];
  const recs: Rec[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const rows = Math.floor(rnd() * 6);
    const lines = Array.from({ length: rows }, (_, j) => `{"r":${base + i},"j":${j},"s":"${'x☃'.repeat(Math.floor(rnd() * 60))}"}\n`);
    const payload = Buffer.from(lines.join(''));
    const header = frameHeader(payload, { rows, lineBytesMax: Math.max(0, ...lines.map((l) => Buffer.byteLength(l))) });
    parts.push(header, payload);
    recs.push({ id: base + i, payload, start: pos, end: pos + header.length + payload.length, touched: false, gone: false });
    pos += header.length + payload.length;
  }
  return { buf: Buffer.concat(parts), recs };
}

/** Garbage that sometimes imitates the format: a lone magic, a stale copy of a real header, zeros, or random bytes. */
function garbage(rnd: () => number, buf: Buffer): Buffer {
  const kind = Math.floor(rnd() * 4);
  const len = 1 + Math.floor(rnd() * 80);
  if (kind === 0) return Buffer.concat([FRAME_MAGIC, Buffer.alloc(len, 0x41)]);
  if (kind === 1 && buf.length >= FRAME_HEADER_BYTES) return Buffer.from(buf.subarray(0, FRAME_HEADER_BYTES));
  if (kind === 2) return Buffer.alloc(len);
  return Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
}

function corrupt(rnd: () => number, seg: { buf: Buffer; recs: Rec[] }): Buffer {
  let buf = seg.buf;
  const ops = 1 + Math.floor(rnd() * 3);
  for (let k = 0; k < ops && buf.length > 0; k++) {
    const op = Math.floor(rnd() * 3);
    const at = Math.floor(rnd() * buf.length);
    if (op === 0) {
      buf = Buffer.from(buf);
      buf[at] = (buf[at]! ^ (1 + Math.floor(rnd() * 255))) & 0xff;
      for (const r of seg.recs) if (!r.gone && r.start <= at && at < r.end) r.touched = true;
    } else if (op === 1) {
      buf = buf.subarray(0, at);
      for (const r of seg.recs) {
        if (r.gone) continue;
        if (r.start >= at) r.gone = true;
        else if (r.end > at) r.touched = true;
      }
    } else {
      const g = garbage(rnd, buf);
      buf = Buffer.concat([buf.subarray(0, at), g, buf.subarray(at)]);
      for (const r of seg.recs) {
        if (r.gone) continue;
        if (r.start < at && at < r.end) {
          r.touched = true;
          r.end += g.length;
        } else if (r.start >= at) {
          r.start += g.length;
          r.end += g.length;
        }
      }
    }
  }
  return buf;
}

const ITERATIONS = 8000;

describe('framing under random corruption', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-frame-prop-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`keeps every intact record exactly once and reports every damaged one (${ITERATIONS} seeded cases)`, async () => {
    for (let seed = 1; seed <= ITERATIONS; seed++) {
      const rnd = prng(seed);
      const seg = buildSegment(rnd, seed * 1000);
      const buf = corrupt(rnd, seg);
      const got: Buffer[] = [];
      const scan = await scanFrames(bufferSource(buf), (_r, p) => void got.push(Buffer.from(p)));
      const ctx = `seed ${seed}`;

      const intact = seg.recs.filter((r) => !r.touched && !r.gone);
      // A stale header copied into garbage may repeat a record that is intact elsewhere; compare as
      // a sequence of payloads in file order, each intact record at its own offset.
      const gotAt = scan.records.map((r, i) => ({ offset: r.offset, payload: got[i]! }));
      for (const r of intact) {
        const hits = gotAt.filter((g) => g.offset === r.start);
        expect(hits.length, `${ctx}: record ${r.id} at ${r.start} handed out ${hits.length} times`).toBe(1);
        expect(hits[0]!.payload.equals(r.payload), `${ctx}: record ${r.id} payload`).toBe(true);
      }
      // Nothing is handed out that is not an original record's exact bytes.
      for (const g of gotAt) {
        expect(seg.recs.some((r) => r.payload.equals(g.payload)), `${ctx}: payload at ${g.offset} is no record's`).toBe(true);
      }
      // Offsets strictly increase: nothing is handed out twice.
      for (let i = 1; i < gotAt.length; i++) expect(gotAt[i]!.offset > gotAt[i - 1]!.offset, ctx).toBe(true);

      const regions = [...scan.damage, ...(scan.tornTail ? [scan.tornTail] : [])];
      for (const r of seg.recs.filter((x) => x.touched && !x.gone)) {
        const end = Math.min(r.end, buf.length);
        const covered = regions.some((d) => d.offset < end && r.start < d.offset + d.bytes);
        const reHandedOut = gotAt.some((g) => g.offset === r.start);
        expect(covered && !reHandedOut, `${ctx}: damaged record ${r.id} at ${r.start} not reported`).toBe(true);
      }

      const recordBytes = scan.records.reduce((n, r) => n + FRAME_HEADER_BYTES + r.payloadBytes, 0);
      expect(recordBytes + regions.reduce((n, d) => n + d.bytes, 0), `${ctx}: bytes accounted`).toBe(buf.length);
    }
  }, 60_000);

  it('writes exactly the intact records to the file DuckDB loads (200 seeded segments on disk)', async () => {
    for (let seed = 5001; seed <= 5200; seed++) {
      const rnd = prng(seed);
      const seg = buildSegment(rnd, seed * 1000);
      const buf = corrupt(rnd, seg);
      const segPath = path.join(dir, `${seed}.wal`);
      const out = path.join(dir, `${seed}.ndjson`);
      await fsp.writeFile(segPath, buf);
      const scan = await extractPayloads(segPath, out);
      const loaded = await fsp.readFile(out, 'utf8');
      const want = seg.recs.filter((r) => !r.touched && !r.gone).map((r) => r.payload.toString('utf8'));
      // Every intact record's lines, once each; other lines only from the (rare) stale-copy garbage.
      for (const w of want) for (const line of w.split('\n').filter(Boolean)) expect(loaded.split('\n').filter((l) => l === line).length, `seed ${seed}`).toBe(1);
      expect(loaded.split('\n').filter(Boolean).length, `seed ${seed}`).toBe(scan.rows);
      await fsp.rm(segPath);
      await fsp.rm(out);
    }
  }, 60_000);
});
