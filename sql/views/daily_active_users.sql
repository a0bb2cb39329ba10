-- daily_active_users: one row per UTC day, agent and user that used a model, with sessions begun, tokens and cost.
--
-- A user is active on a day when a session of theirs (as the sessions view
-- defines it) began that day, or when they used tokens or cost that day;
-- start-up telemetry alone does not make anyone active. sessions counts the
-- sessions that began that day, so each session is in exactly one row.
--
-- The user is user.email when the agent sends it, else the principal of the
-- token the rows were exported with (resource attribute otlp2delta.principal),
-- else the agent's own user id (Claude Code user.account_uuid or user.id, Codex
-- user.account_id, Gemini installation.id). Where there is none of these (Codex
-- without a ChatGPT sign-in, exported without a token) the row's user is NULL: it holds the sessions and tokens of
-- unidentified users, so count(DISTINCT user) is the number of known users.
WITH begun AS (
  SELECT day, agent, user, max(user_email) AS user_email, max(user_id) AS user_id, count(*) AS sessions
  FROM {{sessions}}
  GROUP BY day, agent, user
),
usage AS (
  SELECT
    day, agent, user, max(user_email) AS user_email, max(user_id) AS user_id,
    CAST(sum(tokens) AS BIGINT) AS tokens, sum(cost_usd) AS cost_usd
  FROM {{usage_facts}}
  GROUP BY day, agent, user
  HAVING sum(tokens) > 0 OR sum(cost_usd) > 0
)
SELECT
  coalesce(b.day, u.day) AS day,
  coalesce(b.agent, u.agent) AS agent,
  coalesce(b.user, u.user) AS user,
  coalesce(b.user_email, u.user_email) AS user_email,
  coalesce(b.user_id, u.user_id) AS user_id,
  coalesce(b.sessions, 0) AS sessions,
  coalesce(u.tokens, 0) AS tokens,
  u.cost_usd
FROM begun b
FULL JOIN usage u ON u.day = b.day AND u.agent = b.agent AND u.user IS NOT DISTINCT FROM b.user
