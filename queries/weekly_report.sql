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
-- A model existed during the week when created_at < $end and (retired_at IS NULL or
-- retired_at >= $start). Serving numbers come from metrics_daily (ISO weeks are whole days).
--
-- Aggregation rule (METRICS.md): each model contributes counts (requests, errors, allowed
-- errors, histogram buckets, incident durations, deployments, money, checks); every ratio
-- and percentile of a row is computed from its group's sums, never averaged. With
-- $group_by = 'model' each group is one model, so the same expressions give the model's
-- numbers. The key and model-only columns of a coarser grouping come back NULL, and the
-- caller drops them.
--
-- SLO-met columns come twice: `availability_slo_met` / `latency_slo_met` (BOOLEAN, the
-- model's own verdict, NULL when undefined; only meaningful per model) and
-- `models_availability_slo_met` / `models_latency_slo_met` (how many of the group's models
-- met their own SLO; a model whose verdict is undefined does not count).
--
-- Sums that feed ratios are exact (integers, DECIMAL for money and allowed errors), so a
-- row's numbers do not depend on the order in which DuckDB's threads add them up.
--
-- Percentiles use latency_quantile_ms (queries/latency.py), as every KPI query does.
--
-- Appended for the weekly review (issue 14), after every earlier column:
--   rework_rate           remediation deployments / production deployments (group sums)
--   open_action_items     action items created before the week's end, not closed before it
--   overdue_action_items  of those, due before the week's end
--   pages                 on-call pages sent in the week for incidents on the row's models
-- Action items are counted per model by the model they name; a team row counts the team's
-- items (action_items.team_id, with or without a model) and a business-unit row those of
-- its teams in scope, so an item about no model still shows in its team's row.
WITH scope AS (
    SELECT model_id, name AS model, lifecycle_stage, risk_tier,
           slo_availability, slo_latency_p95_ms,
           team_id, team, business_unit_id, business_unit
    FROM scoped_models($business_units, $teams, []::VARCHAR[])
    WHERE created_at < $end
      AND (retired_at IS NULL OR retired_at >= $start)
),
serving AS (
    SELECT model_id,
           sum(requests)::BIGINT AS requests,
           sum(errors)::BIGINT AS errors,
           sum(latency_le_5ms)::BIGINT AS b5,
           sum(latency_le_10ms)::BIGINT AS b10,
           sum(latency_le_25ms)::BIGINT AS b25,
           sum(latency_le_50ms)::BIGINT AS b50,
           sum(latency_le_100ms)::BIGINT AS b100,
           sum(latency_le_250ms)::BIGINT AS b250,
           sum(latency_le_500ms)::BIGINT AS b500,
           sum(latency_le_1000ms)::BIGINT AS b1000,
           sum(latency_le_2500ms)::BIGINT AS b2500,
           sum(latency_le_5000ms)::BIGINT AS b5000,
           sum(latency_le_10000ms)::BIGINT AS b10000
    FROM metrics_daily
    WHERE day >= $start::DATE AND day < $end::DATE
      AND model_id IN (SELECT model_id FROM scope)
    GROUP BY model_id
),
incident_counts AS (
    -- Counts by start; resolution time by resolution (an incident can count in both weeks).
    SELECT model_id,
           count(*) FILTER (WHERE started_at >= $start AND started_at < $end) AS incidents,
           count(*) FILTER (WHERE started_at >= $start AND started_at < $end
                              AND severity <= 2) AS sev1_sev2_incidents,
           count(*) FILTER (WHERE resolved_at >= $start AND resolved_at < $end)
               AS resolved_incidents,
           coalesce(sum(epoch_us(resolved_at) - epoch_us(started_at))
                        FILTER (WHERE resolved_at >= $start AND resolved_at < $end), 0)
               AS resolution_us
    FROM incidents
    WHERE (started_at >= $start AND started_at < $end)
       OR (resolved_at >= $start AND resolved_at < $end)
    GROUP BY model_id
),
changes AS (
    -- A failed change: outcome failed / rolled_back, or named by any incident. IN counts a
    -- deployment once however many incidents name it.
    SELECT model_id,
           count(*) AS deployments,
           count(*) FILTER (
               WHERE outcome IN ('failed', 'rolled_back')
                  OR deployment_id IN (SELECT deployment_id FROM incidents
                                       WHERE deployment_id IS NOT NULL)
           ) AS failed_changes,
           count(*) FILTER (WHERE remediates_incident_id IS NOT NULL) AS rework_deployments
    FROM deployments
    WHERE environment = 'production'
      AND deployed_at >= $start AND deployed_at < $end
    GROUP BY model_id
),
costs AS (
    SELECT model_id, sum(amount_usd::DECIMAL(38, 9)) AS cost_usd
    FROM costs_daily
    WHERE day >= $start::DATE AND day < $end::DATE
    GROUP BY model_id
),
value AS (
    SELECT model_id, sum(value_usd::DECIMAL(38, 9)) AS business_value_usd
    FROM business_value_daily
    WHERE day >= $start::DATE AND day < $end::DATE
    GROUP BY model_id
),
drift_alerts AS (
    SELECT model_id, count(*) AS drift_alerts
    FROM drift
    WHERE measured_at >= $start AND measured_at < $end AND score > threshold
    GROUP BY model_id
),
quality AS (
    SELECT model_id, count(*) AS dq_checks, count(*) FILTER (WHERE status = 'pass') AS dq_passed
    FROM data_quality
    WHERE run_at >= $start AND run_at < $end
    GROUP BY model_id
),
page_counts AS (
    SELECT i.model_id, count(*) AS pages
    FROM oncall_pages p JOIN incidents i ON i.incident_id = p.incident_id
    WHERE p.paged_at >= $start AND p.paged_at < $end
    GROUP BY i.model_id
),
item_state AS (
    SELECT model_id, team_id,
           closed_at IS NULL OR closed_at >= $end AS open,
           (closed_at IS NULL OR closed_at >= $end) AND due_at < $end AS overdue
    FROM action_items
    WHERE created_at < $end
),
per_model AS (
    SELECT s.*,
           coalesce(v.requests, 0) AS requests,
           coalesce(v.errors, 0) AS errors,
           (1 - s.slo_availability::DECIMAL(18, 15)) * coalesce(v.requests, 0) AS allowed_errors,
           coalesce(v.b5, 0) AS b5, coalesce(v.b10, 0) AS b10, coalesce(v.b25, 0) AS b25,
           coalesce(v.b50, 0) AS b50, coalesce(v.b100, 0) AS b100,
           coalesce(v.b250, 0) AS b250, coalesce(v.b500, 0) AS b500,
           coalesce(v.b1000, 0) AS b1000, coalesce(v.b2500, 0) AS b2500,
           coalesce(v.b5000, 0) AS b5000, coalesce(v.b10000, 0) AS b10000,
           coalesce(i.incidents, 0) AS incidents,
           coalesce(i.sev1_sev2_incidents, 0) AS sev1_sev2_incidents,
           coalesce(i.resolved_incidents, 0) AS resolved_incidents,
           coalesce(i.resolution_us, 0) AS resolution_us,
           coalesce(c.deployments, 0) AS deployments,
           coalesce(c.failed_changes, 0) AS failed_changes,
           coalesce(c.rework_deployments, 0) AS rework_deployments,
           coalesce(pc.pages, 0) AS pages,
           coalesce(k.cost_usd, 0) AS cost_usd,
           coalesce(bv.business_value_usd, 0) AS business_value_usd,
           coalesce(d.drift_alerts, 0) AS drift_alerts,
           coalesce(q.dq_checks, 0) AS dq_checks,
           coalesce(q.dq_passed, 0) AS dq_passed,
           -- The model's own SLO verdicts (NULL when there were no requests).
           (v.requests - v.errors) / nullif(v.requests, 0) >= s.slo_availability
               AS availability_slo_met,
           latency_quantile_ms(0.95, v.b5, v.b10, v.b25, v.b50, v.b100, v.b250, v.b500, v.b1000,
                            v.b2500, v.b5000, v.b10000, v.requests) <= s.slo_latency_p95_ms
               AS latency_slo_met
    FROM scope s
    LEFT JOIN serving v USING (model_id)
    LEFT JOIN incident_counts i USING (model_id)
    LEFT JOIN changes c USING (model_id)
    LEFT JOIN costs k USING (model_id)
    LEFT JOIN value bv USING (model_id)
    LEFT JOIN drift_alerts d USING (model_id)
    LEFT JOIN quality q USING (model_id)
    LEFT JOIN page_counts pc USING (model_id)
),
grouped AS (
    SELECT
        $week::VARCHAR AS week,
        business_unit_id,
        business_unit,
        CASE WHEN $group_by <> 'business_unit' THEN team_id END AS team_id,
        CASE WHEN $group_by <> 'business_unit' THEN team END AS team,
        CASE WHEN $group_by = 'model' THEN model_id END AS model_id,
        CASE WHEN $group_by = 'model' THEN model END AS model,
        CASE WHEN $group_by = 'model' THEN lifecycle_stage END AS lifecycle_stage,
        CASE WHEN $group_by = 'model' THEN risk_tier END AS risk_tier,
        CASE WHEN $group_by = 'model' THEN slo_availability END AS slo_availability,
        CASE WHEN $group_by = 'model' THEN slo_latency_p95_ms END AS slo_latency_p95_ms,
        sum(requests)::BIGINT AS requests,
        sum(errors)::BIGINT AS errors,
        sum(allowed_errors) AS allowed_errors,
        sum(b5)::BIGINT AS b5, sum(b10)::BIGINT AS b10, sum(b25)::BIGINT AS b25,
        sum(b50)::BIGINT AS b50, sum(b100)::BIGINT AS b100, sum(b250)::BIGINT AS b250,
        sum(b500)::BIGINT AS b500, sum(b1000)::BIGINT AS b1000,
        sum(b2500)::BIGINT AS b2500, sum(b5000)::BIGINT AS b5000,
        sum(b10000)::BIGINT AS b10000,
        bool_and(availability_slo_met) AS availability_slo_met,
        bool_and(latency_slo_met) AS latency_slo_met,
        count(*) FILTER (WHERE availability_slo_met) AS models_availability_slo_met,
        count(*) FILTER (WHERE latency_slo_met) AS models_latency_slo_met,
        sum(incidents)::BIGINT AS incidents,
        sum(sev1_sev2_incidents)::BIGINT AS sev1_sev2_incidents,
        sum(resolved_incidents)::BIGINT AS resolved_incidents,
        sum(resolution_us) AS resolution_us,
        sum(deployments)::BIGINT AS deployments,
        sum(failed_changes)::BIGINT AS failed_changes,
        sum(rework_deployments)::BIGINT AS rework_deployments,
        sum(pages)::BIGINT AS pages,
        sum(cost_usd) AS cost_usd,
        sum(business_value_usd) AS business_value_usd,
        sum(drift_alerts)::BIGINT AS drift_alerts,
        sum(dq_checks)::BIGINT AS dq_checks,
        sum(dq_passed)::BIGINT AS dq_passed
    FROM per_model
    GROUP BY ALL
)

SELECT
    week, business_unit_id, business_unit, team_id, team, model_id, model,
    lifecycle_stage, risk_tier,
    requests,
    errors,
    -- 1 - errors / requests, as one correctly rounded division
    (requests - errors) / nullif(requests, 0) AS availability,
    slo_availability,
    CASE WHEN $group_by = 'model' THEN availability_slo_met END AS availability_slo_met,
    models_availability_slo_met,
    errors / nullif(allowed_errors::DOUBLE, 0) AS error_budget_consumed,
    latency_quantile_ms(0.50, b5, b10, b25, b50, b100, b250, b500, b1000, b2500, b5000, b10000, requests) AS latency_p50_ms,
    latency_quantile_ms(0.95, b5, b10, b25, b50, b100, b250, b500, b1000, b2500, b5000, b10000, requests) AS latency_p95_ms,
    latency_quantile_ms(0.99, b5, b10, b25, b50, b100, b250, b500, b1000, b2500, b5000, b10000, requests) AS latency_p99_ms,
    slo_latency_p95_ms,
    CASE WHEN $group_by = 'model' THEN latency_slo_met END AS latency_slo_met,
    models_latency_slo_met,
    incidents,
    sev1_sev2_incidents,
    -- mean over the incidents resolved in the week: total duration / count
    resolution_us / (60000000 * nullif(resolved_incidents, 0))::DOUBLE AS mttr_minutes,
    deployments,
    failed_changes,
    failed_changes / nullif(deployments, 0) AS change_failure_rate,
    cost_usd::DOUBLE AS cost_usd,
    (cost_usd * 1000)::DOUBLE / nullif(requests, 0) AS cost_per_1k_requests,
    business_value_usd::DOUBLE AS business_value_usd,
    (business_value_usd - cost_usd)::DOUBLE AS net_value_usd,
    drift_alerts,
    dq_passed / nullif(dq_checks, 0) AS dq_pass_rate,
    rework_deployments / nullif(deployments, 0) AS rework_rate,
    (SELECT count(*) FILTER (WHERE it.open) FROM item_state it
     WHERE CASE $group_by
               WHEN 'model' THEN it.model_id = grouped.model_id
               WHEN 'team' THEN it.team_id = grouped.team_id
               ELSE it.team_id IN (SELECT team_id FROM scope
                                   WHERE scope.business_unit_id = grouped.business_unit_id)
           END) AS open_action_items,
    (SELECT count(*) FILTER (WHERE it.overdue) FROM item_state it
     WHERE CASE $group_by
               WHEN 'model' THEN it.model_id = grouped.model_id
               WHEN 'team' THEN it.team_id = grouped.team_id
               ELSE it.team_id IN (SELECT team_id FROM scope
                                   WHERE scope.business_unit_id = grouped.business_unit_id)
           END) AS overdue_action_items,
    pages
FROM grouped
ORDER BY business_unit_id, team_id NULLS FIRST, model_id NULLS FIRST
