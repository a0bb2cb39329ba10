// Exports the server refused, and why, from system.access.audit. Read in a
// batch of its own: a caller without SELECT on the audit table still gets
// every other panel.
import { sqlString } from '../duckdb/sql.ts';
import type { Filters } from './filters.ts';

export function refusedSql(f: Filters): string {
  const range = [f.from !== undefined ? `event_date >= DATE ${sqlString(f.from)}` : '', f.to !== undefined ? `event_date <= DATE ${sqlString(f.to)}` : ''].filter(Boolean);
  return `SELECT request_params['table'] AS "table", action_name AS action, request_params['reason'] AS reason,
      response.status_code AS status_code, left(response.error_message, 300) AS error, count(*) AS refusals, max(event_time) AS last_time
    FROM system.access.audit
    WHERE service_name = 'otlp' AND response.status_code >= 400 ${range.map((r) => `AND ${r}`).join(' ')}
    GROUP BY ALL ORDER BY refusals DESC, last_time DESC LIMIT 100`;
}
