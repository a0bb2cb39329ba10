// Starts the event-loop probe in the server and summarises what it recorded
// over the benchmark's measured window.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { round } from './stats.ts';

const PROBE = fileURLToPath(new URL('./loop-probe.ts', import.meta.url));

/** Node flags and environment that load the probe; tsx lets it be TypeScript. */
export function probeLaunch(outFile: string): { nodeArgs: string[]; env: Record<string, string> } {
  return { nodeArgs: ['--import', 'tsx', '--import', PROBE], env: { OTLP2DELTA_BENCH_LOOP_OUT: outFile } };
}

type Sample = { t: number; elu: number; p50: number; p99: number; max: number };

export type LoopSummary = {
  intervals: number;
  /** Share of wall time the event loop was running code, over the window. */
  meanUtilization: number;
  /** Longest single event-loop delay seen. */
  maxDelayMs: number;
  /** Intervals (of 250 ms) in which the loop was held up for 50 ms or more. */
  intervalsWithDelayOver50Ms: number;
  /** Median of the per-interval p99 delays. */
  medianIntervalP99Ms: number;
};

/** Samples stamped between `fromMs` and `toMs` (Date.now values). */
export function summarizeLoop(file: string, fromMs: number, toMs: number): LoopSummary | undefined {
  if (!existsSync(file)) return undefined;
  const samples = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Sample)
    .filter((s) => s.t > fromMs && s.t <= toMs);
  if (samples.length === 0) return undefined;
  const p99s = samples.map((s) => s.p99).sort((a, b) => a - b);
  return {
    intervals: samples.length,
    meanUtilization: round(samples.reduce((n, s) => n + s.elu, 0) / samples.length, 3),
    maxDelayMs: round(Math.max(...samples.map((s) => s.max))),
    intervalsWithDelayOver50Ms: samples.filter((s) => s.max >= 50).length,
    medianIntervalP99Ms: round(p99s[Math.floor(p99s.length / 2)]!),
  };
}
