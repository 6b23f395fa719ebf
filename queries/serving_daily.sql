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
           histogram_sum(d.h) AS h
    FROM daily_serving($start, $end) d
    JOIN grouped_models($business_units, $teams, $models, $group_by) g
      ON g.model_id = d.model_id
    GROUP BY d.day, g.group_id, g.group_name
)
SELECT day, group_id, group_name,
       requests, errors,
       1 - errors / nullif(requests, 0) AS availability,
       error_budget_allowed,
       errors / nullif(error_budget_allowed, 0) AS error_budget_consumed,
       latency_ms(0.50, h) AS latency_p50_ms,
       latency_ms(0.95, h) AS latency_p95_ms,
       latency_ms(0.99, h) AS latency_p99_ms
FROM per_day
ORDER BY day, group_name, group_id
