// The audit table: where it lives (system.access.audit, as in Databricks), its
// creation at server start, and one event as the NDJSON row its layout takes.
import { randomUUID } from 'node:crypto';
import { createDeltaTable } from '../delta/table.ts';
import { loadSnapshot } from '../delta/snapshot.ts';
import { tableDir } from '../ingest/registry.ts';
import type { TableName } from '../tables/names.ts';
import { schemaFor } from '../tables/schema.ts';
import { AUDIT_PARAM_CHARS_MAX } from '../config/limits.ts';
import type { AuditEvent } from './types.ts';

export const AUDIT_TABLE: TableName = { catalog: 'system', schema: 'access', table: 'audit' };

/** Databricks' audit log schema version whose column names the rows use. */
const AUDIT_ROW_VERSION = '2.0';

/** Creates system.access.audit when the warehouse has none; an existing one is left as it is. */
export async function ensureAuditTable(warehouse: string): Promise<void> {
  const dir = tableDir(warehouse, AUDIT_TABLE);
  if (await loadSnapshot(dir)) return;
  const schema = schemaFor('audit');
  try {
    await createDeltaTable(dir, { schema, properties: { ...schema.tableProperties }, name: AUDIT_TABLE.table });
  } catch (e) {
    if (!/already exists/.test((e as Error).message)) throw e;
  }
}

const clip = (s: string): string => (s.length > AUDIT_PARAM_CHARS_MAX ? `${s.slice(0, AUDIT_PARAM_CHARS_MAX)}…` : s);

/** One audit row as a line of NDJSON, in the column order of schemas/audit.json. */
export function auditRow(e: AuditEvent): string {
  const iso = e.time.toISOString();
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.params)) params[k] = clip(String(v));
  if (e.tokenId !== undefined) params.token_id = e.tokenId;
  return JSON.stringify({
    account_id: null,
    // Databricks writes 0 for events that belong to no workspace; a warehouse is one.
    workspace_id: '0',
    version: AUDIT_ROW_VERSION,
    event_time: iso,
    event_date: iso.slice(0, 10),
    source_ip_address: e.sourceIp ?? null,
    user_agent: e.userAgent === undefined ? null : clip(e.userAgent),
    session_id: null,
    user_identity: { email: e.principal ?? null, subject_name: null },
    service_name: e.service,
    action_name: e.action,
    request_id: e.requestId,
    request_params: params,
    response: {
      status_code: e.status,
      error_message: e.error === undefined ? null : clip(e.error),
      result: null,
    },
    audit_level: 'WORKSPACE_LEVEL',
    event_id: randomUUID(),
  });
}
