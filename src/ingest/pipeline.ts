// The seam between request handling and storage: resolve the table, decode,
// flatten, stage rows durably with the table's writer. HTTP and offline replay
// both drive this, so both get the same checks and the same rows.
import { OtlpError } from '../errors.ts';
import type { Signal, WireEncoding } from '../otlp/types.ts';
import type { Db } from '../duckdb/db.ts';
import { formatTableName, parseTableName, type TableName } from '../tables/names.ts';
import type { Limits } from '../config/limits.ts';
import type { Staging } from '../wal/staging.ts';
import { StagingBudget } from './budget.ts';
import { Lane } from './lane.ts';
import { TableRegistry, type TableHandle } from './registry.ts';
import type { LayoutKind } from '../tables/schema.ts';
import { recordsOverCap } from '../tables/record-count.ts';
import { DEFAULT_CAPS, renderStats, tooManyRows, type RenderCaps, type RenderResult } from '../tables/render/job.ts';
import { RENDER_OFFLOAD_BYTES_MIN } from '../config/limits.ts';
import { encodeRequest } from './encode.ts';
import type { RenderPool } from './render-pool.ts';
import { SIGNALS, signalForKind } from './signals.ts';
import { TableWriter } from './table-writer.ts';
import type { ServiceMetrics } from '../observe/metrics.ts';
import type { Principal } from '../access/types.ts';
import type { IngestPolicy, PolicySubject, PrivacyPlan } from '../policy/types.ts';
import type { PrivacyChanges } from '../policy/privacy-apply.ts';

export type IngestRequest = {
  signal: Signal;
  table: TableName;
  encoding: WireEncoding;
  /** The body after content decoding. */
  body: Uint8Array;
  /** Who sent it, when the request came with a valid token; stamped on every row (see access/identity.ts). */
  principal?: Principal;
};

export type IngestResult = { rows: number; rejected: number; message: string };

export type PipelineOptions = {
  warehouse: string;
  db: Db;
  staging: Staging;
  limits: Limits;
  log: (line: string) => void;
  metrics?: ServiceMetrics | undefined;
  /** Where large requests are decoded and rendered (the server has one; replay and tests may not). */
  renderPool?: RenderPool | undefined;
  /** Rate limits and privacy rules (serve --policy), applied before anything is staged. */
  policy?: IngestPolicy | undefined;
};

type Batch = { ndjson: Buffer | undefined; lineBytesMax: number; result: IngestResult; privacyChanges?: PrivacyChanges | undefined };

/**
 * Decodes and renders a request to the NDJSON bytes to stage. Kept out of
 * the async path on purpose: what the request waits on (the fsync of its
 * group) then holds only these bytes, while the decoded message, many small
 * objects, is garbage at once instead of surviving, as hundreds of in-flight
 * requests' worth, into the old generation. Only a request too large to
 * render within one slice (RENDER_SLICE_MS, counted from the start of
 * decoding) keeps its message across the few turns of the event loop its
 * rendering is spread over, so that no request holds the loop for long.
 * Bodies of RENDER_OFFLOAD_BYTES_MIN and more go to a render worker instead,
 * when the pipeline has one: their decoding alone would hold the loop.
 */
function encodeBatch(req: IngestRequest, caps: RenderCaps, pool: RenderPool | undefined, privacy: PrivacyPlan | undefined): Batch | Promise<Batch> {
  const desc = SIGNALS[req.signal];
  const batch = (r: RenderResult): Batch => {
    renderStats.rejectedRecords += r.rejected;
    const message = r.rejected > 0 ? `${r.rejected} ${desc.records} rejected: ${r.rejectReasons.join('; ')}` : '';
    return { ndjson: r.ndjson, lineBytesMax: r.lineBytesMax, result: { rows: r.rows, rejected: r.rejected, message }, privacyChanges: r.privacyChanges };
  };
  if (pool && req.body.length >= RENDER_OFFLOAD_BYTES_MIN) {
    if (req.encoding === 'protobuf' && recordsOverCap(req.signal, req.body, caps.rowsMax)) throw tooManyRows(caps);
    return pool.render({ signal: req.signal, encoding: req.encoding, body: req.body, principal: req.principal?.name, privacy }).then(batch);
  }
  const out = encodeRequest({ signal: req.signal, encoding: req.encoding, body: req.body, principal: req.principal?.name, privacy }, caps);
  return out instanceof Promise ? out.then(batch) : batch(out);
}

export class Pipeline {
  readonly registry: TableRegistry;
  readonly budget: StagingBudget;
  /** DuckDB work of every table, one job at a time (see lane.ts). */
  readonly lane = new Lane();
  private readonly writers = new Map<string, Promise<TableWriter>>();
  private ticker: NodeJS.Timeout | undefined;
  private closed = false;
  /** A request larger than the staging budget still passes when nothing is staged (see StagingBudget), so the caps stay as named. */
  private readonly caps: RenderCaps = DEFAULT_CAPS;

  private constructor(private readonly opts: PipelineOptions) {
    this.registry = new TableRegistry(opts.warehouse);
    this.budget = new StagingBudget(opts.limits.stagingBytesMax);
  }

