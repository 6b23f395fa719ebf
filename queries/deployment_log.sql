-- The deployment log: every deployment (all environments) whose deployed_at is in the
-- window, newest first, with version, approver, change ticket, outcome, lead time
-- (minutes, when committed_at is known), the incidents that name it, and whether it is a
-- failed change by the DORA rule (production deployments only; empty elsewhere).
-- Parameters: $start, $end, $business_units, $teams, $models, $limit (at most this many
--   rows, the first in the order above; NULL for all).
-- METRICS.md: Releases (DORA four keys) — lead time for changes, change failure rate.
WITH named AS (
    SELECT deployment_id, count(*) AS incidents
    FROM incidents
    WHERE deployment_id IS NOT NULL
    GROUP BY deployment_id
)
SELECT d.deployment_id, d.model_id, s.name AS model, s.team_id, s.team,
       s.business_unit_id, s.business_unit,
       d.version, d.environment, d.committed_at, d.deployed_at, d.outcome,
       d.change_ticket, d.approved_by,
       epoch(d.deployed_at - d.committed_at) / 60 AS lead_time_minutes,
       coalesce(n.incidents, 0) AS incidents,
       CASE WHEN d.environment = 'production'
            THEN d.outcome IN ('failed', 'rolled_back') OR n.incidents IS NOT NULL
       END AS failed_change
FROM deployments d
JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = d.model_id
LEFT JOIN named n ON n.deployment_id = d.deployment_id
WHERE d.deployed_at >= $start AND d.deployed_at < $end
ORDER BY d.deployed_at DESC, d.deployment_id
LIMIT $limit
