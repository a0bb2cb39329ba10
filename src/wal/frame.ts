// Framing of staged records. Each record is a fixed header followed by its
// payload, whatever bytes the writer staged (NDJSON rows today):
//
//   offset  size  field
//        0     4  magic ff 4f 32 57 (0xff never occurs in UTF-8 text)
//        4     1  format version (1)
//        5     3  reserved, zero
//        8     4  payload bytes            (all integers little-endian u32)
//       12     4  rows in the payload
//       16     4  longest line of the payload, bytes
//       20     4  CRC-32 of the payload
//       24     4  CRC-32 of header bytes 0..23
//
// The header checksum makes a header found by scanning trustworthy, so after
// damage the scan resynchronises at the next valid header and every intact
// record after the damage is kept.
import type { promises } from 'node:fs';
import { crc32 } from './crc32.ts';

export const FRAME_MAGIC = Buffer.from([0xff, 0x4f, 0x32, 0x57]);
export const FRAME_HEADER_BYTES = 28;
const FRAME_VERSION = 1;
/** The length field is a u32. */
export const FRAME_PAYLOAD_BYTES_MAX = 0xffffffff;
/** Read size of the scanner: large reads keep a 16 MiB segment to a handful of system calls. */
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;

export type RecordMeta = { rows: number; lineBytesMax: number };
export type FrameRecord = RecordMeta & { offset: number; payloadBytes: number };
/** Bytes that hold no intact record. `rows` is known when the damaged record's header was intact. */
export type Damage = { offset: number; bytes: number; rows?: number };

export function frameHeader(payload: Uint8Array, meta: RecordMeta): Buffer {
  if (payload.length > FRAME_PAYLOAD_BYTES_MAX) throw new Error(`a staged record holds at most ${FRAME_PAYLOAD_BYTES_MAX} bytes, got ${payload.length}`);
  const h = Buffer.alloc(FRAME_HEADER_BYTES);
  FRAME_MAGIC.copy(h, 0);
  h.writeUInt8(FRAME_VERSION, 4);
  h.writeUInt32LE(payload.length, 8);
  h.writeUInt32LE(Math.min(meta.rows, 0xffffffff), 12);
  h.writeUInt32LE(Math.min(meta.lineBytesMax, 0xffffffff), 16);
  h.writeUInt32LE(crc32(payload), 20);
  h.writeUInt32LE(crc32(h.subarray(0, 24)), 24);
  return h;
}

type Header = RecordMeta & { payloadBytes: number; payloadCrc: number };

function parseHeader(b: Buffer): Header | undefined {
  if (b.length < FRAME_HEADER_BYTES || !b.subarray(0, 4).equals(FRAME_MAGIC)) return undefined;
  if (b.readUInt32LE(24) !== crc32(b.subarray(0, 24)) || b.readUInt8(4) !== FRAME_VERSION) return undefined;
  return { payloadBytes: b.readUInt32LE(8), rows: b.readUInt32LE(12), lineBytesMax: b.readUInt32LE(16), payloadCrc: b.readUInt32LE(20) };
}

/** Random access to the bytes being scanned. */
export type ByteSource = { size: number; read(pos: number, n: number): Promise<Buffer> };

export function bufferSource(buf: Buffer): ByteSource {
  return { size: buf.length, read: async (pos, n) => buf.subarray(pos, Math.min(buf.length, pos + n)) };
}

