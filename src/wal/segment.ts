// Write-ahead segment files: naming, listing, and finding the part of a file
// that was durably written. A segment is plain NDJSON, one row per line, so
// DuckDB reads it directly when it becomes a Parquet file.
import { promises as fsp } from 'node:fs';
import path from 'node:path';

const SEGMENT_RE = /^(\d{20})\.ndjson$/;

export type SegmentFile = { seq: bigint; path: string };

export const segmentName = (seq: bigint): string => `${seq.toString().padStart(20, '0')}.ndjson`;

/** Segments of one table's staging folder, oldest first. */
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
  }
  return out.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
}

/**
 * Length of the longest prefix made of complete lines that each parse as a
 * JSON object. Everything acknowledged was fsync'd before its answer, and
 * writes are sequential, so a crash can only damage the tail: a torn last line,
 * or (after power loss) zeros where unsynced data was to go. Cutting at the
 * first bad line keeps every acknowledged row and drops only unacknowledged ones.
 */
export function validPrefixLength(buf: Buffer): { bytes: number; rows: number } {
  let start = 0;
  let rows = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    if (!isJsonObjectLine(buf, start, nl)) break;
    rows += 1;
    start = nl + 1;
  }
  return { bytes: start, rows };
}

function isJsonObjectLine(buf: Buffer, start: number, end: number): boolean {
  if (end - start < 2 || buf[start] !== 0x7b || buf[end - 1] !== 0x7d) return false;
  try {
    const v: unknown = JSON.parse(buf.toString('utf8', start, end));
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** Cuts a segment back to its valid prefix; returns how many rows remain. */
export async function repairSegment(file: string): Promise<{ bytes: number; rows: number; cut: number }> {
  const buf = await fsp.readFile(file);
  const valid = validPrefixLength(buf);
  if (valid.bytes < buf.length) {
    const fh = await fsp.open(file, 'r+');
    try {
      await fh.truncate(valid.bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  return { ...valid, cut: buf.length - valid.bytes };
}
