// Test helpers for framed segments: what a segment holds, decoded, and records built by hand.
import { promises as fsp } from 'node:fs';
import { frameHeader, FRAME_HEADER_BYTES } from '../../src/wal/frame.ts';
import { scanSegment } from '../../src/wal/segment.ts';

export const H = FRAME_HEADER_BYTES;

/** One framed record of NDJSON lines, as the writer stages it. */
export function record(lines: string[]): Buffer {
  const payload = Buffer.from(lines.join(''));
  const longest = Math.max(0, ...lines.map((l) => Buffer.byteLength(l)));
  return Buffer.concat([frameHeader(payload, { rows: lines.length, lineBytesMax: longest }), payload]);
}

/** The intact payloads of a segment, concatenated. */
export async function segmentText(file: string): Promise<string> {
  const parts: Buffer[] = [];
  await scanSegment(file, (_r, payload) => void parts.push(Buffer.from(payload)));
  return Buffer.concat(parts).toString('utf8');
}

export async function fileBytes(file: string): Promise<Buffer> {
  return fsp.readFile(file);
}
