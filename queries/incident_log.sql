-- The incidents that started in the window, newest first, with their model, team and
-- business unit, the time to detect / acknowledge / resolve each (minutes; empty while
-- the step has not happened), the deployment named as the cause and the postmortem link.
-- Parameters: $start, $end, $business_units, $teams, $models, $limit (at most this many
--   rows, the first in the order above; NULL for all).
-- METRICS.md: Incidents — an incident belongs to the window in which it started.
SELECT i.incident_id, i.model_id, s.name AS model, s.team_id, s.team,
       s.business_unit_id, s.business_unit,
       i.severity, i.title, i.root_cause, i.deployment_id,
       i.started_at, i.detected_at, i.acknowledged_at, i.resolved_at,
       i.resolved_at IS NULL AS open,
       epoch(i.detected_at - i.started_at) / 60 AS time_to_detect_minutes,
       epoch(i.acknowledged_at - i.detected_at) / 60 AS time_to_acknowledge_minutes,
       epoch(i.resolved_at - i.started_at) / 60 AS time_to_resolve_minutes,
       i.postmortem_url
FROM incidents i
JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = i.model_id
WHERE i.started_at >= $start AND i.started_at < $end
ORDER BY i.started_at DESC, i.incident_id
LIMIT $limit
