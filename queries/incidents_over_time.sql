-- Incident counts over time by severity and root cause: incidents whose started_at is in
-- the window, bucketed by the period they started in (ISO weeks start on Monday).
-- root_cause is empty (NULL) when the incident names none.
-- Parameters: $start, $end, $business_units, $teams, $models,
--   $period ('day' | 'week' | 'month').
-- METRICS.md: Incidents — an incident belongs to the window in which it started.
SELECT CAST(date_trunc($period, i.started_at) AS DATE) AS period_start,
       i.severity,
       i.root_cause,
       count(*) AS incidents
FROM incidents i
JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = i.model_id
WHERE i.started_at >= $start AND i.started_at < $end
GROUP BY ALL
ORDER BY period_start, severity, root_cause NULLS LAST
