// Replacing a cost table's content: one commit per replace, history kept, and
// two replaces at once never leave both lists in the table.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listCommitVersions } from '../../src/delta/snapshot.ts';
import { tableDir } from '../../src/ingest/registry.ts';
import { DIRECTORY_TABLE, readRows, replaceRows } from '../../src/cost/system-table.ts';

let warehouse: string | undefined;
afterEach(async () => {
  if (warehouse) await rm(warehouse, { recursive: true, force: true });
});

const users = (team: string, n: number) => Array.from({ length: n }, (_, i) => ({ user: `u${i}@x.com`, display_name: null, team, department: null, cost_center: null, location: null }));

describe('replaceRows', () => {
  it('replaces the content in one commit each and keeps the earlier versions', async () => {
    warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-replace-test-'));
    expect(await readRows(warehouse, DIRECTORY_TABLE)).toBeUndefined();
    expect(await replaceRows(warehouse, DIRECTORY_TABLE, users('a', 3), 'DIRECTORY IMPORT')).toBe(1);
    expect(await replaceRows(warehouse, DIRECTORY_TABLE, users('b', 2), 'DIRECTORY IMPORT')).toBe(2);
    const rows = await readRows(warehouse, DIRECTORY_TABLE);
    expect(rows?.map((r) => `${String(r.user)} ${String(r.team)}`)).toEqual(['u0@x.com b', 'u1@x.com b']);
    expect(await listCommitVersions(tableDir(warehouse, DIRECTORY_TABLE.name))).toEqual([0, 1, 2]);
    expect(await replaceRows(warehouse, DIRECTORY_TABLE, [], 'DIRECTORY IMPORT')).toBe(3);
    expect(await readRows(warehouse, DIRECTORY_TABLE)).toEqual([]);
  });

  it('never keeps two lists written at the same time, on a new table or an existing one', async () => {
    warehouse = await mkdtemp(path.join(os.tmpdir(), 'otlp2delta-replace-test-'));
    const dir = warehouse;
    for (const round of [0, 1]) {
      const results = await Promise.allSettled([replaceRows(dir, DIRECTORY_TABLE, users('a', 3), 'X'), replaceRows(dir, DIRECTORY_TABLE, users('b', 4), 'X')]);
      for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toMatch(/at the same time.*run the command again/);
      expect(results.some((r) => r.status === 'fulfilled'), `round ${round}`).toBe(true);
      const teams = new Set((await readRows(dir, DIRECTORY_TABLE))?.map((r) => r.team));
      const rows = (await readRows(dir, DIRECTORY_TABLE)) ?? [];
      expect(teams.size).toBe(1);
      expect(rows.length).toBe(teams.has('a') ? 3 : 4);
    }
  });
});
