-- The names of the business units and teams a review is limited to, for its scope line
-- (names, not ids). Ids that do not exist are left out (weekly_report_scope.sql reports
-- them first).
-- Parameters: $business_units, $teams (ids; may be empty).
-- One row: business_units, teams (sorted lists of names).
-- METRICS.md: Week in review — the review file.
SELECT
    (SELECT coalesce(list(DISTINCT name ORDER BY name), []::VARCHAR[]) FROM business_units
     WHERE list_contains($business_units, business_unit_id)) AS business_units,
    (SELECT coalesce(list(DISTINCT name ORDER BY name), []::VARCHAR[]) FROM teams
     WHERE list_contains($teams, team_id)) AS teams
