// The tables an agent writes to: created in the local warehouse when missing,
// and, with tokens in use, the grants the token lacks on them.
import { createDeltaTable } from '../delta/table.ts';
import { loadSnapshot } from '../delta/snapshot.ts';
import { GrantStore, type Missing } from '../access/grant-store.ts';
import type { Privilege } from '../access/types.ts';
import { readTokens } from '../access/token-file.ts';
import { tokenHash, tokenIdOf } from '../access/token-format.ts';
import { tableDir } from '../ingest/registry.ts';
import type { Signal } from '../otlp/types.ts';
import { parseTableName } from '../tables/names.ts';
import { schemaFor } from '../tables/schema.ts';
import { SIGNALS } from '../ingest/signals.ts';
import { tableOf } from './options.ts';

export type TableStep = { table: string; action: 'exists' | 'created' | 'create-needed' };

/** Creates the missing tables of `signals` under `prefix` when `create`; otherwise says they are missing. */
export async function ensureTables(warehouse: string, prefix: string, signals: readonly Signal[], create: boolean): Promise<TableStep[]> {
  const out: TableStep[] = [];
  for (const signal of signals) {
    const full = tableOf(prefix, signal);
    const name = parseTableName(full, '--prefix');
    const dir = tableDir(warehouse, name);
    if (await loadSnapshot(dir)) {
      out.push({ table: full, action: 'exists' });
      continue;
    }
    if (!create) {
      out.push({ table: full, action: 'create-needed' });
      continue;
    }
    const schema = schemaFor(SIGNALS[signal].tableKind);
    try {
      await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties }, name: name.table });
      out.push({ table: full, action: 'created' });
    } catch (e) {
      if (!/already exists/.test((e as Error).message)) throw e;
      out.push({ table: full, action: 'exists' });
    }
  }
  return out;
}

/** A principal or group as a GRANT statement names it. */
const principalSql = (p: string): string => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? p : `\`${p}\``);

export type GrantCheck =
  | { kind: 'no-auth' }
  | { kind: 'unknown-token' }
  | { kind: 'checked'; principal: string; missing: Missing[]; statements: string[] };

/** Which grants the token's principal lacks to export to `tables`, from the local warehouse's grants. */
export async function grantCheck(warehouse: string, token: string | undefined, tables: readonly string[]): Promise<GrantCheck> {
  const tokens = await readTokens(warehouse);
  if (tokens.length === 0) return { kind: 'no-auth' };
  if (token === undefined) return { kind: 'unknown-token' };
  const id = tokenIdOf(token);
  const rec = tokens.find((t) => t.id === id && t.hash === tokenHash(token).toString('hex'));
  if (!rec || rec.revoked !== null || (rec.expires !== null && Date.parse(rec.expires) <= Date.now())) return { kind: 'unknown-token' };
  const grants = GrantStore.open(warehouse);
  const who = { tokenId: rec.id, name: rec.principal, groups: rec.groups };
  const names = new Set([rec.principal, ...rec.groups]);
  const list = grants.list();
  const has = (p: Privilege, type: 'CATALOG' | 'SCHEMA' | 'TABLE', key: string) =>
    list.some((g) => names.has(g.principal) && g.objectType === type && g.objectKey === key && (g.privilege === p || g.privilege === 'ALL PRIVILEGES'));
  const missing: Missing[] = [];
  const add = (m: Missing) => {
    if (!missing.some((x) => x.privilege === m.privilege && x.objectKey === m.objectKey)) missing.push(m);
  };
  for (const t of tables) {
    const n = parseTableName(t, 'table');
    // The store names only the first privilege lacking; every one is listed here, so one round of grants is enough.
    if (grants.missing(who, 'MODIFY', n) === undefined) continue;
    const schema = `${n.catalog}.${n.schema}`;
    if (!has('USE CATALOG', 'CATALOG', n.catalog)) add({ privilege: 'USE CATALOG', objectType: 'Catalog', objectKey: n.catalog });
    if (!has('USE SCHEMA', 'CATALOG', n.catalog) && !has('USE SCHEMA', 'SCHEMA', schema)) add({ privilege: 'USE SCHEMA', objectType: 'Schema', objectKey: schema });
    if (!has('MODIFY', 'CATALOG', n.catalog) && !has('MODIFY', 'SCHEMA', schema) && !has('MODIFY', 'TABLE', t)) add({ privilege: 'MODIFY', objectType: 'Table', objectKey: t });
  }
  grants.close();
  const statements = missing.map((m) => `GRANT ${m.privilege} ON ${m.objectType.toUpperCase()} ${m.objectKey} TO ${principalSql(rec.principal)}`);
  return { kind: 'checked', principal: rec.principal, missing, statements };
}
