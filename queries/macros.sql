-- SQL helpers for the named queries, written as DuckDB macros. They are never stored in
-- the warehouse: queries/expand.py expands them into each statement before it runs
-- (queries/named.run), so a reader never writes and every version of modelops runs its
-- own definitions.

-- Prometheus histogram_quantile (METRICS.md, "latency percentiles").
--   q:      the quantile, 0..1
--   bounds: the finite upper bounds, ascending, e.g. [5, 10, ..., 10000]
--   cum:    cumulative counts, one per bound, then the +Inf count (= total) last
-- rank = q * total; the first bucket whose cumulative count >= rank; interpolate linearly
-- between its lower bound (the previous bound, 0 for the first) and its upper bound.
-- A rank in the +Inf bucket returns the highest finite bound. NULL when total = 0.
CREATE OR REPLACE MACRO _hq_pick(q, bounds, cum, i) AS
    CASE
        WHEN i > len(bounds) THEN bounds[len(bounds)]
        WHEN cum[i] = coalesce(cum[i - 1], 0) THEN coalesce(bounds[i - 1], 0)
        ELSE coalesce(bounds[i - 1], 0)
             + (bounds[i] - coalesce(bounds[i - 1], 0))
             * (q * cum[len(cum)] - coalesce(cum[i - 1], 0))
             / (cum[i] - coalesce(cum[i - 1], 0))
    END;

CREATE OR REPLACE MACRO histogram_quantile(q, bounds, cum) AS
    CASE
        WHEN cum[len(cum)] IS NULL OR cum[len(cum)] = 0 THEN NULL
        ELSE _hq_pick(q, bounds, cum,
                      list_position(list_transform(cum, lambda c: c >= q * cum[len(cum)]), true))::DOUBLE
    END;

-- The models in the shared filter, with their team and business unit. An empty list means
-- "no restriction" for that dimension.
CREATE OR REPLACE MACRO scoped_models(business_units, teams, models) AS TABLE
    SELECT m.*, t.name AS team, t.business_unit_id, b.name AS business_unit
    FROM models m
    JOIN teams t ON t.team_id = m.team_id
    JOIN business_units b ON b.business_unit_id = t.business_unit_id
    WHERE (len(business_units) = 0 OR list_contains(business_units, t.business_unit_id))
      AND (len(teams) = 0 OR list_contains(teams, m.team_id))
      AND (len(models) = 0 OR list_contains(models, m.model_id));

-- The scoped models (as scoped_models) with the group each belongs to for a `group_by`
-- choice: 'model', 'team', 'business_unit' or 'all'. group_id / group_name are the model's,
-- team's or business unit's id and name, or 'all' for the whole scope. Any other choice
-- raises an error rather than silently grouping by nothing.
CREATE OR REPLACE MACRO grouped_models(business_units, teams, models, group_by) AS TABLE
    SELECT s.*,
        CASE group_by
            WHEN 'model' THEN s.model_id
            WHEN 'team' THEN s.team_id
            WHEN 'business_unit' THEN s.business_unit_id
            WHEN 'all' THEN 'all'
            ELSE error('group_by must be model, team, business_unit or all, not ' || group_by)
        END AS group_id,
        CASE group_by
            WHEN 'model' THEN s.name
            WHEN 'team' THEN s.team
            WHEN 'business_unit' THEN s.business_unit
            ELSE 'all'
        END AS group_name
    FROM scoped_models(business_units, teams, models) s;

-- On-call pages out of hours (METRICS.md, "Team load"): paged before 08:00 or
-- from 18:00 on, in the team's local time; `local_hour` is that hour (0-23).
CREATE OR REPLACE MACRO out_of_hours(local_hour) AS local_hour < 8 OR local_hour >= 18;

-- One definition of the serving sums (METRICS.md, "Aggregation rule"). daily_serving gives
-- the serving rows of the window [window_start, window_end) (timestamps, UTC) with the
-- latency histogram as one struct h (le_5 .. le_10000: the cumulative buckets; total:
-- requests): the metrics_daily rollup for the UTC days the window covers whole, and the
-- metrics_hourly rows of the part days at either end (a window that is not whole days,
-- e.g. the last 24 hours, is read by the hour). `day` is the UTC day of the row.
-- histogram_sum(h) adds histograms up (rows into a model, models into a group: the same
-- fields at every level); latency_ms(q, h) is the q-quantile of a summed histogram.
-- serving_whole_from / serving_whole_to: the first and the end (exclusive) midnight of
-- the whole days inside the window (from >= to: none).
CREATE OR REPLACE MACRO serving_whole_from(window_start) AS
    CASE WHEN date_trunc('day', CAST(window_start AS TIMESTAMP)) = CAST(window_start AS TIMESTAMP)
         THEN CAST(window_start AS TIMESTAMP)
         ELSE date_trunc('day', CAST(window_start AS TIMESTAMP)) + INTERVAL 1 DAY END;
