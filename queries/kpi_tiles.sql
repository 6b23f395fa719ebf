-- The headline numbers of the scope over the window, as one row (always exactly one, so a
-- page can compare it with the previous window's row): serving, incidents, releases,
-- cost and value, model quality. Every ratio comes from the scope's sums; empty where
-- METRICS.md leaves it undefined (no requests, no deployments, no cost, no checks).
-- The facts that count and the ratios are the macros the weekly report's kpi_groups uses
-- too (queries/macros.sql), so the two agree (tests/test_kpi_consistency.py); the sums
-- are exact, so summing the facts straight over the scope (no per-model step, no per-model
-- SLO verdicts: tiles show none) gives the report's numbers for the same scope.
-- The scope is a plain CTE with a semi-join per fact: on 2,000 models it measured a little
-- faster than a MATERIALIZED scope or a join per fact (noisy; see the commit message).
-- Parameters: $start, $end (whole UTC days), $business_units, $teams, $models.
-- METRICS.md: Serving (requests, availability, error budget consumed for a group, latency
--   p95); Incidents (counts by started_at, MTTR over incidents resolved in the window);
--   Releases (deployments, change failure rate); Cost and value (cost, cost per 1k, value,
--   net value, ROI); Model quality (drift alerts, data-quality pass rate).
WITH s AS (
    SELECT model_id, slo_availability FROM scoped_models($business_units, $teams, $models)
), serving AS (
    SELECT coalesce(sum(d.requests)::BIGINT, 0) AS requests,
           coalesce(sum(d.errors)::BIGINT, 0) AS errors,
           sum(allowed_errors(s.slo_availability, d.requests)) AS allowed_errors,
           histogram_sum(d.h) AS h
    FROM daily_serving($start, $end) d
    JOIN s ON s.model_id = d.model_id
), incident_counts AS (
    SELECT count(*) FILTER (WHERE i.counted) AS incidents,
           count(*) FILTER (WHERE i.sev1_sev2) AS sev1_sev2_incidents,
           count(*) FILTER (WHERE i.resolved) AS resolved_incidents,
           coalesce(sum(i.resolution_us), 0) AS resolution_us
    FROM incidents_in($start, $end) i
    WHERE i.model_id IN (SELECT model_id FROM s)
), changes AS (
    SELECT count(*) AS deployments,
           count(*) FILTER (WHERE c.failed_change) AS failed_changes
    FROM deployments_in($start, $end) c
    WHERE c.model_id IN (SELECT model_id FROM s) AND c.environment = 'production'
), costs AS (
    SELECT coalesce(sum(k.cost_usd), 0) AS cost_usd
    FROM costs_in($start, $end) k
    WHERE k.model_id IN (SELECT model_id FROM s)
), value AS (
    SELECT coalesce(sum(v.business_value_usd), 0) AS business_value_usd
    FROM value_in($start, $end) v
    WHERE v.model_id IN (SELECT model_id FROM s)
), drift_alerts AS (
    SELECT count(*) AS drift_alerts
    FROM drift_alerts_in($start, $end) d
    WHERE d.model_id IN (SELECT model_id FROM s)
), quality AS (
    SELECT count(*) AS dq_checks, count(*) FILTER (WHERE q.passed) AS dq_passed
    FROM dq_checks_in($start, $end) q
    WHERE q.model_id IN (SELECT model_id FROM s)
)
SELECT requests,
       errors,
       kpi_availability(requests, errors) AS availability,
       coalesce(allowed_errors::DOUBLE, 0) AS error_budget_allowed,
       kpi_error_budget_consumed(errors, allowed_errors) AS error_budget_consumed,
       latency_ms(0.95, h) AS latency_p95_ms,
       incidents,
       sev1_sev2_incidents,
       resolved_incidents,
       kpi_mttr_minutes(resolution_us, resolved_incidents) AS mttr_minutes,
       deployments,
       failed_changes,
       kpi_change_failure_rate(failed_changes, deployments) AS change_failure_rate,
       cost_usd::DOUBLE AS cost_usd,
       kpi_cost_per_1k_requests(cost_usd, requests) AS cost_per_1k_requests,
       business_value_usd::DOUBLE AS business_value_usd,
       kpi_net_value_usd(business_value_usd, cost_usd) AS net_value_usd,
       kpi_roi(business_value_usd, cost_usd) AS roi,
       drift_alerts,
       dq_checks,
       dq_passed,
       kpi_dq_pass_rate(dq_passed, dq_checks) AS dq_pass_rate
FROM serving, incident_counts, changes, costs, value, drift_alerts, quality
