-- The end of the latest complete hour of serving metrics in scope: max(hour) + 1 hour (an
-- hourly row covers [hour, hour + 1 h)). "Now" for the burn rates whatever the period: a
-- preset ends at today's midnight, which is up to ~23 hours before the newest data.
-- NULL when the scope has no serving metrics at all.
-- Parameters: $business_units, $teams, $models.
-- METRICS.md: Serving — burn rate.
SELECT max(h.hour) + INTERVAL 1 HOUR AS serving_through
FROM metrics_hourly h
JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = h.model_id
