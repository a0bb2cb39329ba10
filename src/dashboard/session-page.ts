// One session's summary and timeline: prompts, model calls, tool decisions and
// errors in the order they happened, each with the tokens and cost of the
// usage facts its event carried, and the metric points that added usage.
import { sqlString } from '../duckdb/sql.ts';

const KIND = `CASE
    WHEN event LIKE '%user_prompt%' THEN 'prompt'
    WHEN event IN ('claude_code.api_error', 'gemini_cli.api_error') OR attributes['error.message'] IS NOT NULL THEN 'error'
    WHEN event IN ('claude_code.api_request', 'codex.api_request', 'gemini_cli.api_response', 'codex.sse_event') THEN 'model_call'
    WHEN event = 'gemini_cli.agent.start' OR (event = 'claude_code.tool_result' AND attributes['tool_name'] IN ('Task', 'Agent')) THEN 'subagent'
    WHEN event LIKE '%tool%' THEN 'tool'
    ELSE 'other' END`;

export function sessionQueries(view: (v: string) => string, agent: string, session: string): Record<string, string> {
  const me = `agent = ${sqlString(agent)} AND session_id = ${sqlString(session)}`;
  return {
    summary: `SELECT s.agent, s.session_id, s."user", s.team, s.first_seen, s.last_seen, s.requests, s.tokens, s.models,
        (SELECT sum(spend_usd) FROM ${view('spend')} WHERE ${me}) AS spend_usd
      FROM ${view('sessions')} s WHERE ${me}`,
    timeline: `WITH e AS (
        SELECT time, event, model, attributes FROM ${view('agent_events')}
        WHERE ${me} AND (event <> 'codex.sse_event' OR attributes['event.kind'] = 'response.completed')),
      u AS (SELECT time, CAST(sum(tokens) AS BIGINT) AS tokens, coalesce(sum(cost_usd), sum(cost_estimated_usd)) AS cost_usd
            FROM ${view('usage_facts')} WHERE ${me} AND source = 'event' GROUP BY time)
      SELECT e.time, ${KIND} AS kind, e.event, e.model,
        coalesce(e.attributes['tool_name'], e.attributes['function_name']) AS tool,
        e.attributes['decision'] AS decision,
        coalesce(e.attributes['error'], e.attributes['error.message']) AS error,
        TRY_CAST(e.attributes['duration_ms'] AS DOUBLE) AS duration_ms,
        u.tokens, u.cost_usd
      FROM e LEFT JOIN u USING (time)
      UNION ALL
      SELECT time, 'usage' AS kind, source_name AS event, model, NULL, NULL, NULL, NULL,
        CAST(sum(tokens) AS BIGINT), coalesce(sum(cost_usd), sum(cost_estimated_usd))
      FROM ${view('usage_facts')} WHERE ${me} AND source = 'metric' GROUP BY time, source_name, model
      ORDER BY time, event`,
  };
}
