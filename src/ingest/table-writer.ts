// Batches the rows of many requests for one table and turns each batch into
// one Parquet file and one Delta commit. One flush runs at a time per table;
// rows that arrive meanwhile wait for the next one. A failed flush keeps its
// rows and is retried, so nothing accepted is dropped.
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { appendFiles, makeAdd, newDataFileName } from '../delta/table.ts';
import type { Db } from '../duckdb/db.ts';
import { writeParquet } from '../parquet/write.ts';
import type { Row } from '../tables/row.ts';
import { rowsToNdjson } from '../tables/ndjson.ts';
import type { TableHandle } from './registry.ts';

export type WriterContext = {
  db: Db;
  /** Scratch folder for batches on their way into Parquet. */
  stagingDir: string;
  flushRowsMax: number;
  flushBytesMax: number;
  budget: ByteBudget;
  log: (line: string) => void;
};

/** Buffered bytes across all tables, bounded so overload turns into 429s. */
export class ByteBudget {
  used = 0;
  constructor(readonly max: number) {}
  tryReserve(n: number): boolean {
    if (this.used + n > this.max && this.used > 0) return false;
    this.used += n;
    return true;
  }
  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

type Batch = { chunks: string[]; bytes: number; rows: number };

const emptyBatch = (): Batch => ({ chunks: [], bytes: 0, rows: 0 });

export class TableWriter {
  private pending: Batch = emptyBatch();
  private flushing: Promise<void> | undefined;
  private failures = 0;
  committedRows = 0;

  constructor(
    readonly handle: TableHandle,
    private readonly ctx: WriterContext,
  ) {}

  get pendingRows(): number {
    return this.pending.rows;
  }

  /**
   * Buffers rows for the next flush. Returns false, buffering nothing, when the
   * process-wide budget is spent. The promise shape leaves room for
   * acknowledging only once the rows are durable.
   */
  async append(rows: Row[]): Promise<boolean> {
    const text = rowsToNdjson(rows);
    const bytes = Buffer.byteLength(text);
    if (!this.ctx.budget.tryReserve(bytes)) return false;
    this.pending.chunks.push(text);
    this.pending.bytes += bytes;
    this.pending.rows += rows.length;
    if (this.pending.rows >= this.ctx.flushRowsMax || this.pending.bytes >= this.ctx.flushBytesMax) {
      void this.flush();
    }
    return true;
  }

  /** Writes what is pending now; resolves when it is committed or has failed. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.pending.rows > 0 ? this.flush() : undefined));
    if (this.pending.rows === 0) return Promise.resolve();
    const batch = this.pending;
    this.pending = emptyBatch();
    this.flushing = this.writeBatch(batch).finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Consecutive failed flushes; the pool backs off on them. */
  get failureCount(): number {
    return this.failures;
  }

  private async writeBatch(batch: Batch): Promise<void> {
    const staged = path.join(this.ctx.stagingDir, `${randomUUID()}.ndjson`);
    try {
      await fsp.mkdir(this.ctx.stagingDir, { recursive: true });
      await fsp.writeFile(staged, batch.chunks.join(''));
      const fileName = newDataFileName();
      const written = await writeParquet(this.ctx.db, this.handle.schema, staged, path.join(this.handle.dir, fileName));
      const add = makeAdd(fileName, written.size, written.stats, Date.now());
      const res = await appendFiles(this.handle.dir, { adds: [add], readVersion: this.handle.version });
      this.handle.version = res.version;
      this.committedRows += batch.rows;
      this.failures = 0;
      this.ctx.budget.release(batch.bytes);
    } catch (e) {
      this.failures += 1;
      // Put the rows back in front of anything newer so order and data survive.
      this.pending = {
        chunks: [...batch.chunks, ...this.pending.chunks],
        bytes: batch.bytes + this.pending.bytes,
        rows: batch.rows + this.pending.rows,
      };
      this.ctx.log(`flush of ${this.handle.fullName} failed (attempt ${this.failures}), will retry: ${(e as Error).message}`);
    } finally {
      await fsp.rm(staged, { force: true });
    }
  }
}
