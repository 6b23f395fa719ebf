-- Drift alerts by model and feature: the drift results measured in the window, how many
-- were alerts (score > threshold), the highest score, and the latest result. Only
-- model/feature pairs with at least one alert are listed, most alerts first.
-- Parameters: $start, $end, $business_units, $teams, $models, $limit (at most this many
--   rows, the first in the order above; NULL for all).
-- METRICS.md: Model quality — drift alerts (score > threshold); PSI reference thresholds.
-- Counted per model and feature first, then named: grouping raw rows by names is slower.
WITH s AS (
    SELECT * FROM scoped_models($business_units, $teams, $models)
), per_feature AS (
    SELECT r.model_id, r.feature,
           count(*) AS results,
           count(*) FILTER (WHERE r.score > r.threshold) AS alerts,
           max(r.score) AS max_score,
           arg_max(r.method, r.measured_at) AS latest_method,
           arg_max(r.score, r.measured_at) AS latest_score,
           arg_max(r.threshold, r.measured_at) AS latest_threshold,
           min(r.measured_at) FILTER (WHERE r.score > r.threshold) AS first_alert_at,
           max(r.measured_at) FILTER (WHERE r.score > r.threshold) AS last_alert_at
    FROM drift r
    WHERE r.measured_at >= $start AND r.measured_at < $end
      AND r.model_id IN (SELECT model_id FROM s)
    GROUP BY r.model_id, r.feature
    HAVING count(*) FILTER (WHERE r.score > r.threshold) > 0
)
SELECT p.model_id, s.name AS model, s.team_id, s.team, s.business_unit_id, s.business_unit,
       p.feature, p.results, p.alerts, p.max_score, p.latest_method, p.latest_score,
       p.latest_threshold, p.first_alert_at, p.last_alert_at
FROM per_feature p
JOIN s ON s.model_id = p.model_id
ORDER BY p.alerts DESC, p.last_alert_at DESC, model, p.model_id, p.feature
LIMIT $limit
