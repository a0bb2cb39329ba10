// Times the CPU stages one export request costs the server's event loop
// (decode, NDJSON rendering) per agent capture, without HTTP or disk,
// and the write+fdatasync a staged batch waits for, to attribute ack latency.
// Usage: npx tsx bench/ingest-cost.ts [--rounds N]
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SIGNALS } from '../src/ingest/signals.ts';
import { decodeRequest } from '../src/otlp/codec.ts';
import type { RenderResult } from '../src/tables/render/common.ts';
import { parseContentType } from '../src/http/content-type.ts';
import { agentRequests } from './lib/captures.ts';
import { round, summarize } from './lib/stats.ts';

type Render = (req: unknown) => RenderResult;

function stageTimes(rounds: number) {
  const out = [];
  for (const r of agentRequests()) {
    // The gzip captures are not in the agent mix, so the body is the decoded body.
    const encoding = parseContentType(r.headers['content-type']);
    const render = SIGNALS[r.signal].render as unknown as Render;
    // Medians per stage: a GC pause or another process taking the core hits a
    // few rounds hard, and the median keeps those out of the per-request cost.
    const half = Math.ceil(rounds / 2);
    const t = { decode: new Float64Array(rounds - half), ndjson: new Float64Array(rounds - half), total: new Float64Array(rounds - half) };
    let ndjsonBytes = 0;
    for (let i = 0; i < rounds; i++) {
      const a = performance.now();
      const decoded = decodeRequest(r.signal, r.body, encoding);
      const b = performance.now();
      ndjsonBytes = render(decoded).ndjson?.length ?? 0;
      const c = performance.now();
      // The first rounds warm the JIT; count only the second half.
      if (i >= half) {
        t.decode[i - half] = b - a;
        t.ndjson[i - half] = c - b;
        t.total[i - half] = c - a;
      }
    }
    const ms = (v: Float64Array) => round(summarize(v).p50, 3);
    out.push({ id: r.id, bytes: r.body.length, rows: r.rows, ndjsonBytes, decodeMs: ms(t.decode), ndjsonMs: ms(t.ndjson), totalMs: ms(t.total) });
  }
  return out;
}

/** write + fdatasync of one group-commit batch, as the staging file does it, in a temp folder on the same disk. */
async function syncTimes(batchBytes: number, count: number) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-fsync-'));
  const fh = await open(path.join(dir, 'segment.ndjson'), 'wx');
  const buf = Buffer.alloc(batchBytes, 0x61);
  const times = new Float64Array(count);
  try {
    for (let i = 0; i < count; i++) {
      const a = performance.now();
      await fh.write(buf, 0, buf.length, i * batchBytes);
      await fh.datasync();
      times[i] = performance.now() - a;
    }
  } finally {
    await fh.close();
    await rm(dir, { recursive: true, force: true });
  }
  const s = summarize(times);
  return { batchBytes, count, p50: round(s.p50, 3), p90: round(s.p90, 3), p99: round(s.p99, 3), max: round(s.max, 3) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string' } } });
  const rounds = Math.max(2, Math.min(10_000, Number(values.rounds ?? 400)));
  const stages = stageTimes(rounds);
  const lines = ['| request | bytes | rows | NDJSON bytes | decode ms | render NDJSON ms | total ms |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const s of stages) lines.push(`| ${s.id} | ${s.bytes} | ${s.rows} | ${s.ndjsonBytes} | ${s.decodeMs} | ${s.ndjsonMs} | ${s.totalMs} |`);
  const mean = stages.reduce((n, s) => n + s.totalMs, 0) / stages.length;
  lines.push('', `mean of the medians over the round-robin mix: ${round(mean, 3)} ms of event-loop CPU per request before HTTP and disk`);
  const meanNdjson = Math.round(stages.reduce((n, s) => n + s.ndjsonBytes, 0) / stages.length);
  lines.push('', '| fdatasync batch | count | p50 ms | p90 ms | p99 ms | max ms |', '| ---: | ---: | ---: | ---: | ---: | ---: |');
  // One request's rows, and a group of 50 requests' rows, as one write.
  for (const bytes of [meanNdjson, meanNdjson * 50]) {
    const f = await syncTimes(bytes, 200);
    lines.push(`| ${f.batchBytes} B | ${f.count} | ${f.p50} | ${f.p90} | ${f.p99} | ${f.max} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`ingest-cost: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
