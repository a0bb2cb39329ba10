-- sessions: one row per agent session that reached a model, with its user, time span, requests, tokens, cost and models.
--
-- This is the one definition of a session that every session count reads
-- (daily_active_users and the usage report included). A session is an
-- agent's session id (Claude Code and Gemini CLI session.id, Codex
-- conversation.id) with at least one model API request, successful or not
-- (api_requests), or at least one token or cost (usage_facts). A process that
-- only started (configuration, start-up and session-count telemetry) and
-- stopped before calling a model, such as Gemini CLI refusing an untrusted
-- folder, is not a session: what it sends at start-up differs between agents
-- and versions, a model request does not. Activity without a session id
-- cannot be a session (Claude Code with OTEL_METRICS_INCLUDE_SESSION_ID=false
-- and no events); its tokens still count in usage_facts.
--
-- first_seen and last_seen span all of the session's activity, start-up
-- included; day is the UTC day of first_seen: a session is counted once, on
-- the day it began, so counts by day add up to the total.
WITH requests AS (
  SELECT agent, session_id, count(*) AS requests
  FROM {{api_requests}}
  WHERE session_id IS NOT NULL
  GROUP BY agent, session_id
),
usage AS (
  SELECT
    agent, session_id,
    CAST(sum(tokens) AS BIGINT) AS tokens,
    sum(cost_usd) AS cost_usd,
    list(DISTINCT model ORDER BY model) FILTER (WHERE model IS NOT NULL AND (tokens > 0 OR cost_usd > 0)) AS models
  FROM {{usage_facts}}
  WHERE session_id IS NOT NULL
  GROUP BY agent, session_id
),
counted AS (
  SELECT agent, session_id FROM requests
  UNION
  SELECT agent, session_id FROM usage WHERE tokens > 0 OR cost_usd > 0
),
spans AS (
  SELECT
    a.agent,
    a.session_id,
    arg_min(a.user, a.time) FILTER (WHERE a.user IS NOT NULL) AS user,
    arg_min(a.user_email, a.time) FILTER (WHERE a.user_email IS NOT NULL) AS user_email,
    arg_min(a.user_id, a.time) FILTER (WHERE a.user_id IS NOT NULL) AS user_id,
    arg_min(a.organization_id, a.time) FILTER (WHERE a.organization_id IS NOT NULL) AS organization_id,
    min(a.time) AS first_seen,
    max(a.time) AS last_seen
  FROM {{agent_activity}} a
  SEMI JOIN counted c ON c.agent = a.agent AND c.session_id = a.session_id
  GROUP BY a.agent, a.session_id
)
SELECT
  s.agent, s.session_id, s.user, s.user_email, s.user_id, s.organization_id, s.first_seen, s.last_seen,
  CAST(s.first_seen AS DATE) AS day,
  coalesce(r.requests, 0) AS requests,
  coalesce(u.models, []) AS models,
  coalesce(u.tokens, 0) AS tokens,
  u.cost_usd
FROM spans s
LEFT JOIN requests r USING (agent, session_id)
LEFT JOIN usage u USING (agent, session_id)
