// What the warehouse says about the agents: per agent, user, host and signal
// the last time data arrived; agents that send logs but no metrics; and the
// exports the server refused, from system.access.audit, with their fix.
import { QueryEngine } from '../query/engine.ts';
import type { Signal } from '../otlp/types.ts';
import { CHECK_ATTRIBUTE } from './check-request.ts';
import { fixFor } from './fixes.ts';
import { TABLE_SUFFIX } from './options.ts';

export type LastSeen = { table: string; signal: Signal; agent: string; user: string; host: string; last: string; rows: number };
export type Refusal = { principal: string; table: string; signal: string; status: number; reason: string; message: string; userAgent: string; count: number; last: string; fix: string };
export type Silent = { agent: string; user: string; host: string; lastLogs: string };
export type WarehouseReport = { seen: LastSeen[]; checks: LastSeen[]; silent: Silent[]; refusals: Refusal[] };

const SIGNAL_OF: [Signal, string][] = (Object.entries(TABLE_SUFFIX) as [Signal, string][]).map(([s, suffix]) => [s, suffix]);

/** Where each layout keeps a row's time, and the per-record attributes that may name the user. */
const TIME_SQL: Record<Signal, { time: string; attrs: string }> = {
  metrics: {
    time: 'coalesce(gauge.time_unix_nano, "sum".time_unix_nano, histogram.time_unix_nano, exponential_histogram.time_unix_nano, summary.time_unix_nano)',
    attrs: 'coalesce(gauge.attributes, "sum".attributes, histogram.attributes, exponential_histogram.attributes, summary.attributes)',
  },
  logs: { time: 'coalesce(nullif(time_unix_nano, 0), observed_time_unix_nano)', attrs: 'attributes' },
  traces: { time: 'end_time_unix_nano', attrs: 'attributes' },
};

const iso = (ns: string): string => `strftime(make_timestamp(CAST(${ns} / 1000 AS BIGINT)), '%Y-%m-%dT%H:%M:%SZ')`;

function lastSeenSql(table: string, signal: Signal, checks: boolean): string {
  const { time, attrs } = TIME_SQL[signal];
  const r = (k: string) => `resource.attributes['${k}']`;
  return `SELECT coalesce(${r('service.name')}, '(no service.name)') AS agent,
    coalesce(${r('user.email')}, ${attrs}['user.email'], ${r('otlp2delta.principal')}, ${r('user.id')}, ${attrs}['user.id'], '-') AS "user",
    coalesce(${r('host.name')}, '-') AS host,
    ${iso(`max(${time})`)} AS last, count(*) AS n
  FROM ${table}
  WHERE ${r(CHECK_ATTRIBUTE)} IS ${checks ? 'NOT ' : ''}NULL
  GROUP BY ALL ORDER BY agent, "user", host`;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export async function warehouseReport(warehouse: string, opts: { schema?: string | undefined; agentService?: string | undefined } = {}): Promise<WarehouseReport> {
  const engine = await QueryEngine.open({ warehouse, threads: 1 });
  try {
    const names = (await engine.tableNames()).filter((n) => opts.schema === undefined || n.startsWith(`${opts.schema}.`));
    const seen: LastSeen[] = [];
    const checks: LastSeen[] = [];
    for (const table of names) {
      const signal = SIGNAL_OF.find(([, suffix]) => table.endsWith(suffix))?.[0];
      if (!signal) continue;
      for (const [list, isCheck] of [
        [seen, false],
        [checks, true],
      ] as const) {
        const res = await engine.execute(lastSeenSql(table, signal, isCheck));
        for (const [agent, user, host, last, n] of res.rows) {
          if (opts.agentService !== undefined && agent !== opts.agentService) continue;
          list.push({ table, signal, agent: str(agent), user: str(user), host: str(host), last: str(last), rows: Number(n) });
        }
      }
    }
    const key = (x: { agent: string; user: string; host: string }) => `${x.agent}\u0000${x.user}\u0000${x.host}`;
    // Agents put different resource attributes on each signal (Codex names the host on logs only), so an
    // unknown user or host on either side matches any.
    const same = (a: string, b: string) => a === b || a === '-' || b === '-';
    const metrics = seen.filter((s) => s.signal === 'metrics');
    const hasMetrics = (l: LastSeen) => metrics.some((m) => m.agent === l.agent && same(m.user, l.user) && same(m.host, l.host));
    const silent = new Map<string, Silent>();
    for (const s of seen) {
      if (s.signal !== 'logs' || hasMetrics(s)) continue;
      const prev = silent.get(key(s));
      if (!prev || prev.lastLogs < s.last) silent.set(key(s), { agent: s.agent, user: s.user, host: s.host, lastLogs: s.last });
    }
    return { seen, checks, silent: [...silent.values()], refusals: await refusals(engine, opts.schema) };
  } finally {
    engine.close();
  }
}

async function refusals(engine: QueryEngine, schema: string | undefined): Promise<Refusal[]> {
  if (!(await engine.tableNames()).includes('system.access.audit')) return [];
  const filter = schema === undefined ? '' : `AND starts_with(request_params['table'], '${schema.replace(/'/g, "''")}.')`;
  const res = await engine.execute(`SELECT coalesce(user_identity.email, '(no token)') AS principal, coalesce(request_params['table'], '-') AS tbl,
      coalesce(request_params['signal'], '-') AS signal, response.status_code AS status, coalesce(request_params['reason'], '-') AS reason,
      any_value(coalesce(response.error_message, '')) AS message, coalesce(any_value(user_agent), '-') AS ua,
      count(*) AS n, strftime(max(event_time), '%Y-%m-%dT%H:%M:%SZ') AS last
    FROM system.access.audit
    WHERE service_name = 'otlp' AND response.status_code >= 400 ${filter}
    GROUP BY principal, tbl, signal, status, reason ORDER BY last DESC LIMIT 50`);
  return res.rows.map(([principal, table, signal, status, reason, message, ua, n, last]) => {
    const t = str(table);
    return {
      principal: str(principal),
      table: t,
      signal: str(signal),
      status: Number(status),
      reason: str(reason),
      message: str(message),
      userAgent: str(ua),
      count: Number(n),
      last: str(last),
      fix: fixFor(Number(status), str(message), { table: t, prefix: t.replace(/_otel_(metrics|logs|spans)$/, ''), endpoint: 'the configured endpoint' }),
    };
  });
}
