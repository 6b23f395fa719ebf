-- Validation coverage per group: of the scoped production models (lifecycle_stage
-- `production`), how many have a current production version (latest succeeded production
-- deployment with deployed_at <= $at) with a passed `post_deployment` validation run by
-- $at. Coverage = covered / production models; empty when the group has no production
-- model. One row per group with at least one scoped model.
-- Parameters: $at (TIMESTAMP: "current" means as of this moment), $business_units, $teams,
--   $models, $group_by ('model' | 'team' | 'business_unit' | 'all').
-- METRICS.md: Model quality — validation coverage.
WITH g AS (
    SELECT * FROM grouped_models($business_units, $teams, $models, $group_by)
), live AS (
    -- The latest by (deployed_at, deployment_id): arg_max, cheaper than ranking every row.
    SELECT d.model_id, arg_max(d.version, (d.deployed_at, d.deployment_id)) AS version
    FROM deployments d
    WHERE d.environment = 'production' AND d.outcome = 'succeeded'
      AND d.deployed_at <= $at AND d.model_id IN (SELECT model_id FROM g)
    GROUP BY d.model_id
), per_model AS (
    SELECT g.group_id, g.group_name, g.model_id,
           g.lifecycle_stage = 'production' AS in_production,
           l.version IS NOT NULL AS deployed,
           EXISTS (SELECT 1 FROM validations v
                   WHERE v.model_id = l.model_id AND v.version = l.version
                     AND v.stage = 'post_deployment' AND v.passed AND v.run_at <= $at)
               AS covered
    FROM g
    LEFT JOIN live l ON l.model_id = g.model_id
)
SELECT group_id, group_name,
       count(*) FILTER (WHERE in_production) AS production_models,
       count(*) FILTER (WHERE in_production AND deployed) AS deployed_production_models,
       count(*) FILTER (WHERE in_production AND covered) AS covered_models,
       count(*) FILTER (WHERE in_production AND covered)
           / nullif(count(*) FILTER (WHERE in_production), 0) AS validation_coverage
FROM per_model
GROUP BY group_id, group_name
ORDER BY group_name, group_id
