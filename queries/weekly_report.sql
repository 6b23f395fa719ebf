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
SELECT
    $week::VARCHAR AS week, business_unit_id, business_unit, team_id, team, model_id, model,
    lifecycle_stage, risk_tier,
    requests, errors, availability,
    slo_availability, availability_slo_met, models_availability_slo_met,
    error_budget_consumed,
    latency_p50_ms, latency_p95_ms, latency_p99_ms,
    slo_latency_p95_ms, latency_slo_met, models_latency_slo_met,
    incidents, sev1_sev2_incidents, mttr_minutes,
    deployments, failed_changes, change_failure_rate,
    cost_usd, cost_per_1k_requests, business_value_usd, net_value_usd,
    drift_alerts, dq_pass_rate
FROM kpi_groups($start, $end, $business_units, $teams, []::VARCHAR[], $group_by, true)
ORDER BY business_unit_id, team_id NULLS FIRST, model_id NULLS FIRST
