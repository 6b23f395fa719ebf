-- DORA's deployment rework rate per group: production deployments in the window
-- (deployed_at in [start, end), every outcome) that were unplanned fixes for an incident
-- (remediates_incident_id set) / production deployments in the window.
-- One row per group with at least one scoped model; the rate is empty without deployments.
-- Parameters: $start, $end, $business_units, $teams, $models, $group_by.
-- METRICS.md: Releases — deployment rework rate.
WITH g AS (
    SELECT * FROM grouped_models($business_units, $teams, $models, $group_by)
), counts AS (
    SELECT g.group_id, count(*) AS deployments,
           count(*) FILTER (WHERE d.remediates_incident_id IS NOT NULL) AS rework_deployments
    FROM deployments d JOIN g ON g.model_id = d.model_id
    WHERE d.environment = 'production' AND d.deployed_at >= $start AND d.deployed_at < $end
    GROUP BY g.group_id
), groups AS (
    SELECT DISTINCT group_id, group_name FROM g
)
SELECT gr.group_id, gr.group_name,
       coalesce(c.deployments, 0) AS deployments,
       coalesce(c.rework_deployments, 0) AS rework_deployments,
       c.rework_deployments / nullif(c.deployments, 0) AS rework_rate
FROM groups gr LEFT JOIN counts c USING (group_id)
ORDER BY gr.group_name, gr.group_id
