-- On-call load per responder: the pages of the window (paged_at in [start, end)) for
-- incidents on scoped models, per (team paged, responder). Same rules as team_load.sql:
-- out of hours = before 08:00 or from 18:00 on in the team's time zone (UTC when unset);
-- oncall_weeks = distinct ISO weeks (of paged_at, UTC) in which the responder was paged;
-- pages_per_oncall_week = pages / oncall_weeks. Busiest first.
-- Parameters: $start, $end, $business_units, $teams, $models.
-- METRICS.md: Team load — per responder.
WITH s AS (
    SELECT * FROM scoped_models($business_units, $teams, $models)
), pages AS (
    SELECT p.team_id, t.name AS team, coalesce(t.time_zone, 'UTC') AS time_zone,
           p.responder, p.paged_at, p.acknowledged_at, i.severity,
           hour(timezone(coalesce(t.time_zone, 'UTC'), p.paged_at::TIMESTAMPTZ)) AS local_hour
    FROM oncall_pages p
    JOIN incidents i ON i.incident_id = p.incident_id
    JOIN s ON s.model_id = i.model_id
    JOIN teams t ON t.team_id = p.team_id
    WHERE p.paged_at >= $start AND p.paged_at < $end
)
SELECT team_id, team, time_zone, responder,
       count(*) AS pages,
       count(*) FILTER (WHERE out_of_hours(local_hour)) AS out_of_hours_pages,
       count(*) FILTER (WHERE out_of_hours(local_hour)) / count(*) AS out_of_hours_share,
       count(*) FILTER (WHERE severity <= 2) AS sev1_sev2_pages,
       count(acknowledged_at) AS acknowledged_pages,
       median(epoch(acknowledged_at - paged_at) / 60) AS median_minutes_to_acknowledge,
       count(DISTINCT date_trunc('week', paged_at)) AS oncall_weeks,
       count(*) / count(DISTINCT date_trunc('week', paged_at)) AS pages_per_oncall_week
FROM pages
GROUP BY team_id, team, time_zone, responder
ORDER BY pages DESC, team, responder
