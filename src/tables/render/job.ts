// Rendering one request: the caps on what it may produce, the records it
// rejects, and the slices a large request is rendered in so that it never
// holds the event loop for long. A renderer is a generator that yields
// between records whenever its slice is used up; small requests finish in
// their first slice, synchronously, exactly as before slicing existed.
import { RENDER_HELD_BYTES_MAX, RENDER_SLICE_MS, REQUEST_RENDERED_BYTES_MAX, REQUEST_ROWS_MAX } from '../../config/limits.ts';
import { OtlpError } from '../../errors.ts';
import { reject, type Rejections } from '../reject.ts';
import { scratchSink, trimScratch, type ByteSink } from './sink.ts';
import type { PrivacyChanges } from '../../policy/privacy-apply.ts';

/** What rendering one export request produced. */
export type RenderResult = {
  /** The rows as NDJSON, newline-terminated; undefined when there are none. */
  ndjson: Buffer | undefined;
  rows: number;
  /** Bytes of the longest line. */
  lineBytesMax: number;
  /** Records (data points, log records, spans) that could not be stored. */
  rejected: number;
  rejectReasons: string[];
  /** Values the privacy rules changed, by action, when a plan applied (see policy/privacy-apply.ts). */
  privacyChanges?: PrivacyChanges | undefined;
};

export type RenderCaps = {
  rowsMax: number;
  bytesMax: number;
  /** How the byte cap is named in the refusal (a limit name or a server option). */
  bytesMaxName: string;
  /** Longest stretch of rendering between yields; Infinity renders in one go. */
  sliceMs: number;
  /** Bytes every suspended render together may hold (see RENDER_HELD_BYTES_MAX). */
  heldBytesMax: number;
};

export const DEFAULT_CAPS: RenderCaps = {
  rowsMax: REQUEST_ROWS_MAX,
  bytesMax: REQUEST_RENDERED_BYTES_MAX,
  bytesMaxName: 'REQUEST_RENDERED_BYTES_MAX',
  sliceMs: RENDER_SLICE_MS,
  heldBytesMax: RENDER_HELD_BYTES_MAX,
};

/** What rendering refused or spread out, since start: counters for operators. */
export const renderStats = {
  /** Requests rendered over more than one slice. */
  slicedRenders: 0,
  /** Requests refused (413) for more rows than REQUEST_ROWS_MAX, before decoding or while rendering. */
  refusedRows: 0,
  /** Requests refused (413) for more rendered bytes than REQUEST_RENDERED_BYTES_MAX. */
  refusedBytes: 0,
  /** Requests refused (429) because waiting renders held RENDER_HELD_BYTES_MAX. */
  refusedHeld: 0,
  /** Records (points, log records, spans) rejected in partial_success, e.g. for their attribute maps. */
  rejectedRecords: 0,
};

/** Rendered bytes held by requests waiting for their next slice, across all of them. */
let heldBytes = 0;

/** Bytes suspended renders hold now (for tests and operators). */
export function renderHeldBytes(): number {
  return heldBytes;
}

/** The refusal of a request over the row cap, whether found before decoding or while rendering. */
export function tooManyRows(caps: RenderCaps): OtlpError {
  renderStats.refusedRows += 1;
  return new OtlpError('too_large', `the request holds more than ${caps.rowsMax} records to store (REQUEST_ROWS_MAX); send it in smaller requests`);
}

/** A renderer: writes the request's rows into job.out, yielding when job.due() says so. */
export type RenderSteps = Generator<void, void, void>;

// The clock is read every few records or every few hundred KiB, whichever comes first.
const CHECK_RECORDS = 16;
const CHECK_BYTES = 256 * 1024;

const EMPTY = Buffer.alloc(0);

/** Lets timers, I/O and other requests run before the next slice. */
function nextTurn(): Promise<void> {
  return new Promise<void>((resume) => setImmediate(resume));
}

export class RenderJob implements Rejections {
  readonly out: ByteSink = scratchSink();
  rejected = 0;
  rejectReasons: string[] = [];
  /** Lines and bytes taken out of the sink at earlier yields. */
  private chunks: Buffer[] = [];
  private rowsBefore = 0;
  private bytesBefore = 0;
  private lineBytesMax = 0;
  private sliceEnd: number;
  private countdown = CHECK_RECORDS;
  private checkAt = CHECK_BYTES;

  constructor(
    private readonly caps: RenderCaps,
    startedAt = performance.now(),
  ) {
    this.sliceEnd = startedAt + caps.sliceMs;
    this.arm();
  }

  /** Counts `count` records as rejected (at most a few distinct reasons are kept). */
  reject(reason: string, count = 1): void {
    reject(this, reason, count);
  }

  /** True, at a record boundary, when this slice has used its time. Cheap: reads the clock now and then. */
  due(): boolean {
    if (--this.countdown > 0 && this.out.length < this.checkAt) return false;
    this.countdown = CHECK_RECORDS;
    this.checkAt = this.out.length + CHECK_BYTES;
    return performance.now() >= this.sliceEnd;
  }

