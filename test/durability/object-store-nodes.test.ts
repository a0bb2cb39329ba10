// Three ingest nodes, each with its own staging folder, writing one table on
// Azure Blob Storage (Azurite) under load, killed and restarted in rounds:
// every acknowledged record lands exactly once, and the table copied down
// passes the independent reader.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, describe, expect, it } from 'vitest';
import { createDeltaTable } from '../../src/delta/table.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { locate } from '../../src/storage/location.ts';
import { openWarehouse } from '../../src/storage/open.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { schemaFor } from '../../src/tables/schema.ts';
import { checkDeltaTable } from '../support/delta-check.ts';
import { startAzurite, type Azurite } from '../support/azurite.ts';
import { killAll, Ledger, prng, runClients, sleep, stagingLeftovers, startServer, tail, verifyRows, waitExit, waitReady, type Server } from './harness.ts';

const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
const TABLE = 'lake.nodes.otel_logs';
const CONTAINER = 'lakehouse';
const NODES = 3;
const KILL_ROUNDS = 3;
const CLIENTS = 12;

let azurite: Azurite | undefined;
let workDir: string | undefined;
let passed = false;

afterAll(async () => {
  killAll();
  await azurite?.stop();
  if (workDir && passed) await rm(workDir, { recursive: true, force: true });
});

/** Every object under the table's prefix, downloaded into a local folder of the same shape. */
async function copyDown(tableLoc: string, dest: string): Promise<string> {
  const { store, key } = locate(tableLoc);
  for (const obj of await store.list(`${key}/`)) {
    const local = path.join(dest, ...obj.key.slice(key.length + 1).split('/'));
    await mkdir(path.dirname(local), { recursive: true });
    expect(await store.download(obj.key, local)).toBe(true);
  }
  return dest;
}

describe('durability: ingest nodes on one object-store table', () => {
  it('keeps every acknowledged record exactly once while three nodes commit to Azurite and are killed in turn', async () => {
    const rnd = prng(SEED);
    azurite = await startAzurite();
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(CONTAINER).create();
    process.env.AZURE_STORAGE_CONNECTION_STRING = azurite.connectionString;
    workDir = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-nodes-'));
    const warehouse = `az://${CONTAINER}/warehouse`;
    await openWarehouse(warehouse);
    const dir = tableDir(warehouse, parseTableName(TABLE));
    const schema = schemaFor('logs');
    await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties } });

    const stagings = Array.from({ length: NODES }, (_, i) => path.join(workDir!, `staging-${i}`));
    const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
    const ledger = new Ledger();
    const events: string[] = [];
    const context = (...servers: Server[]) => `seed ${SEED} (CRASH_SEED=${SEED} to replay), work dir ${workDir}\n${events.join('\n')}\n${servers.map((s) => tail(s)).join('\n')}`;
    const start = (i: number, label: string) => startServer({ label, warehouse, staging: stagings[i]!, flushMs: rnd.between(20, 60), env });

    const servers: Server[] = stagings.map((_, i) => start(i, `N${i}`));
    const urls: (string | undefined)[] = await Promise.all(servers.map((s) => waitReady(s)));
    expect(urls.every(Boolean), context(...servers)).toBe(true);

    let stop = false;
    const clients = runClients({
      clients: CLIENTS,
      label: 'n',
      seed: rnd.int(2 ** 31),
      table: TABLE,
      ledger,
      pickUrl: (r) => urls[r.int(NODES)] ?? urls.find(Boolean),
      stop: () => stop,
      maxRequestsPerClient: 3000,
      deadline: Date.now() + 90_000,
    });

    for (let round = 0; round < KILL_ROUNDS; round++) {
      await sleep(rnd.between(1000, 2000));
      const victim = rnd.int(NODES);
      urls[victim] = undefined;
      servers[victim]!.child.kill('SIGKILL');
      const killed = await waitExit(servers[victim]!);
      events.push(`round ${round}: N${victim} killed at ${ledger.ackedRecords} acked records: ${JSON.stringify(killed)}`);
      expect(killed.signal).toBe('SIGKILL');
      await sleep(rnd.between(0, 400));
      servers[victim] = start(victim, `N${victim}r${round}`);
      urls[victim] = await waitReady(servers[victim]!);
      expect(urls[victim], context(servers[victim]!)).toBeDefined();
    }
    await sleep(rnd.between(800, 1500));
    stop = true;
    await clients;
    events.push(`clients stopped at ${ledger.ackedRecords} acked records; outcomes ${JSON.stringify(Object.fromEntries(ledger.outcomes))}`);

    for (const s of servers) s.child.kill('SIGTERM');
    const exits = await Promise.all(servers.map((s) => waitExit(s)));
    expect(exits, context(...servers)).toEqual(servers.map(() => ({ code: 0, signal: null })));
    for (const st of stagings) expect(stagingLeftovers(st), context(...servers)).toEqual([]);

    const local = await copyDown(dir, path.join(workDir, 'table-copy'));
    await writeFile(path.join(workDir, 'events.txt'), events.join('\n'));
    const check = await checkDeltaTable(local, 'logs').catch((e: Error) => {
      throw new Error(`${e.message}\n${context(...servers)}`);
    });
    const { problems } = verifyRows(check.rows, ledger);
    expect(problems.slice(0, 40), `${problems.length} row problem(s)\n${context(...servers)}`).toEqual([]);
    const writers = new Set(check.commits.map((c) => (c.actions.find((a) => 'txn' in a)?.txn as { appId?: string } | undefined)?.appId).filter(Boolean));
    expect(writers.size, `writers that committed\n${context()}`).toBeGreaterThanOrEqual(NODES);
    expect(ledger.ackedRecords).toBeGreaterThan(500);
    // How busy the table's log was: commits per second across the nodes, overall and in the busiest second.
    const times = check.commits.map((c) => (c.actions.find((a) => 'commitInfo' in a)?.commitInfo as { timestamp?: number } | undefined)?.timestamp).filter((t): t is number => typeof t === 'number');
    const perSecond = new Map<number, number>();
    for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    const span = (Math.max(...times) - Math.min(...times)) / 1000;
    console.info(
      `object-store nodes: seed ${SEED}; ${ledger.acked.size} requests / ${ledger.ackedRecords} records acknowledged, all present once; ` +
        `table v${check.version}, ${writers.size} writers, ${check.orphans.length} orphan files; ` +
        `${(times.length / span).toFixed(1)} commits/s over ${span.toFixed(1)} s, busiest second ${Math.max(...perSecond.values())}\n${events.join('\n')}`,
    );
    passed = true;
  }, 180_000);
});
