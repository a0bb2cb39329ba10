// Outcomes agents report (lines of code, commits, pull requests) and what
// they cost: spend of the agents that report them, per commit and per line added.
import { whereSql } from '../filters.ts';
import type { PanelDef } from '../panel.ts';

export const outcomes: PanelDef = {
  id: 'outcomes',
  title: 'Outcomes',
  queries({ view, f }) {
    const w = whereSql(f, { model: false });
    const perAgent = `WITH l AS (SELECT agent, sum(lines) FILTER (WHERE kind = 'added') AS lines_added, sum(lines) FILTER (WHERE kind = 'removed') AS lines_removed
                               FROM ${view('lines_of_code')} ${w} GROUP BY agent),
           c AS (SELECT agent, sum("count") FILTER (WHERE kind = 'commit') AS commits, sum("count") FILTER (WHERE kind = 'pull_request') AS pull_requests
                 FROM ${view('commits_and_prs')} ${w} GROUP BY agent),
           s AS (SELECT agent, sum(spend_usd) AS spend_usd FROM ${view('spend')} ${whereSql(f)} GROUP BY agent)
      SELECT agent, coalesce(l.lines_added, 0) AS lines_added, coalesce(l.lines_removed, 0) AS lines_removed,
             coalesce(c.commits, 0) AS commits, coalesce(c.pull_requests, 0) AS pull_requests, s.spend_usd
      FROM l FULL JOIN c USING (agent) LEFT JOIN s USING (agent)`;
    return {
      by_agent: `SELECT *, spend_usd / nullif(commits, 0) AS cost_per_commit, spend_usd / nullif(lines_added, 0) AS cost_per_line FROM (${perAgent}) ORDER BY agent`,
      kpis: `SELECT coalesce(sum(lines_added), 0) AS lines_added, coalesce(sum(lines_removed), 0) AS lines_removed,
                    coalesce(sum(commits), 0) AS commits, coalesce(sum(pull_requests), 0) AS pull_requests,
                    sum(spend_usd) FILTER (WHERE commits > 0) / nullif(sum(commits), 0) AS cost_per_commit,
                    sum(spend_usd) FILTER (WHERE lines_added > 0) / nullif(sum(lines_added), 0) AS cost_per_line
             FROM (${perAgent})`,
    };
  },
};
