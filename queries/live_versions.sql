-- Which version was live in production at $at, per model: the model's latest succeeded
-- production deployment with deployed_at <= $at, and that version's registry record
-- (artifact digest, code commit, training data). Models with no such deployment are
-- absent. Ties on deployed_at go to the larger deployment_id.
-- Parameters: $at (TIMESTAMP), $business_units, $teams, $models.
-- METRICS.md: Releases — production deployments (`environment = production`).
WITH live AS (
    SELECT d.model_id, d.version, d.deployment_id, d.deployed_at, d.approved_by,
           d.change_ticket
    FROM deployments d
    JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = d.model_id
    WHERE d.environment = 'production' AND d.outcome = 'succeeded'
      AND d.deployed_at <= $at
    QUALIFY row_number() OVER (PARTITION BY d.model_id
                               ORDER BY d.deployed_at DESC, d.deployment_id DESC) = 1
)
SELECT l.model_id, s.name AS model, s.team_id, s.team, s.business_unit_id, s.business_unit,
       s.lifecycle_stage,
       l.version, l.deployment_id, l.deployed_at, l.approved_by, l.change_ticket,
       v.registered_at, v.artifact_uri, v.artifact_sha256, v.code_commit,
       v.training_data_ref
FROM live l
JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = l.model_id
LEFT JOIN model_versions v ON v.model_id = l.model_id AND v.version = l.version
ORDER BY s.business_unit, s.team, s.name, l.model_id
