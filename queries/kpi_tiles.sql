-- The headline numbers of the scope over the window, as one row (always exactly one, so a
-- page can compare it with the previous window's row): serving, incidents, releases,
-- cost and value, model quality. Every ratio comes from the scope's sums; empty where
-- METRICS.md leaves it undefined (no requests, no deployments, no cost, no checks).
-- The numbers are the kpi_groups table macro's (queries/macros.sql) for the whole scope,
-- the definition the weekly report uses too (tests/test_kpi_consistency.py).
-- Parameters: $start, $end (whole UTC days), $business_units, $teams, $models.
-- METRICS.md: Serving (requests, availability, error budget consumed for a group, latency
--   p95); Incidents (counts by started_at, MTTR over incidents resolved in the window);
--   Releases (deployments, change failure rate); Cost and value (cost, cost per 1k, value,
--   net value, ROI); Model quality (drift alerts, data-quality pass rate).
SELECT coalesce(k.requests, 0) AS requests,
       coalesce(k.errors, 0) AS errors,
       k.availability,
       coalesce(k.error_budget_allowed, 0) AS error_budget_allowed,
       k.error_budget_consumed,
       k.latency_p95_ms,
       coalesce(k.incidents, 0) AS incidents,
       coalesce(k.sev1_sev2_incidents, 0) AS sev1_sev2_incidents,
       coalesce(k.resolved_incidents, 0) AS resolved_incidents,
       k.mttr_minutes,
       coalesce(k.deployments, 0) AS deployments,
       coalesce(k.failed_changes, 0) AS failed_changes,
       k.change_failure_rate,
       coalesce(k.cost_usd, 0) AS cost_usd,
       k.cost_per_1k_requests,
       coalesce(k.business_value_usd, 0) AS business_value_usd,
       coalesce(k.net_value_usd, 0) AS net_value_usd,
       k.roi,
       coalesce(k.drift_alerts, 0) AS drift_alerts,
       coalesce(k.dq_checks, 0) AS dq_checks,
       coalesce(k.dq_passed, 0) AS dq_passed,
       k.dq_pass_rate
FROM (SELECT 1) AS one_row
LEFT JOIN kpi_groups($start, $end, $business_units, $teams, $models, 'all', false) AS k ON true
