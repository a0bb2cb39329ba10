// OTLP/gRPC beside OTLP/HTTP under agent-like load: the same server process,
// the same recorded agent exports (as protobuf), the same number of
// back-to-back clients, first over HTTP then over gRPC; acknowledgement
// latency p50/p99 and requests/s for each. Each gRPC client has its own
// channel (one HTTP/2 connection), as each agent process would.
import { mkdtemp, rm } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { credentials, Client, Metadata, status as Status } from '@grpc/grpc-js';
import { createDeltaTable } from '../src/delta/table.ts';
import { tableDir } from '../src/ingest/registry.ts';
import { EXPORT_METHODS } from '../src/grpc/service-definition.ts';
import { decodeRequest } from '../src/otlp/codec.ts';
import { SIGNAL_TYPES } from '../src/otlp/schema.ts';
import { parseTableName } from '../src/tables/names.ts';
import { schemaFor } from '../src/tables/schema.ts';
import { RESULTS_DIR } from './lib/ack-report.ts';
import { agentRequests, captureTables, type BenchRequest } from './lib/captures.ts';
import { startServer } from './lib/server-child.ts';
import { round, summarize } from './lib/stats.ts';

type Options = { clients: number; warmupMs: number; durationMs: number; keep: boolean };
const DEFAULTS: Options = { clients: 50, warmupMs: 2_000, durationMs: 8_000, keep: false };

type Sample = { latencies: number[]; ok: number; failed: Map<string, number> };
type Line = { transport: 'http' | 'grpc'; requests: number; requestsPerSecond: number; p50Ms: number; p99Ms: number; failed: Record<string, number> };

/** The body as protobuf without content encoding: what a gRPC exporter's message holds. */
function protobufOf(r: BenchRequest): Buffer {
  const raw = r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body;
  if (!r.headers['content-type']?.includes('json')) return raw;
  return Buffer.from(SIGNAL_TYPES[r.signal].request.encode(decodeRequest(r.signal, raw, 'json') as never).finish());
}

async function drive(clients: number, until: number, measureFrom: number, send: (c: number, i: number) => Promise<string>): Promise<Sample> {
  const s: Sample = { latencies: [], ok: 0, failed: new Map() };
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; Date.now() < until; i++) {
        const t0 = performance.now();
        const outcome = await send(c, i);
        if (Date.now() < measureFrom) continue;
        if (outcome === 'ok') {
          s.ok += 1;
          s.latencies.push(performance.now() - t0);
        } else s.failed.set(outcome, (s.failed.get(outcome) ?? 0) + 1);
      }
    }),
  );
  return s;
}

function line(transport: Line['transport'], s: Sample, ms: number): Line {
  const sum = summarize(Float64Array.from(s.latencies));
  return { transport, requests: s.ok, requestsPerSecond: round(s.ok / (ms / 1000), 0), p50Ms: round(sum.p50), p99Ms: round(sum.p99), failed: Object.fromEntries(s.failed) };
}

export async function runGrpcLatency(o: Options): Promise<{ date: string; options: Options; lines: Line[] }> {
  const warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-bench-grpc-'));
  const server = await (async () => {
    for (const [name, kind] of captureTables()) {
      const schema = schemaFor(kind);
      await createDeltaTable(tableDir(warehouse, parseTableName(name)), { schema, properties: { ...schema.tableProperties }, name: parseTableName(name).table });
    }
    return startServer({ warehouse });
  })();
  try {
    const target = /OTLP\/gRPC on http:\/\/(\S+)/.exec(server.log())?.[1];
    if (!target) throw new Error(`no gRPC listener in the start line:\n${server.log()}`);
    const requests = agentRequests().map((r) => ({ ...r, proto: protobufOf(r) }));
    const pick = (c: number, i: number) => requests[(c * 7 + i) % requests.length]!;
    const window = () => {
      const start = Date.now();
      return { measureFrom: start + o.warmupMs, until: start + o.warmupMs + o.durationMs };
    };

    let w = window();
    const http = await drive(o.clients, w.until, w.measureFrom, async (c, i) => {
      const r = pick(c, i);
      const headers = { ...r.headers };
      delete headers['content-length'];
      try {
        const res = await fetch(`${server.url}${r.path}`, { method: 'POST', headers, body: r.body });
        await res.arrayBuffer();
        return res.status === 200 ? 'ok' : String(res.status);
      } catch (e) {
        return (e as Error).message;
      }
    });

    const channels = Array.from({ length: o.clients }, () => new Client(target, credentials.createInsecure()));
    const paths = new Map(EXPORT_METHODS.map((m) => [m.signal, m.path]));
    w = window();
    const grpc = await drive(o.clients, w.until, w.measureFrom, (c, i) => {
      const r = pick(c, i);
      const md = new Metadata();
      md.set('x-databricks-uc-table-name', r.table);
      return new Promise((resolve) => {
        channels[c]!.makeUnaryRequest(paths.get(r.signal)!, (b: Buffer) => b, (b: Buffer) => b, r.proto, md, { deadline: Date.now() + 10_000 }, (err) => {
          resolve(err ? `grpc ${Status[err.code] ?? err.code}` : 'ok');
        });
      });
    });
    for (const ch of channels) ch.close();
    return { date: new Date().toISOString(), options: o, lines: [line('http', http, o.durationMs), line('grpc', grpc, o.durationMs)] };
  } finally {
    await server.stop();
    if (!o.keep) await rm(warehouse, { recursive: true, force: true });
  }
}

function markdown(r: Awaited<ReturnType<typeof runGrpcLatency>>): string {
  const rows = r.lines.map((l) => `| ${l.transport} | ${l.requestsPerSecond} | ${l.p50Ms} | ${l.p99Ms} | ${l.requests} | ${Object.entries(l.failed).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'} |`);
  return [
    `# OTLP/gRPC beside OTLP/HTTP (${r.date})`,
    '',
    `${r.options.clients} back-to-back clients with the agent captures, ${r.options.durationMs / 1000} s measured after ${r.options.warmupMs / 1000} s warm-up, one server process.`,
    '',
    '| transport | requests/s | p50 ms | p99 ms | acknowledged | refused |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: false, options: { 'grpc-clients': { type: 'string' }, 'warmup-s': { type: 'string' }, 'duration-s': { type: 'string' }, keep: { type: 'boolean' } } });
  const num = (raw: unknown, fallback: number) => (typeof raw === 'string' && Number(raw) > 0 ? Number(raw) : fallback);
  const o: Options = {
    clients: Math.round(num(values['grpc-clients'], DEFAULTS.clients)),
    warmupMs: num(values['warmup-s'], DEFAULTS.warmupMs / 1000) * 1000,
    durationMs: num(values['duration-s'], DEFAULTS.durationMs / 1000) * 1000,
    keep: values.keep === true,
  };
  const r = await runGrpcLatency(o);
  const md = markdown(r);
  writeFileSync(path.join(RESULTS_DIR, 'grpc-latency.json'), `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(path.join(RESULTS_DIR, 'grpc-latency.md'), md);
  process.stdout.write(md);
  return r.lines.every((l) => l.requests > 0) ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main(process.argv.slice(2)).then((c) => (process.exitCode = c), (e: unknown) => {
    process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
