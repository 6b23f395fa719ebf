-- On-call interruptions per responder in the window (paged_at in [start, end)), for the
-- week in review's on-call section: pages for incidents on scoped models, per (team paged,
-- responder), with the local hour in the team's time zone (UTC when unset).
-- out_of_hours_pages: before 08:00 or from 18:00 on (team_load.sql's rule);
-- sleep_hour_pages: from 22:00 to 08:00 (PagerDuty's "sleep hour interruptions").
-- Whether a responder is overloaded is kpi.ONCALL_LIMITS (METRICS.md, "On-call load in the
-- week"). Most sleep-hour pages first.
-- Parameters: $start, $end, $business_units, $teams, $models.
-- METRICS.md: Week in review — on-call load.
WITH s AS (
    SELECT * FROM scoped_models($business_units, $teams, $models)
), pages AS (
    SELECT p.team_id, t.name AS team, p.responder, i.severity,
           hour(timezone(coalesce(t.time_zone, 'UTC'), p.paged_at::TIMESTAMPTZ)) AS local_hour
    FROM oncall_pages p
    JOIN incidents i ON i.incident_id = p.incident_id
    JOIN s ON s.model_id = i.model_id
    JOIN teams t ON t.team_id = p.team_id
    WHERE p.paged_at >= $start AND p.paged_at < $end
)
SELECT team_id, team, responder,
       count(*) AS pages,
       count(*) FILTER (WHERE out_of_hours(local_hour)) AS out_of_hours_pages,
       count(*) FILTER (WHERE local_hour < 8 OR local_hour >= 22) AS sleep_hour_pages,
       count(*) FILTER (WHERE severity <= 2) AS sev1_sev2_pages
FROM pages
GROUP BY team_id, team, responder
ORDER BY sleep_hour_pages DESC, pages DESC, team, responder
