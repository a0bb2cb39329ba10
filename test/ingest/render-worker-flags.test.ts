// A server started with node options of its own (a TypeScript module
// preloaded with --import, as the benchmark's probes are, and a V8 flag, as
// npm start gives) still renders large requests on its workers: they start
// without the main thread's options, which would stop each one at start.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectorRequests } from '../../bench/lib/collector-batches.ts';
import { START_NODE_FLAGS, startServer, type ServerChild } from '../../bench/lib/server-child.ts';
import { createDeltaTable } from '../../src/delta/table.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { parseTableName } from '../../src/tables/names.ts';
import { schemaFor } from '../../src/tables/schema.ts';

let dir: string;
let server: ServerChild;
const [request] = collectorRequests('logs', 1, 2000);

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'worker-flags-'));
  const name = parseTableName(request!.table);
  const schema = schemaFor('logs');
  await createDeltaTable(tableDir(dir, name), { schema, properties: { ...schema.tableProperties }, name: name.table });
  const preload = path.join(dir, 'preload.ts');
  await fsp.writeFile(preload, 'export const loaded: boolean = true;\n');
  server = await startServer({ warehouse: dir, nodeArgs: ['--import', 'tsx', '--import', preload] });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('render workers under node options', () => {
  it('accept a body large enough for a worker', async () => {
    expect(START_NODE_FLAGS.length).toBeGreaterThan(0);
    expect(request!.body.length).toBeGreaterThan(256 * 1024);
    const res = await fetch(`${server.url}${request!.path}`, { method: 'POST', headers: request!.headers, body: request!.body });
    expect(res.status).toBe(200);
    expect(server.log()).not.toMatch(/render worker stopped/);
  }, 30_000);
});
