-- spend: what usage cost, per UTC day, agent, user, session and model, reported where the agent reports it.
--
-- reported_usd is the sum of the cost the agent sent (Claude Code only);
-- estimated_usd the sum of cost_estimated_usd (tokens times the price list).
-- spend_usd is reported_usd where the group has any reported cost, else
-- estimated_usd: Claude Code's tokens and its cost are separate rows of
-- usage_facts, so adding both would count its usage twice. basis says which
-- one spend_usd is ('reported', 'estimated', or 'none' when neither exists).
SELECT
  day, agent, "user", max(user_id) AS user_id, max(user_email) AS user_email, session_id, model,
  CAST(sum(tokens) AS BIGINT) AS tokens,
  sum(cost_usd) AS reported_usd,
  sum(cost_estimated_usd) AS estimated_usd,
  coalesce(sum(cost_usd), sum(cost_estimated_usd)) AS spend_usd,
  CASE WHEN count(cost_usd) > 0 THEN 'reported' WHEN count(cost_estimated_usd) > 0 THEN 'estimated' ELSE 'none' END AS basis
FROM {{usage_facts}}
GROUP BY day, agent, "user", session_id, model