  /**
   * Commits every segment an earlier run staged but did not commit, then
   * starts the flush interval. New requests should be admitted only after this.
   */
  static async start(opts: PipelineOptions): Promise<Pipeline> {
    const p = new Pipeline(opts);
    for (const full of await opts.staging.listTables()) {
      let handle: TableHandle<LayoutKind>;
      try {
        const name = parseTableName(full, 'staged table');
        // The server's own tables (the audit table) are not export targets, but their staged rows are recovered alike.
        handle = await p.registry.open(name).catch(async (e: unknown) => (await p.registry.openAnyLayout(name)) ?? Promise.reject(e));
      } catch (e) {
        opts.log(`staged rows for ${full} are kept but cannot be committed: ${(e as Error).message}`);
        continue;
      }
      const writer = await p.writerFor(handle);
      if (writer.pendingRows > 0) {
        opts.log(`recovering ${writer.pendingRows} staged rows for ${full}`);
        await writer.flush();
        if (writer.failureCount > 0) opts.log(`recovery of ${full} will be retried in the background`);
      }
    }
    p.ticker = setInterval(() => void p.flushAll(), opts.limits.flushIntervalMs);
    p.ticker.unref();
    return p;
  }

  async ingest(req: IngestRequest): Promise<IngestResult> {
    if (this.closed) throw new OtlpError('unavailable', 'the server is shutting down', { retryAfterSeconds: 1 });
    const desc = SIGNALS[req.signal];
    const handle = await this.registry.open(req.table, desc.tableKind);
    if (handle.kind !== desc.tableKind) {
      const fits = signalForKind(handle.kind);
      throw new OtlpError(
        'invalid',
        `table ${handle.fullName} holds ${handle.kind}, not ${req.signal}: send ${req.signal} to a ${desc.tableKind} table, or send ${fits} to this one (POST /api/2.0/otel/v1/${fits})`,
      );
    }
    // Refuse before decoding: under a flood, decode work for requests that
    // cannot be staged would starve the commits that free the budget.
    if (this.budget.full) {
      throw new OtlpError('overloaded', 'the server is staging as much as it may; retry later', {
        retryAfterSeconds: this.budget.retryAfterSeconds(),
      });
    }
    const policy = this.opts.policy;
    const subject: PolicySubject = { principal: req.principal, table: req.table, signal: req.signal };
    policy?.rates?.admitRequest(subject, req.body.length);
    const pending = encodeBatch(req, this.caps, this.opts.renderPool, policy?.privacy?.planFor(subject));
    const batch = pending instanceof Promise ? await pending : pending;
    if (pending instanceof Promise && this.closed) {
      throw new OtlpError('unavailable', 'the server is shutting down', { retryAfterSeconds: 1 });
    }
    if (batch.privacyChanges) this.opts.metrics?.countPrivacyChanges(batch.privacyChanges);
    if (batch.result.rows > 0) policy?.rates?.admitRecords(subject, batch.result.rows);
    if (batch.ndjson) {
      await (await this.writerFor(handle)).append(batch.ndjson, batch.result.rows, batch.lineBytesMax);
      this.opts.metrics?.stagedBytes.inc({ table: handle.fullName }, batch.ndjson.length);
    }
    return batch.result;
  }

  /**
   * Stages rows of one of the server's own tables through the same durable
   * path as exported rows: resolves once they are fsync'd, committed with the
   * next flush, recovered after a crash.
   */
  async stageSystemRows(handle: TableHandle<LayoutKind>, ndjson: Buffer, rows: number): Promise<void> {
    await (await this.writerFor(handle)).append(ndjson, rows);
  }

  private writerFor(handle: TableHandle<LayoutKind>): Promise<TableWriter> {
    let w = this.writers.get(handle.fullName);
    if (!w) {
      w = TableWriter.open(handle, {
        db: this.opts.db,
        staging: this.opts.staging,
        flushRowsMax: this.opts.limits.flushRowsMax,
        flushBytesMax: this.opts.limits.flushBytesMax,
        budget: this.budget,
        lane: this.lane,
        log: this.opts.log,
        metrics: this.opts.metrics,
      }).then((r) => r.writer);
      this.writers.set(handle.fullName, w);
      w.catch(() => this.writers.delete(handle.fullName));
    }
    return w;
  }

  private async openWriters(): Promise<TableWriter[]> {
    const settled = await Promise.allSettled(this.writers.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  /** Commits everything staged in every table; used by the interval and by stop. */
  async flushAll(): Promise<void> {
    await Promise.all((await this.openWriters()).map((w) => w.flush()));
  }

  async pendingRows(): Promise<number> {
    return (await this.openWriters()).reduce((n, w) => n + w.pendingRows, 0);
  }

  /** Commits the named table's staged rows now (tests and replay wait on this). */
  async flushTable(name: TableName): Promise<void> {
    await (await this.writers.get(formatTableName(name)))?.flush();
  }

  /**
   * Stops intake and commits everything staged. Safe to call twice. Resolves
   * false if rows are still staged at the deadline (they stay on disk and are
   * committed on the next start).
   */
  async close(deadlineMs: number): Promise<boolean> {
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    const until = Date.now() + deadlineMs;
    while ((await this.pendingRows()) > 0 && Date.now() < until) {
      await this.flushAll();
      if ((await this.pendingRows()) > 0) await new Promise((r) => setTimeout(r, 200));
    }
    const drained = (await this.pendingRows()) === 0;
    for (const w of await this.openWriters()) await w.close();
    return drained;
  }
}