CREATE OR REPLACE MACRO serving_whole_to(window_end) AS
    date_trunc('day', CAST(window_end AS TIMESTAMP));

CREATE OR REPLACE MACRO daily_serving(window_start, window_end) AS TABLE
    SELECT model_id, day, requests, errors,
           {'le_5': latency_le_5ms, 'le_10': latency_le_10ms, 'le_25': latency_le_25ms,
           'le_50': latency_le_50ms, 'le_100': latency_le_100ms, 'le_250': latency_le_250ms,
           'le_500': latency_le_500ms, 'le_1000': latency_le_1000ms, 'le_2500': latency_le_2500ms,
           'le_5000': latency_le_5000ms, 'le_10000': latency_le_10000ms,
            'total': requests} AS h
    FROM metrics_daily
    WHERE day >= CAST(serving_whole_from(window_start) AS DATE)
      AND day < CAST(serving_whole_to(window_end) AS DATE)
    UNION ALL
    SELECT model_id, CAST(hour AS DATE) AS day, requests, errors,
           {'le_5': latency_le_5ms, 'le_10': latency_le_10ms, 'le_25': latency_le_25ms,
           'le_50': latency_le_50ms, 'le_100': latency_le_100ms, 'le_250': latency_le_250ms,
           'le_500': latency_le_500ms, 'le_1000': latency_le_1000ms, 'le_2500': latency_le_2500ms,
           'le_5000': latency_le_5000ms, 'le_10000': latency_le_10000ms,
            'total': requests} AS h
    FROM metrics_hourly
    WHERE hour >= window_start
      AND hour < least(serving_whole_from(window_start), CAST(window_end AS TIMESTAMP))
    UNION ALL
    SELECT model_id, CAST(hour AS DATE) AS day, requests, errors,
           {'le_5': latency_le_5ms, 'le_10': latency_le_10ms, 'le_25': latency_le_25ms,
           'le_50': latency_le_50ms, 'le_100': latency_le_100ms, 'le_250': latency_le_250ms,
           'le_500': latency_le_500ms, 'le_1000': latency_le_1000ms, 'le_2500': latency_le_2500ms,
           'le_5000': latency_le_5000ms, 'le_10000': latency_le_10000ms,
            'total': requests} AS h
    FROM metrics_hourly
    WHERE hour >= greatest(serving_whole_to(window_end), serving_whole_from(window_start))
      AND hour < window_end;

CREATE OR REPLACE MACRO histogram_sum(h) AS {
    'le_5': sum(h.le_5)::BIGINT, 'le_10': sum(h.le_10)::BIGINT, 'le_25': sum(h.le_25)::BIGINT,
    'le_50': sum(h.le_50)::BIGINT, 'le_100': sum(h.le_100)::BIGINT, 'le_250': sum(h.le_250)::BIGINT,
    'le_500': sum(h.le_500)::BIGINT, 'le_1000': sum(h.le_1000)::BIGINT, 'le_2500': sum(h.le_2500)::BIGINT,
    'le_5000': sum(h.le_5000)::BIGINT, 'le_10000': sum(h.le_10000)::BIGINT,
    'total': sum(h.total)::BIGINT};

-- latency_quantile_ms is the vectorised function (queries/latency.py), not a macro: see there.
CREATE OR REPLACE MACRO latency_ms(q, h) AS
    latency_quantile_ms(q, h.le_5, h.le_10, h.le_25, h.le_50, h.le_100, h.le_250, h.le_500,
                        h.le_1000, h.le_2500, h.le_5000, h.le_10000, h.total);

-- One definition of a failed change (METRICS.md, Releases): a production deployment whose
-- outcome is failed or rolled_back, or that any incident names (once, however many do).
-- deployments_in gives every deployment (all environments) with deployed_at in
-- [window_start, window_end), the number of incidents that name it, and failed_change
-- (NULL outside production).
CREATE OR REPLACE MACRO deployments_in(window_start, window_end) AS TABLE
    SELECT d.*, coalesce(n.incidents, 0) AS incidents,
           CASE WHEN d.environment = 'production'
                THEN d.outcome IN ('failed', 'rolled_back') OR n.incidents IS NOT NULL
           END AS failed_change
    FROM deployments d
    LEFT JOIN (SELECT deployment_id, count(*) AS incidents
               FROM incidents
               WHERE deployment_id IS NOT NULL
               GROUP BY deployment_id) n ON n.deployment_id = d.deployment_id
    WHERE d.deployed_at >= window_start AND d.deployed_at < window_end;

