-- The data-quality checks run in the window that did not pass (status `fail` or `warn`),
-- failures first, newest first, with their pipeline and the rows checked / failed.
-- Parameters: $start, $end, $business_units, $teams, $models, $limit (at most this many
--   rows, the first in the order above; NULL for all).
-- METRICS.md: Model quality — data-quality pass rate (`warn` counts as not passed; rows
--   are shown so the reader can tell).
SELECT q.check_run_id, q.model_id, s.name AS model, s.team_id, s.team,
       s.business_unit_id, s.business_unit,
       q.pipeline, q.check_name, q.run_at, q.status,
       q.rows_checked, q.rows_failed,
       q.rows_failed / nullif(q.rows_checked, 0) AS failed_row_fraction
FROM data_quality q
JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = q.model_id
WHERE q.run_at >= $start AND q.run_at < $end
  AND q.status <> 'pass'
ORDER BY q.status = 'fail' DESC, q.run_at DESC, q.check_run_id
LIMIT $limit
