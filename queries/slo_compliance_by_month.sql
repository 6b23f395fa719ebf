-- Month-by-month SLO compliance per model: for each calendar month (clipped to the
-- window), the model's availability and p95 from that month's summed counts and merged
-- histogram, against its SLOs, and the error budget consumed in the month.
-- One row per model and month in which the model has metrics rows; ratios are empty
-- (and "met" is empty) for a month with no requests.
-- Parameters: $start, $end (whole UTC days, metrics_daily), $business_units, $teams, $models.
-- METRICS.md: Serving — availability, availability SLO met, budget consumed, latency
--   percentiles, latency SLO met.
WITH per_month AS (
    SELECT s.model_id, s.name AS model, s.team_id, s.team, s.business_unit_id,
           s.business_unit, s.slo_availability, s.slo_latency_p95_ms,
           CAST(date_trunc('month', d.day) AS DATE) AS month,
           count(*) AS days,
           CAST(sum(d.requests) AS BIGINT) AS requests,
           CAST(sum(d.errors) AS BIGINT) AS errors,
           sum(d.latency_le_5ms) AS le_5, sum(d.latency_le_10ms) AS le_10,
           sum(d.latency_le_25ms) AS le_25, sum(d.latency_le_50ms) AS le_50,
           sum(d.latency_le_100ms) AS le_100, sum(d.latency_le_250ms) AS le_250,
           sum(d.latency_le_500ms) AS le_500, sum(d.latency_le_1000ms) AS le_1000,
           sum(d.latency_le_2500ms) AS le_2500, sum(d.latency_le_5000ms) AS le_5000,
           sum(d.latency_le_10000ms) AS le_10000
    FROM metrics_daily d
    JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = d.model_id
    WHERE d.day >= $start AND d.day < $end
    GROUP BY ALL
), measured AS (
    SELECT *,
           1 - errors / nullif(requests, 0) AS availability,
           latency_quantile_ms(0.95, le_5, le_10, le_25, le_50, le_100, le_250, le_500, le_1000,
                                 le_2500, le_5000, le_10000, requests) AS latency_p95_ms
    FROM per_month
)
SELECT model_id, model, team_id, team, business_unit_id, business_unit, month, days,
       requests, errors,
       availability, slo_availability,
       availability >= slo_availability AS availability_slo_met,
       errors / nullif((1 - slo_availability) * requests, 0) AS error_budget_consumed,
       latency_p95_ms, slo_latency_p95_ms,
       latency_p95_ms <= slo_latency_p95_ms AS latency_slo_met
FROM measured
ORDER BY business_unit, team, model, model_id, month
