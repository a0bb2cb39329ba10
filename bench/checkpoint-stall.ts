// Acknowledgement latency while a large table checkpoints under agent load.
// One table is prefilled with N one-file commits and a checkpoint, and set to
// checkpoint every 7 commits (the default is 100), so a 12 s window at the
// usual 1 s flush sees one or two checkpoints of an N-file table.
// Usage: npx tsx bench/checkpoint-stall.ts [--files N] [--duration-s S]
import { link, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeActions, type Action } from '../src/delta/actions.ts';
import { writeCheckpoint } from '../src/delta/checkpoint-write.ts';
import { commitFileName, logDir } from '../src/delta/commit.ts';
import { loadSnapshot } from '../src/delta/snapshot.ts';
import { createDeltaTable, makeAdd, newDataFileName } from '../src/delta/table.ts';
import { openDuckDb } from '../src/duckdb/db.ts';
import { tableDir } from '../src/ingest/registry.ts';
import { writeParquet } from '../src/parquet/write.ts';
import { parseTableName } from '../src/tables/names.ts';
import { rowsToNdjson } from '../src/tables/ndjson.ts';
import { schemaFor } from '../src/tables/schema.ts';
import { agentRequests, captureTables } from './lib/captures.ts';
import { runLoad } from './lib/load.ts';
import { probeLaunch, summarizeLoop } from './lib/loop-report.ts';
import { startServer } from './lib/server-child.ts';
import { round, summarize } from './lib/stats.ts';

const BIG = 'main.agent_telemetry.codex_otel_logs';
const INTERVAL = '7';

/** Commits 1..files each add a hard link to one small real file, as ingest commits look. */
async function prefill(warehouse: string, files: number): Promise<void> {
  const db = await openDuckDb({ threads: 1 });
  try {
    for (const [name, kind] of captureTables()) {
      const schema = schemaFor(kind);
      const properties = { ...schema.tableProperties, ...(name === BIG ? { 'delta.checkpointInterval': INTERVAL } : {}) };
      await createDeltaTable(tableDir(warehouse, parseTableName(name)), { schema, properties });
    }
    const dir = tableDir(warehouse, parseTableName(BIG));
    const ndjson = path.join(warehouse, 'sample.ndjson');
    await writeFile(ndjson, rowsToNdjson([{ event_name: 'sample', body: 'b', attributes: new Map([['k', 'v']]) }]));
    const sample = path.join(warehouse, 'sample.parquet');
    const written = await writeParquet(db, schemaFor('logs'), ndjson, sample);
    for (let v = 1; v <= files; v++) {
      const name = newDataFileName();
      await link(sample, path.join(dir, name));
      const now = Date.now();
      const actions: Action[] = [
        { commitInfo: { timestamp: now, operation: 'WRITE', operationParameters: { mode: 'Append', partitionBy: '[]' }, readVersion: v - 1 } },
        { txn: { appId: 'prefill', version: v, lastUpdated: now } },
        { add: makeAdd(name, written.size, written.stats, now) },
      ];
      await writeFile(path.join(logDir(dir), commitFileName(v)), encodeActions(actions));
    }
    const snap = await loadSnapshot(dir, { db });
    if (snap) await writeCheckpoint(db, dir, snap);
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { files: { type: 'string' }, 'duration-s': { type: 'string' } } });
  const files = Math.max(1, Math.min(200_000, Number(values.files ?? 10_000)));
  const durationMs = 1000 * Math.max(1, Math.min(600, Number(values['duration-s'] ?? 12)));
  const warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-ckpt-'));
  try {
    await prefill(warehouse, files);
    const loopFile = path.join(warehouse, 'event-loop.ndjson');
    const probe = probeLaunch(loopFile);
    const server = await startServer({ warehouse, nodeArgs: probe.nodeArgs, env: probe.env });
    let from = 0;
    let load;
    try {
      load = await runLoad({
        url: server.url,
        requests: agentRequests(),
        clients: 200,
        warmupMs: 2000,
        durationMs,
        maxRequests: 2_000_000,
        requestTimeoutMs: 30_000,
        ratePerSecond: 200,
        onMeasureStart: () => (from = Date.now()),
      });
    } finally {
      await server.stop();
    }
    const lat = summarize(load.latenciesMs);
    const loop = summarizeLoop(loopFile, from, from + durationMs);
    // The prefill wrote one; the rest were written by the server under load.
    const names = await readdir(logDir(tableDir(warehouse, parseTableName(BIG))));
    const written = names.filter((n) => n.endsWith('.checkpoint.parquet')).length - 1;
    const failures = server.log().split('\n').filter((l) => /checkpoint .* failed/.test(l));
    process.stdout.write(
      `${files}-file table, checkpoint every ${INTERVAL} commits, 200 requests/s for ${durationMs / 1000} s: ` +
        `ack p50 ${round(lat.p50)} ms, p99 ${round(lat.p99)} ms, max ${round(lat.max)} ms; ` +
        `event-loop delay max ${loop?.maxDelayMs ?? '?'} ms, ${load.measured.errors} non-200; ` +
        `${written} checkpoints written under load\n` +
        (failures.length > 0 ? `${failures.join('\n')}\n` : ''),
    );
  } finally {
    await rm(warehouse, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`checkpoint-stall: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
