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
    SELECT d.model_id, d.version
    FROM deployments d
    JOIN g ON g.model_id = d.model_id
    WHERE d.environment = 'production' AND d.outcome = 'succeeded'
      AND d.deployed_at <= $at
    QUALIFY row_number() OVER (PARTITION BY d.model_id
                               ORDER BY d.deployed_at DESC, d.deployment_id DESC) = 1
), validated AS (
    SELECT DISTINCT model_id, version
    FROM validations
    WHERE stage = 'post_deployment' AND passed AND run_at <= $at
), per_model AS (
    SELECT g.group_id, g.group_name, g.model_id,
           g.lifecycle_stage = 'production' AS in_production,
           l.version IS NOT NULL AS deployed,
           v.model_id IS NOT NULL AS covered
    FROM g
    LEFT JOIN live l ON l.model_id = g.model_id
    LEFT JOIN validated v ON v.model_id = l.model_id AND v.version = l.version
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
