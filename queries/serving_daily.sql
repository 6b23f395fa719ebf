-- Serving series per day and group, for trend charts: requests, errors, availability,
-- error budget consumed (group rule) and latency p50/p95/p99 from each day's merged
-- histogram. Days without metrics rows are absent (the chart leaves a gap).
-- Parameters: $start, $end (UTC; daily_serving: whole days from metrics_daily, part days by the hour), $business_units, $teams,
--   $models, $group_by ('model' | 'team' | 'business_unit' | 'all').
-- METRICS.md: Aggregation rule; Serving — availability, error budget, latency percentiles.
WITH per_day AS (
    SELECT d.day, g.group_id, g.group_name,
           CAST(sum(d.requests) AS BIGINT) AS requests,
           CAST(sum(d.errors) AS BIGINT) AS errors,
           sum(allowed_errors(g.slo_availability, d.requests)) AS allowed_errors,
           histogram_sum(d.h) AS h
    FROM daily_serving($start, $end) d
    JOIN grouped_models($business_units, $teams, $models, $group_by) g
      ON g.model_id = d.model_id
    GROUP BY d.day, g.group_id, g.group_name
)
SELECT day, group_id, group_name,
       requests, errors,
       kpi_availability(requests, errors) AS availability,
       allowed_errors::DOUBLE AS error_budget_allowed,
       kpi_error_budget_consumed(errors, allowed_errors) AS error_budget_consumed,
       latency_ms(0.50, h) AS latency_p50_ms,
       latency_ms(0.95, h) AS latency_p95_ms,
       latency_ms(0.99, h) AS latency_p99_ms
FROM per_day
ORDER BY day, group_name, group_id
