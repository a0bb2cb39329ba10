// The coding-agent usage summary (`otlp2delta usage`), computed from the
// normalised views of one catalog.schema: token and cost totals for today, 7
// and 30 days, active agents, top models, and per agent a daily table. Every
// session count reads the sessions view, so all of them agree.
import type { Json, QueryResult } from '../duckdb/db.ts';
import { sqlString } from '../duckdb/sql.ts';
import type { QueryEngine } from './engine.ts';
import { QueryError } from './read-only.ts';
import { chooseAgentSchema } from './schemas.ts';
import { costQueries, costSection, type CostSection } from '../cost/report.ts';

export const BREAKDOWNS = ['agent', 'model', 'user', 'day', 'team'] as const;
export type Breakdown = (typeof BREAKDOWNS)[number];

export type UsageOptions = {
  /** catalog.schema holding the agents' tables; without it, the only one that holds any. */
  schema?: string;
  /** Days (ending with asOf) the agent, model and daily tables cover. */
  days: number;
  /** Only this user: an email or an agent's user id. */
  user?: string;
  /** Only this team of the directory ('(not in directory)' for users it does not list). */
  team?: string;
  by?: Breakdown;
  /** The UTC date the report is for (YYYY-MM-DD); today by default. */
  asOf?: string;
};

type Totals = { today: number; last7Days: number; last30Days: number };
export type AgentSummary = { agent: string; tokens: number; costUsd: number | null; sessions: number; users: number; lastSeen: string | null };
export type ModelSummary = { model: string; agent: string; tokens: number; costUsd: number | null };
export type AgentDay = { date: string; tokens: number; sessions: number; activeSeconds: number | null; models: string[] };
/** costUsd is what agents reported; spendUsd that, or the estimate from prices where nothing was reported. */
export type BreakdownRow = { key: string | null; tokens: number; costUsd: number | null; estimatedUsd: number | null; spendUsd: number | null; sessions: number };
type Money = { today: number | null; last7Days: number | null; last30Days: number | null };

export type UsageReport = {
  schema: string;
  asOf: string;
  days: number;
  user: string | null;
  team: string | null;
  tokens: Totals;
  /** Cost the agents reported (Claude Code only). */
  costUsd: Money;
  /** Tokens times the price list, for every agent. */
  estimatedUsd: Money;
  /** Reported cost where the agent reports one, else the estimate. */
  spendUsd: Money;
  activeAgents: AgentSummary[];
  topModels: ModelSummary[];
  daily: { agent: string; days: AgentDay[] }[];
  breakdown: { by: Breakdown; rows: BreakdownRow[] } | null;
  cost: CostSection;
};

const num = (v: Json | undefined): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: Json | undefined): number | null => (v === null || v === undefined ? null : Number(v));

function objects(r: QueryResult): Record<string, Json>[] {
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i] ?? null])));
}

function checkSchema(schema: string): void {
  const parts = schema.toLowerCase().split('.');
  if (parts.length !== 2 || !parts.every((p) => /^[a-z0-9_]+$/.test(p))) {
    throw new QueryError(`--schema must be catalog.schema, got ${JSON.stringify(schema)}`, 'invalid');
  }
}

function checkOptions(opts: UsageOptions): { asOf: string } {
  if (opts.schema !== undefined) checkSchema(opts.schema);
  if (!Number.isSafeInteger(opts.days) || opts.days < 1 || opts.days > 3660) throw new QueryError('--days must be a whole number from 1 to 3660', 'invalid');
  const asOf = opts.asOf ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(`${asOf}T00:00:00Z`))) {
    throw new QueryError(`--as-of must be a date YYYY-MM-DD, got ${JSON.stringify(asOf)}`, 'invalid');
  }
  return { asOf };
}

