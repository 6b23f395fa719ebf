-- Serving KPIs per model over the window: requests, errors, availability against the
-- model's SLO, error budget (allowed / consumed / remaining), downtime-equivalent minutes,
-- and latency p50/p95/p99 from the model's merged histogram against its latency SLO.
-- One row per scoped model; a model without requests in the window has requests 0 and
-- empty (NULL) availability, budget, downtime and latency.
-- Parameters: $start, $end (the window [start, end), UTC; whole days read from the
--   metrics_daily rollup, part days from metrics_hourly: daily_serving), $business_units, $teams, $models (the shared filter).
-- METRICS.md: Serving — requests, errors, availability, availability SLO met, error budget,
--   budget consumed / remaining, latency percentiles, latency SLO met,
--   downtime-equivalent minutes.
WITH per_model AS (
    SELECT s.model_id, s.name AS model, s.team_id, s.team, s.business_unit_id,
           s.business_unit, s.lifecycle_stage, s.risk_tier,
           s.slo_availability, s.slo_latency_p95_ms,
           coalesce(CAST(sum(d.requests) AS BIGINT), 0) AS requests,
           coalesce(CAST(sum(d.errors) AS BIGINT), 0) AS errors,
           histogram_sum(d.h) AS h
    FROM scoped_models($business_units, $teams, $models) s
    LEFT JOIN daily_serving($start, $end) d ON d.model_id = s.model_id
    GROUP BY ALL
), measured AS (
    SELECT *,
           kpi_availability(requests, errors) AS availability,
           allowed_errors(slo_availability, requests) AS allowed_errors,
           latency_ms(0.50, h) AS latency_p50_ms,
           latency_ms(0.95, h) AS latency_p95_ms,
           latency_ms(0.99, h) AS latency_p99_ms
    FROM per_model
)
SELECT model_id, model, team_id, team, business_unit_id, business_unit,
       lifecycle_stage, risk_tier,
       requests, errors,
       availability,
       slo_availability,
       availability >= slo_availability AS availability_slo_met,
       allowed_errors::DOUBLE AS error_budget_allowed,
       kpi_error_budget_consumed(errors, allowed_errors) AS error_budget_consumed,
       kpi_error_budget_remaining(errors, allowed_errors) AS error_budget_remaining,
       kpi_downtime_minutes(requests, errors, epoch($end - $start) / 60) AS downtime_minutes,
       latency_p50_ms, latency_p95_ms, latency_p99_ms,
       slo_latency_p95_ms,
       latency_p95_ms <= slo_latency_p95_ms AS latency_slo_met
FROM measured
ORDER BY business_unit, team, model, model_id
