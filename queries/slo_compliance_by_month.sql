-- Month-by-month SLO compliance per model: for each calendar month (clipped to the
-- window), the model's availability and p95 from that month's summed counts and merged
-- histogram, against its SLOs, and the error budget consumed in the month.
-- One row per model and month in which the model has metrics rows; ratios are empty
-- (and "met" is empty) for a month with no requests.
-- Parameters: $start, $end (UTC; daily_serving: whole days from metrics_daily, part days by the hour), $business_units, $teams, $models.
-- METRICS.md: Serving — availability, availability SLO met, budget consumed, latency
--   percentiles, latency SLO met.
WITH per_month AS (
    SELECT s.model_id, s.name AS model, s.team_id, s.team, s.business_unit_id,
           s.business_unit, s.slo_availability, s.slo_latency_p95_ms,
           CAST(date_trunc('month', d.day) AS DATE) AS month,
           count(*) AS days,
           CAST(sum(d.requests) AS BIGINT) AS requests,
           CAST(sum(d.errors) AS BIGINT) AS errors,
           histogram_sum(d.h) AS h
    FROM daily_serving($start, $end) d
    JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = d.model_id
    GROUP BY ALL
), measured AS (
    SELECT *,
           kpi_availability(requests, errors) AS availability,
           latency_ms(0.95, h) AS latency_p95_ms
    FROM per_month
)
SELECT model_id, model, team_id, team, business_unit_id, business_unit, month, days,
       requests, errors,
       availability, slo_availability,
       availability >= slo_availability AS availability_slo_met,
       kpi_error_budget_consumed(errors, allowed_errors(slo_availability, requests))
           AS error_budget_consumed,
       latency_p95_ms, slo_latency_p95_ms,
       latency_p95_ms <= slo_latency_p95_ms AS latency_slo_met
FROM measured
ORDER BY business_unit, team, model, model_id, month
