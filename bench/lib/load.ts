// Load from N clients on keep-alive connections, each sending its next request
// once the previous answer has fully arrived (at once, or paced to a total
// rate), for a warm-up and then a measured window; records how long each
// acknowledgement took and which requests were acknowledged.
import http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchRequest } from './captures.ts';

export type LoadOptions = {
  url: string;
  requests: BenchRequest[];
  clients: number;
  warmupMs: number;
  durationMs: number;
  /** Hard cap on requests sent, so a very fast server still ends the loop. */
  maxRequests: number;
  /** A request slower than this counts as an error (the socket is dropped). */
  requestTimeoutMs: number;
  /**
   * Total requests per second to aim for, spread evenly over the clients; 0
   * means each client sends again as soon as it has its answer (saturation).
   */
  ratePerSecond: number;
  /** Called once when the measured window opens (e.g. to read the server's CPU). */
  onMeasureStart?: () => void;
};

export type LoadResult = {
  /** Acknowledgement latencies (ms) of requests sent inside the measured window. */
  latenciesMs: Float64Array;
  /** Index into the request list of each latency sample. */
  requestIndex: Uint16Array;
  /** Length of the measured window; requests started in it are the ones recorded. */
  windowSeconds: number;
  measured: { sent: number; ok: number; errors: number };
  /** Over warm-up and window: answers per status ('error' = no answer at all). */
  statuses: Record<string, number>;
  /** 200s per request id, over warm-up and window: what must have landed. */
  acknowledged: Map<string, number>;
  /** Requests whose fate is unknown (no answer): their rows may or may not have landed. */
  unanswered: Map<string, number>;
  /** The load generator's own event-loop delay in the window; high values mean the client, not the server, added latency. */
  clientLoopDelayMs: { p50: number; p99: number; max: number };
  clientCpuSeconds: number;
};

type Outcome = { status: number | 'error'; retryAfterMs?: number };

function send(agent: http.Agent, base: URL, req: BenchRequest, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const r = http.request(
      { agent, host: base.hostname, port: base.port, method: 'POST', path: req.path, headers: req.headers },
      (res) => {
        // Drain the body: the acknowledgement is complete only when all of it arrived.
        res.on('data', () => {});
        const retryAfter = Number(res.headers['retry-after']);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : 0 }));
        res.on('error', () => resolve({ status: 'error' }));
      },
    );
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', () => resolve({ status: 'error' }));
    r.end(req.body);
  });
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const base = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.clients, maxFreeSockets: opts.clients });
  const latencies = new Float64Array(opts.maxRequests);
  const requestIndex = new Uint16Array(opts.maxRequests);
  let recorded = 0;
  let sent = 0;
  let measuredOk = 0;
  let measuredErrors = 0;
  let next = 0;
  const statuses: Record<string, number> = {};
  const acknowledged = new Map<string, number>();
  const unanswered = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });

  const t0 = performance.now();
  const measureFrom = t0 + opts.warmupMs;
  const measureUntil = measureFrom + opts.durationMs;
  let cpuAtMeasure: NodeJS.CpuUsage | undefined;
  const openWindow = () => {
    if (cpuAtMeasure) return;
    cpuAtMeasure = process.cpuUsage();
    loopDelay.enable();
    opts.onMeasureStart?.();
  };
  // Opens the window on time even if every client is waiting on a slow answer.
  const windowTimer = setTimeout(openWindow, opts.warmupMs);

  // With a rate, each client keeps its own schedule, started at a staggered offset
  // so the clients do not fire in lock step. A client whose answer came late
  // sends at once but does not catch up, so a rate above capacity is not held.
  const intervalMs = opts.ratePerSecond > 0 ? (1000 * opts.clients) / opts.ratePerSecond : 0;
  const client = async (_: unknown, i: number): Promise<void> => {
    let due = t0 + (intervalMs * i) / opts.clients;
    while (sent < opts.maxRequests) {
      if (intervalMs > 0) {
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        due = Math.max(due + intervalMs, performance.now());
      }
      const start = performance.now();
      if (start >= measureUntil) return;
      const inWindow = start >= measureFrom;
      if (inWindow) openWindow();
      const index = next++ % opts.requests.length;
      const req = opts.requests[index]!;
      sent += 1;
      const { status, retryAfterMs = 0 } = await send(agent, base, req, opts.requestTimeoutMs);
      const end = performance.now();
      statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      if (status === 200) bump(acknowledged, req.id);
      if (status === 'error') bump(unanswered, req.id);
      if (inWindow) {
        if (status === 200) measuredOk += 1;
        else measuredErrors += 1;
        requestIndex[recorded] = index;
        latencies[recorded++] = end - start;
      }
      // Exporters wait as long as a throttling answer asks before sending again.
      if ((status === 429 || status === 503) && retryAfterMs > 0) await sleep(Math.min(retryAfterMs, measureUntil - performance.now()));
    }
  };

  try {
    await Promise.all(Array.from({ length: opts.clients }, client));
  } finally {
    clearTimeout(windowTimer);
    loopDelay.disable();
    agent.destroy();
  }
  const cpu = process.cpuUsage(cpuAtMeasure);
  const ns = (v: number) => (Number.isFinite(v) ? v / 1e6 : 0);
  return {
    latenciesMs: latencies.slice(0, recorded),
    requestIndex: requestIndex.slice(0, recorded),
    windowSeconds: opts.durationMs / 1000,
    measured: { sent: recorded, ok: measuredOk, errors: measuredErrors },
    statuses,
    acknowledged,
    unanswered,
    clientLoopDelayMs: { p50: ns(loopDelay.percentile(50)), p99: ns(loopDelay.percentile(99)), max: ns(loopDelay.max) },
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
