// Drives a replay: reads the inputs in order, keeps N requests in flight at
// most R per second, and tallies what the target accepted and refused.
import { readCollectorFile } from './collector-file.ts';
import { readCapture, type InputFile } from './inputs.ts';
import { tableFor, type ReplayItem, type TableRules } from './request.ts';
import { sleep, type Outcome, type Target } from './target.ts';

export type ReplayStats = {
  requests: number;
  /** Requests refused as a whole, including inputs that could not be read. */
  rejectedRequests: number;
  records: number;
  acceptedRecords: number;
  rejectedRecords: number;
  /** Requests (and unreadable inputs) whose records could not be counted here, so are not in the counts. */
  uncounted: number;
  retries: number;
  /** Input bytes consumed so far, against inputBytes, for progress. */
  doneBytes: number;
  inputBytes: number;
  elapsedMs: number;
  /** The first few refusals, `source: reason`. */
  problems: string[];
};

export type RunOptions = TableRules & {
  concurrency: number;
  /** Requests (attempts, retries included) per second; undefined for no limit. */
  rate?: number | undefined;
  onProgress?: (stats: ReplayStats) => void;
  /** Checked before each new request: once true, requests in flight finish and no more start. */
  stopRequested?: () => boolean;
};

export const PROBLEMS_KEPT = 10;

/** Every item of every input, in order. */
export async function* readInputs(inputs: readonly InputFile[]): AsyncGenerator<ReplayItem> {
  for (const input of inputs) {
    if (input.kind === 'capture') {
      yield await readCapture(input);
      continue;
    }
    try {
      yield* readCollectorFile(input.file);
    } catch (e) {
      // A file that vanished or cannot be opened is one refused input, not the end of the replay.
      yield { kind: 'bad', source: input.file, message: `cannot read: ${(e as Error).message}`, inputBytes: input.bytes };
    }
  }
}

/** Spaces attempts 1/rate seconds apart; concurrent callers queue in order. */
export function rateGate(rate: number | undefined): () => Promise<void> {
  if (rate === undefined) return () => Promise.resolve();
  const spacingMs = 1000 / rate;
  let next = Date.now();
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + spacingMs;
    if (at > now) await sleep(at - now);
  };
}

function emptyStats(inputBytes: number): ReplayStats {
  return {
    requests: 0,
    rejectedRequests: 0,
    records: 0,
    acceptedRecords: 0,
    rejectedRecords: 0,
    uncounted: 0,
    retries: 0,
    doneBytes: 0,
    inputBytes,
    elapsedMs: 0,
    problems: [],
  };
}

function tally(stats: ReplayStats, source: string, inputBytes: number, o: Outcome): void {
  stats.requests += 1;
  stats.doneBytes += inputBytes;
  stats.retries += o.retries;
  if (!o.accepted) stats.rejectedRequests += 1;
  if (o.records === undefined) stats.uncounted += 1;
  else {
    stats.records += o.records;
    stats.acceptedRecords += o.records - o.rejectedRecords;
  }
  stats.rejectedRecords += o.rejectedRecords;
  if ((!o.accepted || o.rejectedRecords > 0) && stats.problems.length < PROBLEMS_KEPT) {
    stats.problems.push(`${source}: ${o.message ?? 'refused'}`);
  }
}

/** Replays `items` into `target`; resolves when every request has an outcome. */
export async function runReplay(items: AsyncIterable<ReplayItem>, inputBytes: number, target: Target, opts: RunOptions): Promise<ReplayStats> {
  const stats = emptyStats(inputBytes);
  const started = Date.now();
  const gate = rateGate(opts.rate);
  const iterator = items[Symbol.asyncIterator]();
  const report = () => {
    stats.elapsedMs = Date.now() - started;
    opts.onProgress?.(stats);
  };
  // Workers share one iterator: async generators queue next() calls, so each item goes to exactly one worker.
  const worker = async (): Promise<void> => {
    while (opts.stopRequested?.() !== true) {
      const next = await iterator.next();
      if (next.done) return;
      const item = next.value;
      if (item.kind === 'bad') {
        tally(stats, item.source, item.inputBytes, { accepted: false, records: undefined, rejectedRecords: 0, retries: 0, message: item.message });
      } else {
        tally(stats, item.source, item.inputBytes, await target.send(item, tableFor(item, opts), gate));
      }
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  // After a stop the inputs are not exhausted: close the file being read.
  await iterator.return?.(undefined);
  report();
  return stats;
}

/** Exit status: 0 only when every request and every record was accepted. */
export const replayExitCode = (s: ReplayStats): number => (s.rejectedRequests > 0 || s.rejectedRecords > 0 ? 1 : 0);
