// Write-ahead segment files: naming, listing, recovery after a crash, and
// turning a segment into the plain file DuckDB loads. A segment is a sequence
// of framed records (frame.ts); damage inside it costs only the damaged
// records, never the intact ones around them.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeAll } from './write-all.ts';
import { fileSource, scanFrames, type ScanResult } from './frame.ts';
import { reportDamage, reportTornTail, type Log } from './corruption.ts';

const SEGMENT_RE = /^(\d{20})\.wal$/;
/** Unframed NDJSON segments of earlier versions; converted when found (legacy-segment.ts). */
const LEGACY_RE = /^(\d{20})\.ndjson$/;

export type SegmentFile = { seq: bigint; path: string; legacy?: true };

export const segmentName = (seq: bigint): string => `${seq.toString().padStart(20, '0')}.wal`;
export const legacySegmentName = (seq: bigint): string => `${seq.toString().padStart(20, '0')}.ndjson`;

const bySeq = (a: { seq: bigint }, b: { seq: bigint }) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0);

/** Segments of one table's staging folder, oldest first; legacy ones flagged. */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: SegmentFile[] = [];
  for (const n of names) {
    const m = SEGMENT_RE.exec(n);
    if (m) out.push({ seq: BigInt(m[1]!), path: path.join(dir, n) });
    const l = LEGACY_RE.exec(n);
    if (l) out.push({ seq: BigInt(l[1]!), path: path.join(dir, n), legacy: true });
  }
  return out.sort(bySeq);
}

/** Scans a whole segment file, handing each intact payload to `onRecord`. */
export async function scanSegment(file: string, onRecord?: Parameters<typeof scanFrames>[1]): Promise<ScanResult & { size: number }> {
  const fh = await fsp.open(file, 'r');
  try {
    const { size } = await fh.stat();
    return { ...(await scanFrames(fileSource(fh, size), onRecord)), size };
  } finally {
    await fh.close();
  }
}

export type Recovered = { bytes: number; rows: number; lineBytesMax: number; scan: ScanResult };

/**
 * Checks a segment an earlier run left behind. A torn tail is cut (and
 * logged); damaged stretches in the middle are reported and left in place,
 * to be skipped when the segment is loaded.
 */
export async function recoverSegment(file: string, table: string, log: Log): Promise<Recovered> {
  const scan = await scanSegment(file);
  reportDamage(log, table, file, scan.damage);
  let bytes = scan.size;
  if (scan.tornTail) {
    reportTornTail(log, table, file, scan.tornTail);
    bytes = scan.tornTail.offset;
    const fh = await fsp.open(file, 'r+');
    try {
      await fh.truncate(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  return { bytes, rows: scan.rows, lineBytesMax: scan.lineBytesMax, scan };
}

/** Gathered payloads are written once this many bytes are waiting. */
const EXTRACT_WRITE_BYTES = 8 * 1024 * 1024;
const NEWLINE = Buffer.from('\n');

/**
 * Writes the intact payloads of a segment, in order, to `outPath` as one plain
 * NDJSON file for DuckDB. Not fsync'd: it is read at once and deleted, and a
 * crash loses nothing the segment does not still hold.
 */
export async function extractPayloads(segPath: string, outPath: string): Promise<ScanResult> {
  const out = await fsp.open(outPath, 'w');
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let position = 0;
    const drain = async () => {
      position += await writeAll(out, pending, position);
      pending = [];
      pendingBytes = 0;
    };
    const scan = await scanSegment(segPath, async (_rec, payload) => {
      pending.push(payload);
      pendingBytes += payload.length;
      // Rows must not run together when a payload lacks its final newline.
      if (payload.length > 0 && payload[payload.length - 1] !== 0x0a) pending.push(NEWLINE);
      if (pendingBytes >= EXTRACT_WRITE_BYTES) await drain();
    });
    await drain();
    return scan;
  } finally {
    await out.close();
  }
}
