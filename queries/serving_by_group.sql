-- Serving KPIs per group of models (team, business unit, all; 'model' gives one group per
-- model) over the window, aggregated by METRICS.md's rule: sums of requests, errors and
-- histogram buckets first, ratios and percentiles from the sums. Also how many of the
-- group's models met their own SLOs (a group has no single SLO target).
-- One row per group with at least one scoped model; empty ratios when requests = 0.
-- Parameters: $start, $end (whole UTC days, metrics_daily), $business_units, $teams,
--   $models, $group_by ('model' | 'team' | 'business_unit' | 'all').
-- METRICS.md: Aggregation rule; Serving — availability, error budget for a group
--   (allowed = sum((1 - slo_i) * requests_i), consumed = sum(errors) / allowed),
--   latency percentiles, downtime-equivalent minutes.
WITH per_model AS (
    SELECT g.group_id, g.group_name, g.model_id,
           g.slo_availability, g.slo_latency_p95_ms,
           coalesce(CAST(sum(d.requests) AS BIGINT), 0) AS requests,
           coalesce(CAST(sum(d.errors) AS BIGINT), 0) AS errors,
           sum(d.latency_le_5ms) AS le_5, sum(d.latency_le_10ms) AS le_10,
           sum(d.latency_le_25ms) AS le_25, sum(d.latency_le_50ms) AS le_50,
           sum(d.latency_le_100ms) AS le_100, sum(d.latency_le_250ms) AS le_250,
           sum(d.latency_le_500ms) AS le_500, sum(d.latency_le_1000ms) AS le_1000,
           sum(d.latency_le_2500ms) AS le_2500, sum(d.latency_le_5000ms) AS le_5000,
           sum(d.latency_le_10000ms) AS le_10000
    FROM grouped_models($business_units, $teams, $models, $group_by) g
    LEFT JOIN metrics_daily d
           ON d.model_id = g.model_id AND d.day >= $start AND d.day < $end
    GROUP BY ALL
), per_model_measured AS (
    SELECT *,
           1 - errors / nullif(requests, 0) >= slo_availability AS availability_slo_met,
           latency_quantile_ms(0.95, le_5, le_10, le_25, le_50, le_100, le_250, le_500, le_1000,
                                 le_2500, le_5000, le_10000, requests)
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
           sum((1 - slo_availability) * requests) AS error_budget_allowed,
           sum(le_5) AS le_5, sum(le_10) AS le_10, sum(le_25) AS le_25, sum(le_50) AS le_50,
           sum(le_100) AS le_100, sum(le_250) AS le_250, sum(le_500) AS le_500,
           sum(le_1000) AS le_1000, sum(le_2500) AS le_2500, sum(le_5000) AS le_5000,
           sum(le_10000) AS le_10000
    FROM per_model_measured
    GROUP BY group_id, group_name
)
SELECT group_id, group_name,
       models, models_with_requests,
       requests, errors,
       1 - errors / nullif(requests, 0) AS availability,
       models_availability_slo_met,
       error_budget_allowed,
       errors / nullif(error_budget_allowed, 0) AS error_budget_consumed,
       1 - errors / nullif(error_budget_allowed, 0) AS error_budget_remaining,
       errors / nullif(requests, 0) * epoch($end - $start) / 60 AS downtime_minutes,
       latency_quantile_ms(0.50, le_5, le_10, le_25, le_50, le_100, le_250, le_500, le_1000,
                             le_2500, le_5000, le_10000, requests) AS latency_p50_ms,
       latency_quantile_ms(0.95, le_5, le_10, le_25, le_50, le_100, le_250, le_500, le_1000,
                             le_2500, le_5000, le_10000, requests) AS latency_p95_ms,
       latency_quantile_ms(0.99, le_5, le_10, le_25, le_50, le_100, le_250, le_500, le_1000,
                             le_2500, le_5000, le_10000, requests) AS latency_p99_ms,
       models_latency_slo_met
FROM per_group
ORDER BY group_name, group_id
