// Spend from the spend view: reported (what agents sent) against estimated
// (tokens times prices), and spend_usd (reported where sent, else estimated),
// by agent, model, user and team; budgets against the spend of their period.
import { sqlString } from '../../duckdb/sql.ts';
import { whereSql } from '../filters.ts';
import type { PanelDef } from '../panel.ts';

const SUMS = `sum(reported_usd) AS reported_usd, sum(estimated_usd) AS estimated_usd, sum(spend_usd) AS spend_usd`;

export const spend: PanelDef = {
  id: 'spend',
  title: 'Spend',
  queries({ view, f }) {
    const v = view('spend');
    const w = whereSql(f);
    const by = (col: string) => `SELECT ${col}, ${SUMS} FROM ${v} ${w} GROUP BY ALL ORDER BY spend_usd DESC NULLS LAST LIMIT 100`;
    // A budget is measured over its period (UTC day or month) holding the range's last day.
    const end = f.to !== undefined ? `DATE ${sqlString(f.to)}` : `(SELECT max(day) FROM ${v})`;
    const scoped = whereSql({ ...f, user: undefined, team: undefined }, { range: false, alias: 's' });
    return {
      kpis: `SELECT coalesce(sum(spend_usd), 0) AS spend_usd, sum(reported_usd) AS reported_usd, sum(estimated_usd) AS estimated_usd FROM ${v} ${w}`,
      daily: `SELECT day, agent, ${SUMS} FROM ${v} ${w} GROUP BY ALL ORDER BY day, agent`,
      by_agent: by('agent'),
      by_model: by('agent, model'),
      by_user: by('"user"'),
      by_team: by('team'),
      budgets: `WITH e AS (SELECT ${end} AS end_day)
        SELECT b.scope, b.subject, b.period, b.usd AS budget_usd,
          (SELECT coalesce(sum(s.spend_usd), 0) FROM ${v} s ${scoped}
             AND (b.scope = 'all' OR (b.scope = 'user' AND s."user" = b.subject) OR (b.scope = 'team' AND s.team = b.subject))
             AND CASE WHEN b.period = 'daily' THEN s.day = e.end_day ELSE date_trunc('month', s.day) = date_trunc('month', e.end_day) END) AS spent_usd,
          CAST(e.end_day AS DATE) AS period_of
        FROM ${view('budgets')} b, e ORDER BY b.scope, b.subject, b.period`,
    };
  },
};
