-- Incident KPIs per group: counts of incidents started in the window (all, by severity),
-- MTTD and MTTA over those incidents that have the timestamps, MTTR over incidents
-- resolved in the window, and the incidents still open at the window's end. Each mean
-- comes with the number of incidents behind it. Durations in minutes; a mean is empty
-- when no incident qualifies.
-- One row per group with at least one scoped model.
-- Parameters: $start, $end, $business_units, $teams, $models,
--   $group_by ('model' | 'team' | 'business_unit' | 'all').
-- METRICS.md: Incidents — counts by started_at; MTTD = mean(detected_at - started_at);
--   MTTA = mean(acknowledged_at - detected_at); MTTR = mean(resolved_at - started_at) over
--   incidents resolved in the window (open incidents never get a made-up time);
--   open incidents = started before the moment and not resolved before it.
WITH g AS (
    SELECT * FROM grouped_models($business_units, $teams, $models, $group_by)
), per_group AS (
    SELECT g.group_id, g.group_name,
           count(i.incident_id) FILTER (WHERE i.started_at >= $start AND i.started_at < $end)
               AS incidents,
           count(i.incident_id) FILTER (WHERE i.started_at >= $start AND i.started_at < $end
                                          AND i.severity = 1) AS sev1_incidents,
           count(i.incident_id) FILTER (WHERE i.started_at >= $start AND i.started_at < $end
                                          AND i.severity = 2) AS sev2_incidents,
           count(i.incident_id) FILTER (WHERE i.started_at >= $start AND i.started_at < $end
                                          AND i.severity = 3) AS sev3_incidents,
           count(i.incident_id) FILTER (WHERE i.started_at >= $start AND i.started_at < $end
                                          AND i.severity = 4) AS sev4_incidents,
           count(i.incident_id) FILTER (WHERE i.started_at >= $start AND i.started_at < $end
                                          AND i.severity <= 2) AS sev1_sev2_incidents,
           count(i.detected_at) FILTER (WHERE i.started_at >= $start AND i.started_at < $end)
               AS detected_incidents,
           avg(epoch(i.detected_at - i.started_at) / 60)
               FILTER (WHERE i.started_at >= $start AND i.started_at < $end) AS mttd_minutes,
           count(i.incident_id) FILTER (WHERE i.started_at >= $start AND i.started_at < $end
                                          AND i.detected_at IS NOT NULL
                                          AND i.acknowledged_at IS NOT NULL)
               AS acknowledged_incidents,
           avg(epoch(i.acknowledged_at - i.detected_at) / 60)
               FILTER (WHERE i.started_at >= $start AND i.started_at < $end) AS mtta_minutes,
           count(i.incident_id) FILTER (WHERE i.resolved_at >= $start AND i.resolved_at < $end)
               AS resolved_incidents,
           avg(epoch(i.resolved_at - i.started_at) / 60)
               FILTER (WHERE i.resolved_at >= $start AND i.resolved_at < $end) AS mttr_minutes,
           count(i.incident_id) FILTER (WHERE i.started_at < $end
                                          AND (i.resolved_at IS NULL OR i.resolved_at >= $end))
               AS open_at_end
    FROM g
    LEFT JOIN incidents i
           ON i.model_id = g.model_id
          AND i.started_at < $end
          AND (i.started_at >= $start OR i.resolved_at IS NULL OR i.resolved_at >= $start)
    GROUP BY g.group_id, g.group_name
)
SELECT * FROM per_group
ORDER BY group_name, group_id
