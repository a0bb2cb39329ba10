// How a replay shows itself: a redrawn progress bar on a terminal, an
// occasional plain line in a log, and the closing summary.
import type { ReplayStats } from './run.ts';

const BAR_WIDTH = 20;
/** Redraws of the bar: often enough to look live, rarely enough to cost nothing. */
const TTY_INTERVAL_MS = 100;
/** Plain progress lines when stderr is a log file or a CI console. */
const LOG_INTERVAL_MS = 10_000;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function fraction(s: ReplayStats): number {
  return s.inputBytes > 0 ? Math.min(1, s.doneBytes / s.inputBytes) : 0;
}

function counts(s: ReplayStats, sep: string): string {
  const parts = [`${s.requests} requests`, `${s.records} records`, `${s.rejectedRecords} rejected`, `${s.retries} retried`];
  return [...parts, seconds(s.elapsedMs)].join(sep);
}

export function progressLine(s: ReplayStats, tty: boolean): string {
  const pct = `${Math.floor(fraction(s) * 100)}%`.padStart(4);
  if (!tty) return `replay: ${pct} ${counts(s, ', ')}`;
  const filled = Math.round(fraction(s) * BAR_WIDTH);
  // Compact, so the whole line fits an 80-column terminal.
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${pct} ${counts(s, ' ')}`;
}

export type Progress = { update(s: ReplayStats): void; finish(): void };

/** Progress on `out` (stderr): a bar on a terminal, a line every few seconds otherwise, nothing when quiet. */
export function progressReporter(out: NodeJS.WriteStream, quiet: boolean): Progress {
  if (quiet) return { update() {}, finish() {} };
  const tty = out.isTTY === true;
  const interval = tty ? TTY_INTERVAL_MS : LOG_INTERVAL_MS;
  let last = Date.now();
  let drawn = false;
  return {
    update(s) {
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      if (tty) {
        // Clip to the terminal so the line never wraps, which would break the redraw.
        const width = Math.max(20, (out.columns || 80) - 1);
        out.write(`\r\x1b[2K${progressLine(s, true).slice(0, width)}`);
        drawn = true;
      } else {
        out.write(`${progressLine(s, false)}\n`);
      }
    },
    finish() {
      if (drawn) out.write('\r\x1b[2K');
    },
  };
}

/** The closing report: one summary line, then the first refusals. */
export function summaryText(s: ReplayStats): string {
  const refusedRequests = s.rejectedRequests > 0 ? ` (${s.rejectedRequests} refused)` : '';
  const lines = [
    `summary: ${s.requests} requests${refusedRequests}, ${s.records} records, ${s.acceptedRecords} accepted, ` +
      `${s.rejectedRecords} rejected, ${s.retries} retried, ${seconds(s.elapsedMs)}`,
  ];
  if (s.uncounted > 0) lines.push(`note: the records of ${s.uncounted} request(s) could not be counted (the body did not decode here)`);
  if (s.problems.length > 0) {
    lines.push('first problems:');
    for (const p of s.problems) lines.push(`  ${p.length > 400 ? `${p.slice(0, 400)}…` : p}`);
  }
  return lines.join('\n');
}
