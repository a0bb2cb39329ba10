// Launch flags for the in-server event-loop and memory probes, and the memory summary over a window.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeLaunch } from './loop-report.ts';
import { mib } from './stats.ts';

const MEM_PROBE = fileURLToPath(new URL('./mem-probe.ts', import.meta.url));

export function serverProbes(dir: string) {
  const loopFile = path.join(dir, 'event-loop.ndjson');
  const memFile = path.join(dir, 'memory.ndjson');
  const loop = probeLaunch(loopFile);
  return {
    loopFile,
    memFile,
    nodeArgs: [...loop.nodeArgs, '--import', MEM_PROBE],
    env: { ...loop.env, OTLP2DELTA_BENCH_MEM_OUT: memFile },
  };
}

type MemSample = { t: number; rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };

/**
 * Median and largest value (MiB) of each part over the samples stamped in
 * [fromMs, toMs]: the V8 heap (used and reserved), memory V8 tracks outside it
 * (Buffers), and the rest of RSS, which is native: DuckDB, code, thread stacks.
 */
export function summarizeMemory(file: string, fromMs: number, toMs: number) {
  if (!existsSync(file)) return undefined;
  const samples = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as MemSample)
    .filter((s) => s.t >= fromMs && s.t <= toMs);
  if (samples.length === 0) return undefined;
  const stat = (f: (s: MemSample) => number) => {
    const v = samples.map(f).sort((a, b) => a - b);
    return { p50: mib(v[Math.floor(v.length / 2)]!), max: mib(v[v.length - 1]!) };
  };
  return {
    samples: samples.length,
    heapUsedMiB: stat((s) => s.heapUsed),
    heapTotalMiB: stat((s) => s.heapTotal),
    externalMiB: stat((s) => s.external),
    nativeOtherMiB: stat((s) => Math.max(0, s.rss - s.heapTotal - s.external)),
  };
}
