-- agent_events: the log events of Claude Code, Codex CLI and Gemini CLI, one row each, under one naming.
--
-- {{logs}} is every logs-layout table of the schema. The event name is the
-- event.name attribute (Codex's event_name column holds a source location, not
-- a name), then event_name, then a claude_code.* body. Claude Code sends bare
-- names (api_request), which become claude_code.api_request; Codex
-- (codex.*) and Gemini CLI (gemini_cli.*, and gen_ai.* from service gemini-cli)
-- are kept as sent. Records of other programs are left out.
--
-- Codex sends time_unix_nano 0; the time is then observed_time_unix_nano.
-- A repeated export (the same record twice: same times, name, body,
-- attributes, resource and ids) is kept once.
WITH records AS (
  SELECT
    if(time_unix_nano > 0, time_unix_nano, observed_time_unix_nano) AS event_time_unix_nano,
    coalesce(attributes['event.name'], nullif(event_name, '')) AS raw_name,
    body,
    attributes,
    resource.attributes AS resource_attributes,
    instrumentation_scope.name AS scope_name,
    time_unix_nano,
    observed_time_unix_nano,
    trace_id,
    span_id
  FROM {{logs}}
),
named AS (
  SELECT
    *,
    CASE
      WHEN starts_with(raw_name, 'codex.') THEN 'codex'
      WHEN starts_with(raw_name, 'gemini_cli.') THEN 'gemini_cli'
      WHEN starts_with(raw_name, 'gen_ai.') AND resource_attributes['service.name'] = 'gemini-cli' THEN 'gemini_cli'
      WHEN starts_with(raw_name, 'claude_code.') OR starts_with(body, 'claude_code.')
        OR resource_attributes['service.name'] = 'claude-code' OR starts_with(scope_name, 'com.anthropic.claude_code') THEN 'claude_code'
    END AS agent
  FROM records
),
events AS (
  SELECT
    *,
    CASE
      WHEN agent <> 'claude_code' THEN raw_name
      WHEN starts_with(raw_name, 'claude_code.') THEN raw_name
      WHEN raw_name IS NOT NULL THEN 'claude_code.' || raw_name
      WHEN starts_with(body, 'claude_code.') THEN body
    END AS event
  FROM named
  WHERE agent IS NOT NULL
  QUALIFY row_number() OVER (
    PARTITION BY hash(time_unix_nano, observed_time_unix_nano, raw_name, body, trace_id, span_id,
                      list_sort(map_entries(attributes)), list_sort(map_entries(resource_attributes)))
  ) = 1
)
SELECT
  make_timestamp(event_time_unix_nano // 1000) AS time,
  CAST(make_timestamp(event_time_unix_nano // 1000) AS DATE) AS day,
  agent,
  event,
  coalesce(attributes['user.email'], resource_attributes['user.email']) AS user_email,
  coalesce(
    attributes['user.account_uuid'], attributes['user.account_id'], attributes['user.id'], attributes['installation.id'],
    resource_attributes['user.account_uuid'], resource_attributes['user.account_id'], resource_attributes['user.id'],
    resource_attributes['installation.id']
  ) AS user_id,
  -- Without an email, the principal of the token the rows were accepted with (access/identity.ts).
  coalesce(user_email, resource_attributes['otlp2delta.principal'], user_id) AS user,
  coalesce(attributes['organization.id'], resource_attributes['organization.id']) AS organization_id,
  coalesce(attributes['session.id'], attributes['conversation.id'], resource_attributes['session.id']) AS session_id,
  coalesce(attributes['model'], attributes['gen_ai.response.model'], attributes['gen_ai.request.model']) AS model,
  attributes,
  resource_attributes,
  body,
  event_time_unix_nano AS time_unix_nano
FROM events
