-- The incidents open at the moment $at (started before it, not resolved before it), most
-- severe and oldest first, with their age in minutes at $at. Detection and
-- acknowledgement later than $at are shown as not yet happened (empty), so the list is
-- what an on-call engineer would have seen at $at.
-- Parameters: $at (TIMESTAMP), $business_units, $teams, $models.
-- METRICS.md: Incidents — open incidents at a moment; open incidents are counted and
--   listed, never given a made-up resolution time.
SELECT i.incident_id, i.model_id, s.name AS model, s.team_id, s.team,
       s.business_unit_id, s.business_unit,
       i.severity, i.title, i.root_cause, i.deployment_id,
       i.started_at,
       CASE WHEN i.detected_at <= $at THEN i.detected_at END AS detected_at,
       CASE WHEN i.acknowledged_at <= $at THEN i.acknowledged_at END AS acknowledged_at,
       epoch(CAST($at AS TIMESTAMP) - i.started_at) / 60 AS age_minutes,
       i.postmortem_url
FROM incidents i
JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = i.model_id
WHERE i.started_at < $at
  AND (i.resolved_at IS NULL OR i.resolved_at >= $at)
ORDER BY i.severity, i.started_at, i.incident_id
