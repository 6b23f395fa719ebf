-- Models per risk tier and group (the model's current risk_tier), with how many are in
-- production. Only tiers with at least one scoped model appear.
-- Parameters: $business_units, $teams, $models,
--   $group_by ('model' | 'team' | 'business_unit' | 'all').
-- METRICS.md: Governance (risk tiers, EU AI Act vocabulary in DATA_CONTRACT.md).
SELECT group_id, group_name, risk_tier,
       count(*) AS models,
       count(*) FILTER (WHERE lifecycle_stage = 'production') AS production_models
FROM grouped_models($business_units, $teams, $models, $group_by)
GROUP BY group_id, group_name, risk_tier
ORDER BY group_name, group_id,
         CASE risk_tier WHEN 'high' THEN 1 WHEN 'limited' THEN 2 ELSE 3 END
