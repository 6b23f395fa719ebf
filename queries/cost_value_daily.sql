-- Cost and value series per day and group, for charts: cost, business value, net value,
-- requests and cost per 1k requests from each day's sums. A day appears when the group
-- has a cost, value or metrics row on it.
-- Parameters: $start, $end (whole UTC days), $business_units, $teams, $models,
--   $group_by ('model' | 'team' | 'business_unit' | 'all').
-- METRICS.md: Cost and value — cost, cost per 1k requests, business value, net value.
WITH g AS (
    SELECT * FROM grouped_models($business_units, $teams, $models, $group_by)
), daily AS (
    SELECT model_id, day, amount_usd::DECIMAL(38, 9) AS cost_usd,
           0::DECIMAL(38, 9) AS business_value_usd, 0 AS requests
    FROM costs_daily WHERE day >= $start::DATE AND day < $end::DATE
    UNION ALL
    SELECT model_id, day, 0::DECIMAL(38, 9), value_usd::DECIMAL(38, 9), 0
    FROM business_value_daily WHERE day >= $start::DATE AND day < $end::DATE
    UNION ALL
    SELECT model_id, day, 0::DECIMAL(38, 9), 0::DECIMAL(38, 9), requests
    FROM daily_serving($start, $end)
), per_day AS (
    SELECT d.day, g.group_id, g.group_name,
           sum(d.cost_usd) AS cost_usd,
           sum(d.business_value_usd) AS business_value_usd,
           CAST(sum(d.requests) AS BIGINT) AS requests
    FROM daily d
    JOIN g ON g.model_id = d.model_id
    GROUP BY d.day, g.group_id, g.group_name
)
SELECT day, group_id, group_name,
       cost_usd::DOUBLE AS cost_usd, business_value_usd::DOUBLE AS business_value_usd,
       kpi_net_value_usd(business_value_usd, cost_usd) AS net_value_usd,
       requests,
       kpi_cost_per_1k_requests(cost_usd, requests) AS cost_per_1k_requests
FROM per_day
ORDER BY day, group_name, group_id
