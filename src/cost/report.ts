// The spend and teams parts of `otlp2delta usage` (spend by agent, budgets,
// outcomes, cache hit rate, directory coverage) and `prices missing`, as SQL
// over the normalised views and the rows they give back.
import type { Json, QueryResult } from '../duckdb/db.ts';
import { sqlString } from '../duckdb/sql.ts';
import type { QueryEngine } from '../query/engine.ts';
import { chooseAgentSchema } from '../query/schemas.ts';
import { NOT_IN_DIRECTORY } from './directory.ts';

/** The agents that send commit and pull-request counts, and those that send line counts. */
const COMMIT_AGENTS = ['claude_code'];
const LINE_AGENTS = ['claude_code', 'gemini_cli'];
const TOP_BUDGETS = 5;

export type SpendByAgent = { agent: string; reportedUsd: number | null; estimatedUsd: number | null; spendUsd: number | null; basis: string };
export type BudgetStatus = { scope: string; subject: string; period: string; budgetUsd: number; spentUsd: number; percentUsed: number | null; remainingUsd: number };
export type Outcome = {
  level: 'user' | 'team';
  key: string | null;
  team: string | null;
  spendUsd: number;
  commits: number;
  pullRequests: number;
  linesChanged: number;
  costPerCommit: number | null;
  costPerPullRequest: number | null;
  costPerLine: number | null;
};
export type CacheRate = { agent: string; inputTokens: number; cacheReadTokens: number; cacheHitRate: number | null };
export type CostSection = {
  spendByAgent: SpendByAgent[];
  budgets: BudgetStatus[];
  topBudgets: BudgetStatus[];
  outcomes: Outcome[];
  cache: CacheRate[];
  directory: { users: number; notInDirectory: number; missing: string[] };
  /** Tokens no price matches: left out of the estimates (prices missing lists them). */
  unpriced: { models: number; tokens: number };
};

const num = (v: Json | undefined): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: Json | undefined): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: Json | undefined): string | null => (v === null || v === undefined ? null : String(v));
const list = (xs: string[]) => xs.map(sqlString).join(', ');
const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

export function objects(r: QueryResult | undefined): Record<string, Json>[] {
  if (!r) return [];
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i] ?? null])));
}

/**
 * The section's queries, in the order costSection reads them. `window` limits
 * rows to the report's days, user and team; budgets are measured over the
 * period that holds `asOf` (its day, or its month up to it) for everyone.
 */
export function costQueries(v: (name: string) => string, window: string, asOf: string): string[] {
  const day = `CAST(${sqlString(asOf)} AS DATE)`;
  return [
    `SELECT agent, sum(reported_usd) AS reported, sum(estimated_usd) AS estimated, sum(spend_usd) AS spend,
            CASE WHEN count(reported_usd) > 0 AND count(reported_usd) = count(*) THEN 'reported'
                 WHEN count(reported_usd) > 0 THEN 'reported and estimated'
                 WHEN count(estimated_usd) > 0 THEN 'estimated' ELSE 'none' END AS basis
     FROM ${v('spend')} WHERE ${window} GROUP BY agent ORDER BY spend DESC NULLS LAST, agent`,
    `WITH s AS (SELECT day, lower("user") AS u, lower(user_email) AS e, lower(user_id) AS i, team, spend_usd FROM ${v('spend')}
                WHERE day BETWEEN date_trunc('month', ${day}) AND ${day})
     SELECT b.scope, b.subject, b.period, b.usd,
            coalesce((SELECT sum(s.spend_usd) FROM s
                      WHERE (b.period = 'monthly' OR s.day = ${day})
                        AND CASE b.scope WHEN 'all' THEN true WHEN 'team' THEN s.team = b.subject
                                 ELSE lower(b.subject) IN (s.u, s.e, s.i) END), 0) AS spent
     FROM ${v('budgets')} b`,
    `WITH sp AS (SELECT "user", team, sum(spend_usd) FILTER (WHERE agent IN (${list(COMMIT_AGENTS)})) AS commit_spend,
                        sum(spend_usd) FILTER (WHERE agent IN (${list(LINE_AGENTS)})) AS line_spend, sum(spend_usd) AS spend
                 FROM ${v('spend')} WHERE ${window} GROUP BY ALL),
          c AS (SELECT "user", team, sum(count) FILTER (WHERE kind = 'commit') AS commits, sum(count) FILTER (WHERE kind = 'pull_request') AS prs
                FROM ${v('commits_and_prs')} WHERE ${window} GROUP BY ALL),
          l AS (SELECT "user", team, sum(lines) AS lines FROM ${v('lines_of_code')} WHERE ${window} GROUP BY ALL)
     SELECT "user", team, coalesce(spend, 0) AS spend, coalesce(commit_spend, 0) AS commit_spend, coalesce(line_spend, 0) AS line_spend,
            coalesce(commits, 0) AS commits, coalesce(prs, 0) AS prs, coalesce(lines, 0) AS lines
     FROM sp FULL JOIN c USING ("user", team) FULL JOIN l USING ("user", team)
     ORDER BY team, "user" NULLS LAST`,
    `SELECT agent, sum(tokens) FILTER (WHERE token_type = 'input') AS input, sum(tokens) FILTER (WHERE token_type = 'cache_read') AS cache_read
     FROM ${v('usage_facts')} WHERE ${window} AND token_type IS NOT NULL GROUP BY agent ORDER BY agent`,
    `SELECT count(DISTINCT "user") AS users, count(DISTINCT "user") FILTER (WHERE NOT in_directory) AS missing,
            list(DISTINCT "user" ORDER BY "user") FILTER (WHERE NOT in_directory) AS missing_users
     FROM ${v('usage_facts')} WHERE ${window} AND "user" IS NOT NULL`,
    `SELECT count(DISTINCT coalesce(model, '')) AS models, sum(tokens) AS tokens
     FROM ${v('usage_facts')} WHERE ${window} AND token_type IS NOT NULL AND tokens > 0 AND cost_estimated_usd IS NULL`,
  ];
}

