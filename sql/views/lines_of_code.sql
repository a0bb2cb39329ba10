-- lines_of_code: lines added and removed, from claude_code.lines_of_code.count and gemini_cli.lines.changed.
--
-- Both carry type = added | removed. Codex CLI sends no line counts.
SELECT
  time, day, agent, user, user_id, user_email, organization_id, session_id, model,
  type AS kind,
  increment AS lines,
  metric AS source_name
FROM {{metric_increments}}
WHERE metric IN ('claude_code.lines_of_code.count', 'gemini_cli.lines.changed') AND increment <> 0
