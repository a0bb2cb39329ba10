// Wires the running service together: DuckDB, staging, the ingest pipeline,
// the HTTP app and server. Tests start it in-process through the same function.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SHUTDOWN_DEADLINE_MS } from '../config/limits.ts';
import type { ServeConfig } from '../config/serve-config.ts';
import { openDuckDb } from '../duckdb/db.ts';
import { createApp } from '../http/app.ts';
import { listen } from '../http/server.ts';
import { InflightBudget } from '../ingest/budget.ts';
import { Pipeline } from '../ingest/pipeline.ts';
import { openStaging } from '../wal/staging.ts';
import { SIGNALS } from '../ingest/signals.ts';
import type { Signal } from '../otlp/types.ts';
import { parseTableName, type TableName } from '../tables/names.ts';

export type Service = {
  url: string;
  warehouse: string;
  staging: string;
  pipeline: Pipeline;
  /** Stops intake, commits everything staged, closes. Safe to call twice. */
  stop(): Promise<boolean>;
};

/** `c.s.p` names `c.s.p_otel_metrics`, `c.s.p_otel_logs` and `c.s.p_otel_spans`, the documented naming. */
function defaultTables(prefix: string | undefined): ((signal: Signal) => TableName) | undefined {
  if (prefix === undefined) return undefined;
  return (signal) => parseTableName(`${prefix}_otel_${SIGNALS[signal].tableKind}`, '--default-table-prefix');
}

export async function startService(config: ServeConfig, log: (line: string) => void): Promise<Service> {
  const warehouse = path.resolve(config.warehouse);
  await mkdir(warehouse, { recursive: true });
  const staging = await openStaging(config.staging);
  const db = await openDuckDb();
  let pipeline: Pipeline;
  try {
    // Recovery happens here, before the port is opened: staged rows go first.
    pipeline = await Pipeline.start({ warehouse, db, staging, limits: config.limits, log });
  } catch (e) {
    db.close();
    await staging.release();
    throw e;
  }
  let accepting = true;
  const app = createApp({
    ingestor: pipeline,
    bodyBytesMax: config.limits.bodyBytesMax,
    inflight: new InflightBudget(config.limits.inflightBytesMax),
    defaultTable: defaultTables(config.defaultTablePrefix),
    log,
    accepting: () => accepting,
  });
  const server = await listen(app, config.host, config.port);
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  let stopping: Promise<boolean> | undefined;
  const stop = (): Promise<boolean> => {
    stopping ??= (async () => {
      accepting = false;
      await server.close();
      const drained = await pipeline.close(SHUTDOWN_DEADLINE_MS);
      db.close();
      await staging.release();
      return drained;
    })();
    return stopping;
  };
  return { url: `http://${host}:${server.port}`, warehouse, staging: staging.root, pipeline, stop };
}