-- DORA's failed deployment recovery time counts failures caused by a change to production:
-- the incidents whose deployment_id names a deployment that exists and went to production
-- (not staging or shadow, not an id no deployment has), resolved in [window_start,
-- window_end) (METRICS.md, Releases).
CREATE OR REPLACE MACRO recoveries_in(window_start, window_end) AS TABLE
    SELECT i.incident_id, i.model_id, i.started_at, i.resolved_at
    FROM incidents i
    JOIN deployments d ON d.deployment_id = i.deployment_id AND d.environment = 'production'
    WHERE i.resolved_at >= window_start AND i.resolved_at < window_end;

-- One definition of the KPIs that the headline tiles (kpi_tiles.sql) and the weekly report
-- (weekly_report.sql, through kpi_groups below) both show, so the two cannot disagree, in
-- two parts that both queries call:
--  * per fact, the rows that count in the window [window_start, window_end) and what each
--    contributes (*_in table macros, one row per fact row, with model_id to scope and
--    group them by). A query sums them at whatever level it needs: the report per model
--    (for the models' own SLO verdicts) and then per group; the tiles straight over the
--    scope, with no per-model step. Every sum feeding a ratio is exact (integers; DECIMAL
--    for money and allowed errors), so it does not depend on the level or on the order
--    DuckDB's threads add: the report's group row and the tiles give the same numbers.
--  * per KPI, the ratio from those sums (kpi_* scalar macros; METRICS.md, "Aggregation
--    rule": from the group's sums, never averaged).
-- Serving rows are daily_serving's; failed changes are deployments_in's (above).

-- Incidents: counted by start (incidents, sev1_sev2); resolution time by resolution
-- (resolved, resolution_us); an incident can count in both windows.
CREATE OR REPLACE MACRO incidents_in(window_start, window_end) AS TABLE
    SELECT model_id,
           started_at >= window_start AND started_at < window_end AS counted,
           started_at >= window_start AND started_at < window_end AND severity <= 2
               AS sev1_sev2,
           resolved_at >= window_start AND resolved_at < window_end AS resolved,
           CASE WHEN resolved_at >= window_start AND resolved_at < window_end
                THEN epoch_us(resolved_at) - epoch_us(started_at) END AS resolution_us
    FROM incidents
    WHERE (started_at >= window_start AND started_at < window_end)
       OR (resolved_at >= window_start AND resolved_at < window_end);

-- Money, exact: cost and business value per day (whole UTC days).
CREATE OR REPLACE MACRO costs_in(window_start, window_end) AS TABLE
    SELECT model_id, amount_usd::DECIMAL(38, 9) AS cost_usd
    FROM costs_daily
    WHERE day >= window_start::DATE AND day < window_end::DATE;

CREATE OR REPLACE MACRO value_in(window_start, window_end) AS TABLE
    SELECT model_id, value_usd::DECIMAL(38, 9) AS business_value_usd
    FROM business_value_daily
    WHERE day >= window_start::DATE AND day < window_end::DATE;

-- A drift alert: a measurement above its threshold.
CREATE OR REPLACE MACRO drift_alerts_in(window_start, window_end) AS TABLE
    SELECT model_id
    FROM drift
    WHERE measured_at >= window_start AND measured_at < window_end AND score > threshold;

CREATE OR REPLACE MACRO dq_checks_in(window_start, window_end) AS TABLE
    SELECT model_id, status = 'pass' AS passed
    FROM data_quality
    WHERE run_at >= window_start AND run_at < window_end;

-- The errors a model's SLO allows for its requests (exact; summed into a group's budget).
CREATE OR REPLACE MACRO allowed_errors(slo_availability, requests) AS
    (1 - slo_availability::DECIMAL(18, 15)) * requests;

-- A follow-up (an action item) as of a moment: open when it was not closed before it,
-- overdue when open and due before it (METRICS.md: Follow-ups).
CREATE OR REPLACE MACRO item_open(closed_at, as_of) AS
    (closed_at IS NULL OR closed_at >= as_of);
CREATE OR REPLACE MACRO item_overdue(closed_at, due_at, as_of) AS
    (item_open(closed_at, as_of) AND due_at < as_of);

-- The ratios, from sums. 1 - errors / requests as one correctly rounded division; NULL
-- where METRICS.md leaves a KPI undefined (no requests, budget, resolutions, deployments,
-- cost, checks).
CREATE OR REPLACE MACRO kpi_availability(requests, errors) AS
    (requests - errors) / nullif(requests, 0);
CREATE OR REPLACE MACRO kpi_error_budget_consumed(errors, allowed_errors) AS
    errors / nullif(allowed_errors::DOUBLE, 0);
CREATE OR REPLACE MACRO kpi_error_budget_remaining(errors, allowed_errors) AS
    1 - kpi_error_budget_consumed(errors, allowed_errors);
-- the window's minutes at the error ratio (errors / requests)
CREATE OR REPLACE MACRO kpi_downtime_minutes(requests, errors, window_minutes) AS
    errors / nullif(requests, 0) * window_minutes;
-- mean over the incidents resolved in the window: total duration / count
CREATE OR REPLACE MACRO kpi_mttr_minutes(resolution_us, resolved_incidents) AS
    resolution_us / (60000000 * nullif(resolved_incidents, 0))::DOUBLE;
CREATE OR REPLACE MACRO kpi_change_failure_rate(failed_changes, deployments) AS
    failed_changes / nullif(deployments, 0);
CREATE OR REPLACE MACRO kpi_cost_per_1k_requests(cost_usd, requests) AS
    (cost_usd * 1000)::DOUBLE / nullif(requests, 0);
CREATE OR REPLACE MACRO kpi_net_value_usd(business_value_usd, cost_usd) AS
    (business_value_usd - cost_usd)::DOUBLE;
CREATE OR REPLACE MACRO kpi_roi(business_value_usd, cost_usd) AS
    ((business_value_usd - cost_usd) / nullif(cost_usd, 0))::DOUBLE;
CREATE OR REPLACE MACRO kpi_dq_pass_rate(dq_passed, dq_checks) AS
    dq_passed / nullif(dq_checks, 0);

-- The KPIs per group of the scoped models, for the weekly report: one row per group
-- ('model', 'team', 'business_unit', or 'all' for one row of the whole scope; none when no
-- model is in scope) over [window_start, window_end) (whole UTC days), from the facts and
-- ratios above. existed_only keeps the models that existed during the window (created_at
-- < end and not retired before start), as the weekly report does.
-- Each model contributes its sums; key and model-only columns coarser than the grouping
-- are NULL. availability_slo_met / latency_slo_met are the model's own verdicts (bool_and
-- over a group); model_count counts the group's models, models_*_slo_met those that met
-- their own SLO.
CREATE OR REPLACE MACRO kpi_groups(window_start, window_end, business_units, teams, models,
                                   group_by, existed_only) AS TABLE
