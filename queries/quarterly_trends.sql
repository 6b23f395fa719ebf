-- Quarter over quarter: the DORA four keys, MTTR, availability and cost per 1k requests
-- per calendar quarter (UTC) touched by the window, with the change against the quarter
-- before (the first quarter's change comes from the quarter before it, read but not
-- returned). A quarter counts from its first day up to the window's end, so a quarter in
-- progress is "quarter to date" (days says how many days it covers).
--   deployments, deployments_per_week (deployments / days * 7), lead_time_median_minutes,
--   failed_changes (the deployments_in macro's failed-change rule), change_failure_rate,
--   recovery_time_median_minutes: as dora.sql
--   mttr_minutes: mean resolved_at - started_at of incidents resolved in the quarter
--   availability: 1 - errors / requests (metrics_daily), cost_per_1k_requests
-- *_change = this quarter's value - the previous quarter's (empty when either is).
-- Parameters: $start, $end, $business_units, $teams, $models, $group_by.
-- METRICS.md: Trends (quarter over quarter).
WITH g AS (
    SELECT * FROM grouped_models($business_units, $teams, $models, $group_by)
), quarters AS (
    SELECT q::TIMESTAMP AS quarter_start,
           least(q + INTERVAL 3 MONTH, $end)::TIMESTAMP AS quarter_end
    FROM (SELECT unnest(generate_series(date_trunc('quarter', $start::TIMESTAMP) - INTERVAL 3 MONTH,
                                        $end::TIMESTAMP - INTERVAL 1 MICROSECOND,
                                        INTERVAL 3 MONTH)) AS q) t
), grid AS (
    SELECT DISTINCT g.group_id, g.group_name, q.quarter_start, q.quarter_end
    FROM g, quarters q
), deploys AS (
    SELECT g.group_id, date_trunc('quarter', d.deployed_at) AS quarter_start,
           count(*) AS deployments,
           count(*) FILTER (WHERE d.failed_change) AS failed_changes,
           median(epoch(d.deployed_at - d.committed_at) / 60)
               FILTER (WHERE d.outcome = 'succeeded' AND d.committed_at IS NOT NULL)
               AS lead_time_median_minutes
    FROM deployments_in((SELECT min(quarter_start) FROM quarters), $end) d
    JOIN g ON g.model_id = d.model_id
    WHERE d.environment = 'production'
    GROUP BY ALL
), resolved AS (
    SELECT g.group_id, date_trunc('quarter', i.resolved_at) AS quarter_start,
           avg(epoch(i.resolved_at - i.started_at) / 60) AS mttr_minutes
    FROM incidents i JOIN g ON g.model_id = i.model_id
    WHERE i.resolved_at >= (SELECT min(quarter_start) FROM quarters) AND i.resolved_at < $end
    GROUP BY ALL
), recovered AS (
    SELECT g.group_id, date_trunc('quarter', r.resolved_at) AS quarter_start,
           median(epoch(r.resolved_at - r.started_at) / 60) AS recovery_time_median_minutes
    FROM recoveries_in((SELECT min(quarter_start) FROM quarters), $end) r
    JOIN g ON g.model_id = r.model_id
    GROUP BY ALL
), serving AS (
    SELECT g.group_id, date_trunc('quarter', m.day)::TIMESTAMP AS quarter_start,
           sum(m.requests)::BIGINT AS requests, sum(m.errors)::BIGINT AS errors
    FROM metrics_daily m JOIN g ON g.model_id = m.model_id
    WHERE m.day >= (SELECT min(quarter_start) FROM quarters)::DATE AND m.day < $end::DATE
    GROUP BY ALL
), costs AS (
    SELECT g.group_id, date_trunc('quarter', c.day)::TIMESTAMP AS quarter_start,
           sum(c.amount_usd::DECIMAL(38, 9)) AS cost_usd
    FROM costs_daily c JOIN g ON g.model_id = c.model_id
    WHERE c.day >= (SELECT min(quarter_start) FROM quarters)::DATE AND c.day < $end::DATE
    GROUP BY ALL
), per_quarter AS (
    SELECT q.group_id, q.group_name,
           strftime(q.quarter_start, '%Y') || '-Q' || quarter(q.quarter_start) AS quarter,
           q.quarter_start, q.quarter_end,
           epoch(q.quarter_end - q.quarter_start) / 86400 AS days,
           coalesce(d.deployments, 0) AS deployments,
           coalesce(d.deployments, 0) / (epoch(q.quarter_end - q.quarter_start) / 86400) * 7
               AS deployments_per_week,
           d.lead_time_median_minutes,
           coalesce(d.failed_changes, 0) AS failed_changes,
           kpi_change_failure_rate(d.failed_changes, d.deployments) AS change_failure_rate,
           rc.recovery_time_median_minutes,
           r.mttr_minutes,
           coalesce(s.requests, 0) AS requests,
           kpi_availability(s.requests, s.errors) AS availability,
           coalesce(c.cost_usd, 0)::DOUBLE AS cost_usd,
           kpi_cost_per_1k_requests(c.cost_usd, s.requests) AS cost_per_1k_requests
    FROM grid q
    LEFT JOIN deploys d ON d.group_id = q.group_id AND d.quarter_start = q.quarter_start
    LEFT JOIN resolved r ON r.group_id = q.group_id AND r.quarter_start = q.quarter_start
    LEFT JOIN recovered rc ON rc.group_id = q.group_id AND rc.quarter_start = q.quarter_start
    LEFT JOIN serving s ON s.group_id = q.group_id AND s.quarter_start = q.quarter_start
    LEFT JOIN costs c ON c.group_id = q.group_id AND c.quarter_start = q.quarter_start
), with_change AS (
    SELECT *,
        deployments_per_week - lag(deployments_per_week) OVER w AS deployments_per_week_change,
        lead_time_median_minutes - lag(lead_time_median_minutes) OVER w
            AS lead_time_median_minutes_change,
        change_failure_rate - lag(change_failure_rate) OVER w AS change_failure_rate_change,
        recovery_time_median_minutes - lag(recovery_time_median_minutes) OVER w
            AS recovery_time_median_minutes_change,
        mttr_minutes - lag(mttr_minutes) OVER w AS mttr_minutes_change,
        availability - lag(availability) OVER w AS availability_change,
        cost_per_1k_requests - lag(cost_per_1k_requests) OVER w AS cost_per_1k_requests_change
    FROM per_quarter
    WINDOW w AS (PARTITION BY group_id ORDER BY quarter_start)
)
SELECT * FROM with_change
WHERE quarter_start >= date_trunc('quarter', $start::TIMESTAMP)
ORDER BY group_name, group_id, quarter_start
