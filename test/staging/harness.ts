// A warehouse with one logs table and a staging folder holding segments written
// by hand (as a server that stopped before committing them would leave them),
// then the real service started over it, committing what it finds.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startService, type Service } from '../../src/cli/service.ts';
import { resolveServeConfig } from '../../src/config/serve-config.ts';
import { createDeltaTable } from '../../src/delta/table.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import { TableWal } from '../../src/wal/table-wal.ts';
import { checkDeltaTable } from '../support/delta-check.ts';

export const TABLE = 'main.otel.logs';

export const row = (i: number) => `{"body":"row ${i}","severity_text":"INFO"}\n`;

export type Bench = {
  warehouse: string;
  staging: string;
  tableDir: string;
  /** The table's staging folder, where segments wait. */
  segDir: string;
  /** Stages records (each a list of row numbers) into one sealed segment, returns its path. */
  stage(records: number[][]): Promise<string>;
  start(): Promise<{ service: Service; logs: string[] }>;
  /** The `body` of every committed row, in table order. */
  committedBodies(): Promise<string[]>;
  cleanup(): Promise<void>;
};

export async function bench(): Promise<Bench> {
  const warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-staging-'));
  const staging = path.join(warehouse, '.otlp2delta', 'staging');
  const dir = tableDir(warehouse, parseTableName(TABLE));
  const schema = schemaFor('logs');
  await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties } });
  const segDir = path.join(staging, 'tables', TABLE);
  let nextSeq = 0n;
  const services: Service[] = [];
  return {
    warehouse,
    staging,
    tableDir: dir,
    segDir,
    async stage(records) {
      const { wal } = await TableWal.open(segDir, nextSeq, { log: () => undefined });
      for (const r of records) await wal.append(r.map(row).join(''), r.length);
      await wal.seal();
      await wal.close();
      const seg = wal.sealed[wal.sealed.length - 1]!;
      nextSeq = seg.seq + 1n;
      return seg.path;
    },
    async start() {
      const config = resolveServeConfig({ host: '127.0.0.1', port: '0', warehouse, flushIntervalMs: '3600000' }, {});
      const logs: string[] = [];
      const service = await startService(config, (l) => logs.push(l));
      services.push(service);
      return { service, logs };
    },
    async committedBodies() {
      const check = await checkDeltaTable(dir, 'logs');
      return check.rows.map((r) => String(r.body));
    },
    async cleanup() {
      for (const s of services.splice(0)) await s.stop();
      await rm(warehouse, { recursive: true, force: true });
    },
  };
}

export const bodies = (ns: number[]) => ns.map((i) => `row ${i}`);
export const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
