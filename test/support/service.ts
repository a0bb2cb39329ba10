// Starts the real service on a loopback port with a fresh temporary warehouse,
// for end-to-end tests, and creates tables the way the CLI does.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startService, type Service } from '../../src/cli/service.ts';
import { resolveServeConfig } from '../../src/config/serve-config.ts';
import { createDeltaTable } from '../../src/delta/table.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { schemaFor, type TableKind } from '../../src/tables/schema.ts';

export type TestService = {
  service: Service;
  url: string;
  warehouse: string;
  logs: string[];
  createTable(name: string, kind: TableKind): Promise<string>;
  tableDir(name: string): string;
  /** Stops the service (drains everything accepted) and removes the warehouse unless keep. */
  stop(opts?: { keep?: boolean }): Promise<void>;
};

export async function startTestService(
  opts: { flushIntervalMs?: number; maxBodyBytes?: number; capture?: string; flushRowsMax?: number; rejectionLogBurst?: number; tls?: { certFile: string; keyFile: string }; tlsPollMs?: number; warehouse?: string; policy?: string; policyPollMs?: number } = {},
): Promise<TestService> {
  // An existing warehouse (a test that prepared it with the CLI), or a fresh one.
  const warehouse = opts.warehouse ?? (await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-test-')));
  const config = resolveServeConfig(
    {
      host: '127.0.0.1',
      port: '0',
      warehouse,
      flushIntervalMs: String(opts.flushIntervalMs ?? 200),
      maxBodyBytes: opts.maxBodyBytes === undefined ? undefined : String(opts.maxBodyBytes),
      capture: opts.capture,
      tlsCert: opts.tls?.certFile,
      tlsKey: opts.tls?.keyFile,
      policy: opts.policy,
    },
    {},
  );
  if (opts.tlsPollMs !== undefined) config.tlsPollMs = opts.tlsPollMs;
  if (opts.policyPollMs !== undefined) config.policyPollMs = opts.policyPollMs;
  if (opts.flushRowsMax !== undefined) config.limits.flushRowsMax = opts.flushRowsMax;
  // Each test looks for the line of its own refusal, so the burst of the
  // rejection log's rate limit is raised past what one test file sends.
  config.rejectionLogBurst = opts.rejectionLogBurst ?? 10_000;
  const logs: string[] = [];
  const service = await startService(config, (l) => logs.push(l));
  const dirOf = (name: string) => tableDir(warehouse, parseTableName(name));
  return {
    service,
    url: service.url,
    warehouse,
    logs,
    tableDir: dirOf,
    async createTable(name, kind) {
      const schema = schemaFor(kind);
      await createDeltaTable(dirOf(name), { schema, properties: { ...schema.tableProperties } });
      return dirOf(name);
    },
    async stop({ keep = false } = {}) {
      await service.stop();
      if (!keep) await rm(warehouse, { recursive: true, force: true });
    },
  };
}
