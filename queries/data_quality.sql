-- Data-quality pass rate per group: checks run in the window, how many passed, warned
-- and failed, and pass rate = passed / checks (a warning is not a pass). Empty pass rate
-- when no check ran. Also the drift results and drift alerts of the group in the window.
-- One row per group with at least one scoped model.
-- Parameters: $start, $end, $business_units, $teams, $models,
--   $group_by ('model' | 'team' | 'business_unit' | 'all').
-- METRICS.md: Model quality — data-quality pass rate; drift alerts.
WITH g AS (
    SELECT * FROM grouped_models($business_units, $teams, $models, $group_by)
), checks AS (
    SELECT g.group_id,
           count(*) AS checks,
           count(*) FILTER (WHERE q.status = 'pass') AS passed,
           count(*) FILTER (WHERE q.status = 'warn') AS warned,
           count(*) FILTER (WHERE q.status = 'fail') AS failed
    FROM data_quality q
    JOIN g ON g.model_id = q.model_id
    WHERE q.run_at >= $start AND q.run_at < $end
    GROUP BY g.group_id
), drift_results AS (
    SELECT g.group_id,
           count(*) AS drift_results,
           count(*) FILTER (WHERE r.score > r.threshold) AS drift_alerts
    FROM drift r
    JOIN g ON g.model_id = r.model_id
    WHERE r.measured_at >= $start AND r.measured_at < $end
    GROUP BY g.group_id
), groups AS (
    SELECT DISTINCT group_id, group_name FROM g
)
SELECT gr.group_id, gr.group_name,
       coalesce(c.checks, 0) AS checks,
       coalesce(c.passed, 0) AS passed,
       coalesce(c.warned, 0) AS warned,
       coalesce(c.failed, 0) AS failed,
       kpi_dq_pass_rate(c.passed, c.checks) AS pass_rate,
       coalesce(d.drift_results, 0) AS drift_results,
       coalesce(d.drift_alerts, 0) AS drift_alerts
FROM groups gr
LEFT JOIN checks c ON c.group_id = gr.group_id
LEFT JOIN drift_results d ON d.group_id = gr.group_id
ORDER BY gr.group_name, gr.group_id
