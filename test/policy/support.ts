// A real ingest pipeline with privacy rules, for the policy tests: staging in
// a temporary folder, DuckDB, render workers (optional) and Delta tables, fed
// directly (the HTTP server's --policy wiring is tested with the server).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_LIMITS } from '../../src/config/limits.ts';
import { createDeltaTable } from '../../src/delta/table.ts';
import { openDuckDb } from '../../src/duckdb/db.ts';
import { Pipeline } from '../../src/ingest/pipeline.ts';
import { RenderPool } from '../../src/ingest/render-pool.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { ServiceMetrics } from '../../src/observe/metrics.ts';
import { parsePrivacy, type PrivacySection } from '../../src/policy/privacy-config.ts';
import { createPrivacyRules } from '../../src/policy/privacy-rules.ts';
import type { Signal } from '../../src/otlp/types.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { schemaFor, type TableKind } from '../../src/tables/schema.ts';
import { openStaging } from '../../src/wal/staging.ts';

export type PolicyPipeline = {
  pipeline: Pipeline;
  metrics: ServiceMetrics;
  /** Requests the render workers rendered (a worker path test checks it went there). */
  workerRenders: () => number;
  warehouse: string;
  stagingDir: string;
  logs: string[];
  createTable(name: string, kind: TableKind): Promise<void>;
  ingest(signal: Signal, table: string, encoding: 'protobuf' | 'json', body: Uint8Array): ReturnType<Pipeline['ingest']>;
  /** Every byte under the staging folder, as text. */
  stagedText(): Promise<string>;
  /** Every byte of the tables' files (Parquet and Delta log), as latin1 text. */
  tableFilesText(): Promise<string>;
  stop(): Promise<void>;
};

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

async function filesText(dir: string, skip: string): Promise<string> {
  const parts: string[] = [];
  for (const f of await allFiles(dir)) if (!f.startsWith(skip)) parts.push((await readFile(f)).toString('latin1'));
  return parts.join('\n');
}

/** Parses a [privacy] section given as a TOML-shaped object, relative to `baseDir`. */
export function section(raw: unknown, baseDir = os.tmpdir(), env: NodeJS.ProcessEnv = {}): PrivacySection {
  return parsePrivacy(raw, { baseDir, env });
}

export async function startPolicyPipeline(privacy: PrivacySection, opts: { workers?: number } = {}): Promise<PolicyPipeline> {
  const warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-privacy-'));
  const stagingDir = path.join(warehouse, '.staging');
  const staging = await openStaging(stagingDir);
  const db = await openDuckDb({ threads: 1 });
  const logs: string[] = [];
  const log = (l: string) => logs.push(l);
  const renderPool = opts.workers ? RenderPool.start(opts.workers, log) : undefined;
  let workerRenders = 0;
  if (renderPool) {
    const render = renderPool.render.bind(renderPool);
    renderPool.render = (input) => {
      workerRenders++;
      return render(input);
    };
  }
  let ref: Pipeline | undefined;
  const metrics = new ServiceMetrics(async () => ({ rows: (await ref?.pendingRows()) ?? 0, bytes: 0 }));
  const pipeline = await Pipeline.start({ warehouse, db, staging, limits: DEFAULT_LIMITS, log, metrics, renderPool, policy: { privacy: createPrivacyRules(() => privacy) } });
  ref = pipeline;
  return {
    pipeline,
    metrics,
    workerRenders: () => workerRenders,
    warehouse,
    stagingDir,
    logs,
    async createTable(name, kind) {
      const schema = schemaFor(kind);
      await createDeltaTable(tableDir(warehouse, parseTableName(name)), { schema, properties: { ...schema.tableProperties } });
    },
    ingest: (signal, table, encoding, body) => pipeline.ingest({ signal, table: parseTableName(table), encoding, body }),
    stagedText: () => filesText(stagingDir, '\0'),
    tableFilesText: () => filesText(warehouse, stagingDir),
    async stop() {
      await pipeline.close(10_000);
      await renderPool?.close();
      await staging.release();
      db.close();
      await rm(warehouse, { recursive: true, force: true });
    },
  };
}
