// Tool decisions: how often each agent's tool calls were accepted.
import { whereSql } from '../filters.ts';
import type { PanelDef } from '../panel.ts';

const RATE = `count(*) FILTER (WHERE decision = 'accept') / nullif(count(*), 0)`;

export const tools: PanelDef = {
  id: 'tools',
  title: 'Tool decisions',
  queries({ view, f }) {
    const v = view('tool_decisions');
    const w = whereSql(f, { model: false });
    return {
      kpis: `SELECT count(*) AS decisions, ${RATE} AS acceptance_rate FROM ${v} ${w}`,
      by_tool: `SELECT agent, tool_name, count(*) AS decisions, count(*) FILTER (WHERE decision = 'accept') AS accepted,
                       count(*) FILTER (WHERE decision = 'reject') AS rejected, ${RATE} AS acceptance_rate
                FROM ${v} ${w} GROUP BY ALL ORDER BY decisions DESC LIMIT 100`,
    };
  },
};