/** Reads a file in large chunks and serves the scanner's small reads from the last one. */
export function fileSource(fh: promises.FileHandle, size: number): ByteSource {
  let chunk = Buffer.alloc(0);
  let chunkAt = 0;
  return {
    size,
    async read(pos, n) {
      const want = Math.min(n, size - pos);
      if (pos >= chunkAt && pos + want <= chunkAt + chunk.length) return chunk.subarray(pos - chunkAt, pos - chunkAt + want);
      const len = Math.min(size - pos, Math.max(want, SCAN_CHUNK_BYTES));
      const buf = Buffer.allocUnsafe(len);
      let got = 0;
      while (got < len) {
        const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      chunk = buf.subarray(0, got);
      chunkAt = pos;
      return chunk.subarray(0, Math.min(want, got));
    },
  };
}

export type ScanResult = {
  records: FrameRecord[];
  rows: number;
  lineBytesMax: number;
  /** Damaged stretches before the end; the intact records around them are kept. */
  damage: Damage[];
  /**
   * An incomplete last record (a write a crash interrupted, so never
   * acknowledged): a valid header whose payload runs past the end, part of a
   * header, or zeros. Cut at recovery.
   */
  tornTail?: { offset: number; bytes: number };
};

/** First offset at or after `from` holding a valid header, or the end. */
async function nextHeader(src: ByteSource, from: number): Promise<number> {
  let pos = from;
  while (pos < src.size) {
    const chunk = await src.read(pos, SCAN_CHUNK_BYTES);
    let i = chunk.indexOf(FRAME_MAGIC[0] as number);
    while (i >= 0) {
      const at = pos + i;
      if (parseHeader(await src.read(at, FRAME_HEADER_BYTES))) return at;
      i = chunk.indexOf(FRAME_MAGIC[0] as number, i + 1);
    }
    pos += chunk.length;
  }
  return src.size;
}

function looksTorn(tail: Buffer): boolean {
  if (tail.every((b) => b === 0)) return true;
  const n = Math.min(tail.length, FRAME_MAGIC.length);
  return tail.length < FRAME_HEADER_BYTES && tail.subarray(0, n).equals(FRAME_MAGIC.subarray(0, n));
}

/**
 * Walks a segment record by record, handing each intact payload to `onRecord`
 * in order, and reports what it had to skip.
 */
export async function scanFrames(src: ByteSource, onRecord?: (r: FrameRecord, payload: Buffer) => void | Promise<void>): Promise<ScanResult> {
  const out: ScanResult = { records: [], rows: 0, lineBytesMax: 0, damage: [] };
  let pos = 0;
  let damageAt = -1;
  let damageRows: number | undefined;
  const closeDamage = (end: number) => {
    if (damageAt < 0) return;
    out.damage.push({ offset: damageAt, bytes: end - damageAt, ...(damageRows === undefined ? {} : { rows: damageRows }) });
    damageAt = -1;
    damageRows = undefined;
  };
  while (pos < src.size) {
    const h = parseHeader(await src.read(pos, FRAME_HEADER_BYTES));
    if (h) {
      const end = pos + FRAME_HEADER_BYTES + h.payloadBytes;
      if (end <= src.size) {
        const payload = await src.read(pos + FRAME_HEADER_BYTES, h.payloadBytes);
        if (crc32(payload) === h.payloadCrc) {
          closeDamage(pos);
          const rec = { offset: pos, payloadBytes: h.payloadBytes, rows: h.rows, lineBytesMax: h.lineBytesMax };
          out.records.push(rec);
          out.rows += h.rows;
          out.lineBytesMax = Math.max(out.lineBytesMax, h.lineBytesMax);
          await onRecord?.(rec, payload);
          pos = end;
          continue;
        }
      }
      // A header whose record is incomplete or whose payload fails its
      // checksum: the damage may have shifted bytes, so look for the next
      // header from just past this one's start, not from where it claims to end.
      const next = await nextHeader(src, pos + 1);
      if (next >= src.size && end > src.size) {
        closeDamage(pos);
        out.tornTail = { offset: pos, bytes: src.size - pos };
        return out;
      }
      if (damageAt < 0) {
        damageAt = pos;
        damageRows = h.rows;
      } else if (damageRows !== undefined) damageRows += h.rows;
      pos = next;
      continue;
    }
    const next = await nextHeader(src, pos + 1);
    if (next >= src.size && damageAt < 0 && looksTorn(await src.read(pos, src.size - pos))) {
      out.tornTail = { offset: pos, bytes: src.size - pos };
      return out;
    }
    if (damageAt < 0) damageAt = pos;
    damageRows = undefined;
    pos = next;
  }
  closeDamage(src.size);
  return out;
}
