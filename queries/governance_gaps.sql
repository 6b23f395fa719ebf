-- Compliance gaps per scoped production model (lifecycle_stage `production`) on $today:
-- no owner; no runbook; no passed validation (any stage) of the deployed version (the
-- latest succeeded production deployment by the end of $today; a model with none has
-- this gap); no risk assessment; high risk tier (the model's) whose latest assessment is
-- not `approved`. One row per production model with each gap as a flag and their count,
-- models with the most gaps first. A blank owner or runbook counts as missing.
-- Parameters: $today (DATE), $business_units, $teams, $models.
-- METRICS.md: Governance — compliance gaps.
WITH s AS (
    SELECT * FROM scoped_models($business_units, $teams, $models)
    WHERE lifecycle_stage = 'production'
), deployed AS (
    SELECT d.model_id, d.version, d.deployed_at
    FROM deployments d
    JOIN s ON s.model_id = d.model_id
    WHERE d.environment = 'production' AND d.outcome = 'succeeded'
      AND d.deployed_at < CAST($today AS DATE) + INTERVAL 1 DAY
    QUALIFY row_number() OVER (PARTITION BY d.model_id
                               ORDER BY d.deployed_at DESC, d.deployment_id DESC) = 1
), validated AS (
    SELECT DISTINCT model_id, version FROM validations WHERE passed
), latest_assessment AS (
    SELECT model_id, assessed_at, outcome, next_review_due
    FROM risk_assessments
    QUALIFY row_number() OVER (PARTITION BY model_id
                               ORDER BY assessed_at DESC, assessment_id DESC) = 1
), flags AS (
    SELECT s.model_id, s.name AS model, s.team_id, s.team, s.business_unit_id,
           s.business_unit, s.owner, s.runbook_url, s.risk_tier,
           dep.version AS deployed_version, dep.deployed_at,
           a.assessed_at AS last_assessed_at, a.outcome AS last_outcome,
           nullif(trim(s.owner), '') IS NULL AS no_owner,
           nullif(trim(s.runbook_url), '') IS NULL AS no_runbook,
           val.model_id IS NULL AS no_passed_validation,
           a.model_id IS NULL AS no_risk_assessment,
           s.risk_tier = 'high' AND a.outcome IS DISTINCT FROM 'approved' AS high_risk_not_approved
    FROM s
    LEFT JOIN deployed dep ON dep.model_id = s.model_id
    LEFT JOIN validated val ON val.model_id = dep.model_id AND val.version = dep.version
    LEFT JOIN latest_assessment a ON a.model_id = s.model_id
)
SELECT *,
       no_owner::INT + no_runbook::INT + no_passed_validation::INT + no_risk_assessment::INT
           + high_risk_not_approved::INT AS gaps
FROM flags
ORDER BY gaps DESC, business_unit, team, model, model_id
