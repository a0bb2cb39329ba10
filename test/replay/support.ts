// Shared by the replay tests: temporary folders, replaying in-process, and every table of a warehouse read back by the independent checker.
import { AUDIT_TABLE } from '../../src/access/audit-table.ts';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { httpTarget } from '../../src/replay/http-target.ts';
import { discoverInputs } from '../../src/replay/inputs.ts';
import { readInputs, runReplay, type ReplayStats, type RunOptions } from '../../src/replay/run.ts';
import type { Target } from '../../src/replay/target.ts';
import { openWarehouseTarget } from '../../src/replay/warehouse-target.ts';
import type { TableKind } from '../../src/tables/schema.ts';
import { rowKey } from '../golden/golden.ts';
import { checkDeltaTable, type Row } from '../support/delta-check.ts';

const made: string[] = [];

export async function tempDir(label: string): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), `otlp2delta-${label}-`));
  made.push(d);
  return d;
}

/** Removes every folder tempDir made; for afterAll. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** The layout a table of the documented naming holds (…_otel_metrics, …_otel_logs, …_otel_spans). */
export function kindOfName(table: string): TableKind {
  const m = /_otel_(metrics|logs|spans)$/.exec(table);
  if (!m) throw new Error(`table ${table} does not follow the <prefix>_otel_<kind> naming`);
  return m[1] as TableKind;
}

/** Every Delta table of exported data under the warehouse (catalog/schema/table), checked, with its rows; the server's own audit table, which describes requests rather than holds their data, is left out. */
export async function warehouseRows(warehouse: string): Promise<Map<string, Row[]>> {
  const out = new Map<string, Row[]>();
  const dirs = (p: string) => (existsSync(p) ? readdirSync(p, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.')) : []);
  for (const c of dirs(warehouse)) {
    if (c.name === AUDIT_TABLE.catalog) continue;
    for (const s of dirs(path.join(warehouse, c.name))) {
      for (const t of dirs(path.join(warehouse, c.name, s.name))) {
        const name = `${c.name}.${s.name}.${t.name}`;
        const check = await checkDeltaTable(path.join(warehouse, c.name, s.name, t.name), kindOfName(name));
        out.set(name, check.rows);
      }
    }
  }
  return out;
}

/** Rows as sorted order-free keys, table by table, so two landings compare with toEqual. */
export function rowKeysByTable(tables: Map<string, Row[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of [...tables.keys()].sort()) out[name] = tables.get(name)!.map(rowKey).sort();
  return out;
}

async function replayWith(target: Target, paths: string[], opts: Partial<RunOptions>): Promise<ReplayStats & { closeProblem?: string }> {
  let stats: ReplayStats;
  try {
    const inputs = await discoverInputs(paths);
    const bytes = inputs.reduce((n, i) => n + i.bytes, 0);
    stats = await runReplay(readInputs(inputs), bytes, target, { concurrency: 4, ...opts });
  } finally {
    const problem = await target.close();
    if (problem !== undefined) throw new Error(problem);
  }
  return stats;
}

/** `replay <paths> --to url`, in-process. */
export function replayToServer(paths: string[], url: string, opts: Partial<RunOptions> = {}): Promise<ReplayStats> {
  const target = httpTarget({ url, connections: opts.concurrency ?? 4, retryForMs: 60_000, timeoutMs: 30_000 });
  return replayWith(target, paths, opts);
}

/** `replay <paths> --warehouse dir --create-tables`, in-process. */
export async function replayToWarehouse(paths: string[], warehouse: string, opts: Partial<RunOptions> = {}): Promise<ReplayStats> {
  const target = await openWarehouseTarget({ warehouse, createTables: true, log: () => {} });
  return replayWith(target, paths, opts);
}
