-- The headline numbers of the scope over the window, as one row (always exactly one, so a
-- page can compare it with the previous window's row): serving, incidents, releases,
-- cost and value, model quality. Every ratio comes from the scope's sums; empty where
-- METRICS.md leaves it undefined (no requests, no deployments, no cost, no checks).
-- Parameters: $start, $end (whole UTC days), $business_units, $teams, $models.
-- METRICS.md: Serving (requests, availability, error budget consumed for a group, latency
--   p95); Incidents (counts by started_at, MTTR over incidents resolved in the window);
--   Releases (deployments, change failure rate); Cost and value (cost, cost per 1k, value,
--   net value, ROI); Model quality (drift alerts, data-quality pass rate).
WITH s AS (
    SELECT * FROM scoped_models($business_units, $teams, $models)
), serving AS (
    SELECT coalesce(CAST(sum(d.requests) AS BIGINT), 0) AS requests,
           coalesce(CAST(sum(d.errors) AS BIGINT), 0) AS errors,
           coalesce(sum((1 - s.slo_availability) * d.requests), 0) AS error_budget_allowed,
           latency_quantile_ms(0.95, sum(d.latency_le_5ms), sum(d.latency_le_10ms),
                                 sum(d.latency_le_25ms), sum(d.latency_le_50ms),
                                 sum(d.latency_le_100ms), sum(d.latency_le_250ms),
                                 sum(d.latency_le_500ms), sum(d.latency_le_1000ms),
                                 sum(d.latency_le_2500ms), sum(d.latency_le_5000ms),
                                 sum(d.latency_le_10000ms), sum(d.requests)) AS latency_p95_ms
    FROM metrics_daily d
    JOIN s ON s.model_id = d.model_id
    WHERE d.day >= $start AND d.day < $end
), incident_keys AS (
    SELECT count(*) FILTER (WHERE i.started_at >= $start) AS incidents,
           count(*) FILTER (WHERE i.started_at >= $start AND i.severity <= 2)
               AS sev1_sev2_incidents,
           count(*) FILTER (WHERE i.resolved_at >= $start AND i.resolved_at < $end)
               AS resolved_incidents,
           avg(epoch(i.resolved_at - i.started_at) / 60)
               FILTER (WHERE i.resolved_at >= $start AND i.resolved_at < $end) AS mttr_minutes
    FROM incidents i
    JOIN s ON s.model_id = i.model_id
    WHERE i.started_at < $end
      AND (i.started_at >= $start OR i.resolved_at >= $start)
), release_keys AS (
    SELECT count(*) AS deployments,
           count(*) FILTER (WHERE d.outcome IN ('failed', 'rolled_back')
                                  OR d.deployment_id IN (SELECT deployment_id FROM incidents
                                                         WHERE deployment_id IS NOT NULL))
               AS failed_changes
    FROM deployments d
    JOIN s ON s.model_id = d.model_id
    WHERE d.environment = 'production' AND d.deployed_at >= $start AND d.deployed_at < $end
), cost AS (
    SELECT coalesce(sum(c.amount_usd), 0) AS cost_usd
    FROM costs_daily c
    JOIN s ON s.model_id = c.model_id
    WHERE c.day >= $start AND c.day < $end
), value AS (
    SELECT coalesce(sum(v.value_usd), 0) AS business_value_usd
    FROM business_value_daily v
    JOIN s ON s.model_id = v.model_id
    WHERE v.day >= $start AND v.day < $end
), drift_keys AS (
    SELECT count(*) FILTER (WHERE r.score > r.threshold) AS drift_alerts
    FROM drift r
    JOIN s ON s.model_id = r.model_id
    WHERE r.measured_at >= $start AND r.measured_at < $end
), quality AS (
    SELECT count(*) AS dq_checks,
           count(*) FILTER (WHERE q.status = 'pass') AS dq_passed
    FROM data_quality q
    JOIN s ON s.model_id = q.model_id
    WHERE q.run_at >= $start AND q.run_at < $end
)
SELECT requests, errors,
       1 - errors / nullif(requests, 0) AS availability,
       error_budget_allowed,
       errors / nullif(error_budget_allowed, 0) AS error_budget_consumed,
       latency_p95_ms,
       incidents, sev1_sev2_incidents, resolved_incidents, mttr_minutes,
       deployments, failed_changes,
       failed_changes / nullif(deployments, 0) AS change_failure_rate,
       cost_usd,
       cost_usd / nullif(requests, 0) * 1000 AS cost_per_1k_requests,
       business_value_usd,
       business_value_usd - cost_usd AS net_value_usd,
       (business_value_usd - cost_usd) / nullif(cost_usd, 0) AS roi,
       drift_alerts,
       dq_checks, dq_passed,
       dq_passed / nullif(dq_checks, 0) AS dq_pass_rate
FROM serving, incident_keys, release_keys, cost, value, drift_keys, quality
