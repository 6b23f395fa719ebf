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

-- latency_quantile_ms(q, le_5 .. le_10000, total), which the KPI queries use, is a vectorised
-- function registered on every connection (queries/latency.py): the same rule as
-- histogram_quantile, much cheaper to plan than a macro. Files from before that stored it
-- as a macro named latency_quantile; it is dropped here.
DROP MACRO IF EXISTS latency_quantile;
