// The sessions that cost most (spend view), each linking to its session page.
import { whereSql } from '../filters.ts';
import type { PanelDef } from '../panel.ts';

/** Rows the panel lists. */
const TOP_SESSIONS_ROWS = 25;

export const topSessions: PanelDef = {
  id: 'top_sessions',
  title: 'Top sessions by spend',
  queries({ view, f }) {
    return {
      sessions: `SELECT s.agent, s.session_id, s."user", s.team, s.first_seen, s.last_seen, s.requests, s.tokens, sp.spend_usd
        FROM ${view('sessions')} s
        LEFT JOIN (SELECT agent, session_id, sum(spend_usd) AS spend_usd FROM ${view('spend')} WHERE session_id IS NOT NULL GROUP BY ALL) sp USING (agent, session_id)
        ${whereSql(f, { model: 'list', alias: 's' })}
        ORDER BY sp.spend_usd DESC NULLS LAST, s.tokens DESC, s.session_id LIMIT ${TOP_SESSIONS_ROWS}`,
    };
  },
};
