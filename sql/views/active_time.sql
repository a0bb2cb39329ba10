-- active_time: seconds of active use, from claude_code.active_time.total (type user or cli).
--
-- Only Claude Code sends active time; Codex CLI and Gemini CLI have no such
-- metric, so they have no rows here (never an estimate).
SELECT
  time, day, agent, user, user_id, user_email, organization_id, session_id,
  type,
  increment AS seconds
FROM {{metric_increments}}
WHERE metric = 'claude_code.active_time.total' AND increment <> 0
