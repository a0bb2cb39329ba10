// Positioned gathered writes of any total size. One writev call is kept to a
// bounded number of bytes and buffers: the return value of a multi-gigabyte
// writev does not fit the int32 some layers pass it through (it came back
// negative and read as a failed write), and the kernel takes at most IOV_MAX
// buffers per call anyway.
import type { promises } from 'node:fs';
import { WRITEV_BUFFERS_MAX, WRITEV_BYTES_MAX } from '../config/limits.ts';

/** The longest prefix of `bufs` one call may take, the last buffer cut to fit. */
function nextBatch(bufs: Buffer[], maxBytes: number): Buffer[] {
  const out: Buffer[] = [];
  let bytes = 0;
  for (const b of bufs) {
    if (out.length >= WRITEV_BUFFERS_MAX || bytes >= maxBytes) break;
    const take = Math.min(b.length, maxBytes - bytes);
    out.push(take === b.length ? b : b.subarray(0, take));
    bytes += take;
  }
  return out;
}

/** Writes the buffers one after another at `position`; returns the bytes written. */
export async function writeAll(fh: promises.FileHandle, bufs: Buffer[], position: number, maxBytes = WRITEV_BYTES_MAX): Promise<number> {
  let pending = bufs.filter((b) => b.length > 0);
  let written = 0;
  while (pending.length > 0) {
    const batch = nextBatch(pending, maxBytes);
    const asked = batch.reduce((n, b) => n + b.length, 0);
    const { bytesWritten } = await fh.writev(batch, position + written);
    if (!Number.isSafeInteger(bytesWritten) || bytesWritten < 0 || bytesWritten > asked) {
      throw new Error(`write returned ${bytesWritten} for ${asked} bytes`);
    }
    if (bytesWritten === 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    written += bytesWritten;
    // Drop what went out; a short write leaves part of one buffer behind.
    let left = bytesWritten;
    let i = 0;
    while (i < pending.length && left >= (pending[i] as Buffer).length) left -= (pending[i++] as Buffer).length;
    pending = pending.slice(i);
    if (left > 0) pending[0] = (pending[0] as Buffer).subarray(left);
  }
  return written;
}
