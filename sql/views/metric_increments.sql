-- metric_increments: every sum and histogram point of a schema's metrics tables, as the amount it adds.
--
-- {{metrics}} is every metrics-layout table of the schema. Rows belong to an
-- agent by metric name, never by table name: claude_code.*, codex.*,
-- gemini_cli.*, and gen_ai.* when the resource's service.name is gemini-cli.
-- Other metrics are kept with agent NULL.
--
-- Temporality: a DELTA point already is an increment. A CUMULATIVE point is
-- the running total since its start_time_unix_nano, so the increment is the
-- difference to the previous point of the same series and start; the first
-- point of a start counts in full (the counter began at zero then), which is
-- also how a restarted process (a new start time) is handled. A monotonic
-- total that falls without a new start time is a reset too and counts from
-- zero. A series is the metric name, scope, temporality, every point attribute
-- and every resource attribute (process ids included), so two processes of one
-- session never share one; the start time separates two processes whose
-- attributes are identical.
--
-- A repeated export (a retried request) lands the same point twice: points
-- with the same series, start and time are kept once.
WITH points AS NOT MATERIALIZED (
  -- Read twice (narrow for the points, wide for the series) rather than held
  -- in memory with every map.
  SELECT
    name AS metric,
    metric_type,
    if(metric_type = 'sum', "sum".attributes, histogram.attributes) AS attributes,
    resource.attributes AS resource_attributes,
    instrumentation_scope.name AS scope_name,
    if(metric_type = 'sum', "sum".aggregation_temporality, histogram.aggregation_temporality) AS temporality,
    if(metric_type = 'sum', coalesce("sum".is_monotonic, false), true) AS monotonic,
    if(metric_type = 'sum', "sum".start_time_unix_nano, histogram.start_time_unix_nano) AS start_time_unix_nano,
    if(metric_type = 'sum', "sum".time_unix_nano, histogram.time_unix_nano) AS time_unix_nano,
    if(metric_type = 'sum', "sum".value, histogram."sum") AS value,
    if(metric_type = 'sum', CAST(NULL AS BIGINT), histogram.count) AS count
  FROM {{metrics}}
  WHERE metric_type IN ('sum', 'histogram')
),
-- A series: metric name, scope, temporality, monotonicity, every point
-- attribute and every resource attribute. An exporter sends a series'
-- attributes in the same order every time (the SDKs keep one attribute set per
-- series), so the maps hash as they are.
keyed AS (
  -- Only narrow columns are kept per point, so the sort below stays cheap.
  SELECT
    hash(metric, scope_name, temporality, monotonic, attributes, resource_attributes) AS series_key,
    start_time_unix_nano, time_unix_nano, value, count
  FROM points
),
-- What is constant along a series (its attributes and who it is about) is
-- worked out once per series rather than once per point.
series AS (
  SELECT
    hash(metric, scope_name, temporality, monotonic, attributes, resource_attributes) AS series_key,
    any_value(metric) AS metric,
    any_value(metric_type) AS metric_type,
    any_value(temporality) AS temporality,
    any_value(monotonic) AS monotonic,
    any_value(attributes) AS attributes,
    any_value(resource_attributes) AS resource_attributes
  FROM points
  GROUP BY 1
),
identified AS (
  SELECT
    *,
    CASE
      WHEN starts_with(metric, 'claude_code.') THEN 'claude_code'
      WHEN starts_with(metric, 'codex.') THEN 'codex'
      WHEN starts_with(metric, 'gemini_cli.') THEN 'gemini_cli'
      WHEN starts_with(metric, 'gen_ai.') AND resource_attributes['service.name'] = 'gemini-cli' THEN 'gemini_cli'
    END AS agent,
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
    -- The kind a counter is split by: token type, lines added or removed, active time kind.
    coalesce(attributes['type'], attributes['token_type'], attributes['gen_ai.token.type']) AS type
  FROM series
),
stepped AS (
  -- Only the narrow columns go through the sort. One pass gives the previous
  -- point of the series, whether it shares this point's start (else this is
  -- the first point since a (re)start) and whether this row repeats it (same
  -- start and time: a repeated export, dropped below).
  SELECT
    series_key, start_time_unix_nano, time_unix_nano, value, count,
    lag(value) OVER w AS previous_value,
    lag(count) OVER w AS previous_count,
    lag(start_time_unix_nano) OVER w AS previous_start,
    lag(time_unix_nano) OVER w AS previous_time
  FROM keyed
  WINDOW w AS (PARTITION BY series_key ORDER BY start_time_unix_nano, time_unix_nano, value, count)
)
SELECT
  make_timestamp(p.time_unix_nano // 1000) AS time,
  CAST(make_timestamp(p.time_unix_nano // 1000) AS DATE) AS day,
  s.agent,
  s.metric,
  s.metric_type,
  s.temporality,
  CASE
    WHEN s.temporality <> 'AGGREGATION_TEMPORALITY_CUMULATIVE' OR p.previous_start IS DISTINCT FROM p.start_time_unix_nano THEN p.value
    WHEN s.monotonic AND p.value < p.previous_value THEN p.value
    ELSE p.value - p.previous_value
  END AS increment,
  CASE
    WHEN s.temporality <> 'AGGREGATION_TEMPORALITY_CUMULATIVE' OR p.previous_start IS DISTINCT FROM p.start_time_unix_nano THEN p.count
    WHEN p.count < p.previous_count THEN p.count
    ELSE p.count - p.previous_count
  END AS count_increment,
  s.user_email,
  s.user_id,
  s.user,
  s.organization_id,
  s.session_id,
  s.model,
  s.type,
  p.value,
  p.count,
  s.monotonic,
  p.start_time_unix_nano,
  p.time_unix_nano,
  p.series_key,
  s.attributes,
  s.resource_attributes
FROM stepped p
JOIN identified s USING (series_key)
WHERE p.previous_start IS DISTINCT FROM p.start_time_unix_nano OR p.previous_time IS DISTINCT FROM p.time_unix_nano
