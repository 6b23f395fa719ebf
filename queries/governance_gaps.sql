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
    -- The latest by (deployed_at, deployment_id): arg_max, cheaper than ranking every row.
    SELECT d.model_id,
           arg_max({'version': d.version, 'deployed_at': d.deployed_at},
                   (d.deployed_at, d.deployment_id)) AS latest
    FROM deployments d
    WHERE d.environment = 'production' AND d.outcome = 'succeeded'
      AND d.deployed_at < CAST($today AS DATE) + INTERVAL 1 DAY
      AND d.model_id IN (SELECT model_id FROM s)
    GROUP BY d.model_id
), latest_assessment AS (
    SELECT model_id,
           arg_max({'assessed_at': assessed_at, 'outcome': outcome},
                   (assessed_at, assessment_id)) AS latest
    FROM risk_assessments
    WHERE model_id IN (SELECT model_id FROM s)
    GROUP BY model_id
), flags AS (
    SELECT s.model_id, s.name AS model, s.team_id, s.team, s.business_unit_id,
           s.business_unit, s.owner, s.runbook_url, s.risk_tier,
           dep.latest.version AS deployed_version, dep.latest.deployed_at AS deployed_at,
           a.latest.assessed_at AS last_assessed_at, a.latest.outcome AS last_outcome,
           nullif(trim(s.owner), '') IS NULL AS no_owner,
           nullif(trim(s.runbook_url), '') IS NULL AS no_runbook,
           NOT EXISTS (SELECT 1 FROM validations v
                       WHERE v.model_id = dep.model_id AND v.version = dep.latest.version
                         AND v.passed) AS no_passed_validation,
           a.model_id IS NULL AS no_risk_assessment,
           s.risk_tier = 'high' AND a.latest.outcome IS DISTINCT FROM 'approved'
               AS high_risk_not_approved
    FROM s
    LEFT JOIN deployed dep ON dep.model_id = s.model_id
    LEFT JOIN latest_assessment a ON a.model_id = s.model_id
)
SELECT *,
       no_owner::INT + no_runbook::INT + no_passed_validation::INT + no_risk_assessment::INT
           + high_risk_not_approved::INT AS gaps
FROM flags
ORDER BY gaps DESC, business_unit, team, model, model_id
