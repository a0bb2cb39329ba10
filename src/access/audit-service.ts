// Opens the server's audit log: the table is created when missing, and its
// rows are staged through the pipeline's table writer, like exported rows.
import type { Pipeline } from '../ingest/pipeline.ts';
import { AuditLog } from './audit-log.ts';
import { AUDIT_TABLE, ensureAuditTable } from './audit-table.ts';

export async function startAuditLog(pipeline: Pipeline, warehouse: string, log: (line: string) => void): Promise<AuditLog> {
  await ensureAuditTable(warehouse);
  const handle = await pipeline.registry.openAnyLayout(AUDIT_TABLE);
  if (!handle || handle.kind !== 'audit') throw new Error('system.access.audit exists but is not a Delta table in the audit layout; move it away and restart');
  return new AuditLog({ stage: (ndjson, rows) => pipeline.stageSystemRows(handle, ndjson, rows), log });
}
