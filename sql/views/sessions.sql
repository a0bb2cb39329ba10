-- sessions: one row per agent session, with its user, time span, tokens, cost and the models that used tokens.
--
-- A session is an agent's session id: Claude Code and Gemini CLI session.id,
-- Codex conversation.id (sent on its log events only: Codex metrics carry no
-- session, so a Codex that exports only metrics has no sessions here).
WITH spans AS (
  SELECT
    agent,
    session_id,
    arg_min(user, time) FILTER (WHERE user IS NOT NULL) AS user,
    arg_min(user_email, time) FILTER (WHERE user_email IS NOT NULL) AS user_email,
    arg_min(organization_id, time) FILTER (WHERE organization_id IS NOT NULL) AS organization_id,
    min(time) AS first_seen,
    max(time) AS last_seen
  FROM {{agent_activity}}
  WHERE session_id IS NOT NULL
  GROUP BY agent, session_id
),
usage AS (
  SELECT
    agent, session_id,
    CAST(sum(tokens) AS BIGINT) AS tokens,
    sum(cost_usd) AS cost_usd,
    list(DISTINCT model ORDER BY model) FILTER (WHERE model IS NOT NULL) AS models
  FROM {{usage_facts}}
  WHERE session_id IS NOT NULL
  GROUP BY agent, session_id
)
SELECT
  s.agent, s.session_id, s.user, s.user_email, s.organization_id, s.first_seen, s.last_seen,
  CAST(s.first_seen AS DATE) AS day,
  coalesce(u.models, []) AS models,
  coalesce(u.tokens, 0) AS tokens,
  u.cost_usd
FROM spans s
LEFT JOIN usage u USING (agent, session_id)
