-- The end of the latest complete hour of serving metrics in scope: max(hour) + 1 hour (an
-- hourly row covers [hour, hour + 1 h)). "Now" for the burn rates whatever the period: a
-- preset ends at today's midnight, which is up to ~23 hours before the newest data.
-- NULL when the scope has no serving metrics at all.
-- The latest day comes from the daily rollup metrics_daily (a row per model and day with
-- hourly rows, kept by ingest: METRICS.md, "Serving"), so that only that day's hourly rows
-- are read: at 10,000 models a scan of every hour took 0.26-0.8 s per filter, this 23-36 ms.
-- Parameters: $business_units, $teams, $models.
-- METRICS.md: Serving — burn rate.
SELECT max(h.hour) + INTERVAL 1 HOUR AS serving_through
FROM metrics_hourly h
JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = h.model_id
WHERE h.hour >= (SELECT CAST(max(d.day) AS TIMESTAMP)
                 FROM metrics_daily d
                 JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = d.model_id)
