-- Serving KPIs per model over the window: requests, errors, availability against the
-- model's SLO, error budget (allowed / consumed / remaining), downtime-equivalent minutes,
-- and latency p50/p95/p99 from the model's merged histogram against its latency SLO.
-- One row per scoped model; a model without requests in the window has requests 0 and
-- empty (NULL) availability, budget, downtime and latency.
-- Parameters: $start, $end (the window [start, end), whole UTC days: read from the
--   metrics_daily rollup), $business_units, $teams, $models (the shared filter).
-- METRICS.md: Serving — requests, errors, availability, availability SLO met, error budget,
--   budget consumed / remaining, latency percentiles, latency SLO met,
--   downtime-equivalent minutes.
WITH per_model AS (
    SELECT s.model_id, s.name AS model, s.team_id, s.team, s.business_unit_id,
           s.business_unit, s.lifecycle_stage, s.risk_tier,
           s.slo_availability, s.slo_latency_p95_ms,
           coalesce(CAST(sum(d.requests) AS BIGINT), 0) AS requests,
           coalesce(CAST(sum(d.errors) AS BIGINT), 0) AS errors,
           sum(d.latency_le_5ms) AS le_5, sum(d.latency_le_10ms) AS le_10,
           sum(d.latency_le_25ms) AS le_25, sum(d.latency_le_50ms) AS le_50,
           sum(d.latency_le_100ms) AS le_100, sum(d.latency_le_250ms) AS le_250,
           sum(d.latency_le_500ms) AS le_500, sum(d.latency_le_1000ms) AS le_1000,
           sum(d.latency_le_2500ms) AS le_2500, sum(d.latency_le_5000ms) AS le_5000,
           sum(d.latency_le_10000ms) AS le_10000
    FROM scoped_models($business_units, $teams, $models) s
    LEFT JOIN metrics_daily d
           ON d.model_id = s.model_id AND d.day >= $start AND d.day < $end
    GROUP BY ALL
), measured AS (
    SELECT *,
           1 - errors / nullif(requests, 0) AS availability,
           (1 - slo_availability) * requests AS error_budget_allowed,
           latency_quantile_ms(0.50, le_5, le_10, le_25, le_50, le_100, le_250, le_500, le_1000,
                                 le_2500, le_5000, le_10000, requests) AS latency_p50_ms,
           latency_quantile_ms(0.95, le_5, le_10, le_25, le_50, le_100, le_250, le_500, le_1000,
                                 le_2500, le_5000, le_10000, requests) AS latency_p95_ms,
           latency_quantile_ms(0.99, le_5, le_10, le_25, le_50, le_100, le_250, le_500, le_1000,
                                 le_2500, le_5000, le_10000, requests) AS latency_p99_ms
    FROM per_model
)
SELECT model_id, model, team_id, team, business_unit_id, business_unit,
       lifecycle_stage, risk_tier,
       requests, errors,
       availability,
       slo_availability,
       availability >= slo_availability AS availability_slo_met,
       error_budget_allowed,
       errors / nullif(error_budget_allowed, 0) AS error_budget_consumed,
       1 - errors / nullif(error_budget_allowed, 0) AS error_budget_remaining,
       errors / nullif(requests, 0) * epoch($end - $start) / 60 AS downtime_minutes,
       latency_p50_ms, latency_p95_ms, latency_p99_ms,
       slo_latency_p95_ms,
       latency_p95_ms <= slo_latency_p95_ms AS latency_slo_met
FROM measured
ORDER BY business_unit, team, model, model_id
