-- The deployment log: every deployment (all environments) whose deployed_at is in the
-- window, newest first, with version, approver, change ticket, outcome, lead time
-- (minutes, when committed_at is known), the incidents that name it, and whether it is a
-- failed change by the DORA rule (production deployments only; empty elsewhere; the
-- deployments_in macro).
-- Parameters: $start, $end, $business_units, $teams, $models, $limit (at most this many
--   rows, the first in the order above; NULL for all).
-- METRICS.md: Releases (DORA four keys) — lead time for changes, change failure rate.
SELECT d.deployment_id, d.model_id, s.name AS model, s.team_id, s.team,
       s.business_unit_id, s.business_unit,
       d.version, d.environment, d.committed_at, d.deployed_at, d.outcome,
       d.change_ticket, d.approved_by,
       epoch(d.deployed_at - d.committed_at) / 60 AS lead_time_minutes,
       d.incidents, d.failed_change
FROM deployments_in($start, $end) d
JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = d.model_id
ORDER BY d.deployed_at DESC, d.deployment_id
LIMIT $limit
