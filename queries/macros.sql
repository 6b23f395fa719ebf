-- SQL helpers stored in the warehouse as macros, refreshed whenever this file changes
-- (see warehouse._refresh_macros): readers share one connection and its cursors see them.

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

-- The latency quantile of summed modelops histogram columns (a row or an aggregate):
-- histogram_quantile unrolled over the eleven modelops buckets, with the same rule and results (first bucket whose cumulative count >= rank, linear interpolation
-- from the previous bound, 0 below the first; a rank in +Inf gives 10000; NULL when
-- total = 0), as plain arithmetic. histogram_quantile's list lambdas cost ~80 us per row,
-- which is too slow for per-model and per-day percentiles over 2,000 models; this costs ~1 us.
-- tests/test_kpi_reference.py checks that the two agree.
CREATE OR REPLACE MACRO latency_quantile(q, b5, b10, b25, b50, b100, b250, b500,
                                              b1000, b2500, b5000, b10000, total) AS
    CAST(CASE
        WHEN total IS NULL OR total = 0 THEN NULL
        WHEN b5 >= q * total THEN CASE WHEN b5 = 0 THEN 0 ELSE 5 * (q * total) / b5 END
        WHEN b10 >= q * total THEN 5 + 5 * (q * total - b5) / (b10 - b5)
        WHEN b25 >= q * total THEN 10 + 15 * (q * total - b10) / (b25 - b10)
        WHEN b50 >= q * total THEN 25 + 25 * (q * total - b25) / (b50 - b25)
        WHEN b100 >= q * total THEN 50 + 50 * (q * total - b50) / (b100 - b50)
        WHEN b250 >= q * total THEN 100 + 150 * (q * total - b100) / (b250 - b100)
        WHEN b500 >= q * total THEN 250 + 250 * (q * total - b250) / (b500 - b250)
        WHEN b1000 >= q * total THEN 500 + 500 * (q * total - b500) / (b1000 - b500)
        WHEN b2500 >= q * total THEN 1000 + 1500 * (q * total - b1000) / (b2500 - b1000)
        WHEN b5000 >= q * total THEN 2500 + 2500 * (q * total - b2500) / (b5000 - b2500)
        WHEN b10000 >= q * total THEN 5000 + 5000 * (q * total - b5000) / (b10000 - b5000)
        ELSE 10000
    END AS DOUBLE);
