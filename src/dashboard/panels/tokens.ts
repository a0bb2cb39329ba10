// Tokens by type, model and agent from usage_facts (disjoint types, so sums
// do not double count), and the cache hit rate: cache reads over all prompt
// tokens (input + cache_read + cache_write).
import { whereSql } from '../filters.ts';
import type { PanelDef } from '../panel.ts';

const HIT_RATE = `sum(tokens) FILTER (WHERE token_type = 'cache_read') / nullif(sum(tokens) FILTER (WHERE token_type IN ('input', 'cache_read', 'cache_write')), 0)`;

export const tokens: PanelDef = {
  id: 'tokens',
  title: 'Tokens',
  queries({ view, f }) {
    const v = view('usage_facts');
    const w = `${whereSql(f)} AND tokens IS NOT NULL`;
    return {
      kpis: `SELECT CAST(coalesce(sum(tokens), 0) AS BIGINT) AS tokens, ${HIT_RATE} AS cache_hit_rate FROM ${v} ${w}`,
      daily: `SELECT day, agent, CAST(sum(tokens) AS BIGINT) AS tokens FROM ${v} ${w} GROUP BY ALL ORDER BY day, agent`,
      by_type: `SELECT agent, token_type, CAST(sum(tokens) AS BIGINT) AS tokens FROM ${v} ${w} GROUP BY ALL ORDER BY agent, tokens DESC`,
      by_model: `SELECT agent, model, CAST(sum(tokens) AS BIGINT) AS tokens, ${HIT_RATE} AS cache_hit_rate FROM ${v} ${w} GROUP BY ALL ORDER BY tokens DESC LIMIT 100`,
      by_agent: `SELECT agent, CAST(sum(tokens) AS BIGINT) AS tokens, ${HIT_RATE} AS cache_hit_rate FROM ${v} ${w} GROUP BY ALL ORDER BY tokens DESC`,
    };
  },
};
