-- Cost and value per group over the window: cost, requests, cost per 1k requests,
-- business value, net value and ROI, each from the group's sums. A model's cost counts
-- wholly to its team and that team's business unit.
-- One row per group with at least one scoped model; cost per 1k is empty when requests
-- = 0, ROI is empty when cost = 0.
-- Parameters: $start, $end (UTC: cost and value of the days costs_in / value_in take,
--   requests from daily_serving), $business_units, $teams, $models,
--   $group_by ('model' | 'team' | 'business_unit' | 'all').
-- METRICS.md: Cost and value — cost, cost per 1k requests, business value, net value, ROI,
--   showback.
WITH g AS (
    SELECT * FROM grouped_models($business_units, $teams, $models, $group_by)
), cost AS (
    SELECT model_id, sum(cost_usd) AS cost_usd
    FROM costs_in($start, $end)
    GROUP BY model_id
), value AS (
    SELECT model_id, sum(business_value_usd) AS business_value_usd
    FROM value_in($start, $end)
    GROUP BY model_id
), traffic AS (
    SELECT model_id, CAST(sum(requests) AS BIGINT) AS requests
    FROM daily_serving($start, $end)
    GROUP BY model_id
), per_group AS (
    SELECT g.group_id, g.group_name,
           coalesce(sum(c.cost_usd), 0) AS cost_usd,
           coalesce(CAST(sum(t.requests) AS BIGINT), 0) AS requests,
           coalesce(sum(v.business_value_usd), 0) AS business_value_usd
    FROM g
    LEFT JOIN cost c ON c.model_id = g.model_id
    LEFT JOIN value v ON v.model_id = g.model_id
    LEFT JOIN traffic t ON t.model_id = g.model_id
    GROUP BY g.group_id, g.group_name
)
SELECT group_id, group_name,
       cost_usd::DOUBLE AS cost_usd, requests,
       kpi_cost_per_1k_requests(cost_usd, requests) AS cost_per_1k_requests,
       business_value_usd::DOUBLE AS business_value_usd,
       kpi_net_value_usd(business_value_usd, cost_usd) AS net_value_usd,
       kpi_roi(business_value_usd, cost_usd) AS roi
FROM per_group
ORDER BY group_name, group_id
