// One table's path from acknowledged rows to Delta commits. Rows are staged
// durably first (the 200 waits for that); each sealed segment then becomes one
// Parquet file and one commit carrying a txn (appId = this writer, version =
// the segment number), so a commit that already happened is recognised and
// never repeated. A segment is deleted only after its commit is durable.
import { promises as fsp } from 'node:fs';
import { appendFiles, makeAdd } from '../delta/table.ts';
import { dataWorkDir, publishDataFile, removeDataFile } from '../delta/data-files.ts';
import { isRemoteLocation } from '../storage/location.ts';
import path from 'node:path';
import { loadSnapshot } from '../delta/snapshot.ts';
import { maybeCheckpoint } from '../maintenance/checkpoints.ts';
import { removeAbandonedCommitTemps } from '../delta/commit.ts';
import type { Db } from '../duckdb/db.ts';
import { OtlpError } from '../errors.ts';
import { failpoint } from '../config/failpoints.ts';
import { reportDamage, stagingCorruption } from '../wal/corruption.ts';
import type { Damage } from '../wal/frame.ts';
import { highestQuarantinedSeq, quarantineSegment } from '../wal/quarantine.ts';
import type { Staging } from '../wal/staging.ts';
import { RECORD_OVERHEAD_BYTES, TableWal, type SealedSegment } from '../wal/table-wal.ts';
import type { StagingBudget } from './budget.ts';
import type { Lane } from './lane.ts';
import {
  discardExtracted,
  extractSegment,
  loadFilePrefix,
  removeStaleLoadFiles,
  SegmentDataError,
  writeExtracted,
  type ExtractedSegment,
} from './segment-load.ts';
import type { ServiceMetrics } from '../observe/metrics.ts';
import { BACKLOG_WAIT_MS, SEGMENT_COMMIT_ATTEMPTS_MAX } from '../config/limits.ts';
import type { TableHandle } from './registry.ts';
import type { LayoutKind } from '../tables/schema.ts';

export type WriterContext = {
  db: Db;
  staging: Staging;
  flushRowsMax: number;
  flushBytesMax: number;
  budget: StagingBudget;
  /** Shared by all tables: DuckDB work runs one job at a time (see lane.ts). */
  lane: Lane;
  log: (line: string) => void;
  metrics?: ServiceMetrics | undefined;
};

/** Where load and Parquet files are written: the table's folder, or beside its staging when the table is remote (until the upload). */
function workDirOf(ctx: WriterContext, handle: TableHandle<LayoutKind>): string {
  return dataWorkDir(handle.dir, path.join(ctx.staging.tableDir(handle.fullName), 'upload'));
}

export class TableWriter {
  private flushing: Promise<void> | undefined;
  private nextFlush: Promise<void> | undefined;
  private failures = 0;
  /** When the oldest row of the active segment was staged, for the ack-to-visible metric. */
  private activeSince: number | undefined;
  /** The same, for sealed segments not yet committed (recovered ones have none). */
  private readonly stagedSince = new Map<bigint, number>();
  /** Rows and bytes of appends admitted but not yet staged. */
  private admittedRows = 0;
  private admittedBytes = 0;
  /** Requests waiting for the commit queue to take their rows (see append). */
  private readonly roomWaiters: (() => void)[] = [];
  private sealingEarly = false;
  /** The segment a commit is working on. */
  private inFlight: bigint | undefined;
  /**
   * Load files copied out ahead of their commit, by segment number: the
   * segments sealed while a commit ran because the batch behind it was full
   * (see sealEarly), until their own commit takes them.
   */
  private readonly extracted = new Map<bigint, Promise<ExtractedSegment>>();

  private constructor(
    readonly handle: TableHandle<LayoutKind>,
    private readonly ctx: WriterContext,
    private readonly wal: TableWal,
    /** Highest segment number of this writer already in the table. */
    private committedSeq: bigint,
  ) {}

  /** Opens the table's staging and picks up segments an earlier run left behind. */
  static async open(handle: TableHandle<LayoutKind>, ctx: WriterContext): Promise<{ writer: TableWriter; recoveredRows: number }> {
    await removeAbandonedCommitTemps(handle.dir);
    const snap = await loadSnapshot(handle.dir, { db: ctx.db });
    if (snap) handle.version = Math.max(handle.version, snap.version);
    const committed = BigInt(snap?.txns.get(ctx.staging.appId) ?? -1);
    await removeStaleLoadFiles(workDirOf(ctx, handle), ctx.staging.writerId);
    // New segments are numbered past quarantined ones too, so a number (and
    // the retry identity derived from it) is never used twice.
    const quarantined = await highestQuarantinedSeq(ctx.staging.root, handle.fullName);
    const next = quarantined !== undefined && quarantined >= committed + 1n ? quarantined + 1n : committed + 1n;
    const { wal, recoveredRows } = await TableWal.open(ctx.staging.tableDir(handle.fullName), next, { table: handle.fullName, log: ctx.log });
    for (const seg of wal.sealed) ctx.budget.reserve(seg.bytes);
    return { writer: new TableWriter(handle, ctx, wal, committed), recoveredRows };
  }

