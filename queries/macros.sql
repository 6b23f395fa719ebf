-- SQL helpers installed as temporary macros on every connection (see warehouse._install_macros).

-- Prometheus histogram_quantile (METRICS.md, "latency percentiles").
--   q:      the quantile, 0..1
--   bounds: the finite upper bounds, ascending, e.g. [5, 10, ..., 10000]
--   cum:    cumulative counts, one per bound, then the +Inf count (= total) last
-- rank = q * total; the first bucket whose cumulative count >= rank; interpolate linearly
-- between its lower bound (the previous bound, 0 for the first) and its upper bound.
-- A rank in the +Inf bucket returns the highest finite bound. NULL when total = 0.
CREATE OR REPLACE TEMP MACRO _hq_pick(q, bounds, cum, i) AS
    CASE
        WHEN i > len(bounds) THEN bounds[len(bounds)]
        WHEN cum[i] = coalesce(cum[i - 1], 0) THEN coalesce(bounds[i - 1], 0)
        ELSE coalesce(bounds[i - 1], 0)
             + (bounds[i] - coalesce(bounds[i - 1], 0))
             * (q * cum[len(cum)] - coalesce(cum[i - 1], 0))
             / (cum[i] - coalesce(cum[i - 1], 0))
    END;

CREATE OR REPLACE TEMP MACRO histogram_quantile(q, bounds, cum) AS
    CASE
        WHEN cum[len(cum)] IS NULL OR cum[len(cum)] = 0 THEN NULL
        ELSE _hq_pick(q, bounds, cum,
                      list_position(list_transform(cum, lambda c: c >= q * cum[len(cum)]), true))::DOUBLE
    END;

-- The latency quantile of summed modelops histogram columns (a row or an aggregate).
CREATE OR REPLACE TEMP MACRO latency_quantile(q, b5, b10, b25, b50, b100, b250, b500, b1000,
                                              b2500, b5000, b10000, total) AS
    histogram_quantile(q, [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
                       [b5, b10, b25, b50, b100, b250, b500, b1000, b2500, b5000, b10000, total]);

-- The models in the shared filter, with their team and business unit. An empty list means
-- "no restriction" for that dimension.
CREATE OR REPLACE TEMP MACRO scoped_models(business_units, teams, models) AS TABLE
    SELECT m.*, t.name AS team, t.business_unit_id, b.name AS business_unit
    FROM models m
    JOIN teams t ON t.team_id = m.team_id
    JOIN business_units b ON b.business_unit_id = t.business_unit_id
    WHERE (len(business_units) = 0 OR list_contains(business_units, t.business_unit_id))
      AND (len(teams) = 0 OR list_contains(teams, m.team_id))
      AND (len(models) = 0 OR list_contains(models, m.model_id));
