-- usage_facts: tokens and cost of Claude Code, Codex CLI and Gemini CLI, in one shape.
--
-- One row per (time, agent, user, session, model, token type, source): tokens
-- of one normalised type, or (token_type NULL) a cost in USD. Token types are
-- disjoint, so sum(tokens) is the total without double counting:
--   input        prompt tokens not read from or written to a cache
--   cache_read   prompt tokens read from a cache
--   cache_write  prompt tokens written to a cache
--   output       generated tokens, reasoning excluded where the agent reports it apart
--   reasoning    reasoning / thinking tokens reported apart from output
--   tool         Gemini's tool-use prompt tokens
-- Codex and Gemini report cached prompt tokens inside their input count (and
-- Codex reasoning inside output), so those are subtracted from input (output)
-- and reported under their own type; Codex's `total` is the sum and is left out.
--
-- Sources, in order of preference for the same agent, day, session and user:
--   1. agent metrics: claude_code.token.usage / claude_code.cost.usage,
--      codex.turn.token_usage, gemini_cli.token.usage;
--   2. gen_ai.client.token.usage (Gemini's semantic-convention copy of the same
--      input/output tokens): only for a session and day where (1) has nothing;
--   3. log events: claude_code.api_request, codex.sse_event (response.completed),
--      gemini_cli.api_response: only where no metric covers them, e.g. an agent
--      configured to export logs only.
-- "Covers" means same agent and UTC day, and same session and user unless one
-- side does not carry one (Codex metrics carry neither).
-- An event of a session that only a metric without any session covers (Codex,
-- whose metrics name no conversation) is kept, because it says which session
-- and model the tokens belong to; that metric then keeps, per agent, day,
-- user and token type, only what such events do not account for (never less
-- than zero), so a session carries its tokens and nothing is counted twice.
-- cost_usd is what the agent sends; only Claude Code sends one. It is never
-- computed from prices: for Codex and Gemini it is NULL.
-- cost_estimated_usd is tokens times the price of the row's model and token
-- type in {{prices}} on the row's day (the row with the latest valid_from on
-- or before it). The model is lower-cased and a trailing bracketed variant is
-- cut (Claude Code's claude-opus-4-8[1m], the 1M-context variant, is priced as
-- claude-opus-4-8); patterns are globs (* and ?), and the most specific
-- matching pattern (most characters other than wildcards) wins. A model no
-- pattern matches gets NULL, never a guess; cost rows (token_type NULL) too.
WITH token_map(metric, raw_type, token_type, sign) AS (
  VALUES
    ('claude_code.token.usage', 'input', 'input', 1),
    ('claude_code.token.usage', 'output', 'output', 1),
    ('claude_code.token.usage', 'cacheRead', 'cache_read', 1),
    ('claude_code.token.usage', 'cacheCreation', 'cache_write', 1),
    ('codex.turn.token_usage', 'input', 'input', 1),
    ('codex.turn.token_usage', 'cached_input', 'input', -1),
    ('codex.turn.token_usage', 'cached_input', 'cache_read', 1),
    ('codex.turn.token_usage', 'cache_write_input', 'input', -1),
    ('codex.turn.token_usage', 'cache_write_input', 'cache_write', 1),
    ('codex.turn.token_usage', 'output', 'output', 1),
    ('codex.turn.token_usage', 'reasoning_output', 'output', -1),
    ('codex.turn.token_usage', 'reasoning_output', 'reasoning', 1),
    ('gemini_cli.token.usage', 'input', 'input', 1),
    ('gemini_cli.token.usage', 'cache', 'input', -1),
    ('gemini_cli.token.usage', 'cache', 'cache_read', 1),
    ('gemini_cli.token.usage', 'output', 'output', 1),
    ('gemini_cli.token.usage', 'thought', 'reasoning', 1),
    ('gemini_cli.token.usage', 'tool', 'tool', 1),
    ('gen_ai.client.token.usage', 'input', 'input', 1),
    ('gen_ai.client.token.usage', 'output', 'output', 1)
),
usage_points AS MATERIALIZED (
  -- One read of the increments for both tokens and cost, without the maps.
  SELECT time, day, agent, user, user_id, user_email, organization_id, session_id, model, metric, type AS raw_type, increment
  FROM {{metric_increments}}
  WHERE agent IS NOT NULL
    AND metric IN ('claude_code.token.usage', 'claude_code.cost.usage', 'codex.turn.token_usage',
                   'gemini_cli.token.usage', 'gen_ai.client.token.usage')
),
metric_rows AS MATERIALIZED (
  SELECT
    i.time, i.day, i.agent, i.user, i.user_id, i.user_email, i.organization_id, i.session_id, i.model,
    m.token_type,
    m.sign * i.increment AS tokens,
    CAST(NULL AS DOUBLE) AS cost_usd,
    'metric' AS source,
    i.metric AS source_name
  FROM usage_points i
  JOIN token_map m ON m.metric = i.metric AND m.raw_type = i.raw_type
  UNION ALL
  SELECT
    time, day, agent, user, user_id, user_email, organization_id, session_id, model,
    NULL, NULL, increment, 'metric', metric
  FROM usage_points
  WHERE metric = 'claude_code.cost.usage'
),
-- gen_ai.client.token.usage comes from the same Gemini process as
-- gemini_cli.token.usage (same session id): it counts only for a session and
-- day that has none of the latter.
semconv AS (
  SELECT g.*
  FROM metric_rows g
  ANTI JOIN (SELECT DISTINCT agent, day, session_id FROM metric_rows WHERE source_name <> 'gen_ai.client.token.usage') n
    ON n.agent = g.agent AND n.day = g.day AND n.session_id IS NOT DISTINCT FROM g.session_id
  WHERE g.source_name = 'gen_ai.client.token.usage'
),
metric_facts AS MATERIALIZED (
  SELECT * FROM metric_rows WHERE source_name <> 'gen_ai.client.token.usage'
  UNION ALL
  SELECT * FROM semconv
),
event_lists AS (
  SELECT
    *,
    CASE
      WHEN event = 'claude_code.api_request' THEN [
        {'token_type': 'input', 'tokens': TRY_CAST(attributes['input_tokens'] AS DOUBLE)},
        {'token_type': 'cache_read', 'tokens': TRY_CAST(attributes['cache_read_tokens'] AS DOUBLE)},
        {'token_type': 'cache_write', 'tokens': TRY_CAST(attributes['cache_creation_tokens'] AS DOUBLE)},
        {'token_type': 'output', 'tokens': TRY_CAST(attributes['output_tokens'] AS DOUBLE)}
      ]
      WHEN event = 'codex.sse_event' AND attributes['event.kind'] = 'response.completed'
        AND attributes['input_token_count'] IS NOT NULL THEN [
        {'token_type': 'input', 'tokens': TRY_CAST(attributes['input_token_count'] AS DOUBLE)
          - coalesce(TRY_CAST(attributes['cached_token_count'] AS DOUBLE), 0)
          - coalesce(TRY_CAST(attributes['cache_write_token_count'] AS DOUBLE), 0)},
        {'token_type': 'cache_read', 'tokens': TRY_CAST(attributes['cached_token_count'] AS DOUBLE)},
        {'token_type': 'cache_write', 'tokens': TRY_CAST(attributes['cache_write_token_count'] AS DOUBLE)},
        {'token_type': 'output', 'tokens': TRY_CAST(attributes['output_token_count'] AS DOUBLE)
          - coalesce(TRY_CAST(attributes['reasoning_token_count'] AS DOUBLE), 0)},
        {'token_type': 'reasoning', 'tokens': TRY_CAST(attributes['reasoning_token_count'] AS DOUBLE)}
      ]
      WHEN event = 'gemini_cli.api_response' THEN [
        {'token_type': 'input', 'tokens': TRY_CAST(attributes['input_token_count'] AS DOUBLE)
          - coalesce(TRY_CAST(attributes['cached_content_token_count'] AS DOUBLE), 0)},
        {'token_type': 'cache_read', 'tokens': TRY_CAST(attributes['cached_content_token_count'] AS DOUBLE)},
        {'token_type': 'output', 'tokens': TRY_CAST(attributes['output_token_count'] AS DOUBLE)},
        {'token_type': 'reasoning', 'tokens': TRY_CAST(attributes['thoughts_token_count'] AS DOUBLE)},
        {'token_type': 'tool', 'tokens': TRY_CAST(attributes['tool_token_count'] AS DOUBLE)}
      ]
    END AS token_list
  FROM {{agent_events}}
  WHERE event IN ('claude_code.api_request', 'codex.sse_event', 'gemini_cli.api_response')
),
event_rows AS (
  SELECT
    e.time, e.day, e.agent, e.user, e.user_id, e.user_email, e.organization_id, e.session_id, e.model,
    t.item.token_type, t.item.tokens, CAST(NULL AS DOUBLE) AS cost_usd, 'event' AS source, e.event AS source_name
  FROM event_lists e, unnest(e.token_list) AS t(item)
  WHERE e.token_list IS NOT NULL AND t.item.tokens IS NOT NULL
  UNION ALL
  SELECT
    time, day, agent, user, user_id, user_email, organization_id, session_id, model,
    NULL, NULL, TRY_CAST(attributes['cost_usd'] AS DOUBLE), 'event', event
  FROM event_lists
  WHERE event = 'claude_code.api_request' AND attributes['cost_usd'] IS NOT NULL
),
event_groups AS (
  SELECT DISTINCT agent, day, session_id, user FROM event_rows
),
-- Coverage as equality lookups: each metric (session, user) pair is stored
-- under its own values ('<none>' where it has none, which matches anything)
-- and under '<any>', which an event without a session (user) looks up. Only
-- an agent and day that has events is looked up, so only those are expanded
-- (a metric-only export expands nothing).
cover_keys AS MATERIALIZED (
  SELECT DISTINCT agent, day, k.s AS s, k.u AS u
  FROM (
    SELECT DISTINCT m.agent, m.day, coalesce(m.session_id, '<none>') AS cs, coalesce(m.user, '<none>') AS cu
    FROM metric_facts m
    SEMI JOIN (SELECT DISTINCT agent, day FROM event_groups) e ON e.agent = m.agent AND e.day = m.day
  ) c,
       unnest([{'s': cs, 'u': cu}, {'s': '<any>', 'u': cu}, {'s': cs, 'u': '<any>'}, {'s': '<any>', 'u': '<any>'}]) AS t(k)
),
event_lookups AS (
  SELECT agent, day, session_id, user, s, unnest(CASE WHEN user IS NULL THEN ['<any>'] ELSE [user, '<none>'] END) AS u
  FROM (SELECT *, unnest(CASE WHEN session_id IS NULL THEN ['<any>'] ELSE [session_id, '<none>'] END) AS s FROM event_groups)
),
-- An event with a session is covered only by a metric of that same session;
-- one that only a session-less metric covers is attributed below instead.
covered_groups AS (
  SELECT DISTINCT l.agent, l.day, l.session_id, l.user
  FROM event_lookups l
  JOIN cover_keys c ON c.agent = l.agent AND c.day = l.day AND c.s = l.s AND c.u = l.u
  WHERE l.s <> '<none>'
),
event_facts AS MATERIALIZED (
  SELECT e.*
  FROM event_rows e
  ANTI JOIN covered_groups g
    ON g.agent = e.agent AND g.day = e.day AND g.session_id IS NOT DISTINCT FROM e.session_id AND g.user IS NOT DISTINCT FROM e.user
),
sessionless_groups AS (
  SELECT DISTINCT agent, day, user FROM metric_facts WHERE session_id IS NULL
),
-- What the kept events of sessions account for, per session-less metric group
-- they fall in (same agent and day; same user unless one side has none).
attributed AS MATERIALIZED (
  SELECT g.agent, g.day, g.user, e.token_type, sum(coalesce(e.tokens, e.cost_usd)) AS amount
  FROM event_facts e
  JOIN sessionless_groups g ON g.agent = e.agent AND g.day = e.day AND (g.user IS NULL OR e.user IS NULL OR g.user = e.user)
  WHERE e.session_id IS NOT NULL
  GROUP BY ALL
),
replaced AS (
  SELECT DISTINCT agent, day, user FROM attributed
),
metric_kept AS (
  SELECT m.*
  FROM metric_facts m
  ANTI JOIN replaced r ON m.session_id IS NULL AND r.agent = m.agent AND r.day = m.day AND r.user IS NOT DISTINCT FROM m.user
),
-- A replaced group's remainder: one row per token type (or cost), at the time
-- of its last point, under the model that contributed most.
remainder AS (
  SELECT
    max(m.time) AS time, m.day, m.agent, m.user, max(m.user_id) AS user_id, max(m.user_email) AS user_email,
    max(m.organization_id) AS organization_id, arg_max(m.model, coalesce(m.tokens, m.cost_usd)) AS model,
    m.token_type, m.token_type IS NULL AS is_cost, sum(coalesce(m.tokens, m.cost_usd)) AS amount, m.source_name
  FROM metric_facts m
  SEMI JOIN replaced r ON m.session_id IS NULL AND r.agent = m.agent AND r.day = m.day AND r.user IS NOT DISTINCT FROM m.user
  GROUP BY m.day, m.agent, m.user, m.token_type, m.source_name
),
remainder_facts AS (
  SELECT m.time, m.day, m.agent, m.user, m.user_id, m.user_email, m.organization_id, m.model, m.token_type,
         m.is_cost, m.amount - coalesce(a.amount, 0) AS amount, m.source_name
  FROM remainder m
  LEFT JOIN attributed a
    ON a.agent = m.agent AND a.day = m.day AND a.user IS NOT DISTINCT FROM m.user AND a.token_type IS NOT DISTINCT FROM m.token_type
)
-- Contributions of one export (Codex input and its cached part) share a time,
-- so grouping gives each row its net, never negative, count. Only the metrics
-- split that way need it; the others pass through as they are.
, facts AS MATERIALIZED (
SELECT
  time, day, agent, user, user_id, user_email, organization_id, session_id, model, token_type,
  CAST(round(sum(tokens)) AS BIGINT) AS tokens,
  sum(cost_usd) AS cost_usd,
  source,
  source_name
FROM metric_kept
WHERE source_name IN ('codex.turn.token_usage', 'gemini_cli.token.usage')
GROUP BY ALL
UNION ALL
SELECT
  time, day, agent, user, user_id, user_email, organization_id, session_id, model, token_type,
  CAST(round(tokens) AS BIGINT), cost_usd, source, source_name
FROM metric_kept
WHERE source_name NOT IN ('codex.turn.token_usage', 'gemini_cli.token.usage')
UNION ALL
-- Cost is compared with a tolerance: sums of the same prices in another order
-- can differ in the last bits.
SELECT
  time, day, agent, user, user_id, user_email, organization_id, CAST(NULL AS VARCHAR), model, token_type,
  if(is_cost, NULL, CAST(round(amount) AS BIGINT)), if(is_cost, amount, NULL), 'metric', source_name
FROM remainder_facts
WHERE (is_cost AND amount > 1e-9) OR (NOT is_cost AND round(amount) > 0)
UNION ALL
SELECT
  time, day, agent, user, user_id, user_email, organization_id, session_id, model, token_type,
  CAST(round(tokens) AS BIGINT), cost_usd, source, source_name
FROM event_facts
),
price_keys AS (
  SELECT DISTINCT model, token_type, day, regexp_replace(lower(model), '\[[^\]]*\]$', '') AS model_key
  FROM facts
  WHERE token_type IS NOT NULL AND model IS NOT NULL
),
price_choice AS (
  SELECT k.model, k.token_type, k.day, p.usd_per_million_tokens
  FROM price_keys k
  JOIN {{prices}} p ON p.token_type = k.token_type AND p.valid_from <= k.day AND k.model_key GLOB p.model_pattern
  QUALIFY row_number() OVER (
    PARTITION BY k.model, k.token_type, k.day
    ORDER BY length(replace(replace(p.model_pattern, '*', ''), '?', '')) DESC, p.valid_from DESC, p.model_pattern
  ) = 1
)
SELECT
  f.time, f.day, f.agent, f."user", f.user_id, f.user_email, f.organization_id, f.session_id, f.model, f.token_type,
  f.tokens, f.cost_usd, f.tokens * c.usd_per_million_tokens / 1e6 AS cost_estimated_usd, f.source, f.source_name
FROM facts f
LEFT JOIN price_choice c ON c.model = f.model AND c.token_type = f.token_type AND c.day = f.day
