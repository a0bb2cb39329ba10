// Snapshot load time of tables with 10, 1,000 and 10,000 commits (one file
// each, as ingestion makes them), from the JSON log alone and from a
// checkpoint plus a tail of commits; checkpoint write time; and DuckDB's scan
// time over the active files before and after compaction. The figures choose
// the default checkpoint interval.
// Usage: NODE_OPTIONS=--expose-gc npx tsx bench/snapshot-load.ts [--sizes 10,1000,10000] [--runs N]
import { copyFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { encodeActions, type Action } from '../src/delta/actions.ts';
import { writeCheckpoint } from '../src/delta/checkpoint-write.ts';
import { checkpointFileName } from '../src/delta/checkpoint-schema.ts';
import { commitFileName, logDir } from '../src/delta/commit.ts';
import { loadSnapshot } from '../src/delta/snapshot.ts';
import { createDeltaTable, dataFilePath, makeAdd, newDataFileName } from '../src/delta/table.ts';
import { openDuckDb, type Db } from '../src/duckdb/db.ts';
import { sqlString } from '../src/duckdb/sql.ts';
import { optimizeTable } from '../src/maintenance/optimize.ts';
import { writeParquet } from '../src/parquet/write.ts';
import { rowsToNdjson } from '../src/tables/ndjson.ts';
import type { Row } from '../src/tables/row.ts';
import { schemaFor } from '../src/tables/schema.ts';
import { round } from './lib/stats.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string' }, runs: { type: 'string' } } });
const SIZES = (values.sizes ?? '10,1000,10000').split(',').map(Number);
const RUNS = Number(values.runs ?? 5);
const TAILS = [0, 10, 100];

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  // One untimed call first: JIT warm-up and a cold page cache would otherwise land in the figures.
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    // With --expose-gc, garbage of the previous run is not collected inside this one.
    (globalThis as { gc?: () => void }).gc?.();
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return round(times[Math.floor(times.length / 2)] as number, 1);
}

function logRow(i: number): Row {
  return {
    event_name: 'claude_code.api_request',
    time_unix_nano: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n,
    severity_number: 'SEVERITY_NUMBER_INFO',
    body: `request ${i}`,
    attributes: new Map([['session.id', 'bench'], ['model', 'm'], ['i', String(i)]]),
    dropped_attributes_count: 0,
    resource: { attributes: new Map([['service.name', 'claude-code']]), dropped_attributes_count: 0 },
  };
}

/** One real ~20-row logs file; every commit adds a copy under its own name, with that file's true stats. */
async function sampleFile(db: Db, dir: string): Promise<{ file: string; size: number; stats: string }> {
  const ndjson = path.join(dir, 'sample.ndjson');
  await writeFile(ndjson, rowsToNdjson(Array.from({ length: 20 }, (_, i) => logRow(i))));
  const file = path.join(dir, 'sample.parquet');
  const w = await writeParquet(db, schemaFor('logs'), ndjson, file);
  return { file, size: w.size, stats: w.stats };
}

/** A table of `n` commits shaped like ingest commits (commitInfo, txn, add), written without fsync for speed. */
async function buildTable(root: string, n: number, sample: { file: string; size: number; stats: string }): Promise<string> {
  const dir = path.join(root, `t${n}`);
  const schema = schemaFor('logs');
  await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties } });
  for (let v = 1; v <= n; v++) {
    const name = newDataFileName();
    await copyFile(sample.file, path.join(dir, name));
    const now = Date.now();
    const actions: Action[] = [
      { commitInfo: { timestamp: now, operation: 'WRITE', operationParameters: { mode: 'Append', partitionBy: '[]' }, readVersion: v - 1, isBlindAppend: true } },
      { txn: { appId: 'bench-lane', version: v, lastUpdated: now } },
      { add: makeAdd(name, sample.size, sample.stats, now) },
    ];
    await writeFile(path.join(logDir(dir), commitFileName(v)), encodeActions(actions));
  }
  return dir;
}

async function scanMs(db: Db, dir: string): Promise<number> {
  const snap = await loadSnapshot(dir, { db });
  const list = [...(snap?.files.keys() ?? [])].map((p) => sqlString(dataFilePath(dir, p))).join(', ');
  return median(3, () => db.all(`SELECT count(*), max(time_unix_nano) FROM read_parquet([${list}])`));
}

type Result = Record<string, number | string>;

async function measure(db: Db, root: string, n: number, sample: Awaited<ReturnType<typeof sampleFile>>): Promise<Result> {
  const dir = await buildTable(root, n, sample);
  const r: Result = { commits: n, jsonOnlyMs: await median(RUNS, () => loadSnapshot(dir, { db })) };
  const aside = path.join(root, 'aside');
  await mkdir(aside, { recursive: true });
  for (const tail of TAILS) {
    const at = n - tail;
    if (at < 1) continue;
    const snap = await loadSnapshot(dir, { db, version: at });
    // The hint never moves backwards on its own; here it must name the checkpoint being measured.
    await rm(path.join(logDir(dir), '_last_checkpoint'), { force: true });
    const t = performance.now();
    await writeCheckpoint(db, dir, snap!);
    if (tail === 0) r.checkpointWriteMs = round(performance.now() - t, 1);
    r[`checkpointTail${tail}Ms`] = await median(RUNS, () => loadSnapshot(dir, { db }));
    if (tail === 0) r.checkpointTail0ColdDbMs = await median(RUNS, () => loadSnapshot(dir));
    // Park this checkpoint so the next load starts from the older one.
    await rename(path.join(logDir(dir), checkpointFileName(at)), path.join(aside, `${n}-${at}`));
  }
  r.scanFilesMs = await scanMs(db, dir);
  if (n >= 1000) {
    await optimizeTable(dir, { db });
    r.scanAfterOptimizeMs = await scanMs(db, dir);
  }
  await rm(dir, { recursive: true, force: true });
  return r;
}

function markdown(results: Result[]): string {
  const cell = (v: number | string | undefined) => (v === undefined ? '–' : `${v} ms`);
  const lines = [
    '| commits (files) | JSON log only | checkpoint, 0-commit tail | 10-commit tail | 100-commit tail | checkpoint, DuckDB opened for the load | checkpoint write | DuckDB scan of the files | scan after optimize |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.commits} | ${cell(r.jsonOnlyMs)} | ${cell(r.checkpointTail0Ms)} | ${cell(r.checkpointTail10Ms)} | ${cell(r.checkpointTail100Ms)} | ` +
        `${cell(r.checkpointTail0ColdDbMs)} | ${cell(r.checkpointWriteMs)} | ${cell(r.scanFilesMs)} | ${cell(r.scanAfterOptimizeMs)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'bench-snapshot-'));
  const db = await openDuckDb();
  try {
    const sample = await sampleFile(db, root);
    const results: Result[] = [];
    for (const n of SIZES) {
      results.push(await measure(db, root, n, sample));
      process.stderr.write(`${JSON.stringify(results.at(-1))}\n`);
    }
    const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${os.platform()}`;
    const md = `Snapshot load (median of ${RUNS} runs; ${machine}; one ${sample.size}-byte file per commit)\n\n${markdown(results)}\n`;
    const outDir = new URL('./results/', import.meta.url);
    await mkdir(outDir, { recursive: true });
    await writeFile(new URL('snapshot-load.json', outDir), `${JSON.stringify({ machine, runs: RUNS, fileBytes: sample.size, results }, null, 2)}\n`);
    await writeFile(new URL('snapshot-load.md', outDir), md);
    process.stdout.write(md);
  } finally {
    db.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
