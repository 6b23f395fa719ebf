-- DORA four keys per group over production deployments, with the counts behind each:
-- deployments and days -> deployment frequency (per day and per week); failed changes
-- -> change failure rate; successful deployments with committed_at -> median lead time;
-- deployment-caused incidents resolved in the window -> median recovery time.
-- Durations in minutes; medians are the middle value, or the mean of the two middle ones.
-- Deployments are counted by their own window (deployed_at in [start, end)); a deployment
-- is a failed change once, however many incidents name it (the deployments_in macro). Every production attempt
-- (succeeded, failed, rolled_back) counts as a deployment.
-- One row per group with at least one scoped model (zero counts, empty ratios otherwise).
-- Parameters: $start, $end, $business_units, $teams, $models,
--   $group_by ('model' | 'team' | 'business_unit' | 'all').
-- METRICS.md: Releases (DORA four keys) — deployment frequency, lead time for changes,
--   change failure rate, failed deployment recovery time.
WITH g AS (
    SELECT * FROM grouped_models($business_units, $teams, $models, $group_by)
), production_deployments AS (
    SELECT g.group_id, d.deployment_id, d.outcome, d.committed_at, d.deployed_at,
           d.failed_change
    FROM deployments_in($start, $end) d
    JOIN g ON g.model_id = d.model_id
    WHERE d.environment = 'production'
), deployment_keys AS (
    SELECT group_id,
           count(*) AS deployments,
           count(*) FILTER (WHERE failed_change) AS failed_changes,
           count(*) FILTER (WHERE outcome = 'succeeded' AND committed_at IS NOT NULL)
               AS lead_time_deployments,
           median(epoch(deployed_at - committed_at) / 60)
               FILTER (WHERE outcome = 'succeeded' AND committed_at IS NOT NULL)
               AS lead_time_median_minutes
    FROM production_deployments
    GROUP BY group_id
), recovery AS (
    SELECT g.group_id,
           count(*) AS recovered_incidents,
           median(epoch(r.resolved_at - r.started_at) / 60) AS recovery_time_median_minutes
    FROM recoveries_in($start, $end) r
    JOIN g ON g.model_id = r.model_id
    GROUP BY g.group_id
), groups AS (
    SELECT DISTINCT group_id, group_name FROM g
)
SELECT gr.group_id, gr.group_name,
       coalesce(k.deployments, 0) AS deployments,
       epoch($end - $start) / 86400 AS days,
       coalesce(k.deployments, 0) / (epoch($end - $start) / 86400) AS deployments_per_day,
       coalesce(k.deployments, 0) / (epoch($end - $start) / 86400) * 7 AS deployments_per_week,
       coalesce(k.failed_changes, 0) AS failed_changes,
       kpi_change_failure_rate(k.failed_changes, k.deployments) AS change_failure_rate,
       coalesce(k.lead_time_deployments, 0) AS lead_time_deployments,
       k.lead_time_median_minutes,
       coalesce(r.recovered_incidents, 0) AS recovered_incidents,
       r.recovery_time_median_minutes
FROM groups gr
LEFT JOIN deployment_keys k ON k.group_id = gr.group_id
LEFT JOIN recovery r ON r.group_id = gr.group_id
ORDER BY gr.group_name, gr.group_id
