// The seam between request handling and storage: resolve the table, decode,
// flatten, admit rows to the table's writer. HTTP and offline replay both
// drive this, so both get the same checks and the same rows.
import path from 'node:path';
import { OtlpError } from '../errors.ts';
import { decodeRequest } from '../otlp/codec.ts';
import type { Signal, WireEncoding } from '../otlp/types.ts';
import type { Db } from '../duckdb/db.ts';
import { formatTableName, type TableName } from '../tables/names.ts';
import type { Limits } from '../config/limits.ts';
import { TableRegistry } from './registry.ts';
import { SIGNALS, signalForKind } from './signals.ts';
import { ByteBudget, TableWriter } from './table-writer.ts';

export type IngestRequest = {
  signal: Signal;
  table: TableName;
  encoding: WireEncoding;
  /** The body after content decoding. */
  body: Uint8Array;
};

export type IngestResult = { rows: number; rejected: number; message: string };

export type PipelineOptions = {
  warehouse: string;
  db: Db;
  limits: Limits;
  log: (line: string) => void;
};

/** Seconds an exporter should wait when the buffer is full: about one flush. */
const retryAfterSeconds = (flushIntervalMs: number): number => Math.max(1, Math.ceil((2 * flushIntervalMs) / 1000));

export class Pipeline {
  readonly registry: TableRegistry;
  private readonly writers = new Map<string, TableWriter>();
  private readonly budget: ByteBudget;
  private ticker: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: PipelineOptions) {
    this.registry = new TableRegistry(opts.warehouse);
    this.budget = new ByteBudget(opts.limits.bufferBytesMax);
    this.ticker = setInterval(() => void this.flushAll(), opts.limits.flushIntervalMs);
    this.ticker.unref();
  }

  async ingest(req: IngestRequest): Promise<IngestResult> {
    if (this.closed) throw new OtlpError('unavailable', 'the server is shutting down', { retryAfterSeconds: 1 });
    const desc = SIGNALS[req.signal];
    const handle = await this.registry.open(req.table);
    if (handle.kind !== desc.tableKind) {
      const fits = signalForKind(handle.kind);
      throw new OtlpError(
        'invalid',
        `table ${handle.fullName} holds ${handle.kind}, not ${req.signal}: send ${req.signal} to a ${desc.tableKind} table, or send ${fits} to this one (POST /api/2.0/otel/v1/${fits})`,
      );
    }
    // Each signal's decode/flatten pair is typed by its own request shape.
    const decoded = decodeRequest(req.signal, req.body, req.encoding);
    const result = (desc.flatten as (r: typeof decoded) => ReturnType<typeof desc.flatten>)(decoded);
    if (result.rows.length > 0) {
      const accepted = await this.writerFor(handle.fullName, handle).append(result.rows);
      if (!accepted) {
        throw new OtlpError('overloaded', 'the server is buffering as much as it may; retry later', {
          retryAfterSeconds: retryAfterSeconds(this.opts.limits.flushIntervalMs),
        });
      }
    }
    const message =
      result.rejected > 0 ? `${result.rejected} ${desc.records} rejected: ${result.rejectReasons.join('; ')}` : '';
    return { rows: result.rows.length, rejected: result.rejected, message };
  }

  private writerFor(key: string, handle: Awaited<ReturnType<TableRegistry['open']>>): TableWriter {
    let w = this.writers.get(key);
    if (!w) {
      w = new TableWriter(handle, {
        db: this.opts.db,
        stagingDir: path.join(path.resolve(this.opts.warehouse), '.otlp2delta', 'staging'),
        flushRowsMax: this.opts.limits.flushRowsMax,
        flushBytesMax: this.opts.limits.flushBytesMax,
        budget: this.budget,
        log: this.opts.log,
      });
      this.writers.set(key, w);
    }
    return w;
  }

  /** Flushes every table with pending rows; used by the interval and by stop. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.flush()));
  }

  pendingRows(): number {
    let n = 0;
    for (const w of this.writers.values()) n += w.pendingRows;
    return n;
  }

  /** Flushes the named table now (tests and replay wait on this). */
  async flushTable(name: TableName): Promise<void> {
    await this.writers.get(formatTableName(name))?.flush();
  }

  /**
   * Stops intake and writes everything accepted. Safe to call twice. Resolves
   * false if rows are still pending at the deadline (a flush keeps failing).
   */
  async close(deadlineMs: number): Promise<boolean> {
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    const until = Date.now() + deadlineMs;
    while (this.pendingRows() > 0 && Date.now() < until) {
      await this.flushAll();
      if (this.pendingRows() > 0) await new Promise((r) => setTimeout(r, 200));
    }
    return this.pendingRows() === 0;
  }
}
