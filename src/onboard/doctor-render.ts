// doctor's report as text.
import type { LocalReport } from './doctor-local.ts';
import type { WarehouseReport } from './doctor-warehouse.ts';

export function renderLocal(r: LocalReport): string[] {
  const out = [`${r.agent}: ${r.verdict}`];
  for (const f of r.files) out.push(`  ${f.file}: ${f.state === 'ok' ? 'present' : f.state === 'missing' ? 'not there' : f.state}`);
  for (const e of r.entries) out.push(`  ${e.wins ? ' ' : '-'} ${e.key} = ${e.value}   (${e.source}${e.wins ? '' : '; overridden'})`);
  for (const p of r.problems) out.push(`  problem: ${p}`);
  return out;
}

export function renderWarehouse(w: WarehouseReport): string[] {
  const out: string[] = [];
  out.push(w.seen.length === 0 ? 'warehouse: no agent data yet' : 'warehouse: last data per agent, user, host and signal');
  for (const s of w.seen) out.push(`  ${s.agent}  user ${s.user}  host ${s.host}  ${s.signal}: ${s.last}  (${s.rows} rows in ${s.table})`);
  const sending = new Set(w.seen.map((s) => s.agent));
  const checked = new Map<string, { last: string; tables: string[] }>();
  for (const c of w.checks) {
    const x = checked.get(c.agent) ?? { last: '', tables: [] };
    checked.set(c.agent, { last: x.last > c.last ? x.last : c.last, tables: [...x.tables, c.table] });
  }
  for (const [agent, c] of checked) {
    if (!sending.has(agent)) out.push(`  ${agent}: only configure's check exports (last ${c.last}, ${c.tables.join(', ')}); the agent itself has sent nothing yet: run it once, then doctor again`);
  }
  if (w.silent.length > 0) {
    out.push('sends logs but no metrics:');
    for (const s of w.silent) out.push(`  ${s.agent}  user ${s.user}  host ${s.host} (last logs ${s.lastLogs}): check its metrics exporter setting and that its metrics table exists`);
  }
  if (w.refusals.length > 0) {
    out.push('refused exports (system.access.audit):');
    for (const r of w.refusals) {
      out.push(`  ${r.last}  ${r.count}x  ${r.status} ${r.reason}  ${r.principal} -> ${r.table} (${r.signal}, ${r.userAgent}): ${r.message}`);
      out.push(`    fix: ${r.fix}`);
    }
  } else out.push('refused exports: none recorded');
  return out;
}
