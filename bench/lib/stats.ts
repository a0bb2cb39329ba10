// Small numeric helpers shared by the benchmarks: percentiles and rounding for reports.

/** Nearest-rank percentile of an ascending array (p in 0..100); NaN when empty. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export type Summary = { count: number; p50: number; p90: number; p99: number; p999: number; max: number; mean: number };

export function summarize(values: Float64Array): Summary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]!,
    mean: sorted.length === 0 ? NaN : sum / sorted.length,
  };
}

/** Rounds to `digits` decimals for JSON output, keeping numbers as numbers. */
export const round = (v: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

export const mib = (bytes: number): number => round(bytes / (1024 * 1024), 1);
