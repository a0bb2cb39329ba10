-- subagent_runs: each subagent an agent started within a session, one row per run.
--
-- Sources: Gemini CLI gemini_cli.agent.start events (agent_name, agent_id),
-- and Claude Code tool_result events of the tool that launches subagents
-- (Task, named Agent in later versions; the subagent type, when Claude Code
-- puts the tool's parameters in tool_parameters). Codex CLI sends no subagent
-- events, so it has no rows: an agent missing here sent nothing of the kind,
-- which is not the same as running none.
SELECT
  time, day, agent, user, user_id, user_email, organization_id, session_id, model,
  CASE agent
    WHEN 'gemini_cli' THEN attributes['agent_name']
    ELSE coalesce(
      TRY(json_extract_string(attributes['tool_parameters'], '$.subagent_type')),
      attributes['subagent_type'],
      attributes['tool_name'])
  END AS subagent,
  attributes['agent_id'] AS run_id,
  TRY_CAST(attributes['duration_ms'] AS DOUBLE) AS duration_ms,
  event AS source_name
FROM {{agent_events}}
WHERE event = 'gemini_cli.agent.start'
   OR (event = 'claude_code.tool_result' AND attributes['tool_name'] IN ('Task', 'Agent'))
