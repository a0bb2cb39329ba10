-- daily_active_users: one row per UTC day, agent and user that did anything, with sessions, tokens and cost.
--
-- The user is user.email when the agent sends it, else the agent's own user
-- id (Claude Code user.account_uuid or user.id, Codex user.account_id, Gemini
-- installation.id). Activity without any user (Codex metrics) is left out.
WITH active AS (
  SELECT
    day, agent, user,
    max(user_email) AS user_email,
    max(user_id) AS user_id,
    count(DISTINCT session_id) AS sessions
  FROM {{agent_activity}}
  WHERE user IS NOT NULL
  GROUP BY day, agent, user
),
usage AS (
  SELECT day, agent, user, CAST(sum(tokens) AS BIGINT) AS tokens, sum(cost_usd) AS cost_usd
  FROM {{usage_facts}}
  WHERE user IS NOT NULL
  GROUP BY day, agent, user
)
SELECT a.day, a.agent, a.user, a.user_email, a.user_id, a.sessions, coalesce(u.tokens, 0) AS tokens, u.cost_usd
FROM active a
LEFT JOIN usage u USING (day, agent, user)
