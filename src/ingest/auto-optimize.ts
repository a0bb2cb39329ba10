// `serve --auto-optimize`: a background loop that compacts the tables this
// process writes once they collect enough small files. One table at a time,
// never two runs at once, and each run's work is bounded.
import { loadSnapshot } from '../delta/snapshot.ts';
import type { Db } from '../duckdb/db.ts';
import { DEFAULT_TARGET_FILE_BYTES, optimizeTable } from '../maintenance/optimize.ts';
import { smallFiles } from '../maintenance/plan.ts';

/** How often tables are looked at: with one commit per second, a minute adds about 60 files. */
export const AUTO_OPTIMIZE_INTERVAL_MS = 60_000;
/**
 * Small files a table may hold before it is compacted. Below this the files
 * cost readers little; at one commit per second it triggers about every
 * minute, and a run then rewrites at most one target-size file plus the new
 * small ones, so the rewrite cost per minute is bounded by the target size.
 */
export const AUTO_OPTIMIZE_MIN_SMALL_FILES = 50;
/** Input bytes one run may rewrite per table: keeps a first run on a large backlog from hogging DuckDB. */
export const AUTO_OPTIMIZE_MAX_INPUT_BYTES = 1024 * 1024 * 1024;

export type AutoOptimizeOptions = {
  db: Db;
  /** The tables to look after, asked afresh on every round. */
  tables: () => Promise<Array<{ dir: string; fullName: string }>>;
  log: (line: string) => void;
  intervalMs?: number;
  minSmallFiles?: number;
  targetBytes?: number;
  maxInputBytes?: number;
};

export type AutoOptimizer = {
  /** One round over all tables now; joins the round in progress if there is one. */
  runOnce(): Promise<void>;
  /** Ends the loop; resolves once the group being rewritten is committed or dropped. */
  stop(): Promise<void>;
};

async function optimizeIfDue(opts: AutoOptimizeOptions, dir: string, fullName: string, stopped: () => boolean): Promise<void> {
  const targetBytes = opts.targetBytes ?? DEFAULT_TARGET_FILE_BYTES;
  const snap = await loadSnapshot(dir, { db: opts.db });
  if (!snap) return;
  const small = smallFiles(snap.files.values(), targetBytes).length;
  if (small < (opts.minSmallFiles ?? AUTO_OPTIMIZE_MIN_SMALL_FILES)) return;
  const res = await optimizeTable(dir, {
    db: opts.db,
    targetBytes,
    maxInputBytes: opts.maxInputBytes ?? AUTO_OPTIMIZE_MAX_INPUT_BYTES,
    shouldStop: stopped,
    log: opts.log,
  });
  if (res.groups > 0 || res.stopped) {
    opts.log(
      `auto-optimize ${fullName}: ${res.filesRemoved} files -> ${res.filesAdded} (${res.rows} rows) up to version ${res.version ?? snap.version}` +
        (res.stopped ? `; ${res.stopped}` : ''),
    );
  }
}

export function startAutoOptimize(opts: AutoOptimizeOptions): AutoOptimizer {
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const round = async (): Promise<void> => {
    let tables: Array<{ dir: string; fullName: string }>;
    try {
      tables = await opts.tables();
    } catch (e) {
      opts.log(`auto-optimize could not list tables: ${(e as Error).message}`);
      return;
    }
    for (const t of tables) {
      if (stopped) return;
      try {
        await optimizeIfDue(opts, t.dir, t.fullName, () => stopped);
      } catch (e) {
        opts.log(`auto-optimize of ${t.fullName} failed, will try again next round: ${(e as Error).message}`);
      }
    }
  };
  const runOnce = (): Promise<void> => {
    running ??= round().finally(() => {
      running = undefined;
    });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void runOnce().finally(schedule), opts.intervalMs ?? AUTO_OPTIMIZE_INTERVAL_MS);
    timer.unref();
  };
  schedule();
  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
