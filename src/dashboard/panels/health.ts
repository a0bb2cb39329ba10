// Data health: when data last arrived per agent, user and signal, and the
// agents that send log events but no metrics (an exporter set up for logs
// only, or a metrics exporter that fails). The time range does not apply:
// the question is what arrives now.
import { whereSql } from '../filters.ts';
import type { PanelDef } from '../panel.ts';

export const health: PanelDef = {
  id: 'health',
  title: 'Data health',
  queries({ view, f }) {
    const v = view('agent_activity');
    const w = whereSql(f, { range: false, model: false });
    const silent = `SELECT agent, "user", max(time) AS last_event, count(*) AS events FROM ${v} ${w}
      GROUP BY agent, "user" HAVING count(*) FILTER (WHERE source = 'metric') = 0 AND count(*) FILTER (WHERE source = 'event') > 0`;
    return {
      kpis: `SELECT max(time) AS last_data, (SELECT count(*) FROM (${silent})) AS silent_exporters FROM ${v} ${w}`,
      last_arrival: `SELECT agent, "user", CASE source WHEN 'metric' THEN 'metrics' ELSE 'logs' END AS signal, max(time) AS last_time, count(*) AS rows
        FROM ${v} ${w} GROUP BY ALL ORDER BY last_time DESC LIMIT 200`,
      logs_without_metrics: `${silent} ORDER BY last_event DESC`,
    };
  },
};
