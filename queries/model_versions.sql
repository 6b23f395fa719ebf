-- The registered versions of the scoped models, newest first per model, with the audit
-- trail: artifact URI and SHA-256 digest, code commit, training data reference, when the
-- version first and last went to production (succeeded deployments by $at), and whether
-- it was the live production version at $at.
-- Parameters: $at (TIMESTAMP), $business_units, $teams, $models, $limit (at most this
--   many rows, the first in the order above; NULL for all).
-- METRICS.md: Governance (audit trail); Releases — production deployments.
WITH s AS (
    SELECT * FROM scoped_models($business_units, $teams, $models)
), production AS (
    SELECT d.model_id, d.version,
           min(d.deployed_at) AS first_production_at,
           max(d.deployed_at) AS last_production_at
    FROM deployments d
    WHERE d.environment = 'production' AND d.outcome = 'succeeded' AND d.deployed_at <= $at
      AND d.model_id IN (SELECT model_id FROM s)
    GROUP BY d.model_id, d.version
), live AS (
    -- The latest by (deployed_at, deployment_id): arg_max, cheaper than ranking every row.
    SELECT d.model_id, arg_max(d.version, (d.deployed_at, d.deployment_id)) AS version
    FROM deployments d
    WHERE d.environment = 'production' AND d.outcome = 'succeeded' AND d.deployed_at <= $at
      AND d.model_id IN (SELECT model_id FROM s)
    GROUP BY d.model_id
)
SELECT v.model_id, s.name AS model, s.team_id, s.team, s.business_unit_id, s.business_unit,
       v.version, v.registered_at,
       v.artifact_uri, v.artifact_sha256, v.code_commit, v.training_data_ref,
       p.first_production_at, p.last_production_at,
       l.version IS NOT NULL AS live_in_production
FROM model_versions v
JOIN s ON s.model_id = v.model_id
LEFT JOIN production p ON p.model_id = v.model_id AND p.version = v.version
LEFT JOIN live l ON l.model_id = v.model_id AND l.version = v.version
ORDER BY s.business_unit, s.team, s.name, v.model_id, v.registered_at DESC, v.version DESC
LIMIT $limit
