// Segments written by earlier versions were unframed NDJSON. One found at start
// is rewritten as a framed segment with the same number, so its acknowledged
// rows are committed like any others. An unframed file has no checksums, so a
// line is trusted when it is valid UTF-8 and parses as a JSON object; a bad
// line costs only itself, and the good lines after it are kept.
import { isUtf8 } from 'node:buffer';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fsyncDir, fsyncFile } from '../delta/fsync.ts';
import { reportDamage, reportTornTail, type Log } from './corruption.ts';
import { frameHeader, type Damage } from './frame.ts';
import { segmentName } from './segment.ts';

/** Payload bytes per framed record when converting: keeps each record small. */
const LEGACY_RECORD_BYTES = 1024 * 1024;

export type LegacyScan = {
  /** [start, end) of each trusted line, newline included, in order. */
  lines: [number, number][];
  rows: number;
  damage: Damage[];
  /** A last line without its newline, or zeros: a write a crash interrupted. */
  tornTail?: { offset: number; bytes: number };
};

export function scanLegacy(buf: Buffer): LegacyScan {
  const out: LegacyScan = { lines: [], rows: 0, damage: [] };
  let start = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) {
      out.tornTail = { offset: start, bytes: buf.length - start };
      break;
    }
    if (isJsonObjectLine(buf, start, nl)) {
      out.lines.push([start, nl + 1]);
      out.rows += 1;
    } else {
      const last = out.damage[out.damage.length - 1];
      if (last && last.offset + last.bytes === start) {
        last.bytes += nl + 1 - start;
        last.rows = (last.rows ?? 0) + 1;
      } else out.damage.push({ offset: start, bytes: nl + 1 - start, rows: 1 });
    }
    start = nl + 1;
  }
  // Zeros where unsynced data was to go (power loss) end the file: they are a torn tail, not damage.
  const last = out.damage[out.damage.length - 1];
  if (last && last.offset + last.bytes === (out.tornTail?.offset ?? buf.length) && buf.subarray(last.offset, buf.length).every((b) => b === 0 || b === 0x0a)) {
    out.damage.pop();
    out.tornTail = { offset: last.offset, bytes: buf.length - last.offset };
  }
  return out;
}

function isJsonObjectLine(buf: Buffer, start: number, end: number): boolean {
  if (end - start < 2 || buf[start] !== 0x7b || buf[end - 1] !== 0x7d) return false;
  // DuckDB refuses a file with invalid UTF-8 anywhere in it, so such a line is damage.
  if (!isUtf8(buf.subarray(start, end))) return false;
  try {
    const v: unknown = JSON.parse(buf.toString('utf8', start, end));
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** Framed records holding the trusted lines, about LEGACY_RECORD_BYTES of payload each. */
function frameLines(buf: Buffer, lines: [number, number][]): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < lines.length) {
    const parts: Buffer[] = [];
    let bytes = 0;
    let longest = 0;
    while (i < lines.length && (parts.length === 0 || bytes < LEGACY_RECORD_BYTES)) {
      const [s, e] = lines[i++]!;
      parts.push(buf.subarray(s, e));
      bytes += e - s;
      longest = Math.max(longest, e - s);
    }
    const payload = Buffer.concat(parts);
    out.push(frameHeader(payload, { rows: parts.length, lineBytesMax: longest }), payload);
  }
  return out;
}

/**
 * Converts `<seq>.ndjson` into `<seq>.wal` (written aside, fsync'd, renamed),
 * then deletes the old file, reporting skipped lines and a torn tail. A crash
 * at any point leaves either the old file or the new one whole; when both
 * exist the new one wins (it was renamed into place only when complete).
 */
export async function convertLegacySegment(file: string, seq: bigint, table: string, log: Log): Promise<{ rows: number; damagedLines: number; cut: number }> {
  const dir = path.dirname(file);
  const target = path.join(dir, segmentName(seq));
  const exists = await fsp.stat(target).then(
    () => true,
    () => false,
  );
  if (exists) {
    await fsp.rm(file, { force: true });
    return { rows: 0, damagedLines: 0, cut: 0 };
  }
  const buf = await fsp.readFile(file);
  const scan = scanLegacy(buf);
  reportDamage(log, table, file, scan.damage);
  if (scan.tornTail) reportTornTail(log, table, file, scan.tornTail);
  const tmp = `${target}.tmp`;
  await fsp.writeFile(tmp, Buffer.concat(frameLines(buf, scan.lines)));
  await fsyncFile(tmp);
  await fsp.rename(tmp, target);
  await fsyncDir(dir);
  await fsp.rm(file, { force: true });
  await fsyncDir(dir);
  return { rows: scan.rows, damagedLines: scan.damage.reduce((n, d) => n + (d.rows ?? 0), 0), cut: scan.tornTail?.bytes ?? 0 };
}
