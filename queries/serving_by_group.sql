-- Serving KPIs per group of models (team, business unit, all; 'model' gives one group per
-- model) over the window, aggregated by METRICS.md's rule: sums of requests, errors and
-- histogram buckets first, ratios and percentiles from the sums. Also how many of the
-- group's models met their own SLOs (a group has no single SLO target).
-- One row per group with at least one scoped model; empty ratios when requests = 0.
-- Parameters: $start, $end (UTC; daily_serving: whole days from metrics_daily, part days by the hour), $business_units, $teams,
--   $models, $group_by ('model' | 'team' | 'business_unit' | 'all').
-- METRICS.md: Aggregation rule; Serving — availability, error budget for a group
--   (allowed = sum((1 - slo_i) * requests_i), consumed = sum(errors) / allowed),
--   latency percentiles, downtime-equivalent minutes.
WITH per_model AS (
    SELECT g.group_id, g.group_name, g.model_id,
           g.slo_availability, g.slo_latency_p95_ms,
           coalesce(CAST(sum(d.requests) AS BIGINT), 0) AS requests,
           coalesce(CAST(sum(d.errors) AS BIGINT), 0) AS errors,
           histogram_sum(d.h) AS h
    FROM grouped_models($business_units, $teams, $models, $group_by) g
    LEFT JOIN daily_serving($start, $end) d ON d.model_id = g.model_id
    GROUP BY ALL
), per_model_measured AS (
    SELECT *,
           kpi_availability(requests, errors) >= slo_availability AS availability_slo_met,
           latency_ms(0.95, h)
               <= slo_latency_p95_ms AS latency_slo_met
    FROM per_model
), per_group AS (
    SELECT group_id, group_name,
           count(*) AS models,
           count(*) FILTER (WHERE requests > 0) AS models_with_requests,
           count(*) FILTER (WHERE availability_slo_met) AS models_availability_slo_met,
           count(*) FILTER (WHERE latency_slo_met) AS models_latency_slo_met,
           CAST(sum(requests) AS BIGINT) AS requests,
           CAST(sum(errors) AS BIGINT) AS errors,
           sum(allowed_errors(slo_availability, requests)) AS allowed_errors,
           histogram_sum(h) AS h
    FROM per_model_measured
    GROUP BY group_id, group_name
)
SELECT group_id, group_name,
       models, models_with_requests,
       requests, errors,
       kpi_availability(requests, errors) AS availability,
       models_availability_slo_met,
       allowed_errors::DOUBLE AS error_budget_allowed,
       kpi_error_budget_consumed(errors, allowed_errors) AS error_budget_consumed,
       kpi_error_budget_remaining(errors, allowed_errors) AS error_budget_remaining,
       kpi_downtime_minutes(requests, errors, epoch($end - $start) / 60) AS downtime_minutes,
       latency_ms(0.50, h) AS latency_p50_ms,
       latency_ms(0.95, h) AS latency_p95_ms,
       latency_ms(0.99, h) AS latency_p99_ms,
       models_latency_slo_met
FROM per_group
ORDER BY group_name, group_id
