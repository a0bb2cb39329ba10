// Watches tables' _delta_log for commits and times marked probe requests from acknowledgement to visible.
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchRequest } from './captures.ts';
import { probeMarker, probeRequest } from './collector-batches.ts';

const COMMIT_FILE = /^(\d{20})\.json$/;

export type SeenCommit = {
  table: string;
  version: number;
  /** performance.now() when the watcher first saw the commit file. */
  seenAt: number;
  rows: number;
  bytes: number;
  /** Largest value of the marker column (metric name / event_name) over the commit's files. */
  maxMarker: string;
};

type Stats = { numRecords?: number; maxValues?: Record<string, unknown> };

/** Polls every table's log on a timer; bounded by stop() and by the caller's run length. */
export class DeltaLogWatcher {
  readonly commits: SeenCommit[] = [];
  private readonly next = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tables: { name: string; dir: string }[],
    private readonly pollMs = 10,
  ) {
    // Version 0 (table creation) is already there and holds no rows.
    for (const t of tables) this.next.set(t.name, 1);
  }

  start(): void {
    this.timer = setInterval(() => this.poll(), this.pollMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.poll();
  }

  poll(): void {
    const now = performance.now();
    for (const t of this.tables) {
      const logDir = path.join(t.dir, '_delta_log');
      let next = this.next.get(t.name)!;
      // Versions are claimed in order, so reading up to the first gap is enough.
      const names = new Set(readdirSync(logDir).filter((f) => COMMIT_FILE.test(f)));
      for (; names.has(`${String(next).padStart(20, '0')}.json`); next++) {
        const text = readFileSync(path.join(logDir, `${String(next).padStart(20, '0')}.json`), 'utf8');
        let rows = 0;
        let bytes = 0;
        let maxMarker = '';
        for (const line of text.split('\n')) {
          if (line.trim() === '') continue;
          const action = JSON.parse(line) as { add?: { size: number; stats?: string } };
          if (!action.add) continue;
          bytes += action.add.size;
          const stats = JSON.parse(action.add.stats ?? '{}') as Stats;
          rows += Number(stats.numRecords ?? 0);
          const m = stats.maxValues?.['name'] ?? stats.maxValues?.['event_name'];
          if (typeof m === 'string' && m > maxMarker) maxMarker = m;
        }
        this.commits.push({ table: t.name, version: next, seenAt: now, rows, bytes, maxMarker });
      }
      this.next.set(t.name, next);
    }
  }

  /**
   * Rows/s the commits of the span [from, to] added, per table then summed: the
   * rows of the commits after an anchor (the last commit before `from`, or the
   * first one in the span) over the time from the anchor to the last of them.
   * With commits every second or more, counting whole commits in a short
   * window would be off by a whole commit; this measures between commits instead.
   * Undefined when no table had two commits to measure between.
   */
  committedRate(from: number, to: number): number | undefined {
    let rate: number | undefined;
    for (const t of this.tables) {
      const mine = this.commits.filter((c) => c.table === t.name && c.seenAt <= to);
      const before = mine.filter((c) => c.seenAt < from);
      const inSpan = mine.filter((c) => c.seenAt >= from);
      const anchor = before[before.length - 1] ?? inSpan.shift();
      const last = inSpan[inSpan.length - 1];
      if (anchor === undefined || last === undefined || last.seenAt <= anchor.seenAt) continue;
      rate = (rate ?? 0) + (inSpan.reduce((n, c) => n + c.rows, 0) / (last.seenAt - anchor.seenAt)) * 1000;
    }
    return rate;
  }

  /** When the first commit of `table` holding `marker` (or a later probe) was seen, if yet. */
  visibleAt(table: string, marker: string): number | undefined {
    return this.commits.find((c) => c.table === table && c.maxMarker >= marker)?.seenAt;
  }
}

function post(agent: http.Agent, base: URL, req: BenchRequest): Promise<number> {
  return new Promise((resolve) => {
    const r = http.request({ agent, host: base.hostname, port: base.port, method: 'POST', path: req.path, headers: req.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    r.setTimeout(30_000, () => r.destroy());
    r.on('error', () => resolve(0));
    r.end(req.body);
  });
}

export type ProbeResult = {
  /** Ack-to-visible times (ms) of probes acknowledged inside the measured window. */
  visibleMs: number[];
  /** Acknowledgement latency (ms) of the same probes. */
  ackMs: number[];
  /** Probes whose rows had not appeared within the wait limit. */
  notVisible: number;
  /** Probes answered 200, over the whole run (their rows must land). */
  acknowledged: number;
  sent: number;
};

export type ProbeOptions = {
  url: string;
  signal: 'metrics' | 'logs';
  table: string;
  watcher: DeltaLogWatcher;
  intervalMs: number;
  /** performance.now() range of the measured window. */
  windowFrom: number;
  until: number;
  /** Longest wait for one probe's rows before it counts as not visible. */
  maxWaitMs: number;
};

/** Polls the watcher until the marker shows up or `maxWaitMs` passes; the time it was seen, if it was. */
async function waitVisible(o: ProbeOptions, marker: string, from: number): Promise<number | undefined> {
  for (;;) {
    const seen = o.watcher.visibleAt(o.table, marker);
    if (seen !== undefined || performance.now() - from > o.maxWaitMs) return seen;
    await sleep(5);
  }
}

/**
 * Sends a probe every `intervalMs`, each only after the previous one was
 * acknowledged, so probe i is staged no later than probe i+1 and its segment
 * commits no later. Markers grow with i, so the first commit whose maxValues
 * reach marker i is the one that made probe i visible.
 */
export async function runProbes(o: ProbeOptions): Promise<ProbeResult> {
  const base = new URL(o.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const out: ProbeResult = { visibleMs: [], ackMs: [], notVisible: 0, acknowledged: 0, sent: 0 };
  const waits: Promise<void>[] = [];
  try {
    for (let i = 0; i < 10_000 && performance.now() < o.until; i++) {
      const started = performance.now();
      out.sent += 1;
      const status = await post(agent, base, probeRequest(o.signal, o.table, i));
      const acked = performance.now();
      if (status === 200) {
        out.acknowledged += 1;
        if (started >= o.windowFrom) {
          out.ackMs.push(acked - started);
          waits.push(
            waitVisible(o, probeMarker(i), acked).then((seen) => {
              if (seen === undefined) out.notVisible += 1;
              else out.visibleMs.push(Math.max(0, seen - acked));
            }),
          );
        }
      }
      const wait = started + o.intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
    }
    await Promise.all(waits);
  } finally {
    agent.destroy();
  }
  return out;
}
