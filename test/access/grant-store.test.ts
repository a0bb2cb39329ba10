// The grants file and the decisions it gives: round trip and permissions,
// a change by another process seen by a watching store, and the decision
// matrix (direct, group, inherited, future tables, ALL PRIVILEGES, revoke,
// hidden against denied).
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseGrantStatement } from '../../src/access/grant-sql.ts';
import { GrantStore, permissionDeniedMessage } from '../../src/access/grant-store.ts';
import { OWNER, type Principal } from '../../src/access/types.ts';

let warehouse: string;
const stores: GrantStore[] = [];
const open = (opts: Parameters<typeof GrantStore.open>[1] = {}) => {
  const s = GrantStore.open(warehouse, opts);
  stores.push(s);
  return s;
};
const run = (store: GrantStore, sql: string) => {
  const st = parseGrantStatement(sql);
  if (st.kind === 'SHOW GRANTS') throw new Error('not a change');
  store.apply(st);
};
const who = (name: string, ...groups: string[]): Principal => ({ tokenId: `tok_${name}`, name, groups });
const T = (key: string) => {
  const [catalog, schema, table] = key.split('.') as [string, string, string];
  return { catalog, schema, table };
};

beforeEach(() => {
  warehouse = mkdtempSync(path.join(os.tmpdir(), 'otlp2delta-grants-'));
});
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  rmSync(warehouse, { recursive: true, force: true });
});

describe('the grants file', () => {
  it('starts empty, writes owner-only and reads back what was granted', () => {
    const a = open();
    expect(a.list()).toEqual([]);
    run(a, 'GRANT USE CATALOG, SELECT ON CATALOG main TO `alice@example.com`');
    run(a, 'GRANT MODIFY ON TABLE main.s.t TO team_a');
    expect(statSync(a.dir).mode & 0o777).toBe(0o700);
    expect(statSync(a.file).mode & 0o777).toBe(0o600);
    expect(readdirSync(a.dir)).toEqual(['grants.json']);
    const b = open();
    expect(b.list()).toEqual([
      { principal: 'alice@example.com', privilege: 'USE CATALOG', objectType: 'CATALOG', objectKey: 'main' },
      { principal: 'alice@example.com', privilege: 'SELECT', objectType: 'CATALOG', objectKey: 'main' },
      { principal: 'team_a', privilege: 'MODIFY', objectType: 'TABLE', objectKey: 'main.s.t' },
    ]);
    expect(b.show(parseOn('CATALOG main'), 'alice@example.com').map((g) => g.privilege)).toEqual(['USE CATALOG', 'SELECT']);
    expect(b.show(parseOn('TABLE main.s.t'))).toHaveLength(1);
  });

  it('grants once however often granted, and keeps a change another process made since it last read', () => {
    const a = open();
    const b = open();
    run(a, 'GRANT SELECT ON CATALOG main TO x');
    run(a, 'GRANT SELECT ON CATALOG main TO x');
    run(b, 'GRANT SELECT ON CATALOG main TO y');
    expect(open().list().map((g) => g.principal)).toEqual(['x', 'y']);
  });

  it('a watching store sees a grant and a revoke made by another store well within 10 s', async () => {
    const server = open({ watch: true, pollMs: 100 });
    const admin = open();
    const alice = who('alice');
    const t = T('main.s.t');
    expect(server.decide(alice, 'SELECT', t)).toBe('hidden');
    run(admin, 'GRANT ALL PRIVILEGES ON SCHEMA main.s TO alice');
    run(admin, 'GRANT USE CATALOG ON CATALOG main TO alice');
    await until(() => server.decide(alice, 'SELECT', t) === 'allowed');
    run(admin, 'REVOKE ALL PRIVILEGES ON SCHEMA main.s FROM alice');
    await until(() => server.decide(alice, 'SELECT', t) === 'hidden');
  });

  it('keeps the grants last read when the file is damaged, and says so', async () => {
    const lines: string[] = [];
    const server = open({ watch: true, pollMs: 50, log: (l) => lines.push(l) });
    run(open(), 'GRANT USE CATALOG, SELECT ON CATALOG main TO alice');
    await until(() => server.list().length === 2);
    writeFileSync(server.file, '{"grants": [', { mode: 0o600 });
    await until(() => lines.some((l) => l.includes('keeping the grants last read')));
    expect(server.list()).toHaveLength(2);
    expect(() => GrantStore.open(warehouse)).toThrow(/is not valid JSON/);
  });
});

