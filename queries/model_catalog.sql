-- The models a user can pick in the filter bar, with their team and business unit.
-- Returns: model_id, model, team_id, team, business_unit_id, business_unit, lifecycle_stage,
--          risk_tier, owner, slo_availability, slo_latency_p95_ms.
-- Parameters: $business_units (the access scope; [] = all).
-- METRICS.md: "Showback" (a model belongs wholly to its team and that team's business unit).
SELECT model_id, name AS model, team_id, team, business_unit_id, business_unit,
       lifecycle_stage, risk_tier, owner, slo_availability, slo_latency_p95_ms
FROM scoped_models($business_units, [], [])
ORDER BY business_unit_id, team_id, model_id
