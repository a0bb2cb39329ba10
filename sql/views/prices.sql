-- prices: the price list cost_estimated_usd is computed with, in USD per million tokens.
--
-- system.billing.prices when the warehouse has one (otlp2delta prices import),
-- else the list shipped in prices/default-prices.csv. One row per model
-- pattern, token type and valid_from date; a price holds from its valid_from
-- until the next valid_from of the same pattern and token type.
SELECT model_pattern, token_type, usd_per_million_tokens, valid_from, source, retrieved
FROM {{prices}}
