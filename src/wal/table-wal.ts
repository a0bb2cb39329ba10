// One table's write-ahead staging: rows are appended to the active segment and
// fsync'd before the caller is told they are safe. Appends that arrive while a
// write is in flight are grouped into the next write, so one fsync serves many
// requests (group commit). Sealed segments wait here until they are committed.
import { promises as fsp, type promises } from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '../delta/fsync.ts';
import type { Log } from './corruption.ts';
import { FRAME_HEADER_BYTES, frameHeader, type Damage } from './frame.ts';
import { convertLegacySegment } from './legacy-segment.ts';
import { listSegments, recoverSegment, segmentName } from './segment.ts';
import { writeAll } from './write-all.ts';

/** Bytes each append adds beyond its payload (the record header): budgets count them too. */
export const RECORD_OVERHEAD_BYTES = FRAME_HEADER_BYTES;

export type SealedSegment = {
  seq: bigint;
  path: string;
  /** File bytes, headers included: what the staging budget holds for it. */
  bytes: number;
  rows: number;
  /** The longest row's bytes, which bounds DuckDB's read buffers. */
  lineBytesMax: number;
  /** Damage already reported, so a retried load does not report it again. */
  damage: Damage[];
  /** Loads of this segment that failed for reasons in its data (see table-writer.ts). */
  attempts: number;
};

type Pending = { bufs: [Buffer, Buffer]; rows: number; lineBytesMax: number; resolve: () => void; reject: (e: unknown) => void };

const stderrLog: Log = (line) => void process.stderr.write(`${line}\n`);

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
   * checked (damage reported, torn tails cut) and queued for commit; new rows
   * go to a fresh segment numbered after them and after `minNextSeq`, the
   * first number this writer has not yet used for the table.
   */
  static async open(
    dir: string,
    minNextSeq: bigint,
    opts: { table?: string; log?: Log } = {},
  ): Promise<{ wal: TableWal; recoveredRows: number }> {
    const table = opts.table ?? path.basename(dir);
    const log = opts.log ?? stderrLog;
    await fsp.mkdir(dir, { recursive: true });
    for (const seg of await listSegments(dir)) {
      if (!seg.legacy) continue;
      const { rows, damagedLines, cut } = await convertLegacySegment(seg.path, seg.seq, table, log);
      log(
        `staging ${table}: converted unframed segment ${path.basename(seg.path)} to the framed format (${rows} rows` +
          `${damagedLines ? `, ${damagedLines} damaged lines skipped` : ''}${cut ? `, ${cut} bytes of torn tail cut` : ''})`,
      );
    }
    const wal = new TableWal(dir, minNextSeq);
    let recoveredRows = 0;
    for (const seg of await listSegments(dir)) {
      const r = await recoverSegment(seg.path, table, log);
      if (r.rows === 0 && r.scan.damage.length === 0) {
        // Held no acknowledged record, so no commit can carry its number: reusable.
        await fsp.rm(seg.path, { force: true });
        continue;
      }
      if (seg.seq >= wal.activeSeq) wal.activeSeq = seg.seq + 1n;
      // A segment of nothing but damage is kept like any other: its load
      // commits no rows, and the file goes only once that is done.
      wal.sealed.push({ seq: seg.seq, path: seg.path, bytes: r.bytes, rows: r.rows, lineBytesMax: r.lineBytesMax, damage: r.scan.damage, attempts: 0 });
      recoveredRows += r.rows;
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
   * Stages `data` as one record; resolves once it is on stable storage,
   * rejects if it is not. `data` is NDJSON text, or its UTF-8 bytes when the
   * caller has them already; `lineBytesMax` is its longest line, when the
   * caller knows it. The file grows by RECORD_OVERHEAD_BYTES more than `data`.
   */
  append(data: string | Buffer, rows: number, lineBytesMax?: number): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const longest = lineBytesMax ?? bytes.length;
    let header: Buffer;
    try {
      header = frameHeader(bytes, { rows, lineBytesMax: longest });
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ bufs: [header, bytes], rows, lineBytesMax: longest, resolve, reject });
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
    this.detach(seg);
    await fsp.rm(seg.path, { force: true });
  }

  /** Stops tracking a segment without touching its file (it was moved to quarantine). */
  detach(seg: SealedSegment): void {
    const i = this.sealed.indexOf(seg);
    if (i >= 0) this.sealed.splice(i, 1);
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
    const bufs = group.flatMap((p) => p.bufs);
    let written = 0;
    try {
      if (this.damaged) await this.sealActive();
      const fh = await this.activeHandle();
      written = await writeAll(fh, bufs, this.activeBytes);
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
        damage: [],
        attempts: 0,
      });
    }
    this.activeSeq += 1n;
    this.activeBytes = 0;
    this.activeRows = 0;
    this.activeLineBytesMax = 0;
    this.damaged = false;
  }
}
