-- What the weekly report must check before it runs (METRICS.md, "Weekly report (CSV)"):
-- how many models the warehouse holds at all, and which of the requested ids do not exist.
--
-- Parameters:
--   $business_units  business-unit ids asked for (may be empty)
--   $teams           team ids asked for (may be empty)
--
-- One row: models (count of all models), unknown_business_units, unknown_teams (sorted
-- lists of the asked-for ids that are not in the warehouse; empty when all exist).
SELECT
    (SELECT count(*) FROM models) AS models,
    (SELECT coalesce(list(DISTINCT id ORDER BY id), []::VARCHAR[])
     FROM unnest($business_units::VARCHAR[]) AS asked(id)
     WHERE id NOT IN (SELECT business_unit_id FROM business_units)) AS unknown_business_units,
    (SELECT coalesce(list(DISTINCT id ORDER BY id), []::VARCHAR[])
     FROM unnest($teams::VARCHAR[]) AS asked(id)
     WHERE id NOT IN (SELECT team_id FROM teams)) AS unknown_teams
