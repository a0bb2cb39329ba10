-- tool_decisions: each decision to run or not run a tool, normalised to accept or reject.
--
-- Sources: Claude Code tool_decision events (decision accept | reject),
-- Codex codex.tool_decision events (approved, approved_for_session, ... |
-- denied, abort) and Gemini CLI gemini_cli.tool_call events that carry a
-- decision (accept, auto_accept, modify | reject). A modified call still ran,
-- so it counts as accept; raw_decision keeps what was sent.
SELECT
  time, day, agent, user, user_id, user_email, organization_id, session_id, model,
  coalesce(attributes['tool_name'], attributes['function_name']) AS tool_name,
  CASE
    WHEN lower(attributes['decision']) IN ('accept', 'auto_accept', 'modify', 'allow')
      OR starts_with(lower(attributes['decision']), 'approved') THEN 'accept'
    WHEN lower(attributes['decision']) IN ('reject', 'denied', 'deny', 'abort') THEN 'reject'
  END AS decision,
  attributes['decision'] AS raw_decision,
  attributes['source'] AS decision_source,
  event AS source_name
FROM {{agent_events}}
WHERE event IN ('claude_code.tool_decision', 'codex.tool_decision', 'gemini_cli.tool_call')
  AND attributes['decision'] IS NOT NULL AND attributes['decision'] <> ''
