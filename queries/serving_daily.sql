-- Serving series per day and group, for trend charts: requests, errors, availability,
-- error budget consumed (group rule) and latency p50/p95/p99 from each day's merged
-- histogram. Days without metrics rows are absent (the chart leaves a gap).
-- Parameters: $start, $end (whole UTC days, metrics_daily), $business_units, $teams,
--   $models, $group_by ('model' | 'team' | 'business_unit' | 'all').
-- METRICS.md: Aggregation rule; Serving — availability, error budget, latency percentiles.
WITH per_day AS (
    SELECT d.day, g.group_id, g.group_name,
           CAST(sum(d.requests) AS BIGINT) AS requests,
           CAST(sum(d.errors) AS BIGINT) AS errors,
           sum((1 - g.slo_availability) * d.requests) AS error_budget_allowed,
           sum(d.latency_le_5ms) AS le_5, sum(d.latency_le_10ms) AS le_10,
           sum(d.latency_le_25ms) AS le_25, sum(d.latency_le_50ms) AS le_50,
           sum(d.latency_le_100ms) AS le_100, sum(d.latency_le_250ms) AS le_250,
           sum(d.latency_le_500ms) AS le_500, sum(d.latency_le_1000ms) AS le_1000,
           sum(d.latency_le_2500ms) AS le_2500, sum(d.latency_le_5000ms) AS le_5000,
           sum(d.latency_le_10000ms) AS le_10000
    FROM metrics_daily d
    JOIN grouped_models($business_units, $teams, $models, $group_by) g
      ON g.model_id = d.model_id
    WHERE d.day >= $start AND d.day < $end
    GROUP BY d.day, g.group_id, g.group_name
)
SELECT day, group_id, group_name,
       requests, errors,
       1 - errors / nullif(requests, 0) AS availability,
       error_budget_allowed,
       errors / nullif(error_budget_allowed, 0) AS error_budget_consumed,
       latency_quantile_ms(0.50, le_5, le_10, le_25, le_50, le_100, le_250, le_500, le_1000,
                             le_2500, le_5000, le_10000, requests) AS latency_p50_ms,
       latency_quantile_ms(0.95, le_5, le_10, le_25, le_50, le_100, le_250, le_500, le_1000,
                             le_2500, le_5000, le_10000, requests) AS latency_p95_ms,
       latency_quantile_ms(0.99, le_5, le_10, le_25, le_50, le_100, le_250, le_500, le_1000,
                             le_2500, le_5000, le_10000, requests) AS latency_p99_ms
FROM per_day
ORDER BY day, group_name, group_id
