-- The weekly report (METRICS.md, "Weekly report (CSV)"): one row per model that existed
-- during the ISO week, or one row per team / business unit of those models.
--
-- Parameters:
--   $week            the week's label, e.g. '2026-W47' (copied into the `week` column)
--   $start, $end     the week as a half-open UTC window [start, end) of whole days
--   $business_units  business-unit ids to keep (empty list = all)
--   $teams           team ids to keep (empty list = all)
--   $group_by        'model' | 'team' | 'business_unit'
--
-- The numbers come from the kpi_groups table macro (queries/macros.sql), which also gives
-- the headline tiles (kpi_tiles.sql), so the tiles and the report agree by construction
-- (tests/test_kpi_consistency.py). It keeps the models that existed during the week
-- (created_at < $end and retired_at NULL or >= $start); serving numbers come from
-- metrics_daily (ISO weeks are whole days); each row's ratios and percentiles come from
-- its group's summed counts (METRICS.md, "Aggregation rule"). Key and model-only columns
-- of a coarser grouping come back NULL, and the caller drops them.
--
-- SLO-met columns come twice: `availability_slo_met` / `latency_slo_met` (BOOLEAN, the
-- model's own verdict, NULL when undefined; only meaningful per model) and
-- `models_availability_slo_met` / `models_latency_slo_met` (how many of the group's models
-- met their own SLO; a model whose verdict is undefined does not count).
--
-- Appended for the weekly review (issue 14), after every earlier column:
--   rework_rate           remediation deployments (remediates_incident_id set) / production
--                         deployments of the week (group sums)
--   open_action_items     action items created before the week's end, not closed before it
--   overdue_action_items  of those, due before the week's end
--   pages                 on-call pages sent in the week for incidents on the row's models
-- Action items count per model by the model they name; a team row counts the team's items
-- (action_items.team_id, with or without a model) and a business-unit row those of its
-- teams in scope, so an item about no model still shows in its team's row.
WITH k AS (
    SELECT * FROM kpi_groups($start, $end, $business_units, $teams, []::VARCHAR[], $group_by, true)
), scope AS (
    SELECT model_id, team_id, business_unit_id
    FROM scoped_models($business_units, $teams, []::VARCHAR[])
    WHERE created_at < $end AND (retired_at IS NULL OR retired_at >= $start)
), rework AS (
    SELECT model_id, count(*) FILTER (WHERE remediates_incident_id IS NOT NULL) AS rework
    FROM deployments_in($start, $end)
    WHERE environment = 'production'
    GROUP BY model_id
), page_counts AS (
    SELECT i.model_id, count(*) AS pages
    FROM oncall_pages p JOIN incidents i ON i.incident_id = p.incident_id
    WHERE p.paged_at >= $start AND p.paged_at < $end
    GROUP BY i.model_id
), extra AS (
    SELECT CASE WHEN $group_by <> 'all' THEN s.business_unit_id END AS business_unit_id,
           CASE WHEN $group_by IN ('model', 'team') THEN s.team_id END AS team_id,
           CASE WHEN $group_by = 'model' THEN s.model_id END AS model_id,
           sum(coalesce(r.rework, 0))::BIGINT AS rework_deployments,
           sum(coalesce(pc.pages, 0))::BIGINT AS pages
    FROM scope s
    LEFT JOIN rework r USING (model_id)
    LEFT JOIN page_counts pc USING (model_id)
    GROUP BY ALL
), item_counts AS (
    -- Each item under the key of the row it counts in: its model, its team, or the
    -- business unit of its team when that team is in scope (a team in two units counts
    -- in both). A join, not a correlated subquery, so that every engine plans it.
    SELECT CASE $group_by WHEN 'model' THEN it.model_id
                          WHEN 'team' THEN it.team_id
                          ELSE tb.business_unit_id END AS item_key,
           count(*) FILTER (WHERE item_open(it.closed_at, $end)) AS open_items,
           count(*) FILTER (WHERE item_overdue(it.closed_at, it.due_at, $end)) AS overdue_items
    FROM action_items it
    LEFT JOIN (SELECT DISTINCT team_id, business_unit_id FROM scope) tb
           ON tb.team_id = it.team_id
    WHERE it.created_at < $end
    GROUP BY 1
)
SELECT
    $week::VARCHAR AS week, k.business_unit_id, business_unit, k.team_id, team, k.model_id,
    model,
    lifecycle_stage, risk_tier,
    requests, errors, availability,
    slo_availability, availability_slo_met, models_availability_slo_met,
    error_budget_consumed,
    latency_p50_ms, latency_p95_ms, latency_p99_ms,
    slo_latency_p95_ms, latency_slo_met, models_latency_slo_met,
    incidents, sev1_sev2_incidents, mttr_minutes,
    deployments, failed_changes, change_failure_rate,
    cost_usd, cost_per_1k_requests, business_value_usd, net_value_usd,
    drift_alerts, dq_pass_rate,
    e.rework_deployments / nullif(deployments, 0) AS rework_rate,
    coalesce(ic.open_items, 0) AS open_action_items,
    coalesce(ic.overdue_items, 0) AS overdue_action_items,
    coalesce(e.pages, 0) AS pages
FROM k
LEFT JOIN extra e ON e.business_unit_id IS NOT DISTINCT FROM k.business_unit_id
                 AND e.team_id IS NOT DISTINCT FROM k.team_id
                 AND e.model_id IS NOT DISTINCT FROM k.model_id
LEFT JOIN item_counts ic ON ic.item_key = CASE $group_by WHEN 'model' THEN k.model_id
                                                         WHEN 'team' THEN k.team_id
                                                         ELSE k.business_unit_id END
ORDER BY business_unit_id, team_id NULLS FIRST, model_id NULLS FIRST