  private tooManyBytes(): OtlpError {
    renderStats.refusedBytes += 1;
    const { caps } = this;
    return new OtlpError('too_large', `the request's rows take more than ${caps.bytesMax} bytes (${caps.bytesMaxName}); send it in smaller requests`);
  }

  /**
   * Refuses at once rows that cannot fit: `bytes` is a lower bound on what
   * they will take (every row repeats its resource and scope), so a small
   * request that would multiply into gigabytes is refused before any of it
   * is rendered, instead of after the cap's worth of copying.
   */
  expect(bytes: number): void {
    if (this.bytesBefore + this.out.length + bytes > this.caps.bytesMax) throw this.tooManyBytes();
  }

  private arm(): void {
    const { caps } = this;
    this.out.limit(caps.bytesMax - this.bytesBefore, caps.rowsMax - this.rowsBefore, (what) => {
      throw what === 'rows' ? tooManyRows(caps) : this.tooManyBytes();
    });
  }

  /**
   * Takes what this slice wrote out of the shared sink, so other requests may
   * use it while this one waits, and counts it against what all waiting
   * renders may hold.
   */
  private suspend(): void {
    const before = this.bytesBefore;
    this.keep();
    this.out.reset();
    this.hold(this.bytesBefore - before);
  }

  /** Bytes this job counts in heldBytes. */
  private held = 0;

  private hold(bytes: number): void {
    heldBytes += bytes;
    this.held += bytes;
    if (heldBytes > this.caps.heldBytesMax) {
      renderStats.refusedHeld += 1;
      throw new OtlpError(
        'overloaded',
        `requests being rendered hold more than ${this.caps.heldBytesMax} bytes of rows (RENDER_HELD_BYTES_MAX); retry later`,
        { retryAfterSeconds: 1 },
      );
    }
  }

  private release(): void {
    heldBytes -= this.held;
    this.held = 0;
  }

  private resume(): void {
    this.out.reset();
    this.arm();
    this.sliceEnd = performance.now() + this.caps.sliceMs;
    this.countdown = CHECK_RECORDS;
    this.checkAt = CHECK_BYTES;
  }

  private keep(): void {
    const { out } = this;
    if (out.lines === 0) return;
    this.chunks.push(out.take());
    this.rowsBefore += out.lines;
    this.bytesBefore += out.length;
    this.lineBytesMax = Math.max(this.lineBytesMax, out.lineBytesMax);
  }

  private result(): RenderResult {
    this.keep();
    const ndjson = this.chunks.length <= 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.bytesBefore);
    return { ndjson, rows: this.rowsBefore, lineBytesMax: this.lineBytesMax, rejected: this.rejected, rejectReasons: this.rejectReasons };
  }

  /**
   * Runs the renderer: synchronously when it finishes within its first slice,
   * otherwise the rest in slices with other work (setImmediate) in between.
   */
  run(steps: RenderSteps): RenderResult | Promise<RenderResult> {
    try {
      if (steps.next().done) return this.result();
      this.suspend();
    } catch (e) {
      this.release();
      throw e;
    } finally {
      trimScratch();
    }
    return this.runSliced(steps);
  }

  private async runSliced(steps: RenderSteps): Promise<RenderResult> {
    renderStats.slicedRenders += 1;
    try {
      for (;;) {
        await nextTurn();
        try {
          this.resume();
          const done = steps.next().done;
          this.suspend();
          if (done) break;
        } finally {
          trimScratch();
        }
      }
      return await this.joined();
    } finally {
      this.release();
      this.chunks = [];
    }
  }

  /**
   * The chunks of a sliced render as one buffer, copied in slices too: one
   * copy of tens of MiB into fresh memory took longer than a slice.
   */
  private async joined(): Promise<RenderResult> {
    const { chunks } = this;
    let ndjson: Buffer | undefined = chunks[0];
    if (chunks.length > 1) {
      ndjson = Buffer.allocUnsafe(this.bytesBefore);
      let at = 0;
      let sliceEnd = performance.now() + this.caps.sliceMs;
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i] as Buffer;
        chunk.copy(ndjson, at);
        at += chunk.length;
        // Each chunk is dropped once copied, so the request holds its rows about once, not twice.
        chunks[i] = EMPTY;
        if (performance.now() >= sliceEnd) {
          await nextTurn();
          sliceEnd = performance.now() + this.caps.sliceMs;
        }
      }
    }
    this.chunks = [];
    return { ndjson, rows: this.rowsBefore, lineBytesMax: this.lineBytesMax, rejected: this.rejected, rejectReasons: this.rejectReasons };
  }
}

/** Renders a whole request at once (tools and tests; ingestion slices, see RenderJob.run). */
export function renderAll(start: (job: RenderJob) => RenderSteps, caps: Partial<RenderCaps> = {}): RenderResult {
  const job = new RenderJob({ ...DEFAULT_CAPS, sliceMs: Infinity, ...caps });
  const out = job.run(start(job));
  if (out instanceof Promise) throw new Error('a render without slices yielded');
  return out;
}