describe('decisions', () => {
  const READ = 'main.team_a.claude_otel_logs';
  let store: GrantStore;
  beforeEach(() => {
    store = open();
  });
  const may = (caller: Principal | typeof OWNER, priv: 'SELECT' | 'MODIFY', key = READ) => store.decide(caller, priv, T(key));

  it('the owner may do everything, with no grant at all', () => {
    expect(may(OWNER, 'SELECT')).toBe('allowed');
    expect(may(OWNER, 'MODIFY')).toBe('allowed');
  });

  it('a direct grant: allowed with USE CATALOG and USE SCHEMA, denied without them, hidden with nothing', () => {
    const bob = who('bob@example.com');
    expect(may(bob, 'SELECT')).toBe('hidden');
    run(store, `GRANT SELECT ON TABLE ${READ} TO \`bob@example.com\``);
    expect(may(bob, 'SELECT')).toBe('denied');
    expect(store.missing(bob, 'SELECT', T(READ))).toEqual({ privilege: 'USE CATALOG', objectType: 'Catalog', objectKey: 'main' });
    run(store, 'GRANT USE CATALOG ON CATALOG main TO `bob@example.com`');
    expect(permissionDeniedMessage(store.missing(bob, 'SELECT', T(READ))!)).toBe("PERMISSION_DENIED: User does not have USE SCHEMA on Schema 'main.team_a'.");
    run(store, 'GRANT USE SCHEMA ON SCHEMA main.team_a TO `bob@example.com`');
    expect(may(bob, 'SELECT')).toBe('allowed');
    // Holding SELECT makes the table visible, so a write is denied, not hidden.
    expect(may(bob, 'MODIFY')).toBe('denied');
    expect(permissionDeniedMessage(store.missing(bob, 'MODIFY', T(READ))!)).toBe("PERMISSION_DENIED: User does not have MODIFY on Table 'main.team_a.claude_otel_logs'.");
    expect(may(bob, 'SELECT', 'main.team_a.other')).toBe('hidden');
  });

  it('a grant to a group counts for its members only', () => {
    run(store, 'GRANT USE CATALOG, USE SCHEMA, MODIFY ON CATALOG main TO team_a');
    expect(may(who('carol', 'team_a'), 'MODIFY')).toBe('allowed');
    expect(may(who('dave', 'team_b'), 'MODIFY')).toBe('hidden');
    // A principal whose name is the group's is not thereby in it in reverse: the name matches as the principal itself.
    expect(may(who('team_a'), 'MODIFY')).toBe('allowed');
  });

  it('a privilege on the catalog or the schema covers existing and future tables', () => {
    run(store, 'GRANT USE CATALOG ON CATALOG main TO analysts');
    run(store, 'GRANT USE SCHEMA, SELECT ON SCHEMA main.team_a TO analysts');
    const ann = who('ann', 'analysts');
    expect(may(ann, 'SELECT')).toBe('allowed');
    expect(may(ann, 'SELECT', 'main.team_a.table_created_tomorrow')).toBe('allowed');
    expect(may(ann, 'SELECT', 'main.team_b.claude_otel_logs')).toBe('hidden');
    run(store, 'GRANT SELECT ON CATALOG main TO analysts');
    expect(may(ann, 'SELECT', 'main.team_b.claude_otel_logs')).toBe('denied');
    run(store, 'GRANT USE SCHEMA ON CATALOG main TO analysts');
    expect(may(ann, 'SELECT', 'main.team_b.claude_otel_logs')).toBe('allowed');
    expect(may(ann, 'SELECT', 'other.team_a.claude_otel_logs')).toBe('hidden');
  });

  it('ALL PRIVILEGES covers every privilege, and REVOKE ALL PRIVILEGES takes every one away', () => {
    const eve = who('eve');
    run(store, 'GRANT ALL PRIVILEGES ON CATALOG main TO eve');
    expect(may(eve, 'SELECT')).toBe('allowed');
    expect(may(eve, 'MODIFY')).toBe('allowed');
    run(store, 'GRANT SELECT ON CATALOG main TO eve');
    run(store, 'REVOKE ALL PRIVILEGES ON CATALOG main FROM eve');
    expect(may(eve, 'SELECT')).toBe('hidden');
    expect(store.list()).toEqual([]);
  });

  it('a revoke takes effect at once, and revoking from a group leaves a direct grant standing', () => {
    run(store, 'GRANT USE CATALOG, USE SCHEMA, SELECT ON CATALOG main TO team_a');
    run(store, `GRANT SELECT ON TABLE ${READ} TO frank`);
    const frank = who('frank', 'team_a');
    run(store, 'REVOKE SELECT ON CATALOG main FROM team_a');
    expect(may(frank, 'SELECT')).toBe('allowed');
    // USE CATALOG and USE SCHEMA alone are no privilege on a table: it stays hidden.
    expect(may(frank, 'SELECT', 'main.team_a.metrics')).toBe('hidden');
    run(store, `REVOKE SELECT ON TABLE ${READ} FROM frank`);
    expect(may(frank, 'SELECT')).toBe('hidden');
    expect(store.usesSchema(frank, 'main', 'team_a')).toBe(true);
    run(store, 'REVOKE USE CATALOG ON CATALOG main FROM team_a');
    expect(store.usesSchema(frank, 'main', 'team_a')).toBe(false);
  });
});

function parseOn(text: string) {
  const st = parseGrantStatement(`SHOW GRANTS ON ${text}`);
  return st.on;
}

async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 25));
  }
}