  get pendingRows(): number {
    return this.wal.activeRowCount + this.wal.sealed.reduce((n, s) => n + s.rows, 0);
  }

  /** Resolves when the commit queue may have room (callers check), or after `ms`. */
  private roomOrTimeout(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const waiters = this.roomWaiters;
      function done(): void {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  private wakeRoomWaiters(): void {
    for (const wake of this.roomWaiters.splice(0)) wake();
  }

  /** A commit round is running and the next batch is already full. */
  get backlogFull(): boolean {
    if (this.flushing === undefined) return false;
    // A batch sealed early is the one batch allowed to wait.
    if (this.sealingEarly || this.extracted.size > 0) return true;
    return (
      this.wal.activeRowCount + this.admittedRows >= this.ctx.flushRowsMax ||
      this.wal.activeByteCount + this.admittedBytes >= this.ctx.flushBytesMax
    );
  }

  get failureCount(): number {
    return this.failures;
  }

  /**
   * Stages `rows` rows, given as their NDJSON bytes (encoded once: the budget
   * counts the very bytes that are written, record header included). Resolves
   * once they are durably staged: only then may the request be acknowledged.
   */
  async append(ndjson: Buffer, rows: number, lineBytesMax?: number): Promise<void> {
    const bytes = ndjson.length + RECORD_OVERHEAD_BYTES;
    if (this.backlogFull) {
      // Rows taken now would wait behind the commit in flight and a whole
      // batch already queued. The request first waits a little for room:
      // refused exporters pause for a second or more, which would leave the
      // commits with nothing to do next. Past the wait it is refused, which
      // keeps what is acknowledged close to visible.
      const deadline = Date.now() + BACKLOG_WAIT_MS;
      do {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new OtlpError('overloaded', `table ${this.handle.fullName} is committing as fast as it can; retry later`, {
            retryAfterSeconds: 1,
          });
        }
        await this.roomOrTimeout(left);
      } while (this.backlogFull);
    }
    if (!this.ctx.budget.tryReserve(bytes)) {
      throw new OtlpError('overloaded', 'the server is staging as much as it may; retry later', {
        retryAfterSeconds: this.ctx.budget.retryAfterSeconds(),
      });
    }
    // Counted until the staging write lands, so requests admitted together
    // cannot overfill the batch that waits behind the running commit.
    this.admittedBytes += bytes;
    this.admittedRows += rows;
    this.activeSince ??= Date.now();
    try {
      await this.wal.append(ndjson, rows, lineBytesMax);
    } catch (e) {
      this.ctx.budget.release(bytes);
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      throw new OtlpError('unavailable', `rows could not be staged on disk (${code}); retry later`, {
        retryAfterSeconds: 5,
        cause: e,
      });
    } finally {
      this.admittedBytes -= bytes;
      this.admittedRows -= rows;
    }
    failpoint('after-stage');
    if (this.wal.activeRowCount >= this.ctx.flushRowsMax || this.wal.activeByteCount >= this.ctx.flushBytesMax) {
      if (this.flushing !== undefined && !this.sealingEarly && this.extracted.size === 0) void this.sealEarly();
      else void this.flush();
    }
  }

  /**
   * Seals the full batch that waits behind a running commit and starts
   * copying its records out for DuckDB, so that copy (disk reads, checksums,
   * a write) overlaps the running commit's Parquet instead of following it.
   * The running round commits the segment next.
   */
  private async sealEarly(): Promise<void> {
    this.sealingEarly = true;
    try {
      const seg = await this.sealActive();
      // The running round may have taken the segment up already while the seal finished.
      if (seg && seg.seq !== this.inFlight && this.wal.sealed.includes(seg)) {
        const copy = this.extractFor(seg);
        copy.catch(() => undefined);
        this.extracted.set(seg.seq, copy);
      }
    } catch (e) {
      // The next round seals again; until then the rows stay staged.
      this.ctx.log(`sealing a batch of ${this.handle.fullName} early failed: ${(e as Error).message}`);
    } finally {
      this.sealingEarly = false;
    }
    // The round may have ended while this segment was being sealed.
    void this.startRound(false);
  }

  /** Seals the active segment; the newly sealed one, if it held anything. */
  private async sealActive(): Promise<SealedSegment | undefined> {
    const before = this.wal.sealed.at(-1);
    await this.wal.seal();
    const sealed = this.wal.sealed.at(-1);
    if (sealed === before) return undefined;
    if (sealed && this.activeSince !== undefined) this.stagedSince.set(sealed.seq, this.activeSince);
    this.activeSince = undefined;
    return sealed;
  }

  /** Copies a segment's intact records to its load file beside the table's data. */
  private async extractFor(seg: SealedSegment): Promise<ExtractedSegment> {
    const { size } = await fsp.stat(seg.path);
    if (size > seg.bytes) await fsp.truncate(seg.path, seg.bytes);
    const workDir = workDirOf(this.ctx, this.handle);
    if (workDir !== this.handle.dir) await fsp.mkdir(workDir, { recursive: true });
    return extractSegment({ tableDir: workDir, segPath: seg.path, loadTag: `${loadFilePrefix(this.ctx.staging.writerId)}${seg.seq}` });
  }

  /** The segment's load file: the one copied out early if that worked, else a fresh copy. */
  private async takeExtracted(seg: SealedSegment): Promise<ExtractedSegment> {
    const early = this.release(seg.seq);
    if (early) {
      try {
        return await early;
      } catch {
        // Copied again below; a lasting fault fails there.
      }
    }
    return this.extractFor(seg);
  }

  private async dropExtracted(seq: bigint): Promise<void> {
    await this.release(seq)?.then(discardExtracted, () => undefined);
  }

  /** Takes a segment's early copy out of the waiting batch: another batch may fill. */
  private release(seq: bigint): Promise<ExtractedSegment> | undefined {
    const early = this.extracted.get(seq);
    if (early === undefined) return undefined;
    this.extracted.delete(seq);
    this.wakeRoomWaiters();
    return early;
  }

  /**
   * Seals what is staged and commits every sealed segment, oldest first.
   * Resolves only after a commit round that started after this call, so rows
   * staged before it are committed (or the round failed and will be retried).
   */
  flush(): Promise<void> {
    if (this.flushing) {
      // The round in progress sealed before our rows may have arrived: queue one more.
      this.nextFlush ??= this.flushing.then(() => {
        this.nextFlush = undefined;
        return this.flush();
      });
      return this.nextFlush;
    }
    return this.startRound(true);
  }

  /** Starts a commit round unless one runs; `seal` first seals the active segment. */
  private startRound(seal: boolean): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.commitAll(seal).finally(() => {
      this.flushing = undefined;
      this.wakeRoomWaiters();
      // A segment sealed early just as the round ended is not left waiting for
      // the next flush; a queued flush's round (which seals as well) comes next anyway.
      const waiting = this.wal.sealed.some((x) => this.extracted.has(x.seq));
      if (waiting && this.failures === 0 && this.nextFlush === undefined) void this.startRound(false);
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    await this.flushing;
    for (const seq of [...this.extracted.keys()]) await this.dropExtracted(seq);
    await this.wal.close();
  }

  private async commitAll(seal: boolean): Promise<void> {
    try {
      if (seal) await this.sealActive();
      // The batch that was waiting is now this round's: there is room again.
      this.wakeRoomWaiters();
      // Oldest first, and on to segments sealed early while the round runs,
      // unless a flush waits for a round that seals what it staged.
      const due = new Set(this.wal.sealed);
      for (let seg = this.wal.sealed[0]; seg !== undefined && (due.has(seg) || this.nextFlush === undefined); seg = this.wal.sealed[0]) {
        await this.commitSegment(seg);
        // Every way out of commitSegment but a throw lets go of the segment.
        if (this.wal.sealed[0] === seg) throw new Error(`segment ${seg.seq} of ${this.handle.fullName} is still staged after its commit`);
      }
      this.failures = 0;
    } catch (e) {
      this.failures += 1;
      this.ctx.metrics?.commitFailures.inc({ table: this.handle.fullName });
      this.ctx.log(`commit to ${this.handle.fullName} failed (attempt ${this.failures}), will retry: ${(e as Error).message}`);
    }
  }

  private async commitSegment(seg: SealedSegment): Promise<void> {
    this.inFlight = seg.seq;
    try {
      await this.commitSegmentNow(seg);
    } finally {
      this.inFlight = undefined;
    }
  }

  private async commitSegmentNow(seg: SealedSegment): Promise<void> {
    if (seg.seq <= this.committedSeq) {
      // Committed before a crash that came before the segment was deleted.
      await this.dropExtracted(seg.seq);
      await this.forget(seg);
      return;
    }
    const started = process.hrtime.bigint();
    let load;
    try {
      const extracted = await this.takeExtracted(seg);
      load = await writeExtracted(extracted, {
        db: this.ctx.db,
        schema: this.handle.schema,
        tableDir: workDirOf(this.ctx, this.handle),
        runDuckDb: (job) => this.ctx.lane.run(job),
        beforeParquet: () => failpoint('before-parquet'),
      });
    } catch (e) {
      // Only a refusal of the data counts: a full or failing disk is retried
      // for as long as it lasts, and the segment keeps its place in line.
      if (!(e instanceof SegmentDataError)) throw e;
      seg.attempts += 1;
      if (seg.attempts < SEGMENT_COMMIT_ATTEMPTS_MAX) throw e;
      await this.quarantine(seg, e);
      return;
    }
    this.reportNewDamage(seg, load.scan.damage);
    failpoint('after-parquet');
    const file = load.file;
    if (!file) {
      // Nothing intact to commit: every record of the segment was damaged (and reported).
      this.committedSeq = seg.seq;
      await this.forget(seg);
      return;
    }
    const remote = isRemoteLocation(this.handle.dir);
    let res;
    try {
      await publishDataFile(this.handle.dir, file.fileName, file.outPath);
      res = await appendFiles(this.handle.dir, {
        adds: [makeAdd(file.fileName, file.size, file.stats, Date.now())],
        txn: { appId: this.ctx.staging.appId, version: seg.seq },
        readVersion: this.handle.version,
      });
    } finally {
      // A remote table's local copy has served its purpose either way; a failed flush writes a new one.
      if (remote) await fsp.rm(file.outPath, { force: true });
    }
    // A skipped commit means the table already holds this segment: our file is surplus.
    if (res.skipped) await (remote ? removeDataFile(this.handle.dir, file.fileName) : fsp.rm(file.outPath, { force: true }));
    this.handle.version = Math.max(this.handle.version, res.version);
    this.committedSeq = seg.seq;
    this.observeCommit(seg, load.scan.rows, started);
    failpoint('after-commit');
    this.ctx.budget.recordCommitted(seg.bytes);
    await this.forget(seg);
    // Checkpoint hook: keeps snapshot loads fast as the log grows. It only
    // logs its own failures, so the commit above stands whatever happens here.
    if (!res.skipped) {
      await this.ctx.lane.run(() => maybeCheckpoint(this.ctx.db, this.handle.dir, res.version, this.ctx.log));
    }
  }

  private observeCommit(seg: SealedSegment, rows: number, started: bigint): void {
    const since = this.stagedSince.get(seg.seq);
    this.stagedSince.delete(seg.seq);
    const m = this.ctx.metrics;
    if (!m) return;
    const table = { table: this.handle.fullName };
    m.commitSeconds.observe(table, Number(process.hrtime.bigint() - started) / 1e9);
    m.committedRows.inc(table, rows);
    if (since !== undefined) m.ackToVisible.observe(table, (Date.now() - since) / 1000);
  }

  /** Damage found at load that recovery did not already report (bytes that went bad after they were written). */
  private reportNewDamage(seg: SealedSegment, found: Damage[]): void {
    const fresh = found.filter((d) => !seg.damage.some((k) => k.offset === d.offset && k.bytes === d.bytes));
    if (fresh.length === 0) return;
    reportDamage(this.ctx.log, this.handle.fullName, seg.path, fresh);
    seg.damage.push(...fresh);
  }

  /**
   * Moves a segment that keeps failing to load out of the way, so the
   * table's later segments commit. Its rows leave the pending count and the
   * budget, but the file is kept until `otlp2delta staging retry` commits it.
   */
  private async quarantine(seg: SealedSegment, cause: Error): Promise<void> {
    const table = this.handle.fullName;
    const dest = await quarantineSegment(this.ctx.staging.root, seg.path, {
      table,
      tableDir: this.handle.dir,
      seq: seg.seq.toString(),
      appId: this.ctx.staging.appId,
      rows: seg.rows,
      bytes: seg.bytes,
      attempts: seg.attempts,
      reason: cause.message,
      quarantinedAt: new Date().toISOString(),
    });
    this.wal.detach(seg);
    this.ctx.budget.release(seg.bytes);
    stagingCorruption.add(table, { quarantinedSegments: 1, quarantinedRows: seg.rows });
    this.ctx.log(
      `ERROR staging ${table} segment ${seg.seq}: quarantined after ${seg.attempts} failed loads, ${seg.rows} rows kept in ${dest}; ` +
        `later segments go on committing. Last error: ${cause.message}. ` +
        `See 'otlp2delta staging list --staging ${this.ctx.staging.root}', then 'otlp2delta staging retry ${table}/${seg.seq} --staging ${this.ctx.staging.root}'`,
    );
  }

  private async forget(seg: SealedSegment): Promise<void> {
    this.stagedSince.delete(seg.seq);
    await this.wal.remove(seg);
    this.ctx.budget.release(seg.bytes);
  }
}
