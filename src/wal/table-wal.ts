// One table's write-ahead staging: rows are appended to the active segment and
// fsync'd before the caller is told they are safe. Appends that arrive while a
// write is in flight are grouped into the next write, so one fsync serves many
// requests (group commit). Sealed segments wait here until they are committed.
import { promises as fsp, type promises } from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '../delta/fsync.ts';
import { listSegments, repairSegment, segmentName } from './segment.ts';

/** `lineBytesMax`: the longest row's bytes, which bounds DuckDB's read buffers; the whole size for a segment recovered from disk. */
export type SealedSegment = { seq: bigint; path: string; bytes: number; rows: number; lineBytesMax: number };

type Pending = { data: Buffer; rows: number; lineBytesMax: number; resolve: () => void; reject: (e: unknown) => void };

/**
 * Writes the buffers one after another at `position`, with as few system
 * calls as the kernel allows. A group is written as the list it is: joining
 * it first would allocate a batch-size buffer per group, and under large
 * requests those allocations are what keeps the process's memory high.
 */
async function writeFully(fh: promises.FileHandle, bufs: Buffer[], position: number): Promise<number> {
  let pending = bufs;
  let written = 0;
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending, position + written);
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

export class TableWal {
  private fh: promises.FileHandle | undefined;
  private activeBytes = 0;
  private activeRows = 0;
  private activeLineBytesMax = 0;
  /** Set when a failed write could not be undone: the segment must be sealed as is. */
  private damaged = false;
  private queue: Pending[] = [];
  private pumpQueued = false;
  private chain: Promise<void> = Promise.resolve();
  readonly sealed: SealedSegment[] = [];

  private constructor(
    readonly dir: string,
    private activeSeq: bigint,
  ) {}

  /**
   * Opens a table's staging folder. Segments left by an earlier run are
   * repaired (torn tails cut off) and queued for commit; new rows go to a
   * fresh segment numbered after them and after `minNextSeq`, the first
   * number this writer has not yet committed to the table.
   */
  static async open(dir: string, minNextSeq: bigint): Promise<{ wal: TableWal; recoveredRows: number }> {
    await fsp.mkdir(dir, { recursive: true });
    const existing = await listSegments(dir);
    const wal = new TableWal(dir, minNextSeq);
    let recoveredRows = 0;
    for (const seg of existing) {
      const { bytes, rows } = await repairSegment(seg.path);
      if (rows === 0) {
        await fsp.rm(seg.path, { force: true });
        continue;
      }
      wal.sealed.push({ seq: seg.seq, path: seg.path, bytes, rows, lineBytesMax: bytes });
      recoveredRows += rows;
      if (seg.seq >= wal.activeSeq) wal.activeSeq = seg.seq + 1n;
    }
    return { wal, recoveredRows };
  }

  /** Bytes staged and not yet committed, active segment included. */
  get stagedBytes(): number {
    return this.activeBytes + this.sealed.reduce((n, s) => n + s.bytes, 0);
  }

  get activeRowCount(): number {
    return this.activeRows;
  }

  get activeByteCount(): number {
    return this.activeBytes;
  }

  /**
   * Resolves once the rows are on stable storage; rejects if they are not.
   * `data` is NDJSON text, or its UTF-8 bytes when the caller has them
   * already; `lineBytesMax` is its longest line, when the caller knows it.
   */
  append(data: string | Buffer, rows: number, lineBytesMax?: number): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    return new Promise((resolve, reject) => {
      this.queue.push({ data: bytes, rows, lineBytesMax: lineBytesMax ?? bytes.length, resolve, reject });
      if (!this.pumpQueued) {
        this.pumpQueued = true;
        this.chain = this.chain.then(() => this.pump());
      }
    });
  }

  /** Closes the active segment (if it holds anything) and queues it for commit. */
  seal(): Promise<void> {
    const op = this.chain.then(() => this.sealActive());
    this.chain = op.catch(() => undefined);
    return op;
  }

  /** Forgets a segment whose rows are durably committed. */
  async remove(seg: SealedSegment): Promise<void> {
    const i = this.sealed.indexOf(seg);
    if (i >= 0) this.sealed.splice(i, 1);
    await fsp.rm(seg.path, { force: true });
  }

  /** Waits for queued writes, then closes the file. */
  async close(): Promise<void> {
    await this.chain;
    await this.fh?.close();
    this.fh = undefined;
  }

  private async pump(): Promise<void> {
    this.pumpQueued = false;
    const group = this.queue;
    this.queue = [];
    if (group.length === 0) return;
    const bufs = group.map((p) => p.data);
    let written = 0;
    try {
      if (this.damaged) await this.sealActive();
      const fh = await this.activeHandle();
      written = await writeFully(fh, bufs, this.activeBytes);
      await fh.datasync();
    } catch (e) {
      await this.undoPartialWrite();
      for (const p of group) p.reject(e);
      return;
    }
    this.activeBytes += written;
    for (const p of group) {
      this.activeRows += p.rows;
      this.activeLineBytesMax = Math.max(this.activeLineBytesMax, p.lineBytesMax);
      p.resolve();
    }
  }

  /** After a failed write, cut the file back so a later append starts clean. */
  private async undoPartialWrite(): Promise<void> {
    if (!this.fh) return;
    try {
      await this.fh.truncate(this.activeBytes);
    } catch {
      this.damaged = true;
    }
  }

  private async activeHandle(): Promise<promises.FileHandle> {
    if (!this.fh) {
      this.fh = await fsp.open(path.join(this.dir, segmentName(this.activeSeq)), 'wx');
      // The new name must survive a crash, or its fsync'd rows could not be found.
      await fsyncDir(this.dir);
    }
    return this.fh;
  }

  private async sealActive(): Promise<void> {
    if (!this.fh) return;
    const file = path.join(this.dir, segmentName(this.activeSeq));
    await this.fh.close();
    this.fh = undefined;
    if (this.activeBytes === 0) {
      await fsp.rm(file, { force: true });
    } else {
      this.sealed.push({
        seq: this.activeSeq,
        path: file,
        bytes: this.activeBytes,
        rows: this.activeRows,
        lineBytesMax: this.activeLineBytesMax,
      });
    }
    this.activeSeq += 1n;
    this.activeBytes = 0;
    this.activeRows = 0;
    this.activeLineBytesMax = 0;
    this.damaged = false;
  }
}
