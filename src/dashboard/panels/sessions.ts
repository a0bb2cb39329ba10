// Sessions as the sessions view defines them: per day, per user, and their length.
import { whereSql } from '../filters.ts';
import type { PanelDef } from '../panel.ts';

const MINUTES = `date_diff('millisecond', first_seen, last_seen) / 60000.0`;

export const sessions: PanelDef = {
  id: 'sessions',
  title: 'Sessions',
  queries({ view, f }) {
    const v = view('sessions');
    const w = whereSql(f, { model: 'list' });
    return {
      kpis: `SELECT count(*) AS sessions, median(${MINUTES}) AS median_minutes, count(DISTINCT "user") AS users FROM ${v} ${w}`,
      daily: `SELECT day, agent, count(*) AS sessions FROM ${v} ${w} GROUP BY ALL ORDER BY day, agent`,
      by_user: `SELECT "user", agent, count(*) AS sessions, median(${MINUTES}) AS median_minutes, sum(requests) AS requests
        FROM ${v} ${w} GROUP BY ALL ORDER BY sessions DESC, "user" NULLS LAST LIMIT 100`,
    };
  },
};
