// Preloaded into the server (node --import): appends process.memoryUsage() to OTLP2DELTA_BENCH_MEM_OUT every 250 ms.
import { appendFileSync } from 'node:fs';

const out = process.env['OTLP2DELTA_BENCH_MEM_OUT'];
const INTERVAL_MS = 250;

// The split of RSS into the V8 heap, Buffers and the native rest (DuckDB) shows what holds the memory.
if (out) {
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    // Synchronous on purpose: the line must be there even if the process exits next.
    appendFileSync(out, `${JSON.stringify({ t: Date.now(), rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers })}\n`);
  }, INTERVAL_MS);
  timer.unref();
}
