-- commits_and_prs: git commits and pull requests made through the agent (claude_code.commit.count, claude_code.pull_request.count).
--
-- Only Claude Code counts these; Codex CLI and Gemini CLI send no such metric.
SELECT
  time, day, agent, user, user_id, user_email, organization_id, session_id,
  CASE metric WHEN 'claude_code.commit.count' THEN 'commit' ELSE 'pull_request' END AS kind,
  increment AS count
FROM {{metric_increments}}
WHERE metric IN ('claude_code.commit.count', 'claude_code.pull_request.count') AND increment <> 0
