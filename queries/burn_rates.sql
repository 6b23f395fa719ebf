-- Error-budget burn rate per model over the 1 h, 2 h, 6 h, 1 d and 3 d windows ending at
-- $at, with the errors and requests behind each, and the multiwindow alerts: fast and slow
-- burn (page), ticket burn (ticket).
-- Windows end at the start of $at's hour (the last complete hour): the window of length w
-- holds the metrics_hourly rows whose hour is in [floor_hour($at) - w, floor_hour($at)).
-- Short windows: metrics are hourly, so the 5 min (fast) and 30 min (slow) short windows
-- are approximated by the last complete hour, the finest grain the data has. Hence
--   fast_burn = burn_rate_1h > 14.4 (the 1 h window is also the short window);
--   slow_burn = burn_rate_6h > 6 AND burn_rate_1h > 6.
-- The ticket alert's short windows (2 h for 1 d, 6 h for 3 d) are whole hours, so exact:
--   ticket_burn = (burn_rate_1d > 3 AND burn_rate_2h > 3)
--              OR (burn_rate_3d > 1 AND burn_rate_6h > 1).
-- Burn rate is empty when the window has no requests; an alert needs requests in both
-- windows (no traffic, no alert).
-- One row per scoped model that is not retired at $at or served requests in the 3 days.
-- Parameters: $at (TIMESTAMP), $business_units, $teams, $models.
-- METRICS.md: Serving — burn rate; fast-burn / slow-burn / ticket-burn alerts (multiwindow
--   multi-burn-rate).
WITH bounds AS (
    SELECT date_trunc('hour', CAST($at AS TIMESTAMP)) AS window_end
), scope AS (
    SELECT * FROM scoped_models($business_units, $teams, $models)
), windows AS (
    SELECT h.model_id,
           sum(h.requests) FILTER (WHERE h.hour >= b.window_end - INTERVAL 1 HOUR) AS requests_1h,
           sum(h.errors)   FILTER (WHERE h.hour >= b.window_end - INTERVAL 1 HOUR) AS errors_1h,
           sum(h.requests) FILTER (WHERE h.hour >= b.window_end - INTERVAL 2 HOUR) AS requests_2h,
           sum(h.errors)   FILTER (WHERE h.hour >= b.window_end - INTERVAL 2 HOUR) AS errors_2h,
           sum(h.requests) FILTER (WHERE h.hour >= b.window_end - INTERVAL 6 HOUR) AS requests_6h,
           sum(h.errors)   FILTER (WHERE h.hour >= b.window_end - INTERVAL 6 HOUR) AS errors_6h,
           sum(h.requests) FILTER (WHERE h.hour >= b.window_end - INTERVAL 1 DAY) AS requests_1d,
           sum(h.errors)   FILTER (WHERE h.hour >= b.window_end - INTERVAL 1 DAY) AS errors_1d,
           sum(h.requests) AS requests_3d,
           sum(h.errors)   AS errors_3d
    FROM metrics_hourly h, bounds b
    WHERE h.hour >= b.window_end - INTERVAL 3 DAY AND h.hour < b.window_end
      AND h.model_id IN (SELECT model_id FROM scope)
    GROUP BY h.model_id
), rates AS (
    SELECT s.model_id, s.name AS model, s.team_id, s.team, s.business_unit_id,
           s.business_unit, s.slo_availability, b.window_end,
           CAST(coalesce(w.requests_1h, 0) AS BIGINT) AS requests_1h,
           CAST(coalesce(w.errors_1h, 0) AS BIGINT) AS errors_1h,
           CAST(coalesce(w.requests_2h, 0) AS BIGINT) AS requests_2h,
           CAST(coalesce(w.errors_2h, 0) AS BIGINT) AS errors_2h,
           CAST(coalesce(w.requests_6h, 0) AS BIGINT) AS requests_6h,
           CAST(coalesce(w.errors_6h, 0) AS BIGINT) AS errors_6h,
           CAST(coalesce(w.requests_1d, 0) AS BIGINT) AS requests_1d,
           CAST(coalesce(w.errors_1d, 0) AS BIGINT) AS errors_1d,
           CAST(coalesce(w.requests_3d, 0) AS BIGINT) AS requests_3d,
           CAST(coalesce(w.errors_3d, 0) AS BIGINT) AS errors_3d,
           kpi_error_budget_consumed(w.errors_1h, allowed_errors(s.slo_availability, w.requests_1h))
               AS burn_rate_1h,
           kpi_error_budget_consumed(w.errors_2h, allowed_errors(s.slo_availability, w.requests_2h))
               AS burn_rate_2h,
           kpi_error_budget_consumed(w.errors_6h, allowed_errors(s.slo_availability, w.requests_6h))
               AS burn_rate_6h,
           kpi_error_budget_consumed(w.errors_1d, allowed_errors(s.slo_availability, w.requests_1d))
               AS burn_rate_1d,
           kpi_error_budget_consumed(w.errors_3d, allowed_errors(s.slo_availability, w.requests_3d))
               AS burn_rate_3d
    FROM scope s
    CROSS JOIN bounds b
    LEFT JOIN windows w ON w.model_id = s.model_id
    WHERE w.model_id IS NOT NULL
       OR (s.created_at < b.window_end
           AND s.lifecycle_stage <> 'retired'
           AND (s.retired_at IS NULL OR s.retired_at >= b.window_end))
)
SELECT model_id, model, team_id, team, business_unit_id, business_unit, slo_availability,
       window_end,
       requests_1h, errors_1h, burn_rate_1h,
       requests_2h, errors_2h, burn_rate_2h,
       requests_6h, errors_6h, burn_rate_6h,
       requests_1d, errors_1d, burn_rate_1d,
       requests_3d, errors_3d, burn_rate_3d,
       coalesce(burn_rate_1h > 14.4, false) AS fast_burn,
       coalesce(burn_rate_6h > 6 AND burn_rate_1h > 6, false) AS slow_burn,
       coalesce((burn_rate_1d > 3 AND burn_rate_2h > 3) OR (burn_rate_3d > 1 AND burn_rate_6h > 1),
                false) AS ticket_burn
FROM rates
ORDER BY fast_burn DESC, slow_burn DESC, ticket_burn DESC, burn_rate_1h DESC NULLS LAST,
         model, model_id
