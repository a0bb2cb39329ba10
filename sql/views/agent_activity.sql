-- agent_activity: every moment an agent did something, with who, which session and which model.
--
-- Metric points count only when they add something (increment or count
-- increment not zero): a cumulative exporter re-sends idle series every
-- interval, which is not activity. Every agent event counts.
SELECT
  time, day, agent, user, user_id, user_email, organization_id, session_id, model,
  'metric' AS source, metric AS name
FROM {{metric_increments}}
WHERE agent IS NOT NULL AND (increment <> 0 OR count_increment <> 0)
UNION ALL
SELECT
  time, day, agent, user, user_id, user_email, organization_id, session_id, model,
  'event' AS source, event AS name
FROM {{agent_events}}
