// Audit rows of what the command line does (token create/revoke, GRANT,
// REVOKE): written to system.access.audit through a staging folder of this
// process's own, committed before the command exits. Delta's commit protocol
// lets it commit beside a running server, as two servers on one table do.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_LIMITS } from '../config/limits.ts';
import { openDuckDb } from '../duckdb/db.ts';
import { Pipeline } from '../ingest/pipeline.ts';
import { openStaging } from '../wal/staging.ts';
import { startAuditLog } from './audit-service.ts';
import type { AuditEvent } from './types.ts';

/** Who the command line acts as: the warehouse's owner, named by the OS account. */
export function commandLineUser(): string {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return 'owner';
  }
}

/** A command-line event with the fields every one shares filled in. */
export function cliEvent(e: Pick<AuditEvent, 'service' | 'action' | 'params' | 'status'> & Partial<AuditEvent>): AuditEvent {
  return { time: new Date(), principal: commandLineUser(), requestId: randomUUID(), userAgent: 'otlp2delta-cli', ...e };
}

/** Writes `events` to the audit table and commits them; throws when they could not be committed. */
export async function auditFromCommandLine(warehouse: string, events: AuditEvent[], log: (line: string) => void = () => undefined): Promise<void> {
  if (events.length === 0) return;
  const root = path.resolve(warehouse);
  const dir = path.join(root, '.otlp2delta', 'cli-staging', `${process.pid}-${randomUUID().slice(0, 8)}`);
  const staging = await openStaging(dir);
  const db = await openDuckDb({ threads: 1 });
  try {
    const pipeline = await Pipeline.start({ warehouse: root, db, staging, limits: DEFAULT_LIMITS, log });
    const audit = await startAuditLog(pipeline, root, log);
    for (const e of events) audit.record(e);
    await audit.close();
    if (!(await pipeline.close(30_000))) throw new Error('audit rows could not be committed; they are kept in ' + dir);
  } finally {
    db.close();
    await staging.release();
  }
  await rm(dir, { recursive: true, force: true });
}