/** Builds the whole report: its queries run together, over views computed once. */
export async function usageReport(engine: QueryEngine, opts: UsageOptions): Promise<UsageReport> {
  const { asOf } = checkOptions(opts);
  const chosen = await chooseAgentSchema(engine.warehouse, opts.schema);
  const v = (name: string) => `${chosen}.${name}`;
  const day = sqlString(asOf);
  const since = (n: number) => `day BETWEEN CAST(${day} AS DATE) - INTERVAL ${n - 1} DAY AND CAST(${day} AS DATE)`;
  const byUser = opts.user === undefined ? 'true' : `(user = ${sqlString(opts.user)} OR user_email = ${sqlString(opts.user)} OR user_id = ${sqlString(opts.user)})`;
  const who = opts.team === undefined ? byUser : `${byUser} AND team = ${sqlString(opts.team)}`;
  const window = `${since(opts.days)} AND ${who}`;
  const queries = [
    `SELECT
       sum(tokens) FILTER (WHERE ${since(1)}) AS t1, sum(tokens) FILTER (WHERE ${since(7)}) AS t7, sum(tokens) FILTER (WHERE ${since(30)}) AS t30,
       sum(cost_usd) FILTER (WHERE ${since(1)}) AS c1, sum(cost_usd) FILTER (WHERE ${since(7)}) AS c7, sum(cost_usd) FILTER (WHERE ${since(30)}) AS c30
     FROM ${v('usage_facts')} WHERE ${who}`,
    `SELECT ${[1, 7, 30].map((n) => `sum(estimated_usd) FILTER (WHERE ${since(n)}) AS e${n}, sum(spend_usd) FILTER (WHERE ${since(n)}) AS s${n}`).join(', ')}
     FROM ${v('spend')} WHERE ${who}`,
    `WITH s AS (SELECT agent, count(*) AS sessions, max(last_seen) AS last_seen FROM ${v('sessions')} WHERE ${window} GROUP BY agent),
          d AS (SELECT agent, count(DISTINCT user) AS users FROM ${v('daily_active_users')} WHERE ${window} GROUP BY agent),
          u AS (SELECT agent, sum(tokens) AS tokens, sum(cost_usd) AS cost, max(time) AS last_seen FROM ${v('usage_facts')}
                WHERE ${window} GROUP BY agent HAVING sum(tokens) > 0 OR sum(cost_usd) > 0)
     SELECT agent, coalesce(u.tokens, 0) AS tokens, u.cost, coalesce(s.sessions, 0) AS sessions, coalesce(d.users, 0) AS users,
            strftime(greatest(s.last_seen, u.last_seen), '%Y-%m-%d %H:%M') AS last_seen
     FROM s FULL JOIN u USING (agent) LEFT JOIN d USING (agent) ORDER BY tokens DESC, agent`,
    `SELECT model, agent, sum(tokens) AS tokens, sum(cost_usd) AS cost FROM ${v('usage_facts')}
     WHERE ${window} AND model IS NOT NULL GROUP BY model, agent HAVING sum(tokens) > 0 OR sum(cost_usd) > 0
     ORDER BY tokens DESC, model LIMIT 5`,
    dailySql(v, window),
  ];
  const cost = costQueries(v, window, asOf);
  queries.push(...cost);
  if (opts.by !== undefined) queries.push(breakdownSql(v, window, opts.by));
  const [totalsResult, spendResult, agentsResult, modelsResult, dailyResult, ...rest] = await engine.executeBatch(queries, { materialize: true });
  const costResults = rest.slice(0, cost.length);
  const breakdownResult = rest[cost.length];
  const [totals] = objects(totalsResult as QueryResult);
  const [spent] = objects(spendResult as QueryResult);
  const money = (p: string, o: Record<string, Json> | undefined): Money => ({ today: numOrNull(o?.[`${p}1`]), last7Days: numOrNull(o?.[`${p}7`]), last30Days: numOrNull(o?.[`${p}30`]) });
  return {
    schema: chosen,
    asOf,
    days: opts.days,
    user: opts.user ?? null,
    team: opts.team ?? null,
    tokens: { today: num(totals?.t1), last7Days: num(totals?.t7), last30Days: num(totals?.t30) },
    costUsd: money('c', totals),
    estimatedUsd: money('e', spent),
    spendUsd: money('s', spent),
    activeAgents: objects(agentsResult as QueryResult).map((a) => ({
      agent: String(a.agent),
      tokens: num(a.tokens),
      costUsd: numOrNull(a.cost),
      sessions: num(a.sessions),
      users: num(a.users),
      lastSeen: a.last_seen === null ? null : String(a.last_seen),
    })),
    topModels: objects(modelsResult as QueryResult).map((m) => ({ model: String(m.model), agent: String(m.agent), tokens: num(m.tokens), costUsd: numOrNull(m.cost) })),
    daily: dailyTables(objects(dailyResult as QueryResult)),
    breakdown: opts.by === undefined ? null : { by: opts.by, rows: breakdownRows(objects(breakdownResult as QueryResult)) },
    cost: costSection(costResults),
  };
}

