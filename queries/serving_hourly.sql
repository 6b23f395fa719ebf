-- Serving series per hour and group, for the model-detail page and short windows:
-- requests, errors, availability, error budget consumed (group rule) and latency
-- p50/p95/p99 from each hour's merged histogram. Hours without metrics rows are absent.
-- Parameters: $start, $end (UTC; metrics_hourly rows whose hour is in [start, end)),
--   $business_units, $teams, $models, $group_by ('model' | 'team' | 'business_unit' | 'all').
-- METRICS.md: Aggregation rule; Serving — availability, error budget, latency percentiles.
WITH per_hour AS (
    SELECT h.hour, g.group_id, g.group_name,
           CAST(sum(h.requests) AS BIGINT) AS requests,
           CAST(sum(h.errors) AS BIGINT) AS errors,
           sum((1 - g.slo_availability) * h.requests) AS error_budget_allowed,
           sum(h.latency_le_5ms) AS le_5, sum(h.latency_le_10ms) AS le_10,
           sum(h.latency_le_25ms) AS le_25, sum(h.latency_le_50ms) AS le_50,
           sum(h.latency_le_100ms) AS le_100, sum(h.latency_le_250ms) AS le_250,
           sum(h.latency_le_500ms) AS le_500, sum(h.latency_le_1000ms) AS le_1000,
           sum(h.latency_le_2500ms) AS le_2500, sum(h.latency_le_5000ms) AS le_5000,
           sum(h.latency_le_10000ms) AS le_10000
    FROM metrics_hourly h
    JOIN grouped_models($business_units, $teams, $models, $group_by) g
      ON g.model_id = h.model_id
    WHERE h.hour >= $start AND h.hour < $end
    GROUP BY h.hour, g.group_id, g.group_name
)
SELECT hour, group_id, group_name,
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
FROM per_hour
ORDER BY hour, group_name, group_id
