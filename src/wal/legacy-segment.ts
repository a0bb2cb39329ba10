// Segments written by earlier versions were unframed NDJSON. One found at start
// is rewritten as a framed segment with the same number, so its acknowledged
// rows are committed like any others.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fsyncDir, fsyncFile } from '../delta/fsync.ts';
import { frameHeader } from './frame.ts';
import { segmentName } from './segment.ts';

/** Lines per framed record when converting: keeps each record's payload small. */
const LEGACY_RECORD_BYTES = 1024 * 1024;

/**
 * Length of the longest prefix made of complete lines that each parse as a
 * JSON object: an unframed segment can only be trusted up to its first bad line.
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

/** Framed records holding the valid prefix's lines, about LEGACY_RECORD_BYTES each. */
function frameLines(buf: Buffer, bytes: number): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  while (start < bytes) {
    let end = start;
    let rows = 0;
    let longest = 0;
    while (end < bytes && (end === start || end - start < LEGACY_RECORD_BYTES)) {
      const nl = buf.indexOf(0x0a, end);
      longest = Math.max(longest, nl + 1 - end);
      end = nl + 1;
      rows += 1;
    }
    const payload = buf.subarray(start, end);
    out.push(frameHeader(payload, { rows, lineBytesMax: longest }), payload);
    start = end;
  }
  return out;
}

/**
 * Converts `<seq>.ndjson` into `<seq>.wal` (written aside, fsync'd, renamed),
 * then deletes the old file. Returns how many bytes of the old file were cut
 * as a torn tail. A crash at any point leaves either the old file or the new
 * one whole; when both exist the new one wins.
 */
export async function convertLegacySegment(file: string, seq: bigint): Promise<{ rows: number; cut: number }> {
  const dir = path.dirname(file);
  const target = path.join(dir, segmentName(seq));
  const exists = await fsp.stat(target).then(
    () => true,
    () => false,
  );
  if (exists) {
    await fsp.rm(file, { force: true });
    return { rows: 0, cut: 0 };
  }
  const buf = await fsp.readFile(file);
  const valid = validPrefixLength(buf);
  const tmp = `${target}.tmp`;
  await fsp.writeFile(tmp, Buffer.concat(frameLines(buf, valid.bytes)));
  await fsyncFile(tmp);
  await fsp.rename(tmp, target);
  await fsyncDir(dir);
  await fsp.rm(file, { force: true });
  return { rows: valid.rows, cut: buf.length - valid.bytes };
}
