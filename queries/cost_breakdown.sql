-- Showback: cost over the window by one dimension — team, business unit, vendor or cost
-- category — with each row's share of the scope's total cost. A model's cost counts
-- wholly to its team and that team's business unit; cost rows without a vendor form one
-- row with an empty (NULL) vendor.
-- Parameters: $start, $end (whole UTC days, costs_daily), $business_units, $teams,
--   $models, $dimension ('team' | 'business_unit' | 'vendor' | 'category').
-- METRICS.md: Cost and value — cost; showback by team, business unit, vendor, category.
WITH scoped_cost AS (
    SELECT CASE $dimension
               WHEN 'team' THEN s.team_id
               WHEN 'business_unit' THEN s.business_unit_id
               WHEN 'vendor' THEN nullif(c.vendor_id, '')
               WHEN 'category' THEN c.category
               ELSE error('dimension must be team, business_unit, vendor or category, not '
                          || $dimension)
           END AS group_id,
           CASE $dimension
               WHEN 'team' THEN s.team
               WHEN 'business_unit' THEN s.business_unit
               WHEN 'vendor' THEN v.name
               WHEN 'category' THEN c.category
           END AS group_name,
           c.amount_usd
    FROM costs_daily c
    JOIN scoped_models($business_units, $teams, $models) s ON s.model_id = c.model_id
    LEFT JOIN vendors v ON v.vendor_id = c.vendor_id
    WHERE c.day >= $start AND c.day < $end
), per_group AS (
    SELECT group_id, group_name, sum(amount_usd) AS cost_usd
    FROM scoped_cost
    GROUP BY group_id, group_name
)
SELECT group_id, group_name, cost_usd,
       cost_usd / nullif(sum(cost_usd) OVER (), 0) AS share_of_cost
FROM per_group
ORDER BY cost_usd DESC, group_id NULLS LAST
