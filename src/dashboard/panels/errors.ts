// Model API calls: errors and latency per agent and model, from api_requests.
import { whereSql } from '../filters.ts';
import type { PanelDef } from '../panel.ts';

const STATS = `count(*) AS requests, count(*) FILTER (WHERE status = 'error') AS errors,
  count(*) FILTER (WHERE status = 'error') / nullif(count(*), 0) AS error_rate,
  quantile_cont(duration_ms, 0.5) AS latency_p50_ms, quantile_cont(duration_ms, 0.95) AS latency_p95_ms`;

export const errors: PanelDef = {
  id: 'errors',
  title: 'Model API errors and latency',
  queries({ view, f }) {
    const v = view('api_requests');
    const w = whereSql(f);
    return {
      kpis: `SELECT count(*) AS api_requests, count(*) FILTER (WHERE status = 'error') AS api_errors,
                    count(*) FILTER (WHERE status = 'error') / nullif(count(*), 0) AS error_rate,
                    quantile_cont(duration_ms, 0.5) AS latency_p50_ms, quantile_cont(duration_ms, 0.95) AS latency_p95_ms
             FROM ${v} ${w}`,
      daily: `SELECT day, agent, ${STATS} FROM ${v} ${w} GROUP BY ALL ORDER BY day, agent`,
      by_model: `SELECT agent, model, ${STATS} FROM ${v} ${w} GROUP BY ALL ORDER BY requests DESC LIMIT 100`,
      error_kinds: `SELECT agent, status_code, error_type, left(error, 200) AS error, count(*) AS errors, max(time) AS last_time
                    FROM ${v} ${w} AND status = 'error' GROUP BY ALL ORDER BY errors DESC LIMIT 50`,
    };
  },
};
