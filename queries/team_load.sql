-- On-call load per team: the pages of the window (paged_at in [start, end)) for incidents
-- on scoped models, counted against the team that was paged (oncall_pages.team_id).
--   pages                    pages sent to the team's responders
--   out_of_hours_pages       paged before 08:00 or from 18:00 on, in the team's time zone
--                            (teams.time_zone, UTC when unset); weekends are not special
--   sev1_sev2_pages          pages for incidents of severity 1 or 2
--   acknowledged_pages, median_minutes_to_acknowledge   over acknowledged pages
--   responders               distinct responders paged
--   oncall_weeks             distinct (responder, ISO week of paged_at in UTC) pairs: the
--                            weeks in which each responder was paged at least once
--   pages_per_oncall_week    pages / oncall_weeks (empty without pages)
--   incidents                incidents started in the window on the team's scoped models
--   top3_model_incidents     those on the team's three models with the most of them
--   top3_model_share         top3_model_incidents / incidents (empty without incidents)
-- One row per team with at least one scoped model, busiest first.
-- Parameters: $start, $end, $business_units, $teams, $models.
-- METRICS.md: Team load — pages, out-of-hours pages, pages per on-call week, top-3 share.
WITH s AS (
    SELECT * FROM scoped_models($business_units, $teams, $models)
), teams_in_scope AS (
    SELECT DISTINCT s.team_id, s.team, s.business_unit_id, s.business_unit,
           coalesce(t.time_zone, 'UTC') AS time_zone
    FROM s JOIN teams t ON t.team_id = s.team_id
), pages AS (
    SELECT p.team_id, p.responder, p.paged_at, p.acknowledged_at, i.severity,
           hour(timezone(coalesce(t.time_zone, 'UTC'), p.paged_at::TIMESTAMPTZ)) AS local_hour
    FROM oncall_pages p
    JOIN incidents i ON i.incident_id = p.incident_id
    JOIN s ON s.model_id = i.model_id
    JOIN teams t ON t.team_id = p.team_id
    WHERE p.paged_at >= $start AND p.paged_at < $end
), page_counts AS (
    SELECT team_id,
           count(*) AS pages,
           count(*) FILTER (WHERE out_of_hours(local_hour)) AS out_of_hours_pages,
           count(*) FILTER (WHERE severity <= 2) AS sev1_sev2_pages,
           count(acknowledged_at) AS acknowledged_pages,
           median(epoch(acknowledged_at - paged_at) / 60) AS median_minutes_to_acknowledge,
           count(DISTINCT responder) AS responders,
           count(DISTINCT (responder, date_trunc('week', paged_at))) AS oncall_weeks
    FROM pages
    GROUP BY team_id
), model_incidents AS (
    SELECT s.team_id, i.model_id, count(*) AS incidents
    FROM incidents i JOIN s ON s.model_id = i.model_id
    WHERE i.started_at >= $start AND i.started_at < $end
    GROUP BY ALL
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY team_id ORDER BY incidents DESC, model_id) AS rank
    FROM model_incidents
), incident_counts AS (
    SELECT team_id, sum(incidents)::BIGINT AS incidents,
           (sum(incidents) FILTER (WHERE rank <= 3))::BIGINT AS top3_model_incidents
    FROM ranked GROUP BY team_id
)
SELECT t.team_id, t.team, t.business_unit_id, t.business_unit, t.time_zone,
       coalesce(p.pages, 0) AS pages,
       coalesce(p.out_of_hours_pages, 0) AS out_of_hours_pages,
       p.out_of_hours_pages / nullif(p.pages, 0) AS out_of_hours_share,
       coalesce(p.sev1_sev2_pages, 0) AS sev1_sev2_pages,
       coalesce(p.acknowledged_pages, 0) AS acknowledged_pages,
       p.median_minutes_to_acknowledge,
       coalesce(p.responders, 0) AS responders,
       coalesce(p.oncall_weeks, 0) AS oncall_weeks,
       p.pages / nullif(p.oncall_weeks, 0) AS pages_per_oncall_week,
       coalesce(c.incidents, 0) AS incidents,
       coalesce(c.top3_model_incidents, 0) AS top3_model_incidents,
       c.top3_model_incidents / nullif(c.incidents, 0) AS top3_model_share
FROM teams_in_scope t
LEFT JOIN page_counts p USING (team_id)
LEFT JOIN incident_counts c USING (team_id)
ORDER BY pages DESC, t.team, t.team_id
