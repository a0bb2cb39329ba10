-- budgets: spending limits in USD from system.billing.budgets (otlp2delta budget set).
--
-- scope is user, team or all; subject the user or team ('*' for all); period
-- daily or monthly (UTC calendar day or month).
SELECT scope, subject, period, usd, updated_at
FROM {{budgets}}
