// Sessions as the sessions view defines them: per day, per user, and their length;
// and the subagents they started, where the agent sends them.
import { whereSql } from '../filters.ts';
import type { PanelDef } from '../panel.ts';

const MINUTES = `date_diff('millisecond', first_seen, last_seen) / 60000.0`;

export const sessions: PanelDef = {
  id: 'sessions',
  title: 'Sessions',
  queries({ view, f }) {
    const v = view('sessions');
    const w = whereSql(f, { model: 'list' });
    // NULL rather than 0 when no run was sent: an agent that sends no subagent events did not
    // necessarily run none, so a zero would claim what was not measured.
    const runs = `(SELECT nullif(count(*), 0) FROM ${view('subagent_runs')} ${whereSql(f)})`;
    return {
      kpis: `SELECT count(*) AS sessions, median(${MINUTES}) AS median_minutes, count(DISTINCT "user") AS users, ${runs} AS subagent_runs FROM ${v} ${w}`,
      subagents: `SELECT agent, subagent, count(*) AS runs, count(DISTINCT session_id) AS sessions
        FROM ${view('subagent_runs')} ${whereSql(f)} GROUP BY ALL ORDER BY runs DESC, agent, subagent NULLS LAST LIMIT 100`,
      daily: `SELECT day, agent, count(*) AS sessions FROM ${v} ${w} GROUP BY ALL ORDER BY day, agent`,
      by_user: `SELECT "user", agent, count(*) AS sessions, median(${MINUTES}) AS median_minutes, sum(requests) AS requests
        FROM ${v} ${w} GROUP BY ALL ORDER BY sessions DESC, "user" NULLS LAST LIMIT 100`,
    };
  },
};