/** Per agent, one row per day on which a session began or tokens were used: tokens, sessions begun, active time, models. */
function dailySql(v: (n: string) => string, window: string): string {
  return `WITH act AS (SELECT agent, day, count(*) AS sessions FROM ${v('sessions')} WHERE ${window} GROUP BY ALL),
          tok AS (SELECT agent, day, sum(tokens) AS tokens,
                         list(DISTINCT model ORDER BY model) FILTER (WHERE model IS NOT NULL AND tokens > 0) AS models
                  FROM ${v('usage_facts')} WHERE ${window} GROUP BY ALL HAVING sum(tokens) > 0 OR sum(cost_usd) > 0),
          tim AS (SELECT agent, day, sum(seconds) AS seconds FROM ${v('active_time')} WHERE ${window} GROUP BY ALL)
     SELECT agent, strftime(day, '%Y-%m-%d') AS date, coalesce(tok.tokens, 0) AS tokens, coalesce(act.sessions, 0) AS sessions,
            tim.seconds, coalesce(tok.models, []) AS models
     FROM act FULL JOIN tok USING (agent, day) LEFT JOIN tim USING (agent, day)
     ORDER BY agent, day`;
}

function dailyTables(rows: Record<string, Json>[]): UsageReport['daily'] {
  const out = new Map<string, AgentDay[]>();
  for (const r of rows) {
    const list = out.get(String(r.agent)) ?? [];
    list.push({
      date: String(r.date),
      tokens: num(r.tokens),
      sessions: num(r.sessions),
      activeSeconds: numOrNull(r.seconds),
      models: Array.isArray(r.models) ? r.models.map(String) : [],
    });
    out.set(String(r.agent), list);
  }
  return [...out].map(([agent, days]) => ({ agent, days }));
}

/**
 * Tokens by the dimension from usage_facts, sessions from the sessions view: a
 * session counts under its agent, its user, the day it began, and each model
 * it used tokens with (one without any, under no model).
 */
function breakdownSql(v: (n: string) => string, window: string, by: Breakdown): string {
  const key = by === 'day' ? `strftime(day, '%Y-%m-%d')` : by;
  const sessions =
    by === 'model'
      ? `SELECT model AS key, count(*) AS sessions
         FROM (SELECT unnest(if(len(models) = 0, [NULL], models)) AS model FROM ${v('sessions')} WHERE ${window}) GROUP BY 1`
      : `SELECT ${key} AS key, count(*) AS sessions FROM ${v('sessions')} WHERE ${window} GROUP BY 1`;
  const order = by === 'day' ? 'key' : 'tokens DESC, key';
  return `WITH t AS (SELECT ${key} AS key, sum(tokens) AS tokens, sum(cost_usd) AS cost FROM ${v('usage_facts')} WHERE ${window} GROUP BY 1),
          m AS (SELECT ${key} AS key, sum(estimated_usd) AS estimated, sum(spend_usd) AS spend FROM ${v('spend')} WHERE ${window} GROUP BY 1),
          s AS (${sessions})
     SELECT coalesce(t.key, s.key) AS key, coalesce(t.tokens, 0) AS tokens, t.cost, m.estimated, m.spend, coalesce(s.sessions, 0) AS sessions
     FROM t FULL JOIN s ON s.key IS NOT DISTINCT FROM t.key LEFT JOIN m ON m.key IS NOT DISTINCT FROM coalesce(t.key, s.key) ORDER BY ${order} NULLS LAST`;
}

function breakdownRows(rows: Record<string, Json>[]): BreakdownRow[] {
  return rows.map((r) => ({
    key: r.key === null ? null : String(r.key),
    tokens: num(r.tokens),
    costUsd: numOrNull(r.cost),
    estimatedUsd: numOrNull(r.estimated),
    spendUsd: numOrNull(r.spend),
    sessions: num(r.sessions),
  }));
}
