-- api_requests: each model API call an agent reports, successful or not.
--
-- Sources: Claude Code api_request (success) and api_error events; Codex
-- codex.api_request events (an error when error.message is set or the HTTP
-- status is 400 or more); Gemini CLI gemini_cli.api_response and
-- gemini_cli.api_error events (gemini_cli.api_request marks the start of a
-- call, so it is not counted again). status_code is NULL where the agent does
-- not send one (Claude Code successes).
WITH calls AS (
  SELECT
    *,
    TRY_CAST(coalesce(attributes['status_code'], attributes['http.response.status_code']) AS INTEGER) AS status_code,
    coalesce(attributes['error'], attributes['error.message']) AS error
  FROM {{agent_events}}
  WHERE event IN ('claude_code.api_request', 'claude_code.api_error', 'codex.api_request',
                  'gemini_cli.api_response', 'gemini_cli.api_error')
)
SELECT
  time, day, agent, user, user_id, user_email, organization_id, session_id, model,
  CASE
    WHEN event IN ('claude_code.api_error', 'gemini_cli.api_error') OR error IS NOT NULL OR status_code >= 400 THEN 'error'
    ELSE 'ok'
  END AS status,
  status_code,
  TRY_CAST(attributes['duration_ms'] AS DOUBLE) AS duration_ms,
  error,
  attributes['error_type'] AS error_type,
  event AS source_name
FROM calls
