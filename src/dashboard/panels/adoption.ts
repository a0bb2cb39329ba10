// Adoption: who used an agent, per day and per ISO week, and who was new.
// Users are daily_active_users' `user`; unidentified users (NULL) are not counted.
import { whereSql } from '../filters.ts';
import type { PanelDef } from '../panel.ts';

export const adoption: PanelDef = {
  id: 'adoption',
  title: 'Adoption',
  queries({ view, f }) {
    const dau = view('daily_active_users');
    const w = whereSql(f, { model: false });
    // A user's first day over all time (other filters applied), so "new" means new, not new in the range.
    const firsts = `SELECT "user", min(day) AS first_day FROM ${dau} ${whereSql(f, { model: false, range: false })} AND "user" IS NOT NULL GROUP BY "user"`;
    return {
      kpis: `WITH fs AS (${firsts})
        SELECT count(DISTINCT d."user") AS active_users,
               count(DISTINCT d."user") FILTER (WHERE fs.first_day = d.day) AS new_users,
               count(DISTINCT d.agent) AS agents
        FROM ${dau} d LEFT JOIN fs USING ("user") ${whereSql(f, { model: false, alias: 'd' })}`,
      daily: `SELECT day, agent, count(DISTINCT "user") AS users FROM ${dau} ${w} GROUP BY ALL ORDER BY day, agent`,
      weekly: `SELECT CAST(date_trunc('week', day) AS DATE) AS week, agent, count(DISTINCT "user") AS users FROM ${dau} ${w} GROUP BY ALL ORDER BY week, agent`,
      new_vs_returning: `WITH fs AS (${firsts})
        SELECT d.day,
               count(DISTINCT d."user") FILTER (WHERE fs.first_day = d.day) AS new_users,
               count(DISTINCT d."user") FILTER (WHERE fs.first_day < d.day) AS returning_users
        FROM ${dau} d JOIN fs USING ("user") ${whereSql(f, { model: false, alias: 'd' })} GROUP BY d.day ORDER BY d.day`,
    };
  },
};