WITH scope AS (
    SELECT model_id, name AS model, lifecycle_stage, risk_tier,
           slo_availability, slo_latency_p95_ms,
           team_id, team, business_unit_id, business_unit
    FROM scoped_models(business_units, teams, models)
    WHERE NOT existed_only
       OR (created_at < window_end AND (retired_at IS NULL OR retired_at >= window_start))
),
serving AS (
    SELECT model_id,
           sum(requests)::BIGINT AS requests,
           sum(errors)::BIGINT AS errors,
           histogram_sum(h) AS h
    FROM daily_serving(window_start, window_end)
    WHERE model_id IN (SELECT model_id FROM scope)
    GROUP BY model_id
),
incident_counts AS (
    SELECT model_id,
           count(*) FILTER (WHERE counted) AS incidents,
           count(*) FILTER (WHERE sev1_sev2) AS sev1_sev2_incidents,
           count(*) FILTER (WHERE resolved) AS resolved_incidents,
           coalesce(sum(resolution_us), 0) AS resolution_us
    FROM incidents_in(window_start, window_end)
    GROUP BY model_id
),
changes AS (
    SELECT model_id,
           count(*) AS deployments,
           count(*) FILTER (WHERE failed_change) AS failed_changes
    FROM deployments_in(window_start, window_end)
    WHERE environment = 'production'
    GROUP BY model_id
),
costs AS (
    SELECT model_id, sum(cost_usd) AS cost_usd
    FROM costs_in(window_start, window_end)
    GROUP BY model_id
),
value AS (
    SELECT model_id, sum(business_value_usd) AS business_value_usd
    FROM value_in(window_start, window_end)
    GROUP BY model_id
),
drift_alerts AS (
    SELECT model_id, count(*) AS drift_alerts
    FROM drift_alerts_in(window_start, window_end)
    GROUP BY model_id
),
quality AS (
    SELECT model_id, count(*) AS dq_checks, count(*) FILTER (WHERE passed) AS dq_passed
    FROM dq_checks_in(window_start, window_end)
    GROUP BY model_id
),
per_model AS (
    SELECT s.*,
           coalesce(v.requests, 0) AS requests,
           coalesce(v.errors, 0) AS errors,
           allowed_errors(s.slo_availability, coalesce(v.requests, 0)) AS allowed_errors,
           v.h,
           coalesce(i.incidents, 0) AS incidents,
           coalesce(i.sev1_sev2_incidents, 0) AS sev1_sev2_incidents,
           coalesce(i.resolved_incidents, 0) AS resolved_incidents,
           coalesce(i.resolution_us, 0) AS resolution_us,
           coalesce(c.deployments, 0) AS deployments,
           coalesce(c.failed_changes, 0) AS failed_changes,
           coalesce(k.cost_usd, 0) AS cost_usd,
           coalesce(bv.business_value_usd, 0) AS business_value_usd,
           coalesce(d.drift_alerts, 0) AS drift_alerts,
           coalesce(q.dq_checks, 0) AS dq_checks,
           coalesce(q.dq_passed, 0) AS dq_passed,
           -- The model's own SLO verdicts (NULL when there were no requests).
           kpi_availability(v.requests, v.errors) >= s.slo_availability
               AS availability_slo_met,
           latency_ms(0.95, v.h) <= s.slo_latency_p95_ms AS latency_slo_met
    FROM scope s
    LEFT JOIN serving v USING (model_id)
    LEFT JOIN incident_counts i USING (model_id)
    LEFT JOIN changes c USING (model_id)
    LEFT JOIN costs k USING (model_id)
    LEFT JOIN value bv USING (model_id)
    LEFT JOIN drift_alerts d USING (model_id)
    LEFT JOIN quality q USING (model_id)
),
grouped AS (
    SELECT
        CASE WHEN group_by <> 'all' THEN business_unit_id END AS business_unit_id,
        CASE WHEN group_by <> 'all' THEN business_unit END AS business_unit,
        CASE WHEN group_by IN ('model', 'team') THEN team_id END AS team_id,
        CASE WHEN group_by IN ('model', 'team') THEN team END AS team,
        CASE WHEN group_by = 'model' THEN model_id END AS model_id,
        CASE WHEN group_by = 'model' THEN model END AS model,
        CASE WHEN group_by = 'model' THEN lifecycle_stage END AS lifecycle_stage,
        CASE WHEN group_by = 'model' THEN risk_tier END AS risk_tier,
        CASE WHEN group_by = 'model' THEN slo_availability END AS slo_availability,
        CASE WHEN group_by = 'model' THEN slo_latency_p95_ms END AS slo_latency_p95_ms,
        count(*) AS model_count,
        sum(requests)::BIGINT AS requests,
        sum(errors)::BIGINT AS errors,
        sum(allowed_errors) AS allowed_errors,
        histogram_sum(h) AS h,
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
        sum(cost_usd) AS cost_usd,
        sum(business_value_usd) AS business_value_usd,
        sum(drift_alerts)::BIGINT AS drift_alerts,
        sum(dq_checks)::BIGINT AS dq_checks,
        sum(dq_passed)::BIGINT AS dq_passed
    FROM per_model
    GROUP BY ALL
)
SELECT
    business_unit_id, business_unit, team_id, team, model_id, model,
    lifecycle_stage, risk_tier, model_count,
    requests,
    errors,
    kpi_availability(requests, errors) AS availability,
    slo_availability,
    CASE WHEN group_by = 'model' THEN availability_slo_met END AS availability_slo_met,
    models_availability_slo_met,
    allowed_errors::DOUBLE AS error_budget_allowed,
    kpi_error_budget_consumed(errors, allowed_errors) AS error_budget_consumed,
    latency_ms(0.50, h) AS latency_p50_ms,
    latency_ms(0.95, h) AS latency_p95_ms,
    latency_ms(0.99, h) AS latency_p99_ms,
    slo_latency_p95_ms,
    CASE WHEN group_by = 'model' THEN latency_slo_met END AS latency_slo_met,
    models_latency_slo_met,
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
FROM grouped;

-- latency_quantile_ms(q, le_5 .. le_10000, total), which latency_ms wraps, is a vectorised
-- function registered on every connection (queries/latency.py): the same rule as
-- histogram_quantile, much cheaper to plan than a macro. Files from before that stored it
-- as a macro named latency_quantile; it is dropped here.
DROP MACRO IF EXISTS latency_quantile;
