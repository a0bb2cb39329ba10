// The service side of load tests: the real service with chosen limits, floods driven from a child
// process (so client work shares neither the server's event loop nor its memory), memory samples, and the
// check that each acknowledged record landed exactly once.
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startService, type Service } from '../../src/cli/service.ts';
import { resolveServeConfig, type ServeInputs } from '../../src/config/serve-config.ts';
import { createDeltaTable } from '../../src/delta/table.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import { checkDeltaTable } from './delta-check.ts';
import type { Ledger } from './load-client.ts';
import type { FloodPlan, FloodResult } from './load-worker.ts';

export * from './load-client.ts';
export type { FloodPlan, FloodResult } from './load-worker.ts';

export type LoadService = {
  service: Service;
  url: string;
  warehouse: string;
  logs: string[];
  /** Creates a logs table and returns its folder. */
  createLogsTable(name: string): Promise<string>;
  stop(opts?: { keep?: boolean }): Promise<boolean>;
};

/** The in-process service on a loopback port; `flags` are the serve flags by their config names. */
export async function startLoadService(flags: Omit<ServeInputs, 'host' | 'port'>): Promise<LoadService> {
  const warehouse = flags.warehouse ?? (await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-load-')));
  const config = resolveServeConfig({ ...flags, host: '127.0.0.1', port: '0', warehouse }, {});
  const logs: string[] = [];
  const service = await startService(config, (l) => logs.push(l));
  return {
    service,
    url: service.url,
    warehouse,
    logs,
    createLogsTable: (name) => createLogsTable(warehouse, name),
    async stop({ keep = false } = {}) {
      const drained = await service.stop();
      if (!keep) await rm(warehouse, { recursive: true, force: true });
      return drained;
    },
  };
}

export async function createLogsTable(warehouse: string, name: string): Promise<string> {
  const dir = tableDir(warehouse, parseTableName(name));
  const schema = schemaFor('logs');
  await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties } });
  return dir;
}

/** Runs a flood from a child process and returns each request's ids and outcome. */
export async function floodInChild(plan: FloodPlan): Promise<FloodResult[]> {
  const entry = fileURLToPath(new URL('./load-worker.ts', import.meta.url));
  // The child loads the TypeScript entry through tsx; structured clone carries the results back.
  const child = fork(entry, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: 'inherit' });
  try {
    return await new Promise((resolve, reject) => {
      child.once('message', (m) => resolve(m as FloodResult[]));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`flood process exited with ${code} before reporting`)));
      child.send(plan);
    });
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/** How many times each id occurs in the table, after checking the table is valid. */
export async function idCounts(dir: string): Promise<Map<string, number>> {
  const { rows } = await checkDeltaTable(dir, 'logs');
  const counts = new Map<string, number>();
  for (const r of rows) {
    const id = (r.attributes as Map<string, string | null>).get('id');
    if (typeof id !== 'string') throw new Error(`row without an id attribute: ${String(r.body)}`);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Problems with what the table holds against the ledger: an acknowledged id
 * missing or repeated, a refused id present (its sender retries it, so it
 * would be stored twice), an unknown id repeated, or an id nobody sent.
 */
export function ledgerProblems(ledger: Ledger, counts: Map<string, number>): string[] {
  const out: string[] = [];
  const some = (label: string, ids: string[]) => {
    if (ids.length > 0) out.push(`${ids.length} ${label}, e.g. ${ids.slice(0, 5).join(', ')}`);
  };
  some('acknowledged ids missing', [...ledger.acked].filter((id) => !counts.has(id)));
  some('acknowledged ids stored more than once', [...ledger.acked].filter((id) => (counts.get(id) ?? 0) > 1));
  some('refused ids stored anyway', [...ledger.refused].filter((id) => counts.has(id)));
  some('unknown-outcome ids stored more than once', [...ledger.unknown].filter((id) => (counts.get(id) ?? 0) > 1));
  const sent = (id: string) => ledger.acked.has(id) || ledger.refused.has(id) || ledger.unknown.has(id);
  some('ids in the table that were never sent', [...counts.keys()].filter((id) => !sent(id)));
  return out;
}

/** This thread's heap and the process's resident size, after a full collection when one can be forced. */
export function memorySample(): { heapUsed: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc ?? exposeGc();
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

/** Test workers run without --expose-gc; the flag can still be turned on at run time. */
function exposeGc(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