type OutcomeSums = { spend: number; commitSpend: number; lineSpend: number; commits: number; prs: number; lines: number };
function outcome(level: Outcome['level'], key: string | null, team: string | null, s: OutcomeSums): Outcome {
  return {
    level,
    key,
    team,
    spendUsd: s.spend,
    commits: s.commits,
    pullRequests: s.prs,
    linesChanged: s.lines,
    // Only the spend of agents that count a thing is divided by its count:
    // Codex sends none, so its spend would otherwise raise everyone's cost per commit.
    costPerCommit: ratio(s.commitSpend, s.commits),
    costPerPullRequest: ratio(s.commitSpend, s.prs),
    costPerLine: ratio(s.lineSpend, s.lines),
  };
}

export function costSection(results: (QueryResult | undefined)[]): CostSection {
  const [agents, budgets, outcomes, cache, directory, unpriced] = results.map(objects);
  const statuses = (budgets ?? []).map((b): BudgetStatus => {
    const usd = num(b.usd);
    const spent = num(b.spent);
    return { scope: String(b.scope), subject: String(b.subject), period: String(b.period), budgetUsd: usd, spentUsd: spent, percentUsed: usd > 0 ? (100 * spent) / usd : null, remainingUsd: usd - spent };
  });
  statuses.sort((a, b) => (b.percentUsed ?? Infinity) - (a.percentUsed ?? Infinity) || a.subject.localeCompare(b.subject));
  const users = (outcomes ?? []).map((r) => ({
    user: str(r.user),
    team: str(r.team),
    sums: { spend: num(r.spend), commitSpend: num(r.commit_spend), lineSpend: num(r.line_spend), commits: num(r.commits), prs: num(r.prs), lines: num(r.lines) },
  }));
  const teams = new Map<string, OutcomeSums>();
  for (const u of users) {
    const t = teams.get(u.team ?? NOT_IN_DIRECTORY) ?? { spend: 0, commitSpend: 0, lineSpend: 0, commits: 0, prs: 0, lines: 0 };
    for (const k of Object.keys(t) as (keyof OutcomeSums)[]) t[k] += u.sums[k];
    teams.set(u.team ?? NOT_IN_DIRECTORY, t);
  }
  const [dir] = directory ?? [];
  return {
    spendByAgent: (agents ?? []).map((a) => ({ agent: String(a.agent), reportedUsd: numOrNull(a.reported), estimatedUsd: numOrNull(a.estimated), spendUsd: numOrNull(a.spend), basis: String(a.basis) })),
    budgets: statuses,
    topBudgets: statuses.slice(0, TOP_BUDGETS),
    outcomes: [...[...teams].map(([team, s]) => outcome('team', team, team, s)), ...users.map((u) => outcome('user', u.user, u.team, u.sums))],
    cache: (cache ?? []).map((c) => ({ agent: String(c.agent), inputTokens: num(c.input), cacheReadTokens: num(c.cache_read), cacheHitRate: ratio(num(c.cache_read), num(c.input) + num(c.cache_read)) })),
    directory: { users: num(dir?.users), notInDirectory: num(dir?.missing), missing: Array.isArray(dir?.missing_users) ? dir.missing_users.map(String) : [] },
    unpriced: { models: num(unpriced?.[0]?.models), tokens: num(unpriced?.[0]?.tokens) },
  };
}

export type MissingPrice = { agent: string; model: string | null; tokenType: string; tokens: number; firstDay: string; lastDay: string };

/** Models and token types used whose tokens no price matches, with how many tokens that leaves unpriced. */
export async function missingPrices(engine: QueryEngine, schema?: string): Promise<MissingPrice[]> {
  const chosen = await chooseAgentSchema(engine.warehouse, schema);
  const [r] = await engine.executeBatch([
    `SELECT agent, model, token_type, sum(tokens) AS tokens, strftime(min(day), '%Y-%m-%d') AS first_day, strftime(max(day), '%Y-%m-%d') AS last_day
     FROM ${chosen}.usage_facts WHERE token_type IS NOT NULL AND tokens > 0 AND cost_estimated_usd IS NULL
     GROUP BY ALL ORDER BY agent, model NULLS LAST, token_type`,
  ]);
  return objects(r).map((m) => ({ agent: String(m.agent), model: str(m.model), tokenType: String(m.token_type), tokens: num(m.tokens), firstDay: String(m.first_day), lastDay: String(m.last_day) }));
}
