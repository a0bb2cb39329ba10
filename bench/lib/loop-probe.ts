// Preloaded into the server process (node --import) by the benchmark: every
// interval it appends one NDJSON line with the event loop's utilisation and
// delay over that interval, so a stall can be told apart from waiting on I/O.
// Writes to the file named by OTLP2DELTA_BENCH_LOOP_OUT; does nothing without it.
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const out = process.env['OTLP2DELTA_BENCH_LOOP_OUT'];
const INTERVAL_MS = 250;

if (out) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let elu = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const since = performance.eventLoopUtilization(now, elu);
    elu = now;
    const ms = (ns: number) => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);
    // Synchronous on purpose: the line must be there even if the process exits next.
    appendFileSync(
      out,
      `${JSON.stringify({ t: Date.now(), elu: Math.round(since.utilization * 1000) / 1000, p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) })}\n`,
    );
    delay.reset();
  }, INTERVAL_MS);
  timer.unref();
}
