// `otlp2delta usage`: who used which coding agent, how much and at what cost,
// as aligned sections (or JSON), from the normalised views.
import { QueryEngine, QueryError } from '../query/engine.ts';
import { SchemaChoiceError } from '../query/schemas.ts';
import { BREAKDOWNS, usageReport, type Breakdown, type UsageReport } from '../query/usage-report.ts';
import { numberOption, tableLines, warehouseFromArgs } from './table-arg.ts';
import { renderCost } from './cost-render.ts';
import { parseCommandArgs, UsageError } from './usage.ts';

export const USAGE_HELP = `usage: otlp2delta usage [--days N] [--user EMAIL] [--team TEAM] [--by agent|model|user|day|team]
                        [--schema CATALOG.SCHEMA] [--as-of YYYY-MM-DD] [--json] [--warehouse DIR]

Summarises coding-agent usage from the tables of one catalog.schema (Claude
Code, Codex CLI and Gemini CLI alike): tokens and cost today, in the last 7
and 30 days, the active agents, the top models, and per agent a daily table
of tokens, sessions, active time and models; then spend by agent (reported
cost where the agent sends one, else estimated from the price list), budgets,
cost per commit, pull request and line, cache hit rates and the users the
directory does not list. Days are UTC. A session is an
agent session that sent at least one model request or used tokens; it
counts once, on the day it began.

options:
  --days N          days the agent, model and daily tables cover (default 7)
  --user EMAIL      only this user (an email, or an agent's user id)
  --team TEAM       only the users the directory puts in TEAM ('(not in directory)' for the others)
  --by DIM          instead of the daily tables, totals by agent, model, user, day or team
  --schema C.S      where the agents' tables are (default: the one catalog.schema
                    that holds metrics or logs tables; with several, name one)
  --as-of DATE      report as of this UTC date instead of today
  --json            print the report as JSON
  --warehouse DIR   folder holding the tables (env OTLP2DELTA_WAREHOUSE, default ./warehouse of
                    the working directory)
  -h, --help        show this help`;

const AGENT_NAMES: Record<string, string> = { claude_code: 'Claude Code', codex: 'Codex CLI', gemini_cli: 'Gemini CLI' };
const agentName = (a: string) => AGENT_NAMES[a] ?? a;
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const usd = (n: number | null) => (n === null ? '-' : `$${n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 4 : 2)}`);

function duration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.round(seconds / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function section(title: string, body: string): string {
  return `${title}\n${body}`;
}

/** The report as the aligned text the command prints. */
export function renderUsage(r: UsageReport): string {
  const out: string[] = [];
  const scope = `${r.user === null ? '' : `, user ${r.user}`}${r.team === null ? '' : `, team ${r.team}`}`;
  out.push(`Coding-agent usage in ${r.schema}${scope}, as of ${r.asOf} (UTC)`);
  out.push(
    tableLines(
      ['', 'today', 'last 7 days', 'last 30 days'],
      [
        ['tokens', int(r.tokens.today), int(r.tokens.last7Days), int(r.tokens.last30Days)],
        ['cost (reported)', usd(r.costUsd.today), usd(r.costUsd.last7Days), usd(r.costUsd.last30Days)],
        ['cost (estimated)', usd(r.estimatedUsd.today), usd(r.estimatedUsd.last7Days), usd(r.estimatedUsd.last30Days)],
        ['spend', usd(r.spendUsd.today), usd(r.spendUsd.last7Days), usd(r.spendUsd.last30Days)],
      ],
      [false, true, true, true],
    ),
  );
  const span = `last ${r.days} ${r.days === 1 ? 'day' : 'days'}`;
  const agents = r.activeAgents.map((a) => [agentName(a.agent), int(a.tokens), usd(a.costUsd), String(a.sessions), String(a.users), a.lastSeen ?? '-']);
  out.push(section(`Active agents (${span})`, agents.length === 0 ? '(none)' : tableLines(['agent', 'tokens', 'cost', 'sessions', 'users', 'last seen'], agents, [false, true, true, true, true, false])));
  const models = r.topModels.map((m) => [m.model, agentName(m.agent), int(m.tokens), usd(m.costUsd)]);
  out.push(section(`Top models (${span})`, models.length === 0 ? '(none)' : tableLines(['model', 'agent', 'tokens', 'cost'], models, [false, false, true, true])));
  if (r.breakdown) {
    const rows = r.breakdown.rows.map((b) => [
      b.key === null ? '(unknown)' : r.breakdown?.by === 'agent' ? agentName(b.key) : b.key,
      int(b.tokens),
      usd(b.costUsd),
      usd(b.estimatedUsd),
      usd(b.spendUsd),
      String(b.sessions),
    ]);
    const header = [r.breakdown.by, 'tokens', 'reported', 'estimated', 'spend', 'sessions'];
    out.push(section(`Tokens by ${r.breakdown.by} (${span})`, rows.length === 0 ? '(none)' : tableLines(header, rows, [false, true, true, true, true, true])));
  } else {
    for (const { agent, days } of r.daily) {
      const rows = days.map((d) => [d.date, int(d.tokens), String(d.sessions), duration(d.activeSeconds), d.models.join(', ') || '-']);
      out.push(section(`${agentName(agent)} (${span})`, tableLines(['date', 'tokens', 'sessions', 'active time', 'models'], rows, [false, true, true, true, false])));
    }
  }
  out.push(...renderCost(r.cost, span, agentName));
  if (r.costUsd.last30Days === null && r.tokens.last30Days > 0) out.push('Cost: none of these agents sent a cost (only Claude Code does); spend is estimated from the price list.');
  return out.join('\n\n');
}

export async function runUsage(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      days: { type: 'string' },
      user: { type: 'string' },
      team: { type: 'string' },
      by: { type: 'string' },
      schema: { type: 'string' },
      'as-of': { type: 'string' },
      json: { type: 'boolean' },
      warehouse: { type: 'string' },
    },
    USAGE_HELP,
  );
  if (values.help) {
    process.stdout.write(`${USAGE_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, USAGE_HELP);
  const by = values.by as Breakdown | undefined;
  if (by !== undefined && !BREAKDOWNS.includes(by)) throw new UsageError(`--by must be one of ${BREAKDOWNS.join(', ')}`, USAGE_HELP);
  const days = numberOption('days', values.days, USAGE_HELP, { integer: true }) ?? 7;
  const engine = await QueryEngine.open({ warehouse: warehouseFromArgs(values.warehouse) });
  try {
    const report = await usageReport(engine, {
      ...(values.schema !== undefined ? { schema: values.schema } : {}),
      days,
      ...(values.user !== undefined ? { user: values.user } : {}),
      ...(values.team !== undefined ? { team: values.team } : {}),
      ...(by !== undefined ? { by } : {}),
      ...(values['as-of'] !== undefined ? { asOf: values['as-of'] } : {}),
    });
    process.stdout.write(`${values.json ? JSON.stringify(report, null, 2) : renderUsage(report)}\n`);
    return 0;
  } catch (e) {
    // What exists is the useful answer here, not the option list.
    if (e instanceof SchemaChoiceError) throw e.reason === 'none' ? new Error(e.message) : new UsageError(e.message);
    if (e instanceof QueryError && e.code === 'invalid') throw new UsageError(e.message, USAGE_HELP);
    throw e;
  } finally {
    engine.close();
  }
}
